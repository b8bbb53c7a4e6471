create function api.get_inbound(_brand_id uuid, _inbound_id uuid)
returns api.inbound
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  return app.inbound_out(_brand_id, _inbound_id);   -- 404 when there is none
end
$$;
comment on function api.get_inbound(uuid, uuid) is
  $$One inbound receipt with its lines (product, batch, quantity, expiry date, whether the receipt created the batch). Viewer role, scope inventory:read. Errors: 401, 403, 404.$$;
grant execute on function api.get_inbound(uuid, uuid) to authenticated;
