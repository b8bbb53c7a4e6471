create function api.get_transfer(_brand_id uuid, _transfer_id uuid)
returns api.transfer
language plpgsql stable security invoker set search_path = ''
as $$
declare v api.transfer;
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  v := app.transfer_out(_brand_id, _transfer_id);
  if v.id is null then
    perform app.raise('PT404', format('Transfer %s not found', _transfer_id), jsonb_build_object('field', '_transfer_id', 'rule', 'exists'));
  end if;
  return v;
end
$$;
comment on function api.get_transfer(uuid, uuid) is
  $$One transfer with its lines, number, status and who created, updated, accepted, declined or cancelled it and when. Viewer role, scope inventory:read. Errors: 401, 403, 404.$$;
grant execute on function api.get_transfer(uuid, uuid) to authenticated;
