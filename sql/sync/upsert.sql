-- Integration sync: the one implementation of upsert_suppliers / upsert_products / upsert_batches.
-- Each api function supplies only what differs: its fields (records.sql has the per-record helpers) and its
-- rules; app.sync_begin runs before it reads the payload, app.sync_upsert after. docs/sync.md, "How it works".

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

-- Before an upsert reads anything: the caller (editor with integration:<entity>:write), the payload (400),
-- one writer per (brand, entity), statistics fresh enough for index probes.
create or replace function app.sync_begin(_brand_id uuid, _entity text, _field text, _payload jsonb)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.require_role(_brand_id, 'editor', format('integration:%s:write', _entity));
  perform app.sync_check_payload(_payload, _field);
  perform app.sync_lock(_brand_id, _entity);
  perform app.sync_refresh_stats(_entity);
end
$$;

-- Everything after the entity's own statement: _rows holds one app.sync_record per input record:
--   ord, ext      its 1-based position and externalId
--   stored        the stored row of that externalId (to_jsonb), or null
--   values        {column: value} for each field the record carries (a key it leaves out keeps the stored
--                 value; null clears it): app.sync_column
--   error         its field errors (app.sync_field_errors), or null
--   rule_error    the entity's errors that need other rows (unknown product, …), or null
--   change_error  an error only when the record would change its row (an archived batch), or null
-- Adds the duplicate-externalId error, merges each record into its stored row (_defaults for a new one),
-- writes only what is new or changed in one INSERT … ON CONFLICT (columns: those the written records set
-- and _defaults' keys; _insert_only among them and _insert's constant columns are written on insert only),
-- drafts due-diligence statements for the created rows when _draft_dds, and returns the push API's response
-- as jsonb: {success, created, updated, errors, records, ddsCreated}. _label names the entity in errors.
-- Version guard: a row another request changed since it was read is not overwritten; its record reports
-- an error instead (push it again).
create or replace function app.sync_upsert(_brand_id uuid, _entity text, _label text, _rows app.sync_record[],
                                           _defaults jsonb default '{}', _insert_only text[] default '{}',
                                           _insert jsonb default '{}', _draft_dds boolean default false)
returns jsonb
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  -- the outcome of validation, per record in input order
  v_ord     integer[];
  v_ext     text[];
  v_id      uuid[];
  v_error   text[];
  v_change  boolean[];
  v_to_write integer[]; -- the records to write (ord)
  v_write   jsonb;    -- … their rows
  v_expect  jsonb;    -- externalId → version read while validating, for the rows to update
  v_cols    text[];   -- the columns written: what the written records set, and _defaults' keys
  v_update  text[];   -- … of those, the ones an update may change
  v_written jsonb;    -- [{id, ext, created}]
  v_dds     jsonb;    -- batch id → drafted statement id
begin
  -- 1. whether each record changes its row (a key it sets differs; stored || values = stored otherwise),
  --    and all its errors, in the order of the push API's messages
  with r as (
    select x.*, case when x.ext is not null then count(*) over (partition by x.ext) end as ext_count,
           x.stored is null or x.stored || x."values" <> x.stored as change
      from unnest(_rows) x
  ), e as materialized (   -- materialized: read twice below
    select r.ord, r.ext, r.stored, r."values", r.change,
           nullif(concat_ws('; ',
             r.error,
             case when r.ext_count > 1 then format('externalId "%s" appears %s times in this payload', r.ext, r.ext_count) end,
             r.rule_error,
             case when r.change then r.change_error end
           ), '') as error
      from r
  )
  select array_agg(e.ord order by e.ord), array_agg(e.ext order by e.ord), array_agg((e.stored ->> 'id')::uuid order by e.ord),
         array_agg(e.error order by e.ord), array_agg(e.change order by e.ord),
         array_agg(e.ord) filter (where e.error is null and e.change),
         coalesce(jsonb_object_agg(e.ext, e.stored -> 'version') filter (where e.error is null and e.change and e.stored is not null), '{}'),
         array(select distinct k from e, jsonb_object_keys(_defaults || e."values") k where e.error is null and e.change order by 1)
    into v_ord, v_ext, v_id, v_error, v_change, v_to_write, v_expect, v_cols
    from e;

  -- 2. write only what is new or changed: one upsert, in external id order
  v_written := '[]';
  if v_to_write is not null then
    v_update := array(select c from unnest(v_cols) c where not c = any (_insert_only));
    -- each row to write: defaults < the stored row's written columns < what the record sets
    select jsonb_agg(_defaults || (coalesce(x.stored, '{}') - o.other) || x."values" || _insert
                     || jsonb_build_object('external_id', x.ext))
      into v_write
      from unnest(_rows) x,
           (select array(select k from jsonb_object_keys((select y.stored from unnest(_rows) y where y.stored is not null limit 1)) k
                          where not k = any (v_cols)) as other) o
     where x.ord in (select unnest(v_to_write));
    v_cols := v_cols || array(select k from jsonb_object_keys(_insert) k order by 1);
    execute format($q$
      with up as (
        insert into data.%1$I as t (brand_id, external_id, %2$s)
        select $1, v.external_id, %3$s from jsonb_to_recordset($2) as v(external_id text, %4$s) order by v.external_id
        on conflict (brand_id, external_id) do update set (%5$s) = row(%6$s)
         where t.version = ($3 ->> excluded.external_id)::integer and (%7$s) is distinct from (%6$s)
        returning t.id, t.external_id, t.xmax = 0 as created
      )
      select coalesce(jsonb_agg(jsonb_build_object('id', up.id, 'ext', up.external_id, 'created', up.created)), '[]') from up$q$,
      _entity,
      (select string_agg(format('%I', c), ', ') from unnest(v_cols) c),
      (select string_agg(format('v.%I', c), ', ') from unnest(v_cols) c),
      (select string_agg(format('%I %s', a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)), ', ' order by c.n)
         from unnest(v_cols) with ordinality c(name, n)
         join pg_catalog.pg_attribute a on a.attrelid = format('data.%I', _entity)::regclass and a.attname = c.name),
      (select string_agg(format('%I', c), ', ') from unnest(v_update) c),
      (select string_agg(format('excluded.%I', c), ', ') from unnest(v_update) c),
      (select string_agg(format('t.%I', c), ', ') from unnest(v_update) c))
      into v_written using _brand_id, v_write, v_expect;
  end if;

  -- 3. a draft due-diligence statement for each created row, when asked (upsert_batches)
  if _draft_dds and v_written @> '[{"created": true}]' then
    select jsonb_object_agg(d.dds_batch_id, d.dds_id) into v_dds
      from app.sync_create_draft_dds(_brand_id, array(select (w ->> 'id')::uuid from jsonb_array_elements(v_written) w
                                                      where (w ->> 'created')::boolean)) d;
  end if;

  -- 4. the push API's response, records in input order. A changed record the write did not return lost a race
  --    with another writer: ERROR, push it again.
  return (
    select jsonb_build_object(
             'success', count(*) filter (where o.status = 'ERROR') = 0,
             'created', count(*) filter (where o.status = 'CREATED'),
             'updated', count(*) filter (where o.status = 'UPDATED'),
             'errors', coalesce(jsonb_agg(jsonb_build_object('externalId', o.ext, 'error', o.error) order by o.ord)
                                  filter (where o.status = 'ERROR'), '[]'),
             'records', coalesce(jsonb_agg(jsonb_build_object('externalId', o.ext, 'internalId', o.internal_id,
                                                              'status', o.status) order by o.ord), '[]'),
             'ddsCreated', coalesce(jsonb_agg(jsonb_build_object('ddsId', o.dds_id, 'batchId', o.internal_id,
                                                                 'externalId', o.ext, 'status', 'draft') order by o.ord)
                                      filter (where o.dds_id is not null), '[]'))
      from (
        select x.ord, x.ext,
               case when x.error is not null then 'ERROR'
                    when not x.change then 'UNCHANGED'
                    when w.id is null then 'ERROR'
                    when w.created then 'CREATED'
                    else 'UPDATED' end as status,
               coalesce(x.error, case when x.change and w.id is null
                 then format('%s with externalId "%s" was changed by another request during this push; push it again', _label, x.ext) end) as error,
               coalesce(w.id, x.id) as internal_id,
               (v_dds ->> w.id::text)::uuid as dds_id
          from unnest(v_ord, v_ext, v_id, v_error, v_change) as x(ord, ext, id, error, change)
          left join jsonb_to_recordset(v_written) as w(id uuid, ext text, created boolean) on w.ext = x.ext and x.error is null
      ) o);
end
$$;

grant execute on function app.sync_check_payload(jsonb, text), app.sync_lock(uuid, text), app.sync_refresh_stats(text),
  app.sync_begin(uuid, text, text, jsonb), app.sync_upsert(uuid, text, text, app.sync_record[], jsonb, text[], jsonb, boolean)
  to authenticated;
