create function api.batch_quantities_by_product(_brand_id uuid, _product_id uuid)
returns setof api.batch_quantity
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  if _product_id is null then
    perform app.invalid('_product_id', 'required', '_product_id is required');
  end if;
  if not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.raise('PT404', format('Product %s not found', _product_id), jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  return query
    with b as (
      select * from data.batches b where b.brand_id = _brand_id and b.product_id = _product_id
    ), p as (
      -- lines of pending transfers of these batches: in transit
      select t.from_location_id, t.to_location_id, l.batch_id, l.quantity
        from data.transfer_lines l
        join data.transfers t on t.brand_id = l.brand_id and t.id = l.transfer_id
       where l.brand_id = _brand_id and t.status = 'pending' and l.batch_id in (select b.id from b)
    ), k as (
      select s.batch_id, s.location_id from data.stock s where s.brand_id = _brand_id and s.batch_id in (select b.id from b)
      union
      select p.batch_id, p.to_location_id from p
    )
    select _brand_id, b.id, b.product_id, b.batch_number, b.status, b.expiry_date, b.status = 'archived',
           loc.id, loc.name, loc.archived_at is not null,
           coalesce(s.quantity, 0), coalesce(s.committed, 0), coalesce(s.available, 0),
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = k.batch_id and p.from_location_id = k.location_id),
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = k.batch_id and p.to_location_id = k.location_id),
           s.updated_at
      from k
      join b on b.id = k.batch_id
      join data.locations loc on loc.brand_id = _brand_id and loc.id = k.location_id
      left join data.stock s on s.brand_id = _brand_id and s.batch_id = k.batch_id and s.location_id = k.location_id
     order by b.batch_number, b.id, loc.name, loc.id;
end
$$;
comment on function api.batch_quantities_by_product(uuid, uuid) is
  $$Every batch of a product at every location where it has (or had) stock or is headed: quantity, committed (reserved by pending transfers), available (quantity − committed), in_transfer (leaving in pending transfers) and incoming (arriving in pending transfers). The full list, no paging (seed E's batchQuantityInfo). Viewer role, scope inventory:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.batch_quantities_by_product(uuid, uuid) to authenticated;
