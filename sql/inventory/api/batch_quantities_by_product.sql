create function api.batch_quantities_by_product(_brand_id uuid, _product_id uuid)
returns setof api.batch_quantity
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'inventory:read');
  perform app.check_required(_product_id, '_product_id');
  if not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.not_found('Product', _product_id, '_product_id');
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
           coalesce(s.quantity, 0), coalesce(s.committed, 0), case when q.unsellable then 0 else coalesce(s.available, 0) end,
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = k.batch_id and p.from_location_id = k.location_id),
           (select coalesce(sum(p.quantity), 0) from p where p.batch_id = k.batch_id and p.to_location_id = k.location_id),
           s.updated_at, q.unsellable, q.unsellable_reasons
      from k
      join b on b.id = k.batch_id
      join data.locations loc on loc.brand_id = _brand_id and loc.id = k.location_id
      left join data.stock s on s.brand_id = _brand_id and s.batch_id = k.batch_id and s.location_id = k.location_id
      cross join lateral app.batch_sellability(_brand_id, b.id, b.status, b.expiry_date, k.location_id) q
     order by b.batch_number, b.id, loc.name, loc.id;
end
$$;
comment on function api.batch_quantities_by_product(uuid, uuid) is
  $$Every batch of a product at every location where it has (or had) stock or is headed: quantity, committed (reserved by pending transfers and picks), available (quantity − committed; 0 while unsellable there), unsellable and unsellable_reasons (holds there or on the batch, recalled, archived, expired), in_transfer (leaving in pending transfers) and incoming (arriving in pending transfers). The full list, no paging (the retail API's batchQuantityInfo). Viewer role, scope inventory:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.batch_quantities_by_product(uuid, uuid) to authenticated;
