create function api.list_transfers(
  _brand_id     uuid,
  _status       text    default null,
  _location_id  uuid    default null,
  _limit        integer default 50,
  _offset       integer default 0
)
returns setof api.transfer
language plpgsql stable security invoker set search_path = ''
as $$
declare v_status text := lower(btrim(_status));
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  if v_status is not null and v_status not in ('pending', 'accepted', 'declined', 'cancelled') then
    perform app.invalid('_status', 'enum', '_status must be one of pending, accepted, declined, cancelled');
  end if;
  if _limit is null or _limit < 1 or _limit > 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  if _offset is null or _offset < 0 then
    perform app.invalid('_offset', 'min', '_offset must be >= 0');
  end if;
  return query
    select o.* from (
      select t.id from data.transfers t
       where t.brand_id = _brand_id
         and (v_status is null or t.status = v_status)
         and (_location_id is null or t.from_location_id = _location_id or t.to_location_id = _location_id)
       order by t.created_at desc, t.id desc
       limit _limit offset _offset) t
    cross join lateral app.transfer_out(_brand_id, t.id) o;
end
$$;
comment on function api.list_transfers(uuid, text, uuid, integer, integer) is
  $$Transfers, newest first, with their lines. Filters: _status (pending, accepted, declined, cancelled; case-insensitive, so seed E's PENDING works), _location_id (as source or destination). _limit 1–100 (default 50), _offset >= 0. Viewer role, scope inventory:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_transfers(uuid, text, uuid, integer, integer) to authenticated;
