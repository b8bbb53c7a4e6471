-- Batch rules: the status state machine (docs/state-machine.md) and value checks shared by RPCs.

create or replace function app.batch_status_next(_from text)
returns text[]
language sql immutable security invoker set search_path = ''
as $$
  select case _from
    when 'active'         then array['received','in_testing','ready_for_sale','processing','in_transfer','recalled','archived']
    when 'received'       then array['in_testing','ready_for_sale','processing','in_transfer','recalled','archived']
    when 'in_testing'     then array['received','ready_for_sale','recalled','archived']
    when 'ready_for_sale' then array['processing','in_transfer','in_testing','recalled','archived']
    when 'processing'     then array['ready_for_sale','in_testing','recalled','archived']
    when 'in_transfer'    then array['received','ready_for_sale','recalled']
    when 'recalled'       then array['archived']
    when 'archived'       then array[]::text[]
  end
$$;
comment on function app.batch_status_next(text) is 'The batch state machine: statuses reachable from _from. See docs/state-machine.md.';

create or replace function app.batch_statuses()
returns text[]
language sql immutable security invoker set search_path = ''
as $$ select array['active','received','in_testing','ready_for_sale','processing','in_transfer','recalled','archived'] $$;

-- Raise 409 (PT409) naming both states unless _from → _to is allowed; 22023 for an unknown status.
create or replace function app.check_batch_transition(_from text, _to text)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if _to is null or not (_to = any (app.batch_statuses())) then
    perform app.invalid('_status', 'enum', format('_status must be one of %s', array_to_string(app.batch_statuses(), ', ')));
  end if;
  if not (_to = any (app.batch_status_next(_from))) then
    perform app.raise('PT409', format('Illegal status change: %s → %s', _from, _to),
      jsonb_build_object('field', '_status', 'rule', 'transition', 'from', _from, 'to', _to,
                         'allowed', to_jsonb(app.batch_status_next(_from))));
  end if;
end
$$;

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

grant execute on function app.batch_status_next(text), app.batch_statuses(), app.check_batch_transition(text, text),
  app.json_date(jsonb, text), app.json_quantity(jsonb, text), app.check_quantity(numeric, text),
  app.check_text(text, text, integer, boolean), app.check_object(jsonb, text),
  app.gtin_check_digit_ok(text), app.normalize_gtin(text, text) to authenticated, anon;
