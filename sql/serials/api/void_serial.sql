create function api.void_serial(_brand_id uuid, _batch_id uuid, _code text, _reason text)
returns api.serial
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v        data.serials;
  v_gtin   text;
  v_number text;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  if _batch_id is null then
    perform app.invalid('_batch_id', 'required', '_batch_id is required');
  end if;
  if _code is null or _code = '' then
    perform app.invalid('_code', 'required', '_code is required');
  end if;
  perform app.check_text(_reason, '_reason', 500);
  select p.gtin, b.batch_number into v_gtin, v_number
    from data.batches b join data.products p on p.brand_id = b.brand_id and p.id = b.product_id
   where b.brand_id = _brand_id and b.id = _batch_id;
  if not found then
    perform app.raise('PT404', format('Batch %s not found', _batch_id), jsonb_build_object('field', '_batch_id', 'rule', 'exists'));
  end if;
  v := app.serials_void(_brand_id, _batch_id, _code, _reason);
  return app.serial_out(v, v_gtin, v_number);
end
$$;
comment on function api.void_serial(uuid, uuid, text, text) is
  $$Void a serial (by public code, or by serial number in the batch) with a reason (1-500 characters, kept internal). Final: a void serial never becomes active again; the resolver then answers valid = false, reason serial_voided. Admin role, scope serials:write. Errors: 400, 401, 403, 404 (batch or serial), 409 (already void).$$;
grant execute on function api.void_serial(uuid, uuid, text, text) to authenticated;
