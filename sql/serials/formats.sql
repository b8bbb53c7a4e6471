-- Serial number formats per brand: random by default (Crockford base32, 10 characters), sequential only when a
-- brand opts in. docs/serials.md ("Serial numbers").

-- The brand's format, or the default one when it never set one.
create or replace function app.serial_format_of(_brand_id uuid)
returns data.serial_formats
language sql stable security invoker set search_path = ''
as $$
  select coalesce(
    (select f from data.serial_formats f where f.brand_id = _brand_id),
    row(_brand_id, 'random', '0123456789ABCDEFGHJKMNPQRSTVWXYZ', 10, null, null)::data.serial_formats)
$$;

-- Check a format with catalogued errors (the table's constraints say the same for direct writes):
-- scheme random | sequential; alphabet 10-32 distinct characters of Crockford's base32 alphabet (no I, L, O,
-- U: nothing to confuse with 1 or 0); length 8-20 (GS1 AI 21 allows 20); at least 10^12 possible numbers.
create or replace function app.check_serial_format(_f data.serial_formats)
returns data.serial_formats
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _f.scheme is null or _f.scheme not in ('random', 'sequential') then
    perform app.invalid('_scheme', 'enum', '_scheme must be random or sequential');
  end if;
  if _f.alphabet is null or _f.alphabet !~ '^[0-9A-HJKMNP-TV-Z]{10,32}$' or _f.alphabet ~ '(.).*\1' then
    perform app.invalid('_alphabet', 'alphabet',
      '_alphabet must be 10 to 32 different characters of 0-9 and A-Z without I, L, O and U (Crockford base32)');
  end if;
  if _f.length is null or _f.length not between 8 and 20 then
    perform app.invalid('_length', 'range', '_length must be between 8 and 20');
  end if;
  if _f.length * ln(length(_f.alphabet)) < 12 * ln(10) - 1e-9 then
    perform app.invalid('_length', 'space',
      format('%s characters of a %s-character alphabet give fewer than 10^12 serial numbers: use a longer _length',
             _f.length, length(_f.alphabet)));
  end if;
  return _f;
end
$$;

-- Row guard: who changed the format, and when.
create or replace function app.tg__serial_formats_stamp()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  new.updated_by := app.current_user_id();
  new.updated_at := now();
  return new;
end
$$;

grant execute on function app.serial_format_of(uuid), app.check_serial_format(data.serial_formats),
  app.tg__serial_formats_stamp() to authenticated, lotline_auth;
