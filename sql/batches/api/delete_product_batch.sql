create function api.delete_product_batch(_brand_id uuid, _batch_id uuid, _product_id uuid default null)
returns api.batch
language plpgsql volatile security invoker set search_path = ''
as $$
declare v_row data.batches;
begin
  perform app.require_role(_brand_id, 'admin', 'batches:write');
  select * into v_row from data.batches b
   where b.brand_id = _brand_id and b.id = _batch_id and (_product_id is null or b.product_id = _product_id)
     for update;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  begin
    delete from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  exception when foreign_key_violation then
    -- stock, movements, serials, transfers or statements point at it: history must not be lost
    perform app.raise('PT409', format('Batch %s is referenced and cannot be deleted; archive it instead', _batch_id),
                      jsonb_build_object('field', '_batch_id', 'rule', 'referenced'),
                      'Use set_batch_status with _status => ''archived''');
  end;
  return app.batch_out(v_row);
end
$$;
comment on function api.delete_product_batch(uuid, uuid, uuid) is
  $$Delete a batch while nothing references it (no stock, movements, serials, transfers); otherwise 409: archive it instead. Admin role. Returns the deleted batch. Errors: 401, 403, 404, 409.$$;
grant execute on function api.delete_product_batch(uuid, uuid, uuid) to authenticated;
