-- Monthly partitions of data.audit_events, made ahead and dropped after the retention period.
-- Creating or dropping a partition needs the owner's rights, which no request or worker role holds, so
-- this runs at migrate time (sql/events/policies.sql calls it) as the migrating administrator; run
-- `lotline migrate` at least once a year (it makes twelve months ahead). A row whose month has no partition
-- lands in data.audit_events_default rather than failing the write, and that month then stays there.
-- Retention: ALTER DATABASE … SET lotline.audit_retention_months = 24 drops partitions whose whole month lies
-- more than that many months back; unset or 0 keeps everything.

create or replace function app.audit_maintain(_months_ahead integer default 12)
returns text[]
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_month date := date_trunc('month', now() at time zone 'UTC')::date;
  v_keep integer := coalesce(nullif(pg_catalog.current_setting('lotline.audit_retention_months', true), '')::integer, 0);
  v_from date;
  v_name text;
  v_done text[] := '{}';
  r record;
begin
  for i in 0 .. _months_ahead loop
    v_from := (v_month + make_interval(months => i))::date;
    v_name := format('audit_events_y%sm%s', to_char(v_from, 'YYYY'), to_char(v_from, 'MM'));
    if not exists (select from pg_catalog.pg_class c where c.relnamespace = 'data'::regnamespace and c.relname = v_name) then
      if exists (select from data.audit_events_default d
                  where d.at >= (v_from::text || ' 00:00+00')::timestamptz
                    and d.at < ((v_from + interval '1 month')::date::text || ' 00:00+00')::timestamptz) then
        raise notice 'audit_maintain: rows of % are in audit_events_default; no partition made for that month', v_from;
        continue;
      end if;
      execute format('create table data.%I partition of data.audit_events for values from (%L) to (%L)',
                     v_name, v_from::text || ' 00:00+00', (v_from + interval '1 month')::date::text || ' 00:00+00');
      v_done := v_done || ('created ' || v_name);
    end if;
  end loop;
  -- every partition (the default one too) is guarded like its parent: owner, forced RLS, a policy, no truncate
  for r in select c.oid::regclass as t, c.relname from pg_catalog.pg_inherits h join pg_catalog.pg_class c on c.oid = h.inhrelid
            where h.inhparent = 'data.audit_events'::regclass loop
    execute format('alter table %s owner to lotline_owner', r.t);
    execute format('alter table %s enable row level security', r.t);
    execute format('alter table %s force row level security', r.t);
    execute format('drop policy if exists select_admin on %s', r.t);
    execute format('create policy select_admin on %s for select to authenticated '
                   'using (brand_id = any ((select app.current_brand_ids(''admin''))::uuid[]))', r.t);
    execute format('create or replace trigger _100_append_only_truncate before truncate on %s '
                   'for each statement execute function app.tg__append_only()', r.t);
    execute format('revoke all on %s from public, anon, authenticated, lotline_auth', r.t);
  end loop;
  if v_keep > 0 then
    for r in select c.oid::regclass as t, c.relname,
                    to_date(substring(c.relname from 'y([0-9]{4}m[0-9]{2})$'), 'YYYY"m"MM') as month
               from pg_catalog.pg_inherits h join pg_catalog.pg_class c on c.oid = h.inhrelid
              where h.inhparent = 'data.audit_events'::regclass and c.relname ~ '^audit_events_y[0-9]{4}m[0-9]{2}$' loop
      if r.month + make_interval(months => v_keep + 1) <= v_month then
        execute format('drop table %s', r.t);
        v_done := v_done || ('dropped ' || r.relname);
      end if;
    end loop;
  end if;
  return v_done;
end
$$;
comment on function app.audit_maintain(integer) is
  'Make the audit partitions of this month and _months_ahead more; drop those past lotline.audit_retention_months. Needs the table owner (migrate).';
