-- Row-level security of a brand table, declared in one call from the domain's policies.sql (re-applied at
-- every migrate; the procedure runs only there, as the migrating owner: nobody else may execute it).

-- Enables and forces RLS on _table, drops its policies, and creates one policy per command that has a
-- role, named <command>_<who> (select_member, insert_editor, update_owner, delete_admin), `to authenticated`:
--   <_column> = any ((select app.current_brand_ids('<role>'))::uuid[])   [and <_write_check> on writes]
-- The scalar subquery makes the membership lookup an InitPlan, evaluated once per statement; the ::uuid[]
-- cast keeps `= any` from parsing as ANY (subquery). A command without a role gets no policy: with RLS
-- forced nobody may do it directly, only a definer owned by lotline_auth (BYPASSRLS).
create or replace procedure app.brand_rls(_table regclass, _select text default 'viewer', _insert text default null,
                                          _update text default null, _delete text default null,
                                          _column text default 'brand_id', _write_check text default null)
language plpgsql security invoker set search_path = ''
as $$
declare
  r record;
  v_pred text;
begin
  execute format('alter table %s enable row level security', _table);
  execute format('alter table %s force row level security', _table);
  for r in select p.polname from pg_catalog.pg_policy p where p.polrelid = _table loop
    execute format('drop policy %I on %s', r.polname, _table);
  end loop;
  for r in select c.cmd, c.role from (values (1, 'select', _select), (2, 'insert', _insert), (3, 'update', _update),
                                             (4, 'delete', _delete)) as c(n, cmd, role)
            where c.role is not null order by c.n loop
    v_pred := format('%I = any ((select app.current_brand_ids(%s))::uuid[])', _column,
                     case when r.role = 'viewer' then '' else quote_literal(r.role) end)
              || case when r.cmd <> 'select' and _write_check is not null then ' and ' || _write_check else '' end;
    execute format('create policy %I on %s for %s to authenticated %s', r.cmd || '_' || case r.role when 'viewer' then 'member' else r.role end,
                   _table, r.cmd, case r.cmd when 'insert' then format('with check (%s)', v_pred)
                                             when 'update' then format('using (%s) with check (%s)', v_pred, v_pred)
                                             else format('using (%s)', v_pred) end);
  end loop;
end
$$;

revoke execute on procedure app.brand_rls(regclass, text, text, text, text, text, text) from public;
