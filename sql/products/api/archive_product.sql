-- Archive a product: it keeps its batches and history but takes no new batches (docs/products.md).
create function api.archive_product(_brand_id uuid, _product_id uuid, _expected_version integer default null)
returns api.product
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.products;
begin
  perform app.require_role(_brand_id, 'admin', 'products:write');
  v_row := app.product_for_change(_brand_id, _product_id, _expected_version);
  update data.products p set archived_at = now()
   where p.brand_id = _brand_id and p.id = _product_id
  returning * into v_row;
  perform app.require_found(found, '_product_id', format('Product %s not found', _product_id));
  return app.product_out(v_row);
end
$$;
comment on function api.archive_product(uuid, uuid, integer) is
  $$Archive a product (one-way). Its batches stay as they are and can still be read, moved and patched, but no new batch of it can be created by any door (create_product_batch, upsert_batches, receive_inbound): 409. An archived product cannot be changed or archived again (409). _expected_version → 412 when stale. Admin role, scope products:write. Errors: 401, 403, 404, 409, 412.$$;
grant execute on function api.archive_product(uuid, uuid, integer) to authenticated;
