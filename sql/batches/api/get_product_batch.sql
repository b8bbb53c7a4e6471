create function api.get_product_batch(_brand_id uuid, _product_id uuid, _batch_id uuid)
returns api.batch
language plpgsql stable security invoker set search_path = ''
as $$
declare v_row data.batches;
begin
  perform app.require_role(_brand_id, 'viewer', 'batches:read');
  v_row := app.batch_of(_brand_id, _batch_id);
  if v_row.product_id is distinct from _product_id then
    perform app.not_found('Batch', _batch_id, '_batch_id');   -- a batch of another product: as if absent
  end if;
  return app.batch_out(v_row);
end
$$;
comment on function api.get_product_batch(uuid, uuid, uuid) is
  $$One batch of a product by id. Errors: 401, 403, 404.$$;
grant execute on function api.get_product_batch(uuid, uuid, uuid) to authenticated;
