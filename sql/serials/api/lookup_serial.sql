create function api.lookup_serial(_brand_id uuid, _batch_id uuid, _code text)
returns api.serial
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v        data.serials;
  v_gtin   text;
  v_number text;
begin
  perform app.require_role(_brand_id, 'viewer', 'serials:read');
  if _code is null or _code = '' then
    perform app.invalid('_code', 'required', '_code is required');
  end if;
  if length(_code) > 100 then
    perform app.invalid('_code', 'max_length', '_code must be at most 100 characters');
  end if;
  if _batch_id is not null and not exists (select from data.batches b where b.brand_id = _brand_id and b.id = _batch_id) then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  select * into v from data.serials s
   where s.code = _code and s.brand_id = _brand_id and (_batch_id is null or s.batch_id = _batch_id);
  if not found and _batch_id is not null then
    select * into v from data.serials s
     where s.brand_id = _brand_id and s.batch_id = _batch_id and s.serial_number = _code;
  end if;
  if not found then
    perform app.raise('PT404', format('Serial %s not found', _code), jsonb_build_object('field', '_code', 'rule', 'exists'));
  end if;
  select p.gtin, b.batch_number into v_gtin, v_number
    from data.batches b join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
   where b.brand_id = v.brand_id and b.id = v.batch_id;
  return app.serial_out(v, v_gtin, v_number);
end
$$;
comment on function api.lookup_serial(uuid, uuid, text) is
  $$Look up one serial of the brand by its public code, or — when _batch_id is given — by its serial number in that batch. _batch_id may be null (search the whole brand, by code only). Viewer role, scope serials:read. Errors: 400, 401, 403, 404 (batch or serial).$$;
grant execute on function api.lookup_serial(uuid, uuid, text) to authenticated;
