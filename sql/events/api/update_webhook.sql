-- Change an endpoint's URL, event patterns, description, retry limit or status (re-enable after a 410).
create function api.update_webhook(
  _brand_id          uuid,
  _webhook_id        uuid,
  _url               text    default null,
  _events            text[]  default null,
  _description       text    default null,
  _max_attempts      integer default null,
  _status            text    default null,
  _expected_version  integer default null
)
returns api.webhook
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_version integer;
begin
  perform app.require_role(_brand_id, 'admin', 'webhooks:write');
  select h.version into v_version from data.webhooks h where h.brand_id = _brand_id and h.id = _webhook_id for update;
  if not found then
    perform app.raise('PT404', format('Webhook %s not found', _webhook_id), jsonb_build_object('field', '_webhook_id', 'rule', 'exists'));
  end if;
  if _expected_version is not null and _expected_version <> v_version then
    perform app.raise('PT412', format('Webhook %s is at version %s, not %s', _webhook_id, v_version, _expected_version),
                      jsonb_build_object('field', '_expected_version', 'rule', 'current_version', 'current', v_version));
  end if;
  if _status is not null and _status not in ('active', 'disabled') then
    perform app.invalid('_status', 'enum', '_status must be one of active, disabled');
  end if;
  if _max_attempts is not null and (_max_attempts < 1 or _max_attempts > 30) then
    perform app.invalid('_max_attempts', 'range', '_max_attempts must be between 1 and 30');
  end if;
  update data.webhooks h
     set url = case when _url is null then h.url else app.check_webhook_url(_url) end,
         events = case when _events is null then h.events else app.check_event_patterns(_events) end,
         description = case when _description is null then h.description else app.check_text(_description, '_description', 500, false) end,
         max_attempts = coalesce(_max_attempts, h.max_attempts),
         status = coalesce(_status, h.status),
         disabled_reason = case when coalesce(_status, h.status) = 'active' then null
                                when _status = 'disabled' then 'disabled by ' || coalesce(app.current_user_id(), 'an admin')
                                else h.disabled_reason end
   where h.brand_id = _brand_id and h.id = _webhook_id;
  perform app.require_found(found, '_webhook_id', format('Webhook %s not found', _webhook_id));
  return (select w from app.webhooks_of(_brand_id, _webhook_id) w);
end
$$;
comment on function api.update_webhook(uuid, uuid, text, text[], text, integer, text, integer) is
  $$Change an endpoint: _url, _events, _description, _max_attempts, or _status (active | disabled; re-enabling resumes its queue where it stopped). Arguments left null keep their value. Optional _expected_version (412 when stale). Admin role, scope webhooks:write. Errors: 400, 401, 403, 404, 412.$$;
grant execute on function api.update_webhook(uuid, uuid, text, text[], text, integer, text, integer) to authenticated;
