-- Integration sync: reading the records of a payload, the parts every upsert_* shares (upsert.sql runs
-- the rest). Like the field checks in fields.sql, sync_column and sync_field_errors are plain `language sql`
-- without `set search_path` so the planner can inline them, and use only pg_catalog and qualified names.

-- The records of a payload: 1-based position, the record, its externalId and the stored row of that
-- externalId (_table: a null of the entity's row type, e.g. null::data.batches). The stored rows of the
-- whole payload are read in one index scan (= any (array(…))), never a probe per record: when statistics
-- are missing or stale (a table that just grew from empty) a per-record probe can pick a brand-wide
-- index and cost O(brand) per record; this way the worst case is one scan per call.
create or replace function app.sync_records(_brand_id uuid, _payload jsonb, _table anyelement)
returns table (ord integer, r jsonb, ext text, cur anyelement)
language plpgsql stable security invoker set search_path = ''
rows 500
as $$
begin
  return query execute pg_catalog.format($q$
    with s as materialized (
      select t.ord::integer as ord, t.r, app.sync_text(t.r -> 'externalId') as ext
        from pg_catalog.jsonb_array_elements($1) with ordinality as t(r, ord)
    ), c as (
      select y from %s y
       where y.brand_id = $2 and y.external_id = any (array(select s.ext from s where s.ext is not null))
    )
    select s.ord, s.r, s.ext, c.y from s left join c on (c.y).external_id = s.ext$q$, pg_catalog.pg_typeof(_table))
  using _payload, _brand_id;
end
$$;

-- What a record sets in one column: {column: value} when it carries the key (null too: that clears the
-- column), {} when it leaves the key out (the stored value stays).
create or replace function app.sync_column(_r jsonb, _key text, _column text, _value anyelement)
returns jsonb
language sql stable security invoker
as $$
  select case when pg_catalog.jsonb_typeof(_r) = 'object' and _r ? _key
              then pg_catalog.jsonb_build_object(_column, _value) else '{}'::jsonb end
$$;

-- A record's field errors in one text, '; '-separated, or null: not an object; else the externalId's,
-- then _errors (one check per field, in field order), then unknown keys (_allowed: the keys it may carry).
create or replace function app.sync_field_errors(_ord integer, _r jsonb, _allowed text[], variadic _errors text[])
returns text
language sql stable security invoker
as $$
  select case
    when pg_catalog.jsonb_typeof(_r) <> 'object' then pg_catalog.format('record #%s must be a JSON object', _ord)
    else nullif(pg_catalog.array_to_string(
           array[app.sync_text_error(_r -> 'externalId', 'externalId', 200, true)
                   || case when app.sync_text(_r -> 'externalId') is null then pg_catalog.format(' (record #%s)', _ord) else '' end]
           || _errors || app.sync_unknown_fields_error(_r, _allowed), '; '), '')
  end
$$;

-- One record as the entity's statement hands it to app.sync_upsert (upsert.sql describes the fields).
-- A composite, not jsonb: 500 of them pass through array_agg/unnest without being serialised and parsed.
drop type if exists app.sync_record cascade;
create type app.sync_record as (ord integer, ext text, stored jsonb, "values" jsonb, error text, rule_error text,
                                change_error text);

create or replace function app.sync_record(_ord integer, _ext text, _stored jsonb, _values jsonb, _error text,
                                           _rule_error text default null, _change_error text default null)
returns app.sync_record
language sql immutable security invoker
as $$ select row(_ord, _ext, _stored, _values, _error, _rule_error, _change_error)::app.sync_record $$;

grant execute on function app.sync_records(uuid, jsonb, anyelement), app.sync_column(jsonb, text, text, anyelement),
  app.sync_field_errors(integer, jsonb, text[], text[]),
  app.sync_record(integer, text, jsonb, jsonb, text, text, text) to authenticated;
