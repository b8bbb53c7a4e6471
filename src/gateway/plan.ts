// Compiles a resolved call plus the result-shaping parameters into ONE SQL statement over the call:
// WITH pgrst_source AS (call) SELECT total, page_total, body, response.headers, response.status
// FROM (SELECT <select> FROM pgrst_source WHERE … ORDER BY … LIMIT … OFFSET …) _postgrest_t.
// Identifiers come from the catalog (quoted); request values are escaped literals.
import { ApiError } from './errors.ts';
import { ident, literal, qualified } from './sqltext.ts';
import type { CallableParam, Routine } from './cache.ts';
import type { Condition, Field, Media, OpExpr, OrderTerm, SelectItem } from './query.ts';
import { resolveDomain, type PgType } from '../catalog/introspect.ts';
import { topLevelMembers } from './jsonraw.ts';

export type CallArgs =
  | { kind: 'json'; raw: string; array: boolean; keys: string[] }
  | { kind: 'text'; values: Map<string, string[]> }
  | { kind: 'raw'; text?: string; bytes?: Buffer }
  | { kind: 'none' };

export interface Shape {
  select?: SelectItem[];
  order?: OrderTerm[];
  conditions: Condition[];
  offset: number;
  limit: number | null;
  count: boolean;
  media: Media;
}

const SOURCE = 'pgrst_source';

/** The call expression and, for JSON bodies, the FROM item that holds the decoded arguments. */
export function callSql(r: Routine, args: CallArgs, types: Map<number, PgType>): { call: string; from: string | null } {
  const fn = qualified(r.schema, r.name);
  if (args.kind === 'raw') {
    const p = r.params[0]!;
    const v = args.bytes ? `pg_catalog.decode(${literal(args.bytes.toString('hex'))}, 'hex')` : `${literal(args.text ?? '')}::${p.type}`;
    return { call: `${fn}(${v})`, from: null };
  }
  if (args.kind === 'none') return { call: `${fn}()`, from: null };
  if (args.kind === 'json') {
    if (r.unnamedType) {
      // the whole body goes to the single unnamed json/jsonb parameter
      return { call: `${fn}(${literal(args.raw)}::${r.params[0]!.type})`, from: null };
    }
    const byName = new Map(r.params.map((p) => [p.name, p]));
    const used = args.keys.map((k) => byName.get(k)!).filter(Boolean);
    if (used.length === 0) return { call: `${fn}()`, from: null };
    // Scalar JSON values (and any JSON value for a json/jsonb parameter) become literals cast to the
    // parameter type: what json_to_record would hand the type's input function, minus a join to plan.
    // Arrays and objects for other types need json_to_record's conversion.
    const raw = topLevelMembers(args.raw, args.array);
    const direct: string[] = [];
    for (const p of used) {
      const v = raw.get(p.name);
      const jsonType = isJsonType(p, types);
      let expr: string | null;
      if (v === undefined || v === 'null') expr = `NULL::${p.type}`;
      else if (jsonType) expr = `${literal(v)}::${p.type}`;
      else if (v[0] === '"') expr = `${literal(JSON.parse(v) as string)}::${p.type}`;
      else if (v[0] === '{' || v[0] === '[') expr = null;
      else expr = `${literal(v)}::${p.type}`;
      if (expr === null) {
        direct.length = 0;
        break;
      }
      direct.push(`${p.variadic ? 'VARIADIC ' : ''}${ident(p.name)} := ${expr}`);
    }
    if (direct.length === used.length) return { call: `${fn}(${direct.join(', ')})`, from: null };
    const record = used.map((p) => `${ident(p.name)} ${p.type}`).join(', ');
    const src = args.array ? `(${literal(args.raw)}::json)->0` : `${literal(args.raw)}::json`;
    const named = used.map((p) => `${p.variadic ? 'VARIADIC ' : ''}${ident(p.name)} := pgrst_args.${ident(p.name)}`).join(', ');
    return { call: `${fn}(${named})`, from: `pg_catalog.json_to_record(${src}) AS pgrst_args(${record})` };
  }
  // text values (GET query string, form bodies): untyped literals cast to the parameter type
  const parts: string[] = [];
  for (const p of r.params) {
    const vals = args.values.get(p.name);
    if (!vals || vals.length === 0) continue;
    parts.push(textArg(p, vals, types));
  }
  return { call: `${fn}(${parts.join(', ')})`, from: null };
}

function isJsonType(p: CallableParam, types: Map<number, PgType>): boolean {
  const t = resolveDomain(types, p.typeOid);
  return !!t && t.schema === 'pg_catalog' && (t.name === 'json' || t.name === 'jsonb');
}

function textArg(p: CallableParam, vals: string[], types: Map<number, PgType>): string {
  if (p.variadic) {
    const elem = types.get(p.typeOid)?.elemOid;
    const elemType = elem != null ? types.get(elem)?.formatted : undefined;
    const items = vals.map((v) => (elemType ? `${literal(v)}::${elemType}` : literal(v))).join(', ');
    return `VARIADIC ${ident(p.name)} := ARRAY[${items}]::${p.type}`;
  }
  return `${ident(p.name)} := ${literal(vals[vals.length - 1]!)}::${p.type}`;
}

const CASTS = new Set([
  'text', 'varchar', 'char', 'character varying', 'int', 'int2', 'int4', 'int8', 'integer', 'smallint', 'bigint',
  'numeric', 'decimal', 'real', 'float', 'float4', 'float8', 'double precision', 'boolean', 'bool', 'json', 'jsonb',
  'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'uuid', 'money', 'inet', 'cidr', 'bytea',
]);

export class Planner {
  private readonly columns: Set<string>;
  constructor(private readonly r: Routine) {
    this.columns = new Set(r.columns.map((c) => c.name));
  }

  private unknown(name: string): ApiError {
    return new ApiError(400, '42703', `column ${this.r.name}.${name} does not exist`);
  }

  field(f: Field): string {
    if (this.r.kind !== 'composite') throw this.unknown(f.name);
    if (!this.columns.has(f.name)) throw this.unknown(f.name);
    let s = `${SOURCE}.${ident(f.name)}`;
    for (const step of f.path) s += step.arrow + (typeof step.key === 'number' ? String(step.key) : literal(step.key));
    return s;
  }

  selectList(items: SelectItem[] | undefined): { sql: string; names: string[] } {
    if (this.r.kind !== 'composite') return { sql: `${SOURCE}.pgrst_scalar`, names: ['pgrst_scalar'] };
    const all = this.r.columns.map((c) => c.name);
    if (!items || items.length === 0) return { sql: `${SOURCE}.*`, names: all };
    const parts: string[] = [];
    const names: string[] = [];
    for (const it of items) {
      if (it.star) {
        parts.push(`${SOURCE}.*`);
        names.push(...all);
        continue;
      }
      let expr = this.field(it.field);
      if (it.cast) {
        const t = it.cast.toLowerCase().replace(/\s+/g, ' ');
        const base = t.endsWith('[]') ? t.slice(0, -2) : t;
        if (!CASTS.has(base)) throw new ApiError(400, '42704', `type "${it.cast}" does not exist`);
        expr = `(${expr})::${t}`;
      }
      const last = it.field.path[it.field.path.length - 1];
      const name = it.alias ?? (last ? String(last.key) : it.field.name);
      parts.push(`${expr} AS ${ident(name)}`);
      names.push(name);
    }
    return { sql: parts.join(', '), names };
  }

  condition(c: Condition): string {
    if (c.kind === 'logic') {
      const inner = c.children.map((x) => this.condition(x)).join(c.op === 'and' ? ' AND ' : ' OR ');
      const s = `(${inner || (c.op === 'and' ? 'true' : 'false')})`;
      return c.negated ? `NOT ${s}` : s;
    }
    const s = opSql(this.field(c.field), c.expr);
    return c.expr.negated ? `NOT (${s})` : s;
  }

  orderBy(terms: OrderTerm[]): string {
    return terms.map((t) => {
      let s = this.field(t.field);
      if (t.dir) s += t.dir === 'asc' ? ' ASC' : ' DESC';
      if (t.nulls) s += t.nulls === 'nullsfirst' ? ' NULLS FIRST' : ' NULLS LAST';
      return s;
    }).join(', ');
  }

  /**
   * The main statement. Without a count the call is planned as a plain FROM item (no CTE), and without
   * any shaping the aggregates run straight over it: the cheapest statement to parse and plan.
   */
  statement(call: { call: string; from: string | null }, shape: Shape): string {
    const r = this.r;
    const lateral = call.from ? `${call.from}, LATERAL ` : '';
    // the call as a FROM item named pgrst_source; scalar results get the column pgrst_scalar
    const fromItem = r.kind === 'composite'
      ? `${lateral}${call.call} ${SOURCE}`
      : `${lateral}${call.call} AS ${SOURCE}(pgrst_scalar)`;
    const sel = this.selectList(shape.select);
    const where = shape.conditions.length ? ` WHERE ${shape.conditions.map((c) => this.condition(c)).join(' AND ')}` : '';
    const order = shape.order && shape.order.length ? ` ORDER BY ${this.orderBy(shape.order)}` : '';
    const limit = shape.limit !== null ? ` LIMIT ${shape.limit}` : '';
    const offset = shape.offset > 0 ? ` OFFSET ${shape.offset}` : '';
    // (a single OUT/TABLE column makes the scan's whole-row value a bare scalar: those take the subquery)
    const plain = !(r.kind === 'composite' && r.fn.outputs.length === 1) && !shape.count && !shape.select?.length && !where && !order && !limit && !offset && shape.media.kind !== 'csv';

    // rows are aggregated from `t`: the function scan itself (plain) or the shaped subquery
    const t = plain ? SOURCE : '_postgrest_t';
    const single = !r.returnsSet || shape.media.kind === 'singular';
    let body: string;
    if (r.kind === 'void') body = 'NULL::text';
    else if (shape.media.kind === 'csv') {
      body = `CASE WHEN pg_catalog.count(${t}) = 0 THEN '' ELSE ${literal(sel.names.join(','))} END || E'\\n' || ` +
        `coalesce(pg_catalog.string_agg(pg_catalog.substr(${t}::text, 2, pg_catalog.length(${t}::text) - 2), E'\\n'), '')`;
    } else {
      let elem: string;
      if (r.kind === 'composite') elem = shape.media.stripNulls ? `pg_catalog.json_strip_nulls(pg_catalog.row_to_json(${t}))` : t;
      else elem = `${t}.pgrst_scalar`;
      body = single
        ? `coalesce(pg_catalog.json_agg(${elem})->0, 'null')::text`
        : `coalesce(pg_catalog.json_agg(${elem}), '[]')::text`;
    }
    const tail = `nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, ` +
      `nullif(pg_catalog.current_setting('response.status', true), '') AS response_status`;
    if (plain) {
      return `SELECT NULL::bigint AS total, pg_catalog.count(*) AS page_total, ${body} AS body, ${tail} FROM ${fromItem}`;
    }
    if (!shape.count) {
      const inner = `SELECT ${sel.sql} FROM ${fromItem}${where}${order}${limit}${offset}`;
      return `SELECT NULL::bigint AS total, pg_catalog.count(_postgrest_t) AS page_total, ${body} AS body, ${tail} FROM (${inner}) _postgrest_t`;
    }
    // a count needs the call's rows twice: a CTE runs the call once
    const source = r.kind === 'composite'
      ? `SELECT ${SOURCE}.* FROM ${fromItem}`
      : `SELECT ${SOURCE}.pgrst_scalar FROM ${fromItem}`;
    const inner = `SELECT ${sel.sql} FROM ${SOURCE}${where}${order}${limit}${offset}`;
    const total = `(SELECT pg_catalog.count(*) FROM ${SOURCE}${where})`;
    return `WITH ${SOURCE} AS (${source}) SELECT ${total} AS total, pg_catalog.count(_postgrest_t) AS page_total, ${body} AS body, ${tail} FROM (${inner}) _postgrest_t`;
  }
}

const SIMPLE_OPS: Record<string, string> = {
  eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'LIKE', ilike: 'ILIKE', match: '~', imatch: '~*',
  cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxr: '&<', nxl: '&>', adj: '-|-', isdistinct: 'IS DISTINCT FROM',
};

function opSql(col: string, e: OpExpr): string {
  const likeValue = (v: string) => (e.op === 'like' || e.op === 'ilike' ? v.replace(/\*/g, '%') : v);
  switch (e.op) {
    case 'in':
      return e.list!.length ? `${col} IN (${e.list!.map(literal).join(', ')})` : 'false';
    case 'is': {
      const v = e.value.toLowerCase();
      return v === 'null' ? `${col} IS NULL` : v === 'not_null' ? `${col} IS NOT NULL` : `${col} IS ${v.toUpperCase()}`;
    }
    case 'fts':
    case 'plfts':
    case 'phfts':
    case 'wfts': {
      const fnName = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' }[e.op];
      const lang = e.lang ? `${literal(e.lang)}::regconfig, ` : '';
      return `${col} @@ pg_catalog.${fnName}(${lang}${literal(e.value)})`;
    }
    default: {
      const op = SIMPLE_OPS[e.op]!;
      if (e.quant) {
        const arr = '{' + e.list!.map((x) => '"' + likeValue(x).replace(/(["\\])/g, '\\$1') + '"').join(',') + '}';
        return `${col} ${op} ${e.quant.toUpperCase()}(${literal(arr)})`;
      }
      if (e.op === 'ov' && /^\(.*\)$/s.test(e.value)) {
        // ov.(a,b) is the array form of the list syntax
        return `${col} && ${literal('{' + e.value.slice(1, -1) + '}')}`;
      }
      return `${col} ${op} ${literal(likeValue(e.value))}`;
    }
  }
}
