create function api.get_inbound(_brand_id uuid, _inbound_id uuid)
returns api.inbound
language plpgsql stable security invoker set search_path = ''
as $$
declare v api.inbound;
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  v := app.inbound_out(_brand_id, _inbound_id);
  if v.id is null then
    perform app.raise('PT404', format('Inbound %s not found', _inbound_id), jsonb_build_object('field', '_inbound_id', 'rule', 'exists'));
  end if;
  return v;
end
$$;
comment on function api.get_inbound(uuid, uuid) is
  $$One inbound receipt with its lines (product, batch, quantity, expiry date, whether the receipt created the batch). Viewer role, scope inventory:read. Errors: 401, 403, 404.$$;
grant execute on function api.get_inbound(uuid, uuid) to authenticated;
