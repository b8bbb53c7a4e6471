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
  select * into v_row from data.locations l where l.brand_id = _brand_id and l.id = _location_id for update;
  if not found then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
  end if;
  if v_row.archived_at is not null then
    perform app.raise('PT409', format('Location "%s" is archived and cannot be renamed', v_row.name),
                      jsonb_build_object('field', '_location_id', 'rule', 'state', 'state', 'archived'));
  end if;
  begin
    update data.locations l set name = v_name where l.brand_id = _brand_id and l.id = _location_id returning * into v_row;
  exception when unique_violation then
    perform app.raise('23505', format('A location named "%s" already exists', v_name),
                      jsonb_build_object('field', '_name', 'rule', 'unique', 'value', v_name));
  end;
  return app.location_out(v_row);
end
$$;
comment on function api.rename_location(uuid, uuid, text) is
  $$Rename a live location (its stock and history stay). Editor role, scope inventory:write. Errors: 400, 401, 403, 404, 409 (name taken, or archived).$$;
grant execute on function api.rename_location(uuid, uuid, text) to authenticated;
