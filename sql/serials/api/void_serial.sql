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
  perform app.check_required(_batch_id, '_batch_id');
  perform app.check_required(nullif(_code, ''), '_code');
  perform app.check_text(_reason, '_reason', 500);
  select k.gtin, k.batch_number into v_gtin, v_number from app.serial_batch(_brand_id, _batch_id) k;
  v := app.serials_void(_brand_id, _batch_id, _code, _reason);
  return app.serial_out(v, v_gtin, v_number);
end
$$;
comment on function api.void_serial(uuid, uuid, text, text) is
  $$Void a serial (by public code, or by serial number in the batch) with a reason (1-500 characters, kept internal). Final: a void serial never becomes active again; the resolver then answers valid = false, reason serial_voided. Admin role, scope serials:write. Errors: 400, 401, 403, 404 (batch or serial), 409 (already void).$$;
grant execute on function api.void_serial(uuid, uuid, text, text) to authenticated;
