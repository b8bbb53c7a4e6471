// From the shared catalog (src/catalog/introspect.ts) to what the renderers need: the callable
// functions of each exposed schema in a stable order, the composite and enum types they reach, and
// the TypeScript / zod rendering of src/catalog/pg-types.ts' JSON classification (docs/typed-clients.md
// has the table): what the HTTP door returns, since results are serialised by Postgres' JSON functions.
import { resolveDomain, type Catalog, type PgArg, type PgFunction, type PgType } from '../catalog/introspect.ts';
import { jsonType, unnamedInput, type JsonType } from '../catalog/pg-types.ts';
import { ZOD_DOMAINS } from './domains.ts';

export type Side = 'arg' | 'result';

/** How the server-side client hands a JS value to a parameter (see generated/runtime.ts). */
export type ArgKind = 'plain' | 'json' | 'array' | 'composite' | 'composite_array';

export interface FnModel {
  fn: PgFunction;
  /** input args as callers see them (name '' for a single unnamed json/text argument) */
  inputs: PgArg[];
  returns: 'void' | 'scalar' | 'scalars' | 'row' | 'rows';
}

export interface SchemaModel {
  name: string;
  /** name → overloads, names sorted, overloads ordered by their arguments */
  functions: [string, FnModel[]][];
  /** composite types of this schema reached by the functions, dependencies first */
  composites: PgType[];
  enums: PgType[];
}

export interface Model {
  catalog: Catalog;
  schemas: SchemaModel[];
  exposed: Set<string>;
  /** composite types of every exposed schema, dependencies first (zod consts are declared in this order) */
  composites: PgType[];
  enums: PgType[];
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function typeOf(cat: Catalog, oid: number): PgType {
  const t = cat.types.get(oid);
  if (!t) throw new Error(`codegen: type oid ${oid} is not in the catalog`);
  return t;
}

/** Domains resolved to their base type. */
export function baseType(cat: Catalog, oid: number): PgType {
  return resolveDomain(cat.types, oid) ?? typeOf(cat, oid);
}

/** The JSON classification of a type (domains resolved); every type a function reaches is in the catalog. */
function json(cat: Catalog, oid: number): JsonType {
  const j = jsonType(cat.types, oid);
  if (!j) throw new Error(`codegen: type oid ${oid} is not in the catalog`);
  return j;
}

/** PostgREST's rule: callable when every input is named, or the only input is one unnamed json/jsonb/text/xml/bytea. */
export function isCallable(cat: Catalog, fn: PgFunction): boolean {
  return unnamedInput(cat.types, fn) !== null;
}

export function returnShape(fn: PgFunction): FnModel['returns'] {
  if (fn.returnsVoid && !fn.returnsSet) return 'void';
  if (fn.returnsComposite) return fn.returnsSet ? 'rows' : 'row';
  return fn.returnsSet ? 'scalars' : 'scalar';
}

const qualified = (t: PgType): string => `${t.schema}.${t.name}`;

/** Orders overloads by their arguments (names and qualified types): independent of oids and search_path. */
function overloadKey(cat: Catalog, fn: PgFunction): string {
  return [...fn.inputs, ...fn.outputs].map((a) => `${a.mode} ${a.name} ${qualified(typeOf(cat, a.typeOid))}`).join(', ');
}

export function buildModel(catalog: Catalog): Model {
  const exposed = new Set(catalog.schemas);
  const schemas: SchemaModel[] = [...exposed].sort(cmp).map((name) => {
    const byName = new Map<string, FnModel[]>();
    for (const fn of catalog.functions) {
      if (fn.schema !== name || !isCallable(catalog, fn)) continue;
      const list = byName.get(fn.name) ?? [];
      list.push({ fn, inputs: fn.inputs, returns: returnShape(fn) });
      byName.set(fn.name, list);
    }
    const functions = [...byName.entries()]
      .sort(([a], [b]) => cmp(a, b))
      .map(([n, list]): [string, FnModel[]] => [n, list.sort((a, b) => cmp(overloadKey(catalog, a.fn), overloadKey(catalog, b.fn)))]);
    return { name, functions, composites: [], enums: [] };
  });

  // Composite and enum types of exposed schemas reachable from the callable functions, found by a
  // depth-first walk in name order (never oid order, which differs between databases).
  const composites: PgType[] = [];
  const enums = new Map<number, PgType>();
  const seen = new Set<number>();
  const visit = (oid: number): void => {
    const t = baseType(catalog, oid);
    if (t.elemOid != null) return visit(t.elemOid);
    if (t.kind === 'enum' && exposed.has(t.schema)) enums.set(t.oid, t);
    if (t.kind !== 'composite' || seen.has(t.oid)) return;
    seen.add(t.oid);
    for (const a of [...t.attributes].sort((x, y) => cmp(x.name, y.name))) visit(a.typeOid);
    if (exposed.has(t.schema)) composites.push(t);
  };
  const roots = new Set<number>();
  for (const s of schemas) {
    for (const [, list] of s.functions) {
      for (const { fn } of list) {
        for (const a of [...fn.inputs, ...fn.outputs]) roots.add(a.typeOid);
        roots.add(fn.returnTypeOid);
      }
    }
  }
  for (const t of [...roots].map((o) => typeOf(catalog, o)).sort((a, b) => cmp(qualified(a), qualified(b)))) visit(t.oid);
  const enumList = [...enums.values()].sort((a, b) => cmp(qualified(a), qualified(b)));
  for (const s of schemas) {
    s.composites = composites.filter((t) => t.schema === s.name);
    s.enums = enumList.filter((t) => t.schema === s.name);
  }
  return { catalog, schemas, exposed, composites, enums: enumList };
}

// ---------------------------------------------------------------------------------------------
// Names and literals

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property key as written in TS source. */
export function prop(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

/** A string literal in generated TS (single quotes, like the rest of the code base). */
export function str(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n').replaceAll('\r', '\\r')}'`;
}

export function quoteIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * The SQL type a parameter is cast to: the catalog's printable name for built-ins
 * (`uuid`, `timestamp with time zone`, `text[]`), a quoted qualified name otherwise.
 */
export function castType(cat: Catalog, oid: number): string {
  const t = typeOf(cat, oid);
  if (t.schema === 'pg_catalog') return t.formatted;
  if (t.elemOid != null) return `${castType(cat, t.elemOid)}[]`;
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

export function argKind(cat: Catalog, oid: number): ArgKind {
  const j = json(cat, oid);
  if (j.kind === 'array') return json(cat, j.elemOid).kind === 'composite' ? 'composite_array' : 'array';
  if (j.kind === 'composite') return 'composite';
  if (j.kind === 'json') return 'json';
  return 'plain';
}

// ---------------------------------------------------------------------------------------------
// TypeScript types

/** `T[]`, parenthesised when T is a union or intersection at top level. */
export function arrayOf(ts: string): string {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < ts.length; i++) {
    const ch = ts[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === "'") quoted = false;
    } else if (ch === "'") quoted = true;
    else if (ch === '{' || ch === '(' || ch === '[' || ch === '<') depth++;
    else if (ch === '}' || ch === ')' || ch === ']' || ch === '>') depth--;
    else if (depth === 0 && (ch === '|' || ch === '&')) return `(${ts})[]`;
  }
  return `${ts}[]`;
}

export function tsNullable(ts: string): string {
  return ts === 'unknown' || ts === 'Json' || ts.endsWith(' | null') ? ts : `${ts} | null`;
}

function tsObject(fields: { name: string; ts: string }[], indent: string): string {
  if (fields.length === 0) return 'Record<PropertyKey, never>';
  const inner = fields.map((f) => `${indent}  ${prop(f.name)}: ${f.ts}`).join('\n');
  return `{\n${inner}\n${indent}}`;
}

/** The TS type of a value of type `oid` as JSON (non-null; callers add `| null`). */
export function tsType(m: Model, oid: number, indent = ''): string {
  const j = json(m.catalog, oid);
  const t = j.type;
  switch (j.kind) {
    case 'array':
      return arrayOf(tsType(m, j.elemOid, indent));
    case 'enum':
      if (m.exposed.has(t.schema)) return `Database[${str(t.schema)}]['Enums'][${str(t.name)}]`;
      return t.enumLabels.map(str).join(' | ') || 'never';
    case 'composite':
      if (m.exposed.has(t.schema)) return `Database[${str(t.schema)}]['CompositeTypes'][${str(t.name)}]`;
      return tsObject(
        t.attributes.map((a) => ({ name: a.name, ts: tsNullable(tsType(m, a.typeOid, `${indent}  `)) })),
        indent,
      );
    case 'void':
      return 'undefined';
    case 'record':
      return 'Record<string, unknown>';
    case 'any':
      return 'unknown';
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'number':
      return 'number';
    case 'json':
      return 'Json';
    case 'string':
      return 'string';
  }
}

/** Fields of a composite type or OUT/TABLE columns: every one nullable (Postgres cannot declare otherwise). */
export function tsFields(m: Model, cols: { name: string; typeOid: number }[], indent: string): string {
  return tsObject(cols.map((c) => ({ name: c.name, ts: tsNullable(tsType(m, c.typeOid, `${indent}  `)) })), indent);
}

// ---------------------------------------------------------------------------------------------
// zod v4

/** The exported const holding one schema's zod schemas in generated/zod.ts. */
export function schemaConst(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_$]/g, '_');
  return /^[0-9]/.test(id) || ['z', 'schemas', 'json', 'Json'].includes(id) ? `schema_${id}` : id;
}

export function zodConstName(t: PgType): string {
  return `${t.schema}__${t.name}`.replace(/[^A-Za-z0-9_$]/g, '_');
}

/** A zod expression validating the JSON form of a value of type `oid` (non-null). */
export function zodType(m: Model, oid: number, side: Side, indent = ''): string {
  const cat = m.catalog;
  const own = cat.types.get(oid);
  if (own?.kind === 'domain') {
    const d = ZOD_DOMAINS[`${own.schema}.${own.name}`];
    if (d) return d.name;
  }
  const j = json(m.catalog, oid);
  const t = j.type;
  switch (j.kind) {
    case 'array':
      return `z.array(${zodType(m, j.elemOid, side, indent)})`;
    case 'enum':
      if (m.exposed.has(t.schema)) return zodConstName(t);
      return `z.enum([${t.enumLabels.map(str).join(', ')}])`;
    case 'composite':
      if (m.exposed.has(t.schema)) return zodConstName(t);
      return zodObject(m, t.attributes, side, indent);
    case 'void':
      return 'z.undefined()';
    case 'record':
      return 'z.record(z.string(), z.unknown())';
    case 'any':
      return 'z.unknown()';
    case 'boolean':
      return 'z.boolean()';
    case 'integer':
      // int8: JSON numbers, so a bigint beyond ±2^53 cannot arrive exactly: it fails loudly instead
      return j.bits === 16 ? 'z.int().min(-32768).max(32767)' : j.bits === 32 ? 'z.int32()' : 'z.int()';
    case 'number':
      return 'z.number()';
    case 'json':
      return 'json';
    case 'string':
      switch (j.format) {
        case 'uuid':
          return 'z.guid()';
        case 'date':
          return 'z.iso.date()';
        case 'date-time':
          return side === 'result' ? 'z.iso.datetime({ offset: true })' : 'z.iso.datetime({ offset: true, local: true })';
        case 'local-date-time':
          return 'z.iso.datetime({ local: true })';
        case 'local-time':
          return 'z.iso.time()';
        default:
          return 'z.string()';
      }
  }
}

/** A composite's (or OUT/TABLE columns') object schema: fields required but nullable; unknown keys rejected. */
export function zodObject(m: Model, cols: { name: string; typeOid: number }[], side: Side, indent: string): string {
  if (cols.length === 0) return 'z.strictObject({})';
  const inner = cols.map((c) => `${indent}  ${prop(c.name)}: ${zodType(m, c.typeOid, side, `${indent}  `)}.nullable(),`).join('\n');
  return `z.strictObject({\n${inner}\n${indent}})`;
}
