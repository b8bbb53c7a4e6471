// Catalog lints: read the migrated database and fail on what the conventions forbid, so a table or
// function added later without the right guards fails here without anyone writing a new test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDb, type TestDb } from './support/db.ts';
import { loadCatalog, type Catalog } from '../src/catalog/introspect.ts';
import { DOMAINS, ROOT, SQL_DIR } from '../src/db/sql-layout.ts';

let db: TestDb;
let catalog: Catalog;
beforeAll(async () => {
  db = await createTestDb();
  catalog = await loadCatalog(db.admin, ['api']);
});
afterAll(async () => db?.drop());

/** Every sql/<folder>/api/<file>.sql: the folder (domain) and the file name without .sql. */
function apiFiles(): { domain: string; name: string; path: string }[] {
  return readdirSync(SQL_DIR)
    .filter((d) => existsSync(join(SQL_DIR, d, 'api')))
    .flatMap((domain) =>
      readdirSync(join(SQL_DIR, domain, 'api'))
        .filter((f) => f.endsWith('.sql'))
        .map((f) => ({ domain, name: f.replace(/\.sql$/, ''), path: join(SQL_DIR, domain, 'api', f) })),
    );
}

/** The functions anon may execute: the consumer-facing public view. */
export const PUBLIC_FUNCTIONS = ['get_public_batch', 'resolve_digital_link', 'resolve_serial'];

describe('data tables', () => {
  it('every data table has RLS enabled and forced, and policies', async () => {
    const rows = await db.admin<{ table: string; rls: boolean; forced: boolean; policies: number }[]>`
      select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
             (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
        from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p')`;
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const bad = rows.filter((r) => !r.rls || !r.forced || r.policies === 0);
    expect(bad, `tables without forced RLS or policies: ${JSON.stringify(bad)}`).toEqual([]);
  });

  it('every data table carries brand_id and is owned by the non-login owner', async () => {
    const rows = await db.admin<{ table: string; has_brand: boolean; owner: string }[]>`
      select c.relname as table, pg_get_userbyid(c.relowner) as owner,
             exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'brand_id' and a.attnotnull) as has_brand
        from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p')`;
    const bad = rows.filter((r) => (r.table !== 'brands' && !r.has_brand) || r.owner !== 'lotline_owner');
    expect(bad).toEqual([]);
    const [login] = await db.admin`select rolcanlogin, rolbypassrls, rolsuper from pg_roles where rolname = 'lotline_owner'`;
    expect(login).toEqual({ rolcanlogin: false, rolbypassrls: false, rolsuper: false });
  });

  it('every foreign key is covered by an index that starts with its columns', async () => {
    const rows = await db.admin<{ fk: string; table: string }[]>`
      select con.conname as fk, con.conrelid::regclass::text as table
        from pg_constraint con
       where con.contype = 'f' and con.connamespace = 'data'::regnamespace
         and not exists (
           select from pg_index i
            where i.indrelid = con.conrelid
              and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
              and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey)`;
    expect(rows, `unindexed foreign keys: ${JSON.stringify(rows)}`).toEqual([]);
  });

  it('every foreign key between brand tables includes brand_id', async () => {
    const rows = await db.admin<{ fk: string }[]>`
      select con.conname as fk from pg_constraint con
       where con.contype = 'f' and con.connamespace = 'data'::regnamespace
         and con.confrelid <> 'data.brands'::regclass
         and not exists (select from pg_attribute a where a.attrelid = con.conrelid and a.attnum = any (con.conkey) and a.attname = 'brand_id')`;
    expect(rows).toEqual([]);
  });
});

describe('audit trail', () => {
  it('every data table has audit triggers on insert, update and delete (a trigger function named …audit…)', async () => {
    // exempt: the stores of changes themselves (app.audit_exempt_tables) and partitions (covered by their parent)
    const rows = await db.admin<{ table: string; ops: string[] }[]>`
      select c.relname as table,
             array(select distinct op from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                    cross join lateral (values (case when t.tgtype & 4 <> 0 then 'insert' end),
                                               (case when t.tgtype & 8 <> 0 then 'delete' end),
                                               (case when t.tgtype & 16 <> 0 then 'update' end)) v(op)
                    where t.tgrelid = c.oid and p.proname ~ 'audit' and not t.tgisinternal and t.tgenabled <> 'D' and op is not null
                    order by op) as ops
        from pg_class c
       where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
         and c.relname <> all (app.audit_exempt_tables())`;
    expect(rows.length).toBeGreaterThanOrEqual(15);
    const missing = rows.filter((r) => r.ops.join(',') !== 'delete,insert,update');
    expect(missing, `data tables without audit triggers: ${JSON.stringify(missing)}`).toEqual([]);
  });

  it('the audit trail and the outbox are append-only: no role holds update/delete/truncate, and triggers stop the owner', async () => {
    const tables = await db.admin<{ t: string }[]>`
      select c.oid::regclass::text as t from pg_class c
       where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p')
         and (c.relname in ('audit_events', 'events') or c.oid in (select inhrelid from pg_inherits where inhparent = 'data.audit_events'::regclass))`;
    expect(tables.length).toBeGreaterThanOrEqual(4);
    const grants = await db.admin`
      select c.oid::regclass::text as t, a.grantee::regrole::text as grantee, a.privilege_type
        from pg_class c cross join lateral aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
       where c.oid::regclass::text = any (${tables.map((r) => r.t)}) and a.grantee <> c.relowner
         and a.privilege_type in ('UPDATE', 'DELETE', 'TRUNCATE')`;
    expect(grants).toEqual([]);
    const unguarded = await db.admin`
      select c.oid::regclass::text as t from pg_class c
       where c.oid::regclass::text = any (${tables.map((r) => r.t)})
         and not (exists (select from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                           where t.tgrelid = c.oid and p.proname = 'tg__append_only' and t.tgtype & 24 = 24)
                  and exists (select from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                               where t.tgrelid = c.oid and p.proname = 'tg__append_only' and t.tgtype & 32 <> 0))`;
    expect(unguarded).toEqual([]);
  });
});

describe('functions', () => {
  it('no SECURITY DEFINER function lacks search_path, and none is exposed in api', async () => {
    const rows = await db.admin<{ fn: string; config: string[] | null; schema: string }[]>`
      select p.oid::regprocedure::text as fn, p.proconfig as config, n.nspname as schema
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where p.prosecdef and n.nspname in ('api', 'app', 'data')`;
    expect(rows.filter((r) => !(r.config ?? []).some((c) => c === 'search_path=""' || c === 'search_path='))).toEqual([]);
    expect(rows.filter((r) => r.schema === 'api')).toEqual([]);
    // definers are owned by the BYPASSRLS helper role, and PUBLIC cannot execute them
    const owners = await db.admin<{ fn: string }[]>`
      select p.oid::regprocedure::text as fn from pg_proc p
       where p.prosecdef and p.pronamespace = 'app'::regnamespace
         and (pg_get_userbyid(p.proowner) <> 'lotline_auth' or has_function_privilege('public', p.oid, 'execute'))`;
    expect(owners).toEqual([]);
  });

  it('every api function has a comment, a fixed search_path and explicit volatility use', () => {
    const missing = catalog.functions.filter((f) => !f.description || f.description.trim().length < 10).map((f) => f.signature);
    expect(missing).toEqual([]);
    const noPath = catalog.functions.filter((f) => f.settings.search_path === undefined).map((f) => f.signature);
    expect(noPath).toEqual([]);
    // readers are stable: list/get/find/search/lookup/resolve functions must not be volatile
    const readers = catalog.functions.filter((f) => /^(list|get|find|search|lookup|resolve|batch_quantities)_/.test(f.name));
    expect(readers.filter((f) => f.volatility === 'volatile').map((f) => f.name)).toEqual([]);
  });

  it('each api function lives in its own file named after it, sql/<domain>/api/<function>.sql, in a listed domain', () => {
    const files = apiFiles();
    const names = new Set(catalog.functions.map((f) => f.name));
    const fileNames = files.map((f) => f.name);
    expect([...names].filter((n) => !fileNames.includes(n)), 'api functions without a file').toEqual([]);
    expect(files.filter((f) => !names.has(f.name)).map((f) => f.path), 'files without their api function').toEqual([]);
    expect(fileNames.filter((n, i) => fileNames.indexOf(n) !== i), 'functions with several files').toEqual([]);
    expect(files.filter((f) => !(DOMAINS as readonly string[]).includes(f.domain)).map((f) => f.path), 'api files outside the DOMAINS of src/db/sql-layout.ts').toEqual([]);
    // the file creates exactly that function, and no other api function
    const wrong = files.filter((f) => {
      const created = [...readFileSync(f.path, 'utf8').matchAll(/create\s+(?:or\s+replace\s+)?function\s+api\.(\w+)\s*\(/gi)].map((m) => m[1]);
      return created.length !== 1 || created[0] !== f.name;
    });
    expect(wrong.map((f) => f.path)).toEqual([]);
  });

  it('anon may execute exactly the public functions', async () => {
    const rows = await db.admin<{ name: string }[]>`
      select p.proname as name from pg_proc p
       where p.pronamespace = 'api'::regnamespace and has_function_privilege('anon', p.oid, 'execute')
       order by 1`;
    const allowed = rows.map((r) => r.name);
    expect(allowed.filter((n) => !PUBLIC_FUNCTIONS.includes(n))).toEqual([]);
    // anon holds no privilege on any data table
    const tables = await db.admin`
      select c.relname from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind = 'r'
         and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('anon', c.oid, 'insert')
              or has_table_privilege('anon', c.oid, 'update') or has_table_privilege('anon', c.oid, 'delete'))`;
    expect(tables).toEqual([]);
  });

  it('PUBLIC cannot execute api functions', async () => {
    const rows = await db.admin`
      select p.proname from pg_proc p
       where p.pronamespace = 'api'::regnamespace and has_function_privilege('public', p.oid, 'execute')`;
    expect(rows).toEqual([]);
  });
});

describe('documentation matches the code', () => {
  /** The "| `from` | to, to |" table of one section of docs/state-machine.md: from → sorted targets. */
  function documentedTransitions(heading: string): Map<string, string[]> {
    const md = readFileSync(join(ROOT, 'docs', 'state-machine.md'), 'utf8');
    const section = md.split(`## ${heading}`)[1]!.split('\n## ')[0]!;
    const documented = new Map<string, string[]>();
    for (const m of section.matchAll(/^\| `(\w+)` \| ([^|]+) \|$/gm)) {
      const targets = m[2]!.trim() === '— (terminal)' ? [] : m[2]!.split(',').map((t) => t.trim().split(' ')[0]!);
      documented.set(m[1]!, targets.sort());
    }
    return documented;
  }

  for (const [heading, next, all] of [
    ['Batches', 'app.batch_status_next', 'app.batch_statuses'],
    ['Due-diligence statements', 'app.dds_status_next', 'app.dds_statuses'],
  ] as const) {
    it(`docs/state-machine.md (${heading}) lists exactly the transitions of ${next}`, async () => {
      const documented = documentedTransitions(heading);
      const rows = await db.admin.unsafe<{ s: string; next: string[] }[]>(`select s, ${next}(s) as next from unnest(${all}()) s`);
      expect(documented.size).toBe(rows.length);
      for (const r of rows) expect(documented.get(r.s), r.s).toEqual([...r.next].sort());
    });
  }

  it('every api function is in the documented list (README "The API"), and every listed name exists', () => {
    const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = md.split('## The API')[1]!.split('\n## ')[0]!;
    const listed = new Set([...section.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!));
    const names = new Set(catalog.functions.map((f) => f.name));
    expect([...names].filter((n) => !listed.has(n)), 'undocumented api functions').toEqual([]);
    expect([...listed].filter((n) => !names.has(n) && n.includes('_')), 'documented but missing').toEqual([]);
  });

  it("README's API table lists each function in the row of its domain folder (the row links sql/<domain>/)", () => {
    const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = md.split('## The API')[1]!.split('\n## ')[0]!;
    const rows = new Map<string, string[]>();
    for (const line of section.split('\n').filter((l) => l.startsWith('|'))) {
      const [, area, functions] = line.split('|');
      const domain = /\]\(sql\/([a-z0-9_-]+)\/\)/.exec(area ?? '')?.[1];
      if (domain) rows.set(domain, [...(functions ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!).sort());
    }
    const files = apiFiles();
    const domains = [...new Set(files.map((f) => f.domain))].sort();
    expect([...rows.keys()].sort(), 'one README row per domain folder with api functions').toEqual(domains);
    for (const d of domains) {
      expect(rows.get(d), `README row of sql/${d}/`).toEqual(files.filter((f) => f.domain === d).map((f) => f.name).sort());
    }
  });

  it('docs/errors.md lists every SQLSTATE the api raises through app.raise', async () => {
    const md = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const rows = await db.admin<{ src: string }[]>`
      select prosrc as src from pg_proc where pronamespace in ('api'::regnamespace, 'app'::regnamespace)`;
    const codes = new Set<string>();
    for (const r of rows) for (const m of r.src.matchAll(/app\.raise\('([0-9A-Z]{5})'/g)) codes.add(m[1]!);
    expect(codes.size).toBeGreaterThan(3);
    expect([...codes].filter((c) => !md.includes(`\`${c}\``))).toEqual([]);
  });
});
