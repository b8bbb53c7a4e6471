// The schema cache: what the gateway knows about the database, loaded from the catalog at start-up
// and on NOTIFY. Requests are planned against it without touching the database.
import type { Sql, TransactionSql } from 'postgres';
import { loadCatalog, resultColumns, type Catalog, type PgAttribute, type PgFunction, type PgType } from '../catalog/introspect.ts';
import { unnamedInput, type UnnamedInput } from '../catalog/pg-types.ts';

export interface CallableParam {
  name: string;
  /** format_type() text of the parameter type, usable in a cast */
  type: string;
  typeOid: number;
  required: boolean;
  variadic: boolean;
}

export interface Routine {
  fn: PgFunction;
  schema: string;
  name: string;
  params: CallableParam[];
  /** sorted parameter names (for matching and messages) */
  paramNames: string[];
  /** composite result: its columns */
  columns: PgAttribute[];
  kind: 'void' | 'scalar' | 'composite';
  returnsSet: boolean;
  /** a single unnamed json/jsonb/text/xml/bytea parameter */
  unnamedType: UnnamedInput | null;
}

export interface SchemaCache {
  catalog: Catalog;
  /** `schema\0name` → overloads sorted by (param count, params) */
  routines: Map<string, Routine[]>;
  /** names of all roles in the cluster */
  roles: Set<string>;
  /** settings to apply per impersonated role (context 'user'), in order */
  roleSettings: Map<string, [string, string][]>;
  schemaComments: Map<string, string | null>;
  loadedAt: Date;
}

function typeText(types: Map<number, PgType>, oid: number): string {
  return types.get(oid)?.formatted ?? 'text';
}

export function routineKey(schema: string, name: string): string {
  return schema + '\u0000' + name;
}

function toRoutine(cat: Catalog, fn: PgFunction): Routine | null {
  const unnamed = unnamedInput(cat.types, fn);
  if (unnamed === null) return null;
  const params: CallableParam[] = fn.inputs.map((a) => ({
    name: a.name,
    type: typeText(cat.types, a.typeOid),
    typeOid: a.typeOid,
    required: !a.hasDefault,
    variadic: a.mode === 'variadic',
  }));
  const kind: Routine['kind'] = fn.returnsVoid ? 'void' : fn.returnsComposite ? 'composite' : 'scalar';
  return {
    fn,
    schema: fn.schema,
    name: fn.name,
    params,
    paramNames: params.map((p) => p.name).sort(),
    columns: kind === 'composite' ? resultColumns(cat, fn) : [],
    kind,
    returnsSet: fn.returnsSet,
    unnamedType: unnamed || null,
  };
}

function compareRoutines(a: Routine, b: Routine): number {
  if (a.params.length !== b.params.length) return a.params.length - b.params.length;
  for (let i = 0; i < a.params.length; i++) {
    const x = a.params[i]!;
    const y = b.params[i]!;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    if (x.type !== y.type) return x.type < y.type ? -1 : 1;
  }
  return 0;
}

const ROLE_SETTINGS_SQL = `
with rs as (
  select r.rolname, s.setdatabase, pg_catalog.unnest(s.setconfig) as cfg
    from pg_catalog.pg_db_role_setting s
    join pg_catalog.pg_roles r on r.oid = s.setrole
   where s.setdatabase in (0, (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()))
     and r.rolname <> current_user
     and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
), kv as (
  select rolname, setdatabase, pg_catalog.split_part(cfg, '=', 1) as k,
         pg_catalog.substr(cfg, pg_catalog.strpos(cfg, '=') + 1) as v
    from rs
)
select kv.rolname, kv.k, kv.v
  from kv join pg_catalog.pg_settings ps on ps.name = kv.k
 where ps.context = 'user'
 order by kv.rolname, kv.setdatabase`;

/**
 * Reads the cache in ONE read-only transaction with JIT compilation off. The catalog queries are
 * cheap, but their row estimates are not: with two exposed schemas Postgres estimated the functions
 * query above jit_above_cost, and on a server with LLVM JIT (PostgreSQL 15 from Debian packages) a
 * load took ~400 ms instead of ~30 ms, most of it compiling.
 */
export async function loadSchemaCache(sql: Sql, schemas: string[]): Promise<SchemaCache> {
  return (await sql.begin('read only', async (tx) => {
    await tx.unsafe(`select pg_catalog.set_config('jit', 'off', true)`);
    return readSchemaCache(tx, schemas);
  })) as SchemaCache;
}

async function readSchemaCache(sql: TransactionSql, schemas: string[]): Promise<SchemaCache> {
  const catalog = await loadCatalog(sql, schemas);
  const routines = new Map<string, Routine[]>();
  for (const fn of catalog.functions) {
    const r = toRoutine(catalog, fn);
    if (!r) continue;
    const k = routineKey(r.schema, r.name);
    const list = routines.get(k);
    if (list) list.push(r);
    else routines.set(k, [r]);
  }
  for (const list of routines.values()) list.sort(compareRoutines);
  const roleRows = await sql.unsafe<{ rolname: string }[]>('select rolname from pg_catalog.pg_roles');
  const settingRows = await sql.unsafe<{ rolname: string; k: string; v: string }[]>(ROLE_SETTINGS_SQL);
  const roleSettings = new Map<string, [string, string][]>();
  for (const r of settingRows) {
    const list = roleSettings.get(r.rolname) ?? [];
    const existing = list.findIndex(([k]) => k === r.k);
    if (existing >= 0) list.splice(existing, 1);
    list.push([r.k, r.v]);
    roleSettings.set(r.rolname, list);
  }
  const comments = await sql.unsafe<{ nspname: string; comment: string | null }[]>(
    `select nspname, pg_catalog.obj_description(oid, 'pg_namespace') as comment from pg_catalog.pg_namespace where nspname = any($1::text[])`,
    [schemas],
  );
  return {
    catalog,
    routines,
    roles: new Set(roleRows.map((r) => r.rolname)),
    roleSettings,
    schemaComments: new Map(comments.map((c) => [c.nspname, c.comment])),
    loadedAt: new Date(),
  };
}
