create function api.resolve_serial(_code text)
returns api.consumer_view
language plpgsql stable security invoker set search_path = ''
as $$
declare v api.consumer_view;
begin
  -- public: no role check; anon reaches data only through the definer app.public_view
  select * into v
    from app.public_view(_code => app.check_format(_code, '_code', '^[A-Za-z0-9_-]{16}$',
                                             '_code must be the 16-character URL-safe code printed on the product'));
  if not found then
    perform app.not_found('Serial code', _code, '_code');
  end if;
  return v;
end
$$;
comment on function api.resolve_serial(text) is
  $$Public (anon and authenticated): what a consumer sees after scanning a serial's code — brand and product name, GTIN, batch number, production and expiry dates, batch status, recalled flag and message, serial number and status, and the GS1 Digital Link path /01/{gtin}/10/{batch}/21/{serial}. A voided serial answers 200 with valid = false, reason serial_voided. Never internal ids, quantities or members. Errors: 400 (_code format), 404 (unknown code).$$;
grant execute on function api.resolve_serial(text) to anon, authenticated;
