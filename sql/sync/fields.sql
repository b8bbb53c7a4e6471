-- Integration sync: the per-field checks of upsert_suppliers / upsert_products / upsert_batches.
--
-- The per-field validators below never raise: each returns the error text for one record's field
-- (naming the field and the rule, e.g. 'quantity must be >= 0') or null, so a whole payload is
-- validated in ONE statement without a savepoint or exception block per record.
-- They are deliberately plain `language sql` expressions WITHOUT `set search_path`: a SET clause
-- stops the planner from inlining a function, and these run ~15 times per record. Their bodies use
-- only pg_catalog objects (always searched first) and schema-qualified names, so an empty or hostile
-- search_path cannot redirect them; none is a definer.

-- A JSON string, trimmed; blank → null; anything that is not a string → null.
create or replace function app.sync_text(_v jsonb)
returns text
language sql immutable security invoker
as $$ select nullif(pg_catalog.btrim(case when pg_catalog.jsonb_typeof(_v) = 'string' then _v #>> '{}' end), '') $$;

create or replace function app.sync_text_error(_v jsonb, _field text, _max integer, _required boolean)
returns text
language sql stable security invoker
as $$
  select case
    when _v is null or pg_catalog.jsonb_typeof(_v) = 'null' then
      case when _required then _field || ' is required' end
    when pg_catalog.jsonb_typeof(_v) <> 'string' then _field || ' must be a string'
    when pg_catalog.btrim(_v #>> '{}') = '' then
      case when _required then _field || ' is required' end
    when pg_catalog.length(pg_catalog.btrim(_v #>> '{}')) > _max then _field || ' must be at most ' || _max || ' characters'
    when (_v #>> '{}') ~ '[\u0001-\u0008\u000B\u000C\u000E-\u001F]' then _field || ' must not contain control characters'
  end
$$;

-- A JSON number (jsonb numbers are always finite) or null.
create or replace function app.sync_number(_v jsonb)
returns numeric
language sql immutable security invoker
as $$ select case when pg_catalog.jsonb_typeof(_v) = 'number' then (_v #>> '{}')::numeric end $$;

-- A quantity: null/absent is allowed (means 0); otherwise a number in [0, 1e15).
create or replace function app.sync_quantity_error(_v jsonb, _field text)
returns text
language sql immutable security invoker
as $$
  select case
    when _v is null or pg_catalog.jsonb_typeof(_v) = 'null' then null
    when pg_catalog.jsonb_typeof(_v) <> 'number' then _field || ' must be a number'
    when (_v #>> '{}')::numeric < 0 then _field || ' must be >= 0'
    when (_v #>> '{}')::numeric >= 1e15 then _field || ' must be < 1e15'
  end
$$;

-- Is _s a real calendar date written YYYY-MM-DD? (no exception, no pg_input_is_valid: PG 15 too)
create or replace function app.sync_iso_date_ok(_s text)
returns boolean
language sql immutable security invoker
as $$
  select _s ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
     and substr(_s, 1, 4)::integer >= 1
     and substr(_s, 9, 2)::integer <= case substr(_s, 6, 2)::integer
           when 2 then case when (substr(_s, 1, 4)::integer % 4 = 0 and substr(_s, 1, 4)::integer % 100 <> 0)
                                 or substr(_s, 1, 4)::integer % 400 = 0 then 29 else 28 end
           when 4 then 30 when 6 then 30 when 9 then 30 when 11 then 30
           else 31 end
$$;

create or replace function app.sync_date(_v jsonb)
returns date
language sql stable security invoker
as $$
  select case when pg_catalog.jsonb_typeof(_v) = 'string' and app.sync_iso_date_ok(_v #>> '{}')
              then (_v #>> '{}')::date end
$$;

create or replace function app.sync_date_error(_v jsonb, _field text)
returns text
language sql immutable security invoker
as $$
  select case
    when _v is null or pg_catalog.jsonb_typeof(_v) = 'null' then null
    when pg_catalog.jsonb_typeof(_v) <> 'string' or not app.sync_iso_date_ok(_v #>> '{}')
      then _field || ' must be an ISO date (YYYY-MM-DD)'
  end
$$;

create or replace function app.sync_bool(_v jsonb)
returns boolean
language sql immutable security invoker
as $$ select case when pg_catalog.jsonb_typeof(_v) = 'boolean' then (_v #>> '{}')::boolean end $$;

create or replace function app.sync_bool_error(_v jsonb, _field text)
returns text
language sql immutable security invoker
as $$
  select case when _v is not null and pg_catalog.jsonb_typeof(_v) not in ('null', 'boolean')
              then _field || ' must be a boolean' end
$$;

create or replace function app.sync_object_error(_v jsonb, _field text)
returns text
language sql immutable security invoker
as $$
  select case
    when _v is null or pg_catalog.jsonb_typeof(_v) = 'null' then null
    when pg_catalog.jsonb_typeof(_v) <> 'object' then _field || ' must be a JSON object'
    when pg_catalog.length(_v::text) > 65536 then _field || ' must be at most 64 KiB'
  end
$$;

-- GTIN as a JSON string of 8/12/13/14 digits with a valid GS1 check digit; stored as GTIN-14.
create or replace function app.sync_gtin(_v jsonb)
returns text
language sql immutable security invoker
as $$
  select case when app.sync_text(_v) ~ '^[0-9]+$' and pg_catalog.length(app.sync_text(_v)) in (8, 12, 13, 14)
              then pg_catalog.lpad(app.sync_text(_v), 14, '0') end
$$;

create or replace function app.sync_gtin_error(_v jsonb, _field text)
returns text
language sql immutable security invoker
as $$
  select case
    when _v is null or pg_catalog.jsonb_typeof(_v) = 'null' then null
    when pg_catalog.jsonb_typeof(_v) <> 'string' then _field || ' must be a string'
    when app.sync_text(_v) is null then null
    when app.sync_text(_v) !~ '^[0-9]+$' or pg_catalog.length(app.sync_text(_v)) not in (8, 12, 13, 14)
      then _field || ' must be 8, 12, 13 or 14 digits'
    when not app.gtin_check_digit_ok(app.sync_text(_v)) then _field || ' has an invalid check digit'
  end
$$;

-- Keys of a record that are not in _allowed (only computed on the error path).
create or replace function app.sync_unknown_fields_message(_extra jsonb, _allowed text[])
returns text
language sql immutable security invoker set search_path = ''
as $$
  select case when count(*) = 1 then 'unknown field ' else 'unknown fields ' end
         || string_agg(format('"%s"', k), ', ' order by k)
         || ' (allowed: ' || array_to_string(_allowed, ', ') || ')'
    from jsonb_object_keys(_extra) k
$$;

create or replace function app.sync_unknown_fields_error(_rec jsonb, _allowed text[])
returns text
language sql immutable security invoker
as $$
  select case when (_rec - _allowed) <> '{}'::jsonb then app.sync_unknown_fields_message(_rec - _allowed, _allowed) end
$$;
grant execute on function
  app.sync_text(jsonb), app.sync_text_error(jsonb, text, integer, boolean), app.sync_number(jsonb),
  app.sync_quantity_error(jsonb, text), app.sync_iso_date_ok(text), app.sync_date(jsonb), app.sync_date_error(jsonb, text),
  app.sync_bool(jsonb), app.sync_bool_error(jsonb, text), app.sync_object_error(jsonb, text),
  app.sync_gtin(jsonb), app.sync_gtin_error(jsonb, text),
  app.sync_unknown_fields_message(jsonb, text[]), app.sync_unknown_fields_error(jsonb, text[])
  to authenticated;
