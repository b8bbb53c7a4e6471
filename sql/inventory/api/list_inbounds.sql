create function api.list_inbounds(_brand_id uuid, _location_id uuid default null, _limit integer default 50, _offset integer default 0)
returns setof api.inbound
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  if _limit is null or _limit < 1 or _limit > 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  if _offset is null or _offset < 0 then
    perform app.invalid('_offset', 'min', '_offset must be >= 0');
  end if;
  return query
    select o.* from (
      select i.id from data.inbounds i
       where i.brand_id = _brand_id and (_location_id is null or i.location_id = _location_id)
       order by i.created_at desc, i.id desc
       limit _limit offset _offset) i
    cross join lateral app.inbound_out(_brand_id, i.id) o;
end
$$;
comment on function api.list_inbounds(uuid, uuid, integer, integer) is
  $$Inbound receipts, newest first, with their lines; optionally of one location. _limit 1–100 (default 50), _offset >= 0. Viewer role, scope inventory:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_inbounds(uuid, uuid, integer, integer) to authenticated;
