create function api.create_location(_brand_id uuid, _name text, _kind text default 'warehouse', _note text default null)
returns api.location
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_name text;
  v_row data.locations;
begin
  perform app.require_role(_brand_id, 'editor', 'inventory:write');
  v_name := app.check_text(_name, '_name', 200);
  if coalesce(_kind, 'warehouse') not in ('warehouse', 'room', 'shop', 'vehicle', 'other') then
    perform app.invalid('_kind', 'enum', '_kind must be one of warehouse, room, shop, vehicle, other');
  end if;
  insert into data.locations (brand_id, name, kind, note, created_by)
  values (_brand_id, v_name, coalesce(_kind, 'warehouse'), app.check_text(_note, '_note', 2000, false), app.current_user_id())
  on conflict do nothing
  returning * into v_row;
  if not found then
    perform app.raise('23505', format('A location named "%s" already exists', v_name),
                      jsonb_build_object('field', '_name', 'rule', 'unique', 'value', v_name));
  end if;
  return app.location_out(v_row);
end
$$;
comment on function api.create_location(uuid, text, text, text) is
  $$Create a location (warehouse, room, shop, vehicle or other) where stock can live. _name is unique (case-insensitive) among the brand's live locations. Editor role, scope inventory:write. Errors: 400, 401, 403, 409 (name taken).$$;
grant execute on function api.create_location(uuid, text, text, text) to authenticated;
