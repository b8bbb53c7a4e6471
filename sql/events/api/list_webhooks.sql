-- A brand's webhook endpoints (never their secrets).
create function api.list_webhooks(_brand_id uuid)
returns setof api.webhook
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'webhooks:read');
  return query select * from app.webhooks_of(_brand_id);
end
$$;
comment on function api.list_webhooks(uuid) is
  $$The brand's webhook endpoints with their event patterns, status (active, or disabled with a reason), retry limit and feed position (cursor); secrets are never shown again. Admin role, scope webhooks:read. Errors: 401, 403.$$;
grant execute on function api.list_webhooks(uuid) to authenticated;
