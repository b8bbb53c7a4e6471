-- The SQL door: take on a user's identity for the rest of the transaction, exactly as the gateway does.

-- The role's own settings (ALTER ROLE … [IN DATABASE …] SET, e.g. statement_timeout), transaction-local.
-- Postgres applies them only at login, never on SET ROLE, so the gateway reads them from
-- pg_db_role_setting and applies them per request, as PostgREST does; this applies the same ones, in the
-- same order: settings for all databases first, then this database's, which win. Only settings a user may
-- change (context 'user'); default_transaction_isolation is skipped (too late inside a transaction; the
-- gateway uses it to begin the request's transaction).
create or replace function app.apply_role_settings(_role text)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
declare r record;
begin
  for r in
    select pg_catalog.split_part(c.cfg, '=', 1) as k, pg_catalog.substr(c.cfg, pg_catalog.strpos(c.cfg, '=') + 1) as v
      from pg_catalog.pg_db_role_setting s
      join pg_catalog.pg_roles ro on ro.oid = s.setrole
     cross join lateral pg_catalog.unnest(s.setconfig) with ordinality as c (cfg, n)
     where ro.rolname = _role
       and s.setdatabase in (0, (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()))
     order by s.setdatabase, c.n
  loop
    if r.k <> 'default_transaction_isolation'
       and exists (select from pg_catalog.pg_settings ps where ps.name = r.k and ps.context = 'user') then
      perform pg_catalog.set_config(r.k, r.v, true);
    end if;
  end loop;
end
$$;
comment on function app.apply_role_settings(text) is
  'Apply a role''s pg_db_role_setting entries (context user) for this transaction, as the gateway does after SET LOCAL ROLE.';

create or replace function app.act_as(_sub text, _scope text default null)
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if _sub is null or length(_sub) = 0 then
    perform app.invalid('_sub', 'required', '_sub is required');
  end if;
  -- as the gateway refuses a token's sub: a user id never holds control characters or line separators
  if _sub ~ '[\u0001-\u001F\u007F-\u009F\u2028\u2029]' then
    perform app.invalid('_sub', 'printable', '_sub must not contain control characters');
  end if;
  perform app.apply_role_settings('authenticated');
  perform pg_catalog.set_config('request.jwt.claims',
    jsonb_strip_nulls(jsonb_build_object('sub', _sub, 'role', 'authenticated', 'scope', _scope))::text, true);
  perform pg_catalog.set_config('role', 'authenticated', true);
end
$$;
comment on function app.act_as(text, text) is
  'SQL door (refuses a _sub with control characters, as the gateway refuses such a token): the authenticated role''s settings (statement_timeout, …), set role authenticated and request.jwt.claims {sub, role, scope} for this transaction (what the gateway does per request).';

-- Act as the anonymous role (consumer-facing public functions).
create or replace function app.act_as_anon()
returns void
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform app.apply_role_settings('anon');
  perform pg_catalog.set_config('request.jwt.claims', '{"role":"anon"}', true);
  perform pg_catalog.set_config('role', 'anon', true);
end
$$;
