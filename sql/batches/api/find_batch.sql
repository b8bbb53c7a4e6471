create function api.find_batch(_brand_id uuid, _batch_id uuid)
returns api.batch
language plpgsql stable security invoker set search_path = ''
as $$
declare v_row data.batches;
begin
  perform app.require_role(_brand_id, 'viewer', 'batches:read');
  select * into v_row from data.batches b where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  return app.batch_out(v_row);
end
$$;
comment on function api.find_batch(uuid, uuid) is
  $$Find a batch by id across all of a brand's products. Errors: 401, 403, 404.$$;
grant execute on function api.find_batch(uuid, uuid) to authenticated;
