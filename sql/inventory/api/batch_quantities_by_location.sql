create function api.batch_quantities_by_location(
  _brand_id       uuid,
  _location_id    uuid,
  _limit          integer default 50,
  _offset         integer default 0,
  _include_empty  boolean default false
)
returns setof api.batch_quantity
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  perform app.check_required(_location_id, '_location_id');
  perform app.check_between(_limit, '_limit', 1, 100);
  perform app.check_min_max(_offset, '_offset', 0);
  if not exists (select from data.locations l where l.brand_id = _brand_id and l.id = _location_id) then
    perform app.not_found('Location', _location_id, '_location_id');
  end if;
  return query
    with p as (
      select t.from_location_id, t.to_location_id, l.batch_id, l.quantity
        from data.transfers t
        join data.transfer_lines l on l.brand_id = t.brand_id and l.transfer_id = t.id
       where t.brand_id = _brand_id and t.status = 'pending'
         and (t.from_location_id = _location_id or t.to_location_id = _location_id)
    ), k as (
      select s.batch_id from data.stock s
       where s.brand_id = _brand_id and s.location_id = _location_id
         and (coalesce(_include_empty, false) or s.quantity > 0)
      union
      select p.batch_id from p where p.to_location_id = _location_id
    ), page as (
      select b.id as batch_id, b.product_id, b.batch_number, b.status, b.expiry_date,
             s.quantity, s.committed, s.available, s.updated_at
        from k
        join data.batches b on b.brand_id = _brand_id and b.id = k.batch_id
        left join data.stock s on s.brand_id = _brand_id and s.batch_id = k.batch_id and s.location_id = _location_id
       order by b.batch_number, b.id
       limit _limit offset _offset
    )
    -- sellability only for the rows of the page
    select _brand_id, pg.batch_id, pg.product_id, pg.batch_number, pg.status, pg.expiry_date, pg.status = 'archived',
           loc.id, loc.name, loc.archived_at is not null,
           coalesce(pg.quantity, 0), coalesce(pg.committed, 0), case when q.unsellable then 0 else coalesce(pg.available, 0) end,
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = pg.batch_id and p.from_location_id = _location_id),
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = pg.batch_id and p.to_location_id = _location_id),
           pg.updated_at, q.unsellable, q.unsellable_reasons
      from page pg
      join data.locations loc on loc.brand_id = _brand_id and loc.id = _location_id
      cross join lateral app.batch_sellability(_brand_id, pg.batch_id, pg.status, pg.expiry_date, _location_id) q
     order by pg.batch_number, pg.batch_id;
end
$$;
comment on function api.batch_quantities_by_location(uuid, uuid, integer, integer, boolean) is
  $$Batches at one location (the retail API's quantities by inventory): quantity, committed (pending transfers and picks), available (0 while unsellable there), in_transfer (leaving in pending transfers), incoming (arriving), unsellable and unsellable_reasons. Rows with quantity 0 and nothing incoming are left out unless _include_empty. Ordered by batch number; _limit 1–100 (default 50), _offset >= 0. Viewer role, scope inventory:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.batch_quantities_by_location(uuid, uuid, integer, integer, boolean) to authenticated;
