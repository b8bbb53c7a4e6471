-- list_picks: a brand's pick lists, newest first.
create function api.list_picks(_brand_id uuid, _status text default null, _location_id uuid default null,
                               _limit integer default 100, _offset integer default 0)
returns setof api.pick
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  if _status is not null and _status not in ('reserved', 'picked', 'released') then
    perform app.invalid('_status', 'enum', '_status must be reserved, picked or released');
  end if;
  perform app.check_paging(_limit, _offset);
  return query
    select o.* from data.picks k cross join lateral app.pick_out(_brand_id, k.id) o
     where k.brand_id = _brand_id and (_status is null or k.status = _status)
       and (_location_id is null or k.location_id = _location_id)
     order by k.created_at desc, k.id desc
     limit _limit offset _offset;
end
$$;
comment on function api.list_picks(uuid, text, uuid, integer, integer) is
  $$Pick lists of a brand, newest first, with their lines: _status reserved | picked | released, _location_id; _limit 1–100 (default 100), _offset. Viewer role, scope inventory:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_picks(uuid, text, uuid, integer, integer) to authenticated;
