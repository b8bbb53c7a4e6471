-- Integration sync: what every upsert_* call does around its records (payload limit, one writer at a time,
-- fresh statistics). docs/sync.md.

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

grant execute on function app.sync_check_payload(jsonb, text), app.sync_lock(uuid, text), app.sync_refresh_stats(text)
  to authenticated;
