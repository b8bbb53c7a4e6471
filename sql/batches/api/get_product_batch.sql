create function api.get_product_batch(_brand_id uuid, _product_id uuid, _batch_id uuid)
returns api.batch
language plpgsql stable security invoker set search_path = ''
as $$
declare v_row data.batches;
begin
  perform app.require_role(_brand_id, 'viewer', 'batches:read');
  select * into v_row from data.batches b
   where b.brand_id = _brand_id and b.product_id = _product_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  return app.batch_out(v_row);
end
$$;
comment on function api.get_product_batch(uuid, uuid, uuid) is
  $$One batch of a product by id. Errors: 401, 403, 404.$$;
grant execute on function api.get_product_batch(uuid, uuid, uuid) to authenticated;
