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
  if _location_id is null then
    perform app.invalid('_location_id', 'required', '_location_id is required');
  end if;
  if _limit is null or _limit < 1 or _limit > 100 then
    perform app.invalid('_limit', 'range', '_limit must be between 1 and 100');
  end if;
  if _offset is null or _offset < 0 then
    perform app.invalid('_offset', 'min', '_offset must be >= 0');
  end if;
  if not exists (select from data.locations l where l.brand_id = _brand_id and l.id = _location_id) then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
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
    )
    select _brand_id, b.id, b.product_id, b.batch_number, b.status, b.expiry_date, b.status = 'archived',
           loc.id, loc.name, loc.archived_at is not null,
           coalesce(s.quantity, 0), coalesce(s.committed, 0), coalesce(s.available, 0),
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = k.batch_id and p.from_location_id = _location_id),
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = k.batch_id and p.to_location_id = _location_id),
           s.updated_at
      from k
      join data.batches b on b.brand_id = _brand_id and b.id = k.batch_id
      join data.locations loc on loc.brand_id = _brand_id and loc.id = _location_id
      left join data.stock s on s.brand_id = _brand_id and s.batch_id = k.batch_id and s.location_id = _location_id
     order by b.batch_number, b.id
     limit _limit offset _offset;
end
$$;
comment on function api.batch_quantities_by_location(uuid, uuid, integer, integer, boolean) is
  $$Batches at one location (seed E's quantities by inventory): quantity, committed, available, in_transfer (leaving in pending transfers) and incoming (arriving). Rows with quantity 0 and nothing incoming are left out unless _include_empty. Ordered by batch number; _limit 1–100 (default 50), _offset >= 0. Viewer role, scope inventory:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.batch_quantities_by_location(uuid, uuid, integer, integer, boolean) to authenticated;
