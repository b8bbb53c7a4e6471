-- Value checks shared by RPCs: each raises 22023 naming the field and the rule (docs/errors.md).

-- Parse an ISO date (YYYY-MM-DD) from JSON, naming the field on failure.
create or replace function app.json_date(_value jsonb, _field text)
returns date
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null or jsonb_typeof(_value) = 'null' then return null; end if;
  if jsonb_typeof(_value) <> 'string' or (_value #>> '{}') !~ '^\d{4}-\d{2}-\d{2}$' then
    perform app.invalid(_field, 'iso_date', format('%s must be an ISO date (YYYY-MM-DD)', _field));
  end if;
  begin
    return (_value #>> '{}')::date;
  exception when others then
    perform app.invalid(_field, 'iso_date', format('%s must be a valid calendar date (YYYY-MM-DD)', _field));
  end;
  return null;
end
$$;

-- Parse a non-negative finite number from JSON, naming the field on failure.
create or replace function app.json_quantity(_value jsonb, _field text)
returns numeric
language plpgsql immutable security invoker set search_path = ''
as $$
declare v numeric;
begin
  if _value is null or jsonb_typeof(_value) = 'null' then return null; end if;
  if jsonb_typeof(_value) <> 'number' then
    perform app.invalid(_field, 'number', format('%s must be a number', _field));
  end if;
  v := (_value #>> '{}')::numeric;
  perform app.check_quantity(v, _field);
  return v;
end
$$;

create or replace function app.check_quantity(_value numeric, _field text)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null then return; end if;
  if _value = 'NaN'::numeric or _value in ('Infinity'::numeric, '-Infinity'::numeric) then
    perform app.invalid(_field, 'finite', format('%s must be a finite number', _field));
  end if;
  if _value < 0 then
    perform app.invalid(_field, 'min', format('%s must be >= 0', _field));
  end if;
  if _value >= 1e15 then
    perform app.invalid(_field, 'max', format('%s must be < 1e15', _field));
  end if;
end
$$;

-- Required, trimmed text of bounded length; names the field on failure.
create or replace function app.check_text(_value text, _field text, _max integer, _required boolean default true)
returns text
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null or btrim(_value) = '' then
    if _required then perform app.invalid(_field, 'required', format('%s is required', _field)); end if;
    return null;
  end if;
  if length(btrim(_value)) > _max then
    perform app.invalid(_field, 'max_length', format('%s must be at most %s characters', _field, _max));
  end if;
  if _value ~ '[\u0001-\u0008\u000B\u000C\u000E-\u001F]' then
    perform app.invalid(_field, 'printable', format('%s must not contain control characters', _field));
  end if;
  return btrim(_value);
end
$$;

create or replace function app.check_object(_value jsonb, _field text)
returns jsonb
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null then return null; end if;
  if jsonb_typeof(_value) <> 'object' then
    perform app.invalid(_field, 'object', format('%s must be a JSON object', _field));
  end if;
  if length(_value::text) > 65536 then
    perform app.invalid(_field, 'max_size', format('%s must be at most 64 KiB', _field));
  end if;
  return _value;
end
$$;
grant execute on function app.json_date(jsonb, text), app.json_quantity(jsonb, text), app.check_quantity(numeric, text),
  app.check_text(text, text, integer, boolean), app.check_object(jsonb, text) to authenticated, anon;
-- the definers (owned by lotline_auth) validate their arguments with these
grant execute on function app.json_date(jsonb, text), app.json_quantity(jsonb, text), app.check_quantity(numeric, text),
  app.check_text(text, text, integer, boolean) to lotline_auth;
