-- GTIN: 8, 12, 13 or 14 digits with a valid GS1 check digit; returned as GTIN-14.
create or replace function app.gtin_check_digit_ok(_digits text)
returns boolean
language sql immutable strict security invoker set search_path = ''
as $$
  select _digits ~ '^[0-9]+$' and (
    select (10 - (sum(substr(lpad(_digits, 14, '0'), i, 1)::int * case when i % 2 = 1 then 3 else 1 end) % 10)) % 10
      from generate_series(1, 13) i
  ) = substr(lpad(_digits, 14, '0'), 14, 1)::int
$$;

create or replace function app.normalize_gtin(_value text, _field text default '_gtin')
returns text
language plpgsql immutable security invoker set search_path = ''
as $$
declare v text := btrim(_value);
begin
  if v is null or v = '' then return null; end if;
  if v !~ '^[0-9]+$' or length(v) not in (8, 12, 13, 14) then
    perform app.invalid(_field, 'gtin_length', format('%s must be 8, 12, 13 or 14 digits', _field));
  end if;
  if not app.gtin_check_digit_ok(v) then
    perform app.invalid(_field, 'gtin_check_digit', format('%s has an invalid check digit', _field));
  end if;
  return lpad(v, 14, '0');
end
$$;
grant execute on function app.gtin_check_digit_ok(text), app.normalize_gtin(text, text) to authenticated, anon, lotline_auth;
