-- Row guards shared by data tables, and how each domain's policies.sql attaches them.

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

-- (Re)attach a trigger at migrate time: drop it if it exists, create it
-- `<_events> on <_table> [referencing <_referencing>] for each <_each>` (_referencing names the transition
-- tables of a statement trigger, e.g. 'new table as new_rows'). Runs only as the migrating owner (nobody else may execute it).
drop procedure if exists app.attach_trigger(regclass, text, text, text, text);
create or replace procedure app.attach_trigger(_table regclass, _name text, _events text, _function text,
                                               _each text default 'row', _referencing text default null)
language plpgsql security invoker set search_path = ''
as $$
begin
  execute format('drop trigger if exists %I on %s', _name, _table);
  execute format('create trigger %I %s on %s %s for each %s execute function %s()', _name, _events, _table,
                 coalesce('referencing ' || _referencing, ''), _each, _function);
end
$$;

revoke execute on procedure app.attach_trigger(regclass, text, text, text, text, text) from public;

-- (Re)attach the append-only guards of a ledger: no update or delete of a row (_100_append_only) and no truncate
-- (_100_append_only_truncate), whoever asks. Runs only as the migrating owner.
create or replace procedure app.attach_append_only(_table regclass)
language plpgsql security invoker set search_path = ''
as $$
begin
  call app.attach_trigger(_table, '_100_append_only', 'before update or delete', 'app.tg__append_only');
  call app.attach_trigger(_table, '_100_append_only_truncate', 'before truncate', 'app.tg__append_only', 'statement');
end
$$;

revoke execute on procedure app.attach_append_only(regclass) from public;

-- _040_created_by: created_by is the acting user (the JWT sub) on insert, whatever the row says, and never
-- changes afterwards. Without an acting user (a superuser's own statement) the row's value stays.
create or replace function app.tg__stamp_created_by()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.created_by := coalesce(app.current_user_id(), new.created_by);
  else
    new.created_by := old.created_by;
  end if;
  return new;
end
$$;
grant execute on function app.tg__touch_updated_at(), app.tg__append_only(), app.tg__stamp_created_by() to authenticated;
grant execute on function app.tg__stamp_created_by() to lotline_auth;
