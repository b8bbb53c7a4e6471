// The query string of a call, parsed PostgREST's way: arguments, select, order, filters (filters.ts),
// limit/offset, columns. Parsing only: names are checked against the result's columns when SQL is built (query.ts).
import { pgrst } from './errors.ts';
import { isOperatorValue, parseFieldText, parseLogic, parseOpExpr, type Condition } from './filters.ts';
import { Fail, field, ident, parseFail, type Field } from './query-fields.ts';

export interface SelectItem {
  star?: boolean;
  field: Field;
  alias?: string;
  cast?: string;
}

export interface OrderTerm {
  field: Field;
  dir?: 'asc' | 'desc';
  nulls?: 'nullsfirst' | 'nullslast';
}

export function parseSelect(input: string): SelectItem[] {
  try {
    const items: SelectItem[] = [];
    const p = { i: 0 };
    const s = input;
    for (;;) {
      if (s[p.i] === '*') {
        p.i++;
        items.push({ star: true, field: { name: '*', path: [] } });
      } else {
        let alias: string | undefined;
        const save = p.i;
        const first = ident(s, p);
        if (s[p.i] === ':' && s[p.i + 1] !== ':') {
          alias = first;
          p.i++;
        } else {
          p.i = save;
        }
        const f = field(s, p);
        if (s[p.i] === '(' || s[p.i] === '!') {
          throw new Fail(p.i, 'embedding is not supported on function results');
        }
        let cast: string | undefined;
        if (s.startsWith('::', p.i)) {
          p.i += 2;
          const m = /^[A-Za-z_][A-Za-z0-9_ ]*(\[\])?/.exec(s.slice(p.i));
          if (!m) throw new Fail(p.i, 'expecting a type name');
          cast = m[0].trim();
          p.i += m[0].length;
        }
        items.push({ field: f, alias, cast });
      }
      if (p.i >= s.length) break;
      if (s[p.i] !== ',') throw new Fail(p.i, `unexpected "${s[p.i]}" expecting "," or end of input`);
      p.i++;
      if (p.i >= s.length) break; // trailing comma tolerated
    }
    return items;
  } catch (e) {
    return parseFail('select parameter', input, e);
  }
}

export function parseOrder(input: string): OrderTerm[] {
  try {
    const terms: OrderTerm[] = [];
    const p = { i: 0 };
    const s = input;
    for (;;) {
      const f = field(s, p);
      const t: OrderTerm = { field: f };
      while (s[p.i] === '.') {
        const m = /^\.(asc|desc|nullsfirst|nullslast)(?=$|[.,])/.exec(s.slice(p.i));
        if (!m) throw new Fail(p.i + 1, `unexpected "${s[p.i + 1] ?? ''}" expecting "asc", "desc", "nullsfirst" or "nullslast"`);
        if (m[1] === 'asc' || m[1] === 'desc') {
          if (t.dir || t.nulls) throw new Fail(p.i + 1, 'unexpected direction');
          t.dir = m[1];
        } else {
          if (t.nulls) throw new Fail(p.i + 1, 'unexpected nulls option');
          t.nulls = m[1] as OrderTerm['nulls'];
        }
        p.i += m[0].length;
      }
      terms.push(t);
      if (p.i >= s.length) break;
      if (s[p.i] !== ',') throw new Fail(p.i, `unexpected "${s[p.i]}" expecting "," or end of input`);
      p.i++;
    }
    return terms;
  } catch (e) {
    return parseFail('order', input, e);
  }
}

/** An RPC call's query string, split into its parts. */
export interface QueryParams {
  /** argument values by name (GET, HEAD, OPTIONS; a repeated key keeps every value) */
  args: Map<string, string[]>;
  conditions: Condition[];
  select?: SelectItem[];
  order?: OrderTerm[];
  limit: number | null;
  offset: number;
  /** `columns=`: the body keys that are arguments */
  columns?: string[];
}

const RESERVED = new Set(['select', 'columns', 'on_conflict', 'order', 'limit', 'offset', 'and', 'or', 'not.and', 'not.or']);

/** `isPost`: every key that is not a known parameter must be a filter (no arguments in a POST query string). */
export function parseQueryParams(qs: string, isPost: boolean): QueryParams {
  const args = new Map<string, string[]>();
  const conditions: Condition[] = [];
  let select: string | undefined;
  let order: string | undefined;
  let limit: number | null = null;
  let offset = 0;
  let columns: string[] | undefined;
  for (const [k, v] of new URLSearchParams(qs)) {
    if (k === 'select') select = v;
    else if (k === 'order') order = v;
    else if (k === 'limit') limit = parseLimit(v, 'limit');
    else if (k === 'offset') {
      offset = parseLimit(v, 'offset')!;
      if (offset < 0) throw pgrst.parse(`"failed to parse offset (${v})" (line 1, column 1)`, 'expecting a non-negative integer');
    }
    else if (k === 'columns') columns = v.split(',').map((x) => x.trim()).filter(Boolean);
    else if (k === 'on_conflict') continue;
    else if (k === 'or' || k === 'and' || k === 'not.or' || k === 'not.and') {
      const neg = k.startsWith('not.');
      conditions.push(parseLogic(neg ? (k.slice(4) as 'and' | 'or') : (k as 'and' | 'or'), neg, v));
    } else if (RESERVED.has(k) || /(?:^|\.)(order|limit|offset|and|or)$/.test(k)) {
      continue; // embedded-resource parameters: nothing to embed in a function result
    } else if (isOperatorValue(v)) {
      conditions.push({ kind: 'filter', field: parseFieldText(k), expr: parseOpExpr(v) });
    } else if (isPost) {
      throw pgrst.parse(`"failed to parse filter (${v})" (line 1, column 1)`, `unexpected "${v[0] ?? ''}" expecting "not" or operator (eq, gt, ...)`);
    } else {
      const list = args.get(k);
      if (list) list.push(v);
      else args.set(k, [v]);
    }
  }
  const parsed: QueryParams = {
    args,
    conditions,
    select: select !== undefined && select !== '' ? parseSelect(select) : undefined,
    order: order !== undefined && order !== '' ? parseOrder(order) : undefined,
    limit,
    offset,
    columns,
  };
  if (limit !== null && limit < 0) throw pgrst.range('Limit should be greater than or equal to zero.');
  return parsed;
}

function parseLimit(v: string, what: string): number | null {
  if (/^-?\d+$/.test(v.trim())) return clampInt(Number(v));
  throw pgrst.parse(`"failed to parse ${what} (${v})" (line 1, column 1)`, 'expecting an integer');
}

/** Limits, offsets and ranges stay safe integers (sent as plain digits: bigint parameters never see an exponent). */
export function clampInt(n: number): number {
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
}
