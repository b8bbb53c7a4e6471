-- Integration sync helpers (issue 4, seed B): upsert_suppliers / upsert_products / upsert_batches.
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

-- The payload itself: a JSON array of at most 500 records, else 400 before anything is read or written.
create or replace function app.sync_check_payload(_payload jsonb, _field text)
returns integer
language plpgsql stable security invoker set search_path = ''
as $$
declare v_n integer;
begin
  if _payload is null or jsonb_typeof(_payload) = 'null' then
    perform app.invalid(_field, 'required', format('%s is required (a JSON array of records)', _field));
  end if;
  if jsonb_typeof(_payload) <> 'array' then
    perform app.invalid(_field, 'array', format('%s must be a JSON array of records', _field));
  end if;
  v_n := jsonb_array_length(_payload);
  if v_n > 500 then
    perform app.invalid(_field, 'max_items', format('%s must have at most 500 records (got %s)', _field, v_n));
  end if;
  return v_n;
end
$$;

-- Paging of list_synced_*: _page >= 1, 1 <= _limit <= 100 (101 is a 400, not silently capped).
create or replace function app.sync_check_paging(_page integer, _limit integer)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
begin
  if _page is null or _page < 1 then
    perform app.invalid('_page', 'min', '_page must be >= 1');
  end if;
  if _page > 1000000 then
    perform app.invalid('_page', 'max', '_page must be <= 1000000');
  end if;
  if _limit is null or _limit < 1 then
    perform app.invalid('_limit', 'min', '_limit must be >= 1');
  end if;
  if _limit > 100 then
    perform app.invalid('_limit', 'max', '_limit must be <= 100');
  end if;
end
$$;

-- One sync writer per (brand, entity) at a time. Two identical pushes racing from two connections
-- would otherwise collide on a unique index that is not the ON CONFLICT arbiter (batches:
-- (brand_id, product_id, batch_number)) and fail with 23505; serialised, the second simply finds
-- the first one's rows and reports them UNCHANGED. Transaction-scoped: safe behind PgBouncer.
create or replace function app.sync_lock(_brand_id uuid, _entity text)
returns void
language sql volatile security invoker set search_path = ''
as $$ select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('lotline.sync.' || _entity || ':' || _brand_id::text, 0)) $$;

-- Self-healing statistics for bulk loads. The validation statement looks rows up by external id; while
-- a table has no statistics (fresh database) or has grown far beyond what its statistics describe (an
-- ERP's initial load), the planner cannot tell the unique (brand_id, external_id) index from any other
-- brand-leading index and may scan the whole brand on every call until autovacuum's next ANALYZE (up to
-- a minute away, at every doubling). So before validating, a sync call ANALYZEs its table itself when
-- more rows changed since the last ANALYZE than the statistics know of (and at least 2000): a handful of
-- times over a load of 100k rows, ~0.1 s each. The plans of the same call see the new statistics.
-- Definer owned by lotline_auth, which holds MAINTAIN (PG 17+: may ANALYZE and LOCK) on the three sync
-- tables; on PG 15/16 it does nothing (autovacuum alone keeps the statistics). It only analyzes those
-- tables, never waits (try-locks), and needs no caller check: it reads and writes no table row.
create or replace function app.sync_refresh_stats(_table text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_rel regclass;
  v_tuples real;
  v_mod bigint;
begin
  if pg_catalog.current_setting('server_version_num')::integer < 170000 then
    return;   -- no MAINTAIN privilege before PG 17, and only the table owner may ANALYZE
  end if;
  if _table not in ('batches', 'products', 'suppliers') then
    perform app.invalid('_table', 'enum', '_table must be one of batches, products, suppliers');
  end if;
  v_rel := pg_catalog.format('data.%I', _table)::regclass;
  select c.reltuples, coalesce(s.n_mod_since_analyze, 0) into v_tuples, v_mod
    from pg_catalog.pg_class c left join pg_catalog.pg_stat_all_tables s on s.relid = c.oid
   where c.oid = v_rel;
  if v_mod >= 2000 and v_mod > greatest(v_tuples, 0)
     -- one refresh at a time; a call that finds one running goes on with the old statistics
     and pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended('lotline.sync.analyze:' || _table, 0)) then
    begin
      -- ANALYZE takes SHARE UPDATE EXCLUSIVE (DML goes on); never wait for it (autovacuum may hold it)
      execute pg_catalog.format('lock table %s in share update exclusive mode nowait', v_rel);
      execute pg_catalog.format('analyze %s', v_rel);
    exception when lock_not_available then
      null;   -- one subtransaction per call, only on this path: not per record
    end;
  end if;
end
$$;
alter function app.sync_refresh_stats(text) owner to lotline_auth;
comment on function app.sync_refresh_stats(text) is
  'Definer (lotline_auth, granted MAINTAIN on the sync tables; PG 17+, a no-op before). ANALYZEs data.batches/products/suppliers when more rows changed since the last ANALYZE than its statistics describe, so bulk sync plans stay index probes during an initial load.';
revoke execute on function app.sync_refresh_stats(text) from public;
do $$
begin
  if pg_catalog.current_setting('server_version_num')::integer >= 170000 then
    execute 'grant maintain on data.batches, data.products, data.suppliers to lotline_auth';
  end if;
end
$$;

-- Draft due-diligence statements for batches just created by upsert_batches(_auto_create_dds => true).
-- Definer (owned by lotline_auth) because data.due_diligence_statements is state that only changes
-- through functions: authenticated has no write grant on it. It re-checks the caller (editor with
-- integration:batches:write on the brand) and can only draft for batches of that brand (the foreign
-- key includes brand_id). At most one draft per batch: a second call for the same batch adds nothing.
create or replace function app.sync_create_draft_dds(_brand_id uuid, _batch_ids uuid[])
returns table (dds_id uuid, dds_batch_id uuid)
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', 'integration:batches:write');
  return query
    insert into data.due_diligence_statements as d (brand_id, batch_id, status, source, created_by)
    select _brand_id, x.batch_id, 'draft', 'sync', app.current_user_id()
      from (select distinct u.batch_id from unnest(_batch_ids) as u(batch_id) where u.batch_id is not null) x
     order by x.batch_id
    on conflict (brand_id, batch_id) where status = 'draft' do nothing
    returning d.id, d.batch_id;
end
$$;
alter function app.sync_create_draft_dds(uuid, uuid[]) owner to lotline_auth;
comment on function app.sync_create_draft_dds(uuid, uuid[]) is
  'Definer (lotline_auth): the statements table has no write grant for authenticated. Checks the caller is an editor with integration:batches:write; drafts one statement per batch of that brand.';
revoke execute on function app.sync_create_draft_dds(uuid, uuid[]) from public;

-- the definer runs the caller check as lotline_auth
grant execute on function app.require_role(uuid, text, text), app.require_scope(text), app.invalid(text, text, text)
  to lotline_auth;

grant execute on function
  app.sync_text(jsonb), app.sync_text_error(jsonb, text, integer, boolean), app.sync_number(jsonb),
  app.sync_quantity_error(jsonb, text), app.sync_iso_date_ok(text), app.sync_date(jsonb), app.sync_date_error(jsonb, text),
  app.sync_bool(jsonb), app.sync_bool_error(jsonb, text), app.sync_object_error(jsonb, text),
  app.sync_gtin(jsonb), app.sync_gtin_error(jsonb, text),
  app.sync_unknown_fields_message(jsonb, text[]), app.sync_unknown_fields_error(jsonb, text[]),
  app.sync_check_payload(jsonb, text), app.sync_check_paging(integer, integer), app.sync_lock(uuid, text),
  app.sync_create_draft_dds(uuid, uuid[]), app.sync_refresh_stats(text)
  to authenticated;
