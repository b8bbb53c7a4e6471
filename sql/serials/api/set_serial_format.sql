create function api.set_serial_format(_brand_id uuid, _scheme text default null, _alphabet text default null,
                                      _length integer default null)
returns api.serial_format
language plpgsql volatile security invoker set search_path = ''
as $$
declare v data.serial_formats;
begin
  perform app.require_role(_brand_id, 'admin', 'serials:write');
  v := app.serial_format_of(_brand_id);
  v.scheme := coalesce(_scheme, v.scheme);
  v.alphabet := coalesce(_alphabet, v.alphabet);
  v.length := coalesce(_length, v.length);
  v := app.check_serial_format(v);
  insert into data.serial_formats as f (brand_id, scheme, alphabet, length)
  values (_brand_id, v.scheme, v.alphabet, v.length)
  on conflict (brand_id) do update set scheme = excluded.scheme, alphabet = excluded.alphabet, length = excluded.length
  returning * into v;
  return app.serial_format_out(v);
end
$$;
comment on function api.set_serial_format(uuid, text, text, integer) is
  $$Choose how mint_serials numbers the brand's serials from now on (serials already minted keep their numbers): _scheme random (default) or sequential (opt-in: the serial number is the position in the batch, so it reveals how many units a batch has); for random, _alphabet (10-32 different characters of Crockford's base32 alphabet 0-9 A-Z without I, L, O, U; default all 32) and _length (8-20, default 10), together at least 10^12 possible numbers. Omitted arguments keep their current value. Admin role, scope serials:write. Errors: 400 (_scheme enum, _alphabet alphabet, _length range | space), 401, 403. docs/serials.md.$$;
grant execute on function api.set_serial_format(uuid, text, text, integer) to authenticated;
