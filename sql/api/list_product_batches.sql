create function api.list_product_batches(_brand_id uuid, _product_id uuid)
returns setof api.batch
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'batches:read');
  if not exists (select from data.products p where p.brand_id = _brand_id and p.id = _product_id) then
    perform app.raise('PT404', format('Product %s not found', _product_id),
                      jsonb_build_object('field', '_product_id', 'rule', 'exists'));
  end if;
  return query
    select o.* from data.batches b cross join lateral app.batch_out(b) o
     where b.brand_id = _brand_id and b.product_id = _product_id
     order by b.created_at, b.id;
end
$$;
comment on function api.list_product_batches(uuid, uuid) is
  $$All batches of a product, oldest first (shape with select/order/limit/offset). Errors: 401, 403, 404.$$;
grant execute on function api.list_product_batches(uuid, uuid) to authenticated;
