create function api.list_stock_movements(
  _brand_id     uuid,
  _batch_id     uuid    default null,
  _location_id  uuid    default null,
  _transfer_id  uuid    default null,
  _inbound_id   uuid    default null,
  _limit        integer default 100,
  _before_id    bigint  default null
)
returns setof api.stock_movement
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  if _limit is null or _limit < 1 or _limit > 500 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 500');
  end if;
  return query
    select o.* from data.stock_movements m cross join lateral app.stock_movement_out(m) o
     where m.brand_id = _brand_id
       and (_batch_id is null or m.batch_id = _batch_id)
       and (_location_id is null or m.location_id = _location_id)
       and (_transfer_id is null or m.transfer_id = _transfer_id)
       and (_inbound_id is null or m.inbound_id = _inbound_id)
       and (_before_id is null or m.id < _before_id)
     order by m.id desc
     limit _limit;
end
$$;
comment on function api.list_stock_movements(uuid, uuid, uuid, uuid, uuid, integer, bigint) is
  $$The stock ledger, newest first: every receipt, adjustment, reservation, release, transfer_out and transfer_in with its deltas, the balance after it, who (actor), when, why (reason) and what caused it (inbound_id, transfer_id). Filters: batch, location, transfer, inbound. Page with _before_id = the last id seen; _limit 1–500 (default 100). Viewer role, scope inventory:read. Errors: 400, 401, 403.$$;
grant execute on function api.list_stock_movements(uuid, uuid, uuid, uuid, uuid, integer, bigint) to authenticated;
