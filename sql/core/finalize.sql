-- Applied last in the code phase (same transaction): ownership and the baseline of privileges.
-- State objects belong to lotline_owner (non-login; RLS is forced on it), code in api too.
do $$
declare r record;
begin
  execute 'alter schema data owner to lotline_owner';
  execute 'alter schema api owner to lotline_owner';
  for r in select c.oid::regclass as t, c.relkind from pg_catalog.pg_class c
           where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p', 'S', 'v', 'm')
             and pg_catalog.pg_get_userbyid(c.relowner) <> 'lotline_owner'
             -- sequences owned by a column (serial, identity) follow their table's owner
             and not exists (select from pg_catalog.pg_depend d
                              where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
                                and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype in ('a', 'i')
                                -- (a partitioned table depends on itself through its partition key)
                                and d.refobjid <> c.oid) loop
    execute format('alter %s %s owner to lotline_owner',
                   case r.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' else 'table' end, r.t);
  end loop;
  for r in select t.oid::regtype as t from pg_catalog.pg_type t
           where t.typnamespace = 'data'::regnamespace and t.typtype in ('e', 'd', 'c')
             and not exists (select from pg_catalog.pg_class c where c.oid = t.typrelid and c.relkind <> 'c')
             and pg_catalog.pg_get_userbyid(t.typowner) <> 'lotline_owner' loop
    execute format('alter type %s owner to lotline_owner', r.t);
  end loop;
  for r in select p.oid::regprocedure as f from pg_catalog.pg_proc p
           where p.pronamespace in ('api'::regnamespace, 'data'::regnamespace)
             and pg_catalog.pg_get_userbyid(p.proowner) <> 'lotline_owner' loop
    execute format('alter function %s owner to lotline_owner', r.f);
  end loop;
  for r in select t.oid::regtype as t from pg_catalog.pg_type t
           where t.typnamespace = 'api'::regnamespace and t.typtype = 'c'
             and exists (select from pg_catalog.pg_class c where c.oid = t.typrelid and c.relkind = 'c') loop
    execute format('alter type %s owner to lotline_owner', r.t);
  end loop;
end
$$;

-- Nothing is executable by PUBLIC: each api file grants its function to the roles it serves.
revoke all on schema data, app, api from public;
revoke execute on all functions in schema api from public;
revoke execute on all functions in schema app from public;
grant usage on schema api to anon, authenticated;
-- Invoker functions read tables (under RLS) and call helpers as the caller.
grant usage on schema data, app to authenticated;
grant usage on schema app to anon;

