create function api.rename_location(_brand_id uuid, _location_id uuid, _name text)
returns api.location
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_name text;
  v_row data.locations;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  v_name := app.check_text(_name, '_name', 200);
  perform app.location_for_update(_brand_id, _location_id, 'archived and cannot be renamed');
  begin
    update data.locations l set name = v_name where l.brand_id = _brand_id and l.id = _location_id returning * into v_row;
  exception when unique_violation then
    perform app.already_exists(format('A location named "%s" already exists', v_name), '_name', v_name);
  end;
  return app.location_out(v_row);
end
$$;
comment on function api.rename_location(uuid, uuid, text) is
  $$Rename a live location (its stock and history stay). Editor role, scope inventory:write. Errors: 400, 401, 403, 404, 409 (name taken, or archived).$$;
grant execute on function api.rename_location(uuid, uuid, text) to authenticated;
