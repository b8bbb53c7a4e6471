create function api.list_products(_brand_id uuid)
returns setof api.product
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'products:read');
  return query
    select o.* from data.products p cross join lateral app.product_out(p) o
     where p.brand_id = _brand_id
     order by p.created_at, p.id;
end
$$;
comment on function api.list_products(uuid) is
  $$All products of a brand, oldest first (use select/order/limit/offset to shape). Errors: 401, 403.$$;
grant execute on function api.list_products(uuid) to authenticated;
