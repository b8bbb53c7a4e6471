create function api.get_transfer(_brand_id uuid, _transfer_id uuid)
returns api.transfer
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  return app.transfer_out(_brand_id, _transfer_id);   -- 404 when there is none
end
$$;
comment on function api.get_transfer(uuid, uuid) is
  $$One transfer with its lines, number, status and who created, updated, accepted, declined or cancelled it and when. Viewer role, scope inventory:read. Errors: 401, 403, 404.$$;
grant execute on function api.get_transfer(uuid, uuid) to authenticated;
