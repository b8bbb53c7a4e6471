// Catalog introspection shared by the gateway, codegen and the tests: the one place that reads
// functions and types of the exposed schemas from pg_catalog. Nothing about the catalog is
// written twice.
import type { Sql, TransactionSql } from 'postgres';

export type Volatility = 'immutable' | 'stable' | 'volatile';
export type ArgMode = 'in' | 'out' | 'inout' | 'variadic' | 'table';

export interface PgArg {
  name: string; // '' when unnamed
  typeOid: number;
  mode: ArgMode;
  hasDefault: boolean;
  /** The default expression as SQL text (pg_get_function_arg_default), when it has one. */
  defaultValue?: string | null;
}

export interface PgFunction {
  oid: number;
  schema: string;
  name: string;
  /** `api.fn(uuid,text)`: regprocedure text, usable in GRANT/COMMENT. */
  signature: string;
  description: string | null;
  /** Input arguments (in, inout, variadic) in call order. */
  inputs: PgArg[];
  /** OUT/INOUT/TABLE columns when the function declares them. */
  outputs: PgArg[];
  returnTypeOid: number;
  /** Composite result: a named row type, a table row, or OUT/TABLE columns. */
  returnsComposite: boolean;
  returnsSet: boolean;
  returnsVoid: boolean;
  volatility: Volatility;
  securityDefiner: boolean;
  isVariadic: boolean;
  /** `SET` clauses on the function, e.g. { statement_timeout: '100ms' }. */
  settings: Record<string, string>;
}

export interface PgAttribute {
  name: string;
  typeOid: number;
  notNull: boolean;
}

export interface PgType {
  oid: number;
  schema: string;
  name: string;
  /** format_type() text, e.g. `api.batch`, `numeric`, `text[]`. */
  formatted: string;
  kind: 'base' | 'composite' | 'domain' | 'enum' | 'pseudo' | 'range' | 'multirange';
  /** for arrays: the element type */
  elemOid: number | null;
  /** for domains: the base type (domains over domains resolved) */
  baseOid: number | null;
  enumLabels: string[];
  attributes: PgAttribute[];
}

export interface Catalog {
  schemas: string[];
  functions: PgFunction[];
  /** every type reachable from the functions' arguments and results */
  types: Map<number, PgType>;
}

const MODES: Record<string, ArgMode> = { i: 'in', o: 'out', b: 'inout', v: 'variadic', t: 'table' };
const VOLATILITY: Record<string, Volatility> = { i: 'immutable', s: 'stable', v: 'volatile' };
const KINDS: Record<string, PgType['kind']> = {
  b: 'base', c: 'composite', d: 'domain', e: 'enum', p: 'pseudo', r: 'range', m: 'multirange',
};

interface FnRow {
  oid: number;
  schema: string;
  name: string;
  signature: string;
  description: string | null;
  proretset: boolean;
  provolatile: string;
  prosecdef: boolean;
  prorettype: number;
  ret_typtype: string;
  ret_relid: number | null;
  provariadic: boolean;
  proconfig: string[] | null;
  args: { name: string; type_oid: number; mode: string; has_default: boolean; default_value: string | null }[];
}

// Walks all arguments with their modes and counts input positions separately, so OUT
// parameters interleaved with inputs do not shift which inputs have defaults.
const FUNCTIONS_SQL = `
with fn as (
  select p.oid, n.nspname as schema, p.proname as name, p.proretset, p.provolatile,
         p.prosecdef, p.prorettype, p.pronargs, p.pronargdefaults, p.provariadic <> 0 as provariadic,
         p.proconfig, p.proargmodes, p.proargnames,
         coalesce(p.proallargtypes, p.proargtypes::oid[]) as all_types
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
   where n.nspname = any($1::text[]) and p.prokind = 'f'
),
arg as (
  select fn.oid, a.ord, a.type_oid,
         coalesce(fn.proargnames[a.ord], '') as name,
         coalesce(fn.proargmodes[a.ord]::text, 'i') as mode
    from fn cross join lateral unnest(fn.all_types) with ordinality as a(type_oid, ord)
),
arg_pos as (
  select arg.*,
         case when mode in ('i','b','v') then
           count(*) filter (where mode in ('i','b','v')) over (partition by oid order by ord)
         end as in_pos
    from arg
)
select fn.oid::int8 as oid, fn.schema, fn.name, fn.oid::regprocedure::text as signature,
       pg_catalog.obj_description(fn.oid, 'pg_proc') as description,
       fn.proretset, fn.provolatile::text as provolatile, fn.prosecdef, fn.prorettype::int8 as prorettype,
       rt.typtype::text as ret_typtype, nullif(rt.typrelid, 0)::int8 as ret_relid, fn.provariadic, fn.proconfig,
       coalesce((select json_agg(json_build_object(
                   'name', a.name, 'type_oid', a.type_oid::int8, 'mode', a.mode,
                   'has_default', coalesce(a.in_pos > fn.pronargs - fn.pronargdefaults, false),
                   'default_value', pg_catalog.pg_get_function_arg_default(fn.oid, a.ord::int))
                 order by a.ord)
                 from arg_pos a where a.oid = fn.oid), '[]') as args
  from fn
  join pg_catalog.pg_type rt on rt.oid = fn.prorettype
 where rt.typname not in ('trigger', 'event_trigger')
 order by fn.schema, fn.name, fn.oid`;

// Types reachable from a set of oids: array elements, domain bases, composite attributes, recursively.
const TYPES_SQL = `
with recursive reach(oid) as (
  select unnest($1::oid[])
  union
  select x.oid from reach r
    join pg_catalog.pg_type t on t.oid = r.oid
    cross join lateral (
      select t.typelem as oid where t.typcategory = 'A' and t.typelem <> 0
      union all select t.typbasetype where t.typtype = 'd'
      union all select a.atttypid from pg_catalog.pg_attribute a
        where t.typrelid <> 0 and a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
    ) x
)
select t.oid::int8 as oid, n.nspname as schema, t.typname as name,
       pg_catalog.format_type(t.oid, null) as formatted, t.typtype::text as typtype,
       case when t.typcategory = 'A' and t.typelem <> 0 then t.typelem::int8 end as elem_oid,
       case when t.typtype = 'd' then t.typbasetype::int8 end as base_oid,
       coalesce((select json_agg(e.enumlabel order by e.enumsortorder) from pg_catalog.pg_enum e where e.enumtypid = t.oid), '[]') as enum_labels,
       coalesce((select json_agg(json_build_object('name', a.attname, 'type_oid', a.atttypid::int8, 'not_null', a.attnotnull) order by a.attnum)
                   from pg_catalog.pg_attribute a
                  where t.typrelid <> 0 and a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped), '[]') as attributes
  from reach r
  join pg_catalog.pg_type t on t.oid = r.oid
  join pg_catalog.pg_namespace n on n.oid = t.typnamespace`;

interface TypeRow {
  oid: number;
  schema: string;
  name: string;
  formatted: string;
  typtype: string;
  elem_oid: number | null;
  base_oid: number | null;
  enum_labels: string[];
  attributes: { name: string; type_oid: number; not_null: boolean }[];
}

export async function loadCatalog(sql: Sql | TransactionSql, schemas: string[]): Promise<Catalog> {
  const rows = await sql.unsafe<FnRow[]>(FUNCTIONS_SQL, [schemas]);
  const functions = rows.map(toFunction);
  const oids = new Set<number>();
  for (const f of functions) {
    oids.add(f.returnTypeOid);
    for (const a of [...f.inputs, ...f.outputs]) oids.add(a.typeOid);
  }
  const typeRows = await sql.unsafe<TypeRow[]>(TYPES_SQL, [[...oids]]);
  const types = new Map<number, PgType>();
  for (const t of typeRows) {
    types.set(Number(t.oid), {
      oid: Number(t.oid),
      schema: t.schema,
      name: t.name,
      formatted: t.formatted,
      kind: KINDS[t.typtype] ?? 'base',
      elemOid: t.elem_oid == null ? null : Number(t.elem_oid),
      baseOid: t.base_oid == null ? null : Number(t.base_oid),
      enumLabels: t.enum_labels,
      attributes: t.attributes.map((a) => ({ name: a.name, typeOid: Number(a.type_oid), notNull: a.not_null })),
    });
  }
  return { schemas, functions, types };
}

function toFunction(r: FnRow): PgFunction {
  const args: PgArg[] = r.args.map((a) => ({
    name: a.name,
    typeOid: Number(a.type_oid),
    mode: MODES[a.mode] ?? 'in',
    hasDefault: a.has_default,
    defaultValue: a.default_value ?? null,
  }));
  const inputs = args.filter((a) => a.mode === 'in' || a.mode === 'inout' || a.mode === 'variadic');
  const outputs = args.filter((a) => a.mode === 'out' || a.mode === 'inout' || a.mode === 'table');
  const settings: Record<string, string> = {};
  for (const s of r.proconfig ?? []) {
    const i = s.indexOf('=');
    if (i > 0) settings[s.slice(0, i)] = s.slice(i + 1);
  }
  return {
    oid: Number(r.oid),
    schema: r.schema,
    name: r.name,
    signature: r.signature,
    description: r.description,
    inputs,
    outputs,
    returnTypeOid: Number(r.prorettype),
    returnsComposite: r.ret_typtype === 'c' || r.ret_relid != null || outputs.length > 0,
    returnsSet: r.proretset,
    returnsVoid: Number(r.prorettype) === 2278,
    volatility: VOLATILITY[r.provolatile] ?? 'volatile',
    securityDefiner: r.prosecdef,
    isVariadic: r.provariadic,
    settings,
  };
}

/** The base type of a domain (domains over domains resolved), or the type itself. */
export function resolveDomain(types: Map<number, PgType>, oid: number): PgType | undefined {
  let t = types.get(oid);
  for (let i = 0; t && t.kind === 'domain' && t.baseOid != null && i < 32; i++) t = types.get(t.baseOid);
  return t;
}

/** The columns a function's result rows have (composite results), in order. */
export function resultColumns(cat: Catalog, fn: PgFunction): PgAttribute[] {
  if (fn.outputs.length > 0) return fn.outputs.map((a) => ({ name: a.name, typeOid: a.typeOid, notNull: false }));
  const t = resolveDomain(cat.types, fn.returnTypeOid);
  return t?.attributes ?? [];
}
