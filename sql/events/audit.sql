-- Audit trail: a statement-level trigger set on every data table writes who changed which row, with old and
-- new values, into data.audit_events in the same transaction. Attached to every data table at migrate time
-- (app.audit_attach_all in sql/events/policies.sql), so a table added later is covered without a line of its own.

-- Tables that are themselves records of changes (auditing them would record every record twice).
create or replace function app.audit_exempt_tables()
returns text[]
language sql immutable security invoker set search_path = ''
as $$ select array['audit_events', 'events', 'webhook_cursors', 'webhook_deliveries', 'webhook_attempts'] $$;

-- Minting writes up to a million serials in one call: their inserts are recorded as one audit row per batch and
-- statement (row id '<batch_id>/<first seq>-<last seq>', new values {count, first_seq, last_seq, source}), as the
-- outbox does, instead of one row per serial (which halved minting speed). Their updates (voids) are audited row
-- by row like any other table's.
create or replace function app.tg__audit_serials_insert()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare c record;
begin
  c := app.write_context();
  insert into data.audit_events (brand_id, table_name, action, row_id, new_values, actor, db_role, request_id, door)
  select n.brand_id, tg_table_name, 'insert', n.batch_id || '/' || min(n.seq) || '-' || max(n.seq),
         jsonb_build_object('batch_id', n.batch_id, 'count', count(*), 'first_seq', min(n.seq), 'last_seq', max(n.seq),
                            'source', n.source),
         c.actor, c.db_role, c.request_id, c.door
    from new_rows n group by n.brand_id, n.batch_id, n.source;
  return null;
end
$$;
comment on function app.tg__audit_serials_insert() is
  'Audit trigger for inserts into data.serials: one row per batch and statement. Definer owned by lotline_auth.';

-- The trigger: arguments are the brand column ('brand_id', or 'id' for data.brands), the other primary-key
-- columns (the row id, joined by '/') and the columns to redact (named secret or *_secret).
-- Definer (owned by lotline_auth): request roles hold no INSERT on data.audit_events, so nobody can forge a row.
create or replace function app.tg__audit()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_brand  text   := tg_argv[0];
  v_keys   text[] := tg_argv[1]::text[];
  v_key    text   := case when cardinality(tg_argv[1]::text[]) = 1 then (tg_argv[1]::text[])[1] end;
  v_redact text[] := tg_argv[2]::text[];
  c record;
begin
  c := app.write_context();
  -- (the row id and the redaction are written out in each query: function calls per row cost more than the row)
  if tg_op = 'INSERT' then
    insert into data.audit_events (brand_id, table_name, action, row_id, new_values, actor, db_role, request_id, door)
    select (r.j ->> v_brand)::uuid, tg_table_name, 'insert',
           coalesce(r.j ->> v_key, array_to_string(array(select r.j ->> k from unnest(v_keys) with ordinality x(k, n) order by n), '/')),
           case when v_redact = '{}' then r.j else r.j || (select jsonb_object_agg(k, '"[redacted]"'::jsonb) from unnest(v_redact) k) end,
           c.actor, c.db_role, c.request_id, c.door
      from (select jsonb_strip_nulls(to_jsonb(n)) as j from new_rows n) r;   -- a column not set is not recorded
  elsif tg_op = 'DELETE' then
    insert into data.audit_events (brand_id, table_name, action, row_id, old_values, actor, db_role, request_id, door)
    select (r.j ->> v_brand)::uuid, tg_table_name, 'delete',
           coalesce(r.j ->> v_key, array_to_string(array(select r.j ->> k from unnest(v_keys) with ordinality x(k, n) order by n), '/')),
           case when v_redact = '{}' then r.j else r.j || (select jsonb_object_agg(k, '"[redacted]"'::jsonb) from unnest(v_redact) k) end,
           c.actor, c.db_role, c.request_id, c.door
      from (select jsonb_strip_nulls(to_jsonb(o)) as j from old_rows o) r;
  else
    -- old and new rows paired by (brand, row id); a changed key shows as two half rows rather than none
    insert into data.audit_events (brand_id, table_name, action, row_id, changed, old_values, new_values, actor, db_role, request_id, door)
    select coalesce(n.b, o.b)::uuid, tg_table_name, 'update', coalesce(n.rid, o.rid), d.changed,
           case when v_redact && d.changed then d.old_values || (select jsonb_object_agg(k, '"[redacted]"'::jsonb) from unnest(v_redact) k where k = any (d.changed)) else d.old_values end,
           case when v_redact && d.changed then d.new_values || (select jsonb_object_agg(k, '"[redacted]"'::jsonb) from unnest(v_redact) k where k = any (d.changed)) else d.new_values end,
           c.actor, c.db_role, c.request_id, c.door
      from (select x.j ->> v_brand as b, x.j,
                   coalesce(x.j ->> v_key, array_to_string(array(select x.j ->> k from unnest(v_keys) with ordinality y(k, n) order by n), '/')) as rid
              from (select to_jsonb(nr) as j from new_rows nr) x) n
      full join (select x.j ->> v_brand as b, x.j,
                        coalesce(x.j ->> v_key, array_to_string(array(select x.j ->> k from unnest(v_keys) with ordinality y(k, n) order by n), '/')) as rid
                   from (select to_jsonb(orow) as j from old_rows orow) x) o
        on o.b = n.b and o.rid = n.rid
      cross join lateral (
        select array_agg(k.key order by k.key) as changed,
               jsonb_object_agg(k.key, o.j -> k.key) as old_values,
               jsonb_object_agg(k.key, n.j -> k.key) as new_values
          from jsonb_object_keys(coalesce(n.j, o.j)) as k(key)
         where (o.j -> k.key) is distinct from (n.j -> k.key)) d
     where d.changed is not null;   -- an update that changed nothing is not a change
  end if;
  return null;
end
$$;
comment on function app.tg__audit() is
  'Audit trigger (statement level, transition tables). Definer owned by lotline_auth: only it may insert into data.audit_events.';

-- Attach the audit triggers to one table (idempotent). A room may call it from its policies.sql, but
-- app.audit_attach_all() at migrate time already covers every data table.
create or replace function app.audit_attach(_table regclass)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_brand text;
  v_keys text[];
  v_redact text[];
  v_args text;
begin
  v_brand := case when exists (select from pg_catalog.pg_attribute a
                                where a.attrelid = _table and a.attname = 'brand_id' and not a.attisdropped)
                  then 'brand_id' else 'id' end;
  select coalesce(pg_catalog.array_agg(a.attname::text order by k.n) filter (where a.attname <> v_brand), '{}')
    into v_keys
    from pg_catalog.pg_index i
   cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, n)
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indrelid = _table and i.indisprimary;
  if not exists (select from pg_catalog.pg_index i where i.indrelid = _table and i.indisprimary) then
    raise exception 'app.audit_attach: % has no primary key (the audit row id is its key)', _table;
  end if;
  if v_keys = '{}' then v_keys := array[v_brand]; end if;
  select coalesce(pg_catalog.array_agg(a.attname::text order by a.attnum), '{}') into v_redact
    from pg_catalog.pg_attribute a
   where a.attrelid = _table and a.attnum > 0 and not a.attisdropped and a.attname ~ '(^|_)secret$';
  v_args := format('%L, %L, %L', v_brand, v_keys, v_redact);
  execute format('create or replace trigger _900_audit_insert after insert on %s referencing new table as new_rows '
                 'for each statement execute function %s', _table,
                 case when _table = 'data.serials'::regclass then 'app.tg__audit_serials_insert()' else format('app.tg__audit(%s)', v_args) end);
  execute format('create or replace trigger _900_audit_update after update on %s referencing old table as old_rows new table as new_rows '
                 'for each statement execute function app.tg__audit(%s)', _table, v_args);
  execute format('create or replace trigger _900_audit_delete after delete on %s referencing old table as old_rows '
                 'for each statement execute function app.tg__audit(%s)', _table, v_args);
end
$$;

-- Every data table (not a partition, not exempt) gets the audit triggers. Run by migrate after all tables exist.
create or replace function app.audit_attach_all()
returns integer
language plpgsql volatile security invoker set search_path = ''
as $$
declare r record; n integer := 0;
begin
  for r in select c.oid::regclass as t from pg_catalog.pg_class c
            where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
              and c.relname <> all (app.audit_exempt_tables())
            order by c.relname loop
    perform app.audit_attach(r.t);
    n := n + 1;
  end loop;
  return n;
end
$$;
