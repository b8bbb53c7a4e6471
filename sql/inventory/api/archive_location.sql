create function api.archive_location(_brand_id uuid, _location_id uuid)
returns api.location
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'admin', 'inventory:write');
  perform app.location_archive(_brand_id, _location_id);
  return (select app.location_out(l) from data.locations l where l.brand_id = _brand_id and l.id = _location_id);
end
$$;
comment on function api.archive_location(uuid, uuid) is
  $$Archive an empty location: it keeps its history but takes no new stock or transfers, and its name can be reused. Refused (409) while it holds stock or has pending transfers, or when already archived. Admin role, scope inventory:write. Errors: 401, 403, 404, 409.$$;
grant execute on function api.archive_location(uuid, uuid) to authenticated;
