-- Register a webhook endpoint; its signing secret is returned this once.
create function api.create_webhook(
  _brand_id      uuid,
  _url           text,
  _events        text[]  default null,
  _description   text    default null,
  _max_attempts  integer default null
)
returns api.new_webhook
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_secret text := app.webhook_secret();
  v_id uuid;
begin
  perform app.require_role(_brand_id, 'admin', 'webhooks:write');
  if _max_attempts is not null and (_max_attempts < 1 or _max_attempts > 30) then
    perform app.invalid('_max_attempts', 'range', '_max_attempts must be between 1 and 30');
  end if;
  insert into data.webhooks (brand_id, url, events, description, secret, max_attempts, created_by)
  values (_brand_id, app.check_webhook_url(_url), app.check_event_patterns(_events),
          app.check_text(_description, '_description', 500, false), v_secret, coalesce(_max_attempts, 10),
          app.current_user_id())
  returning id into v_id;
  -- deliveries start with the transactions that have not finished yet: everything below the horizon is past
  insert into data.webhook_cursors (brand_id, webhook_id, xid, seq)
  values (_brand_id, v_id, pg_snapshot_xmin(pg_current_snapshot()), 0);
  return row((select w from app.webhooks_of(_brand_id, v_id) w), v_secret)::api.new_webhook;
end
$$;
comment on function api.create_webhook(uuid, text, text[], text, integer) is
  $$Register an endpoint for the brand's events, delivered by the Standard Webhooks specification (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the returned secret, shown only here). _events: types (batch.created), families (batch.*) or * (default: all). _max_attempts (1–30, default 10) before a delivery goes to the dead-letter state. Events committed from now on are delivered, in feed order. Admin role, scope webhooks:write. Errors: 400, 401, 403.$$;
grant execute on function api.create_webhook(uuid, text, text[], text, integer) to authenticated;
