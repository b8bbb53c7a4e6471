-- list_expiring_batches: batches whose expiry date falls within the next _within_days days (and, by default,
-- those already expired), soonest first, with their stock and whether they can still be sold.
create function api.list_expiring_batches(
  _brand_id         uuid,
  _within_days      integer,
  _location_id      uuid    default null,
  _product_id       uuid    default null,
  _include_expired  boolean default true,
  _limit            integer default 100,
  _offset           integer default 0
)
returns setof api.expiring_batch
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'quality:read');
  if _within_days is null or _within_days < 0 or _within_days > 3650 then
    perform app.invalid('_within_days', 'range', '_within_days must be between 0 and 3650');
  end if;
  perform app.check_paging(_limit, _offset);
  if _location_id is not null and not exists (select from data.locations l where l.brand_id = _brand_id and l.id = _location_id) then
    perform app.raise('PT404', format('Location %s not found', _location_id), jsonb_build_object('field', '_location_id', 'rule', 'exists'));
  end if;
  if _product_id is not null and not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.raise('PT404', format('Product %s not found', _product_id), jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  return query
    select b.id, b.brand_id, b.product_id, p.name, b.batch_number, b.status, b.expiry_date,
           b.expiry_date - current_date, b.expiry_date < current_date,
           coalesce(st.on_hand, 0), coalesce(st.committed, 0), s.unsellable, s.unsellable_reasons
      from (select b.* from data.batches b
             where b.brand_id = _brand_id and b.expiry_date is not null and b.status <> 'archived'
               and b.expiry_date <= current_date + _within_days
               and (coalesce(_include_expired, true) or b.expiry_date >= current_date)
               and (_product_id is null or b.product_id = _product_id)
               and (_location_id is null or exists (select from data.stock x where x.brand_id = b.brand_id and x.batch_id = b.id
                                                                            and x.location_id = _location_id and x.quantity > 0))
             order by b.expiry_date, b.batch_number, b.id
             limit _limit offset _offset) b
      join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
      left join lateral (select sum(x.quantity) as on_hand, sum(x.committed) as committed from data.stock x
                          where x.brand_id = b.brand_id and x.batch_id = b.id
                            and (_location_id is null or x.location_id = _location_id)) st on true
      cross join lateral app.batch_sellability(b.brand_id, b.id, b.status, b.expiry_date, _location_id) s
     order by b.expiry_date, b.batch_number, b.id;
end
$$;
comment on function api.list_expiring_batches(uuid, integer, uuid, uuid, boolean, integer, integer) is
  $$Batches (not archived) whose expiry date is within the next _within_days days (0–3650), soonest first, and those already expired unless _include_expired is false. Expiry is computed now (the database's current date), no job runs: days_left (negative once expired), expired, on_hand and committed (at _location_id — then only batches with stock there — or over all locations), unsellable and unsellable_reasons. _product_id filters; _limit 1–100 (default 100), _offset. Viewer role, scope quality:read. Errors: 400, 401, 403, 404.$$;
grant execute on function api.list_expiring_batches(uuid, integer, uuid, uuid, boolean, integer, integer) to authenticated;
