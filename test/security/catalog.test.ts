// Security lints on the migrated catalog that test/catalog.test.ts does not already make (that file checks
// forced RLS, definer search_path and ownership, anon ⊆ the public list, PUBLIC execute on api). These
// keep the request roles powerless outside the functions and the code safe behind transaction pooling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db?.drop());

const REQUEST_ROLES = ['anon', 'authenticated', 'authenticator'];

describe('request roles', () => {
  it('anon, authenticated and authenticator cannot create objects in any schema, nor own anything', async () => {
    const rows = await db.admin<{ role: string; schema: string }[]>`
      select r.rolname as role, n.nspname as schema
        from pg_roles r cross join pg_namespace n
       where r.rolname = any(${REQUEST_ROLES}) and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
         and has_schema_privilege(r.oid, n.oid, 'CREATE')`;
    expect(rows).toEqual([]);
    const owned = await db.admin`
      select c.oid::regclass::text as obj from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = any(${REQUEST_ROLES})
      union all
      select p.oid::regprocedure::text from pg_proc p join pg_roles r on r.oid = p.proowner where r.rolname = any(${REQUEST_ROLES})`;
    expect(owned).toEqual([]);
  });

  it('no privilege on data, app or api objects is granted to PUBLIC', async () => {
    const tables = await db.admin`
      select c.oid::regclass::text as t from pg_class c
       where c.relnamespace in ('data'::regnamespace, 'app'::regnamespace, 'api'::regnamespace) and c.relkind in ('r', 'p', 'v', 'm', 'S')
         and exists (select from aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a where a.grantee = 0)`;
    expect(tables).toEqual([]);
    const definers = await db.admin`
      select p.oid::regprocedure::text as fn from pg_proc p
       where p.prosecdef and p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
         and has_function_privilege('public', p.oid, 'execute')`;
    expect(definers, 'a SECURITY DEFINER function anyone may execute').toEqual([]);
  });

  it('every SECURITY DEFINER function in any schema pins search_path, and none is owned by a superuser', async () => {
    const rows = await db.admin<{ fn: string; config: string[] | null; superuser: boolean }[]>`
      select p.oid::regprocedure::text as fn, p.proconfig as config, r.rolsuper as superuser
        from pg_proc p join pg_roles r on r.oid = p.proowner
       where p.prosecdef and p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)`;
    expect(rows.filter((r) => !(r.config ?? []).some((c) => c.startsWith('search_path=')))).toEqual([]);
    expect(rows.filter((r) => r.superuser).map((r) => r.fn)).toEqual([]);
  });

  it('the roles behind the definers cannot log in; only the helper role bypasses RLS', async () => {
    const rows = await db.admin<{ rolname: string; rolcanlogin: boolean; rolbypassrls: boolean; rolsuper: boolean }[]>`
      select rolname, rolcanlogin, rolbypassrls, rolsuper from pg_roles
       where rolname in ('lotline_owner', 'lotline_auth', 'anon', 'authenticated') order by 1`;
    expect(rows).toEqual([
      { rolname: 'anon', rolcanlogin: false, rolbypassrls: false, rolsuper: false },
      { rolname: 'authenticated', rolcanlogin: false, rolbypassrls: false, rolsuper: false },
      { rolname: 'lotline_auth', rolcanlogin: false, rolbypassrls: true, rolsuper: false },
      { rolname: 'lotline_owner', rolcanlogin: false, rolbypassrls: false, rolsuper: false },
    ]);
  });
});

describe('the job workers\' role', () => {
  it('lotline_worker cannot log in or bypass RLS, holds no table privilege, and executes no api function and only definers in app', async () => {
    const [role] = await db.admin`select rolcanlogin, rolbypassrls, rolsuper from pg_roles where rolname = 'lotline_worker'`;
    expect(role).toEqual({ rolcanlogin: false, rolbypassrls: false, rolsuper: false });
    const tables = await db.admin`
      select c.oid::regclass::text as t from pg_class c
       where c.relnamespace in ('data'::regnamespace, 'app'::regnamespace) and c.relkind in ('r', 'p', 'v', 'm', 'S')
         and (has_table_privilege('lotline_worker', c.oid, 'select, insert, update, delete, truncate')
              or (c.relkind <> 'S' and has_any_column_privilege('lotline_worker', c.oid, 'select, insert, update')))`;
    expect(tables).toEqual([]);
    const fns = await db.admin<{ fn: string; definer: boolean; schema: string }[]>`
      select p.oid::regprocedure::text as fn, p.prosecdef as definer, p.pronamespace::regnamespace::text as schema from pg_proc p
       where p.pronamespace in ('api'::regnamespace, 'app'::regnamespace) and has_function_privilege('lotline_worker', p.oid, 'execute')`;
    expect(fns.filter((f) => f.schema === 'api' || !f.definer).map((f) => f.fn)).toEqual([]);
    expect(fns.map((f) => f.fn)).toContain('app.mint_job_step(integer)');
  });
});

describe('transaction pooling safety (PgBouncer)', () => {
  it('no api/app function keeps session state: no session-level set_config, SET ROLE/SESSION, session advisory locks, LISTEN, PREPARE or lasting temp tables', async () => {
    const rows = await db.admin<{ fn: string; src: string }[]>`
      select p.oid::regprocedure::text as fn, p.prosrc as src from pg_proc p
       where p.pronamespace in ('api'::regnamespace, 'app'::regnamespace) and p.prolang in (select oid from pg_language where lanname in ('sql', 'plpgsql'))`;
    const rules: [string, RegExp][] = [
      ['session-level set_config', /set_config\s*\([^;]*,\s*false\s*\)/i],
      ['SET ROLE / SET SESSION', /\bset\s+(session\s+)?(role|session\s+authorization)\b|\breset\s+role\b/i],
      ['plain SET (not SET LOCAL)', /^\s*set\s+(?!local\b)[a-z_.]+\s*(=|to)\b/im],
      ['session advisory lock', /pg_(try_)?advisory_lock(_shared)?\s*\(/i],
      ['LISTEN', /\blisten\s+\w/i],
      ['PREPARE', /\bprepare\s+\w+\s*(\(|as\b)/i],
      ['temp table outliving the transaction', /create\s+(temp|temporary)\s+table(?![\s\S]*?on\s+commit\s+drop)/i],
    ];
    const bad: string[] = [];
    for (const r of rows) for (const [name, re] of rules) if (re.test(r.src)) bad.push(`${r.fn}: ${name}`);
    expect(bad).toEqual([]);
  });

  it('no api function returns or takes a type the anon/authenticated roles cannot use', async () => {
    const rows = await db.admin<{ fn: string; type: string }[]>`
      select p.oid::regprocedure::text as fn, t.oid::regtype::text as type
        from pg_proc p join pg_type t on t.oid = any (array_append(p.proargtypes::oid[], p.prorettype))
       where p.pronamespace = 'api'::regnamespace and not has_type_privilege('authenticated', t.oid, 'usage')`;
    expect(rows).toEqual([]);
  });
});
