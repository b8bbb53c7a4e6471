-- Row guards shared by data tables. Attached in each domain's policies.sql.

-- _100_touch_updated_at: bump updated_at and version only when the row really changed,
-- so an identical write (e.g. a re-pushed sync record) leaves both untouched.
create or replace function app.tg__touch_updated_at()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  -- tables using this trigger have updated_at and version columns
  if to_jsonb(new) - '{updated_at,version}'::text[] is not distinct from to_jsonb(old) - '{updated_at,version}'::text[] then
    new.updated_at := old.updated_at;
    new.version := old.version;
  else
    new.updated_at := greatest(pg_catalog.clock_timestamp(), old.updated_at);
    new.version := old.version + 1;
  end if;
  return new;
end
$$;

-- Append-only tables (ledgers): no update, no delete, whoever asks.
create or replace function app.tg__append_only()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  raise exception using errcode = 'PT409',
    message = format('%s is append-only: %s is not allowed', tg_table_schema || '.' || tg_table_name, lower(tg_op));
end
$$;
grant execute on function app.tg__touch_updated_at(), app.tg__append_only() to authenticated;
