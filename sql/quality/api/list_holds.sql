-- list_holds: a brand's holds, open ones by default, optionally of one batch or location.
create function api.list_holds(_brand_id uuid, _batch_id uuid default null, _location_id uuid default null,
                               _status text default 'open', _limit integer default 100, _offset integer default 0)
returns setof api.hold
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'quality:read');
  if _status is not null and _status not in ('open', 'released') then
    perform app.invalid('_status', 'enum', '_status must be open or released (or null for both)');
  end if;
  perform app.check_paging(_limit, _offset);
  return query
    select o.* from data.holds h cross join lateral app.hold_out(_brand_id, h.id) o
     where h.brand_id = _brand_id
       and (_batch_id is null or h.batch_id = _batch_id)
       and (_location_id is null or h.location_id = _location_id)
       and (_status is null or h.status = _status)
     order by h.placed_at, h.id
     limit _limit offset _offset;
end
$$;
comment on function api.list_holds(uuid, uuid, uuid, text, integer, integer) is
  $$Holds of a brand, oldest first: _status open (default), released, or null for both; _batch_id and _location_id filter (a location filter lists the holds limited to that location). _limit 1–100 (default 100), _offset. Viewer role, scope quality:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_holds(uuid, uuid, uuid, text, integer, integer) to authenticated;
