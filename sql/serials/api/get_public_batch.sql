create function api.get_public_batch(_public_id text)
returns api.consumer_view
language plpgsql stable security invoker set search_path = ''
as $$
declare v api.consumer_view;
begin
  -- public: no role check; anon reaches data only through the definer app.public_view
  select * into v
    from app.public_view(_public_id => app.check_format(_public_id, '_public_id', '^[A-Za-z0-9_-]{1,64}$',
                                                       '_public_id must be 1-64 URL-safe characters (A-Z a-z 0-9 - _)'));
  if not found then
    perform app.not_found('Batch', _public_id, '_public_id');
  end if;
  return v;
end
$$;
comment on function api.get_public_batch(text) is
  $$Public (anon and authenticated): the consumer view of a batch by its unguessable public id (batch.public_id) — brand and product name, GTIN, batch number, production and expiry dates, status, recalled flag and message, GS1 Digital Link path (/01/{gtin}/10/{batch}). Never internal ids, quantities or members. Errors: 400 (_public_id), 404.$$;
grant execute on function api.get_public_batch(text) to anon, authenticated;
