create function api.list_product_batches(_brand_id uuid, _product_id uuid)
returns setof api.batch
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'batches:read');
  -- api.batch's columns listed here rather than app.batch_out(b) per row: a function with a SET clause
  -- is never inlined, and calling it once per row doubled the cost of the list (docs/benchmarks.md).
  -- app.batch_quality has none, so the planner inlines it into this query.
  return query
    select b.id, b.brand_id, b.product_id, b.batch_number, b.external_id, b.status, b.production_date,
           b.received_date, b.expiry_date, b.quantity, b.unit, b.facility_ref, b.attributes,
           b.recall_message, b.public_id, b.created_at, b.updated_at, b.version, b.archived_at,
           q.lab_testing_state, q.latest_lab_result, q.unsellable, q.unsellable_reasons
      from data.batches b
      cross join lateral app.batch_quality(b.brand_id, b.id, b.product_id, b.status, b.expiry_date) q
     where b.brand_id = _brand_id and b.product_id = _product_id
     order by b.created_at, b.id;
  -- a product has batches only if it exists (foreign key), so its existence is checked only when none came back
  if not found and not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.not_found('Product', _product_id, '_product_id');
  end if;
end
$$;
comment on function api.list_product_batches(uuid, uuid) is
  $$All batches of a product, oldest first (shape with select/order/limit/offset). Errors: 401, 403, 404.$$;
grant execute on function api.list_product_batches(uuid, uuid) to authenticated;
