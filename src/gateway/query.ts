// Compiles a resolved call plus the result-shaping parameters into ONE SQL statement over the call:
// WITH pgrst_source AS (call) SELECT total, page_total, body, response.headers, response.status
// FROM (SELECT <select> FROM pgrst_source WHERE … ORDER BY … LIMIT … OFFSET …) _postgrest_t.
// The text holds only catalog identifiers (quoted), a fixed vocabulary and `$n` placeholders; every value
// from the request is a bound parameter (declared text, cast in SQL to the type the catalog names). The
// same shape of request always gives the same text, so a prepared statement is reused.
import { ApiError } from './errors.ts';
import { arrayLiteral, ident, Params, qualified } from './sqltext.ts';
import type { Routine } from './cache.ts';
import type { CallPlan, Shape } from './plan.ts';
import type { CallArgs } from './request-body.ts';
import type { Condition, OpExpr } from './filters.ts';
import type { Field } from './query-fields.ts';
import type { OrderTerm, SelectItem } from './query-string.ts';
import { resolveDomain, type PgType } from '../catalog/introspect.ts';
import { holdsJson, isJson } from '../catalog/pg-types.ts';
import { checkJsonDepth, topLevelMembers } from './jsonraw.ts';

/** The main statement: text, its parameter values, and result keys to rename (generated alias → requested name). */
export interface MainStatement {
  text: string;
  params: (string | null)[];
  rename: Map<string, string> | null;
}

const SOURCE = 'pgrst_source';

/** The plan's main statement: the call, shaped. */
export function mainStatement(plan: CallPlan, types: Map<number, PgType>, maxJsonDepth: number): MainStatement {
  const values = new Params();
  const call = callSql(plan.routine, plan.args, types, values);
  return new QueryBuilder(plan.routine, types, maxJsonDepth).statement(call, plan.shape, values);
}

/** The call expression and, for JSON bodies, the FROM item that holds the decoded arguments. */
export function callSql(r: Routine, args: CallArgs, types: Map<number, PgType>, p: Params): { call: string; from: string | null } {
  const fn = qualified(r.schema, r.name);
  if (args.kind === 'raw') {
    const p0 = r.params[0]!;
    const v = args.bytes ? `pg_catalog.decode(${p.add(args.bytes.toString('hex'))}, 'hex')` : `${p.add(args.text ?? '')}::${p0.type}`;
    return { call: `${fn}(${v})`, from: null };
  }
  if (args.kind === 'none') return { call: `${fn}()`, from: null };
  if (args.kind === 'json') {
    if (r.unnamedType) {
      // the whole body goes to the single unnamed json/jsonb parameter
      return { call: `${fn}(${p.add(args.raw)}::${r.params[0]!.type})`, from: null };
    }
    const byName = new Map(r.params.map((x) => [x.name, x]));
    const used = args.keys.map((k) => byName.get(k)!).filter(Boolean);
    if (used.length === 0) return { call: `${fn}()`, from: null };
    // Scalar JSON values (and any JSON value for a json/jsonb parameter) are passed as text and cast to
    // the parameter type: what json_to_record would hand the type's input function, minus a join to plan.
    // Arrays and objects for other types need json_to_record's conversion.
    const raw = topLevelMembers(args.raw, args.array);
    const values: (string | null)[] = [];
    let direct = true;
    for (const x of used) {
      const v = raw.get(x.name);
      if (v === undefined || v === 'null') values.push(null);
      else if (isJson(types, x.typeOid)) values.push(v);
      else if (v[0] === '"') values.push(JSON.parse(v) as string);
      else if (v[0] === '{' || v[0] === '[') {
        direct = false;
        break;
      } else values.push(v);
    }
    if (direct) {
      const named = used.map((x, i) => `${x.variadic ? 'VARIADIC ' : ''}${ident(x.name)} := ${p.add(values[i]!)}::${x.type}`);
      return { call: `${fn}(${named.join(', ')})`, from: null };
    }
    const record = used.map((x) => `${ident(x.name)} ${x.type}`).join(', ');
    const body = `${p.add(args.raw)}::json`;
    const src = args.array ? `(${body})->0` : body;
    const named = used.map((x) => `${x.variadic ? 'VARIADIC ' : ''}${ident(x.name)} := pgrst_args.${ident(x.name)}`).join(', ');
    return { call: `${fn}(${named})`, from: `pg_catalog.json_to_record(${src}) AS pgrst_args(${record})` };
  }
  // text values (GET query string, form bodies): text parameters cast to the parameter type
  const parts: string[] = [];
  for (const x of r.params) {
    const vals = args.values.get(x.name);
    if (!vals || vals.length === 0) continue;
    if (x.variadic) {
      // every value becomes an element: one array-literal parameter cast to the variadic array type
      parts.push(`VARIADIC ${ident(x.name)} := ${p.add(arrayLiteral(vals))}::${x.type}`);
    } else {
      parts.push(`${ident(x.name)} := ${p.add(vals[vals.length - 1]!)}::${x.type}`); // last value wins
    }
  }
  return { call: `${fn}(${parts.join(', ')})`, from: null };
}

const CASTS = new Set([
  'text', 'varchar', 'char', 'character varying', 'int', 'int2', 'int4', 'int8', 'integer', 'smallint', 'bigint',
  'numeric', 'decimal', 'real', 'float', 'float4', 'float8', 'double precision', 'boolean', 'bool', 'json', 'jsonb',
  'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval', 'uuid', 'money', 'inet', 'cidr', 'bytea',
]);

/** The SQL type a filter value is cast to, and whether that type is an array type. */
interface ValueType {
  type: string;
  array: boolean;
  /** Postgres parses the value as JSON (json, jsonb, arrays of them) */
  json: boolean;
}

const TEXT: ValueType = { type: 'text', array: false, json: false };

export class QueryBuilder {
  private readonly columns: Map<string, number>;
  constructor(private readonly r: Routine, private readonly types: Map<number, PgType>, private readonly maxJsonDepth = 64) {
    this.columns = new Map(r.columns.map((c) => [c.name, c.typeOid]));
  }

  private unknown(name: string): ApiError {
    return new ApiError(400, '42703', `column ${this.r.name}.${name} does not exist`);
  }

  /** The column (a catalog name, quoted) and its JSON path (keys and indexes are parameters). */
  field(f: Field, p: Params): string {
    if (this.r.kind !== 'composite') throw this.unknown(f.name);
    if (!this.columns.has(f.name)) throw this.unknown(f.name);
    let s = `${SOURCE}.${ident(f.name)}`;
    if (f.path.length === 0) return s;
    for (const step of f.path) s += ` ${step.arrow} ${typeof step.key === 'number' ? `${p.add(String(step.key))}::integer` : p.add(step.key)}`;
    return `(${s})`;
  }

  /**
   * The type a value compared with this field is cast to: the column's type from the catalog (a domain's
   * base type, as an untyped literal would be resolved), text after `->>`, json/jsonb after `->`.
   */
  valueType(f: Field): ValueType {
    const base = resolveDomain(this.types, this.columns.get(f.name)!);
    if (f.path.length > 0) {
      const last = f.path[f.path.length - 1]!;
      if (last.arrow === '->' && base && base.schema === 'pg_catalog' && (base.name === 'json' || base.name === 'jsonb')) {
        return { type: base.formatted, array: false, json: true };
      }
      return TEXT;
    }
    if (!base) return TEXT;
    return { type: base.formatted, array: base.elemOid != null, json: holdsJson(this.types, base.oid) };
  }

  /**
   * The select list. Output names that are not catalog column names (aliases, JSON path keys) never
   * become SQL identifiers: such a column gets a generated name and `rename` maps it back, applied to
   * the JSON body by the gateway (renameRowKeys).
   */
  selectList(items: SelectItem[] | undefined, p: Params): { sql: string; names: string[]; rename: Map<string, string> | null } {
    if (this.r.kind !== 'composite') return { sql: `${SOURCE}.pgrst_scalar`, names: ['pgrst_scalar'], rename: null };
    const all = this.r.columns.map((c) => c.name);
    if (!items || items.length === 0) return { sql: `${SOURCE}.*`, names: all, rename: null };
    const parts: string[] = [];
    const names: string[] = [];
    let rename: Map<string, string> | null = null;
    let n = 0;
    for (const it of items) {
      if (it.star) {
        parts.push(`${SOURCE}.*`);
        names.push(...all);
        continue;
      }
      let expr = this.field(it.field, p);
      if (it.cast) {
        const t = it.cast.toLowerCase().replace(/\s+/g, ' ');
        const array = t.endsWith('[]');
        const base = array ? t.slice(0, -2) : t;
        // only names from the fixed list reach the text
        if (!CASTS.has(base)) throw new ApiError(400, '42704', `type "${it.cast}" does not exist`);
        expr = `(${expr})::${base}${array ? '[]' : ''}`;
      }
      const last = it.field.path[it.field.path.length - 1];
      const name = it.alias ?? (last ? String(last.key) : it.field.name);
      let sqlName = name;
      if (!this.columns.has(name)) {
        do sqlName = `pgrst_${++n}`;
        while (this.columns.has(sqlName));
        (rename ??= new Map()).set(sqlName, name);
      }
      parts.push(`${expr} AS ${ident(sqlName)}`);
      names.push(name);
    }
    return { sql: parts.join(', '), names, rename };
  }

  condition(c: Condition, p: Params): string {
    if (c.kind === 'logic') {
      const inner = c.children.map((x) => this.condition(x, p)).join(c.op === 'and' ? ' AND ' : ' OR ');
      const s = `(${inner || (c.op === 'and' ? 'true' : 'false')})`;
      return c.negated ? `NOT ${s}` : s;
    }
    const vt = this.valueType(c.field);
    if (vt.json && !PATTERN_OPS.has(c.expr.op)) {
      // Postgres' JSON parser recurses: refuse what would exhaust its stack (54001) before sending it
      for (const v of c.expr.list ?? [c.expr.value]) checkJsonDepth(v, this.maxJsonDepth, `filter on ${c.field.name}`);
    }
    const s = opSql(this.field(c.field, p), vt, c.expr, p);
    return c.expr.negated ? `NOT (${s})` : s;
  }

  orderBy(terms: OrderTerm[], p: Params): string {
    return terms.map((t) => {
      let s = this.field(t.field, p);
      if (t.dir) s += t.dir === 'asc' ? ' ASC' : ' DESC';
      if (t.nulls) s += t.nulls === 'nullsfirst' ? ' NULLS FIRST' : ' NULLS LAST';
      return s;
    }).join(', ');
  }

  /**
   * The main statement. Without a count the call is planned as a plain FROM item (no CTE), and without
   * any shaping the aggregates run straight over it: the cheapest statement to parse and plan.
   * `p` already holds the call's parameters (callSql).
   */
  statement(call: { call: string; from: string | null }, shape: Shape, p: Params): MainStatement {
    const r = this.r;
    const lateral = call.from ? `${call.from}, LATERAL ` : '';
    // the call as a FROM item named pgrst_source; scalar results get the column pgrst_scalar
    const fromItem = r.kind === 'composite'
      ? `${lateral}${call.call} ${SOURCE}`
      : `${lateral}${call.call} AS ${SOURCE}(pgrst_scalar)`;
    const sel = this.selectList(shape.select, p);
    const where = shape.conditions.length ? ` WHERE ${shape.conditions.map((c) => this.condition(c, p)).join(' AND ')}` : '';
    const order = shape.order && shape.order.length ? ` ORDER BY ${this.orderBy(shape.order, p)}` : '';
    const limit = shape.limit !== null ? ` LIMIT ${p.add(String(shape.limit))}::bigint` : '';
    const offset = shape.offset > 0 ? ` OFFSET ${p.add(String(shape.offset))}::bigint` : '';
    // (a single OUT/TABLE column makes the scan's whole-row value a bare scalar: those take the subquery)
    const plain = !(r.kind === 'composite' && r.fn.outputs.length === 1) && !shape.count && !shape.select?.length && !where && !order && !limit && !offset && shape.media.kind !== 'csv';

    // rows are aggregated from `t`: the function scan itself (plain) or the shaped subquery
    const t = plain ? SOURCE : '_postgrest_t';
    const single = !r.returnsSet || shape.media.kind === 'singular';
    let body: string;
    if (r.kind === 'void') body = 'NULL::text';
    else if (shape.media.kind === 'csv') {
      body = `CASE WHEN pg_catalog.count(${t}) = 0 THEN '' ELSE ${p.add(sel.names.join(','))} END || E'\\n' || ` +
        `coalesce(pg_catalog.string_agg(pg_catalog.substr(${t}::text, 2, pg_catalog.length(${t}::text) - 2), E'\\n'), '')`;
    } else {
      let elem: string;
      if (r.kind === 'composite') elem = shape.media.stripNulls ? `pg_catalog.json_strip_nulls(pg_catalog.row_to_json(${t}))` : t;
      else elem = `${t}.pgrst_scalar`;
      body = single
        ? `coalesce(pg_catalog.json_agg(${elem})->0, 'null')::text`
        : `coalesce(pg_catalog.json_agg(${elem}), '[]')::text`;
    }
    const rename = shape.media.kind === 'csv' ? null : sel.rename;
    const tail = `nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, ` +
      `nullif(pg_catalog.current_setting('response.status', true), '') AS response_status`;
    let text: string;
    if (plain) {
      text = `SELECT NULL::bigint AS total, pg_catalog.count(*) AS page_total, ${body} AS body, ${tail} FROM ${fromItem}`;
    } else if (!shape.count) {
      const inner = `SELECT ${sel.sql} FROM ${fromItem}${where}${order}${limit}${offset}`;
      text = `SELECT NULL::bigint AS total, pg_catalog.count(_postgrest_t) AS page_total, ${body} AS body, ${tail} FROM (${inner}) _postgrest_t`;
    } else {
      // a count needs the call's rows twice: a CTE runs the call once
      const source = r.kind === 'composite'
        ? `SELECT ${SOURCE}.* FROM ${fromItem}`
        : `SELECT ${SOURCE}.pgrst_scalar FROM ${fromItem}`;
      const inner = `SELECT ${sel.sql} FROM ${SOURCE}${where}${order}${limit}${offset}`;
      const total = `(SELECT pg_catalog.count(*) FROM ${SOURCE}${where})`;
      text = `WITH ${SOURCE} AS (${source}) SELECT ${total} AS total, pg_catalog.count(_postgrest_t) AS page_total, ${body} AS body, ${tail} FROM (${inner}) _postgrest_t`;
    }
    return { text, params: p.values, rename };
  }
}

const SIMPLE_OPS: Record<string, string> = {
  eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'LIKE', ilike: 'ILIKE', match: '~', imatch: '~*',
  cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxr: '&<', nxl: '&>', adj: '-|-', isdistinct: 'IS DISTINCT FROM',
};

/** Pattern operators take a text pattern whatever the column's type. */
const PATTERN_OPS = new Set(['like', 'ilike', 'match', 'imatch']);

function opSql(col: string, vt: ValueType, e: OpExpr, p: Params): string {
  const likeValue = (v: string) => (e.op === 'like' || e.op === 'ilike' ? v.replace(/\*/g, '%') : v);
  const t = PATTERN_OPS.has(e.op) ? TEXT : vt;
  switch (e.op) {
    case 'in':
      if (e.list!.length === 0) return 'false';
      // one array parameter (a stable text whatever the list's length); a list of arrays needs one parameter each
      if (!t.array) return `${col} = ANY(${p.add(arrayLiteral(e.list!))}::${t.type}[])`;
      return `${col} IN (${e.list!.map((v) => `${p.add(v)}::${t.type}`).join(', ')})`;
    case 'is': {
      const v = e.value.toLowerCase();
      return v === 'null' ? `${col} IS NULL` : v === 'not_null' ? `${col} IS NOT NULL`
        : v === 'true' ? `${col} IS TRUE` : v === 'false' ? `${col} IS FALSE` : `${col} IS UNKNOWN`;
    }
    case 'fts':
    case 'plfts':
    case 'phfts':
    case 'wfts': {
      const fnName = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' }[e.op];
      const lang = e.lang ? `${p.add(e.lang)}::regconfig, ` : '';
      return `${col} @@ pg_catalog.${fnName}(${lang}${p.add(e.value)})`;
    }
    default: {
      const op = SIMPLE_OPS[e.op]!;
      if (e.quant) {
        return `${col} ${op} ${e.quant === 'any' ? 'ANY' : 'ALL'}(${p.add(arrayLiteral(e.list!.map(likeValue)))}::${t.type}[])`;
      }
      if (e.op === 'ov' && /^\(.*\)$/s.test(e.value)) {
        // ov.(a,b) is the array form of the list syntax
        return `${col} && ${p.add('{' + e.value.slice(1, -1) + '}')}::${t.type}`;
      }
      return `${col} ${op} ${p.add(likeValue(e.value))}::${t.type}`;
    }
  }
}
