create function api.find_batch(_brand_id uuid, _batch_id uuid)
returns api.batch
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'viewer', 'batches:read');
  return app.batch_out(app.batch_of(_brand_id, _batch_id));
end
$$;
comment on function api.find_batch(uuid, uuid) is
  $$Find a batch by id across all of a brand's products. Errors: 401, 403, 404.$$;
grant execute on function api.find_batch(uuid, uuid) to authenticated;
