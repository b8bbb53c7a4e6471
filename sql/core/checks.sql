-- Value checks shared by RPCs: each raises 22023 naming the field and the rule (docs/errors.md).

-- Is _s a date as callers write it: exactly YYYY-MM-DD, a real calendar day, year 1900-9999?
-- The same predicate as the domain data.iso_date (migrations): a test proves they and the generated zod
-- schema agree. Plain SQL without SET, exceptions or pg_input_is_valid: inlinable, and PostgreSQL 15 too.
create or replace function app.iso_date_ok(_s text)
returns boolean
language sql immutable security invoker
as $$
  select case when _s !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' then false
              else pg_catalog.substr(_s, 1, 4)::integer >= 1900
                   and pg_catalog.substr(_s, 9, 2)::integer <= case pg_catalog.substr(_s, 6, 2)::integer
                         when 2 then case when pg_catalog.substr(_s, 1, 4)::integer % 4 = 0
                                               and (pg_catalog.substr(_s, 1, 4)::integer % 100 <> 0
                                                    or pg_catalog.substr(_s, 1, 4)::integer % 400 = 0)
                                          then 29 else 28 end
                         when 4 then 30 when 6 then 30 when 9 then 30 when 11 then 30
                         else 31 end
              end
$$;

-- Parse an ISO date (YYYY-MM-DD, 1900-01-01..9999-12-31) from JSON, naming the field on failure.
create or replace function app.json_date(_value jsonb, _field text)
returns date
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null or jsonb_typeof(_value) = 'null' then return null; end if;
  if jsonb_typeof(_value) <> 'string' or not app.iso_date_ok(_value #>> '{}') then
    perform app.invalid(_field, 'iso_date',
                        format('%s must be an ISO date (YYYY-MM-DD) between 1900-01-01 and 9999-12-31', _field));
  end if;
  return (_value #>> '{}')::date;
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
  if _value <> round(_value, 6) then
    perform app.invalid(_field, 'scale', format('%s must have at most 6 decimal places', _field));
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
-- One element of a JSON array argument: an object whose keys are all in _allowed. 22023 naming _field
-- (rule object) or `_field.key` (rule unknown_key).
create or replace function app.check_keys(_value jsonb, _field text, _allowed text[])
returns jsonb
language plpgsql immutable security invoker set search_path = ''
as $$
declare v_key text;
begin
  if jsonb_typeof(_value) is distinct from 'object' then
    perform app.invalid(_field, 'object', format('%s must be an object {%s}', _field, array_to_string(_allowed, ', ')));
  end if;
  select k into v_key from jsonb_object_keys(_value) k where not (k = any (_allowed)) order by k limit 1;
  if found then
    perform app.invalid(_field || '.' || v_key, 'unknown_key',
                        format('%s.%s is not a field here; allowed: %s', _field, v_key, array_to_string(_allowed, ', ')));
  end if;
  return _value;
end
$$;


-- A number in [_min, _max] (paging limits): 22023 rule range, "<field> must be between <min> and <max>".
create or replace function app.check_between(_value numeric, _field text, _min numeric, _max numeric)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null or _value < _min or _value > _max then
    perform app.invalid(_field, 'range', format('%s must be between %s and %s', _field, _min, _max));
  end if;
end
$$;

-- A number >= _min (rule min, null included) and, when _max is given, <= _max (rule max).
create or replace function app.check_min_max(_value numeric, _field text, _min numeric, _max numeric default null)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is null or _value < _min then
    perform app.invalid(_field, 'min', format('%s must be >= %s', _field, _min));
  end if;
  if _value > _max then
    perform app.invalid(_field, 'max', format('%s must be <= %s', _field, _max));
  end if;
end
$$;

-- Paging arguments of a list: _limit 1.._max (rule range), _offset >= 0 (rule min); names the field on failure.
create or replace function app.check_paging(_limit integer, _offset integer, _max integer default 100)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  perform app.check_between(_limit, '_limit', 1, _max);
  perform app.check_min_max(_offset, '_offset', 0);
end
$$;

-- A required key argument of a fixed format (public ids, codes): 400 `required` when null or empty, 400 `format`
-- with _message when it does not match _pattern. Returns the value, to pass it on in the same expression.
create or replace function app.check_format(_value text, _field text, _pattern text, _message text)
returns text
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  perform app.check_required(nullif(_value, ''), _field);
  if _value !~ _pattern then
    perform app.invalid(_field, 'format', _message);
  end if;
  return _value;
end
$$;

grant execute on function app.iso_date_ok(text), app.json_date(jsonb, text), app.json_quantity(jsonb, text), app.check_quantity(numeric, text),
  app.check_text(text, text, integer, boolean), app.check_object(jsonb, text), app.check_keys(jsonb, text, text[]),
  app.check_between(numeric, text, numeric, numeric), app.check_min_max(numeric, text, numeric, numeric),
  app.check_paging(integer, integer, integer), app.check_format(text, text, text, text) to authenticated, anon;
-- the definers (owned by lotline_auth) validate their arguments with these
grant execute on function app.iso_date_ok(text), app.json_date(jsonb, text), app.json_quantity(jsonb, text), app.check_quantity(numeric, text),
  app.check_text(text, text, integer, boolean) to lotline_auth;

-- Patches (update_* functions): _patch must be an object whose keys are all patchable. A read-only key is
-- 400 `read_only`, any other unknown key 400 `unknown_key` naming the patchable ones ({"field": "_patch.<key>"}).
create or replace function app.check_patch_keys(_patch jsonb, _patchable text[], _read_only text[], _what text)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
declare v_key text;
begin
  if _patch is null or jsonb_typeof(_patch) <> 'object' then
    perform app.invalid('_patch', 'object', '_patch must be a JSON object');
  end if;
  for v_key in select jsonb_object_keys(_patch) order by 1 loop
    if v_key = any (_read_only) then
      perform app.invalid('_patch.' || v_key, 'read_only', format('_patch.%s cannot be changed', v_key));
    elsif not (v_key = any (_patchable)) then
      perform app.invalid('_patch.' || v_key, 'unknown_key',
                          format('_patch.%s is not a %s field; patchable: %s', v_key, _what, array_to_string(_patchable, ', ')));
    end if;
  end loop;
end
$$;

-- A JSON string or null from a patch: trimmed, bounded, printable (app.check_text); anything else is 400 `string`.
create or replace function app.json_text(_value jsonb, _field text, _max integer, _required boolean default false)
returns text
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is not null and jsonb_typeof(_value) not in ('string', 'null') then
    perform app.invalid(_field, 'string', format('%s must be a string%s', _field, case when _required then '' else ' or null' end));
  end if;
  return app.check_text(_value #>> '{}', _field, _max, _required);
end
$$;

-- A JSON boolean from a patch (null → false); anything else is 400 `boolean`.
create or replace function app.json_bool(_value jsonb, _field text)
returns boolean
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _value is not null and jsonb_typeof(_value) not in ('boolean', 'null') then
    perform app.invalid(_field, 'boolean', format('%s must be true or false', _field));
  end if;
  return coalesce((_value #>> '{}')::boolean, false);
end
$$;
grant execute on function app.check_patch_keys(jsonb, text[], text[], text), app.json_text(jsonb, text, integer, boolean),
  app.json_bool(jsonb, text) to authenticated;

-- A status argument (filters, set_batch_status, decisions): statuses are stored and returned lower-case; as input
-- the upper-case spelling of the external APIs (PENDING, READY_FOR_SALE) is accepted too (docs/conventions.md).
create or replace function app.status_arg(_value text)
returns text
language sql immutable security invoker set search_path = ''
as $$ select nullif(lower(btrim(_value)), '') $$;
grant execute on function app.status_arg(text) to authenticated, anon, lotline_auth;
