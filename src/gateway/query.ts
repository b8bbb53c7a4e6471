// The query-string grammar PostgREST applies to results: select, order, filters, logic trees.
// Parsing only: names are checked against the result's columns when SQL is built (plan.ts).
import { pgrst } from './errors.ts';

export type JsonStep = { arrow: '->' | '->>'; key: string | number };

export interface Field {
  name: string;
  path: JsonStep[];
}

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

export type Operator =
  | 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'match' | 'imatch' | 'in' | 'is'
  | 'isdistinct' | 'fts' | 'plfts' | 'phfts' | 'wfts' | 'cs' | 'cd' | 'ov' | 'sl' | 'sr' | 'nxr' | 'nxl' | 'adj';

export const OPERATORS: ReadonlySet<string> = new Set<Operator>([
  'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'in', 'is', 'isdistinct',
  'fts', 'plfts', 'phfts', 'wfts', 'cs', 'cd', 'ov', 'sl', 'sr', 'nxr', 'nxl', 'adj',
]);

export interface OpExpr {
  negated: boolean;
  op: Operator;
  /** `any` / `all` quantifier (eq, neq, gt…, like, ilike, match, imatch) */
  quant?: 'any' | 'all';
  /** text search configuration for fts operators */
  lang?: string;
  /** the raw value (for `in`: the list items) */
  value: string;
  list?: string[];
}

export interface Filter {
  kind: 'filter';
  field: Field;
  expr: OpExpr;
}

export interface Logic {
  kind: 'logic';
  negated: boolean;
  op: 'and' | 'or';
  children: Condition[];
}

export type Condition = Filter | Logic;

class Fail extends Error {
  constructor(readonly col: number, readonly expected: string) {
    super(expected);
  }
}

function parseFail(what: string, input: string, e: unknown): never {
  if (e instanceof Fail) {
    throw pgrst.parse(`"failed to parse ${what} (${input})" (line 1, column ${e.col + 1})`, e.expected);
  }
  throw e;
}

const NAME = /^[^,.:()\->'"*\s]+/u;

/** A field: name or "quoted name", then JSON path steps. `p` is the cursor. */
function field(s: string, p: { i: number }): Field {
  const name = ident(s, p);
  const path: JsonStep[] = [];
  for (;;) {
    const arrow = s.startsWith('->>', p.i) ? '->>' : s.startsWith('->', p.i) ? '->' : null;
    if (!arrow) break;
    p.i += arrow.length;
    const m = /^-?\d+(?![^,.:()\-\s>])/.exec(s.slice(p.i));
    if (m) {
      path.push({ arrow, key: Number(m[0]) });
      p.i += m[0].length;
    } else {
      path.push({ arrow, key: ident(s, p) });
    }
  }
  return { name, path };
}

function ident(s: string, p: { i: number }): string {
  if (s[p.i] === '"') {
    let out = '';
    let i = p.i + 1;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i];
      i++;
    }
    if (i >= s.length) throw new Fail(i, 'unexpected end of input expecting "\\""');
    p.i = i + 1;
    return out;
  }
  const m = NAME.exec(s.slice(p.i));
  if (!m) throw new Fail(p.i, s.length > p.i ? `unexpected "${s[p.i]}" expecting field name (* or [a..z0..9_$])` : 'unexpected end of input expecting field name (* or [a..z0..9_$])');
  p.i += m[0].length;
  return m[0];
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

const OP_RE = /^(not\.)?(eq|neq|gte|gt|lte|lt|like|ilike|match|imatch|in|is|isdistinct|plfts|phfts|wfts|fts|cs|cd|ov|sl|sr|nxr|nxl|adj)(?:\((any|all|[^()]*)\))?\./;

/** Does this query value look like an operator expression (so the key is a filter, not an argument)? */
export function isOperatorValue(v: string): boolean {
  return OP_RE.test(v);
}

/** `[not.]op[(mod)].value` */
export function parseOpExpr(v: string, what = 'filter'): OpExpr {
  const m = OP_RE.exec(v);
  if (!m) throw pgrst.parse(`"failed to parse ${what} (${v})" (line 1, column 1)`, `unexpected "${v[0] ?? ''}" expecting "not" or operator (eq, gt, ...)`);
  const negated = !!m[1];
  const op = m[2] as Operator;
  const mod = m[3];
  const value = v.slice(m[0].length);
  const expr: OpExpr = { negated, op, value };
  if (mod !== undefined) {
    if (mod === 'any' || mod === 'all') {
      if (!['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch'].includes(op)) {
        throw pgrst.parse(`"failed to parse ${what} (${v})" (line 1, column ${m[0].length})`, `unexpected "(" for operator ${op}`);
      }
      expr.quant = mod;
      expr.list = parseList(value, v, what, '{', '}');
    } else if (op === 'fts' || op === 'plfts' || op === 'phfts' || op === 'wfts') {
      expr.lang = mod;
    } else {
      throw pgrst.parse(`"failed to parse ${what} (${v})" (line 1, column ${(m[1]?.length ?? 0) + op.length + 1})`, 'unexpected "("');
    }
  }
  if (op === 'in') expr.list = parseList(value, v, what, '(', ')');
  if (op === 'is' && !['null', 'not_null', 'true', 'false', 'unknown'].includes(value.toLowerCase())) {
    throw pgrst.parse(`"failed to parse ${what} (${v})" (line 1, column ${m[0].length + 1})`,
      'unexpected end of input expecting null or trilean value (unknown, true, false)');
  }
  return expr;
}

/** `(a,"b,c",d)` → ['a', 'b,c', 'd'] */
function parseList(value: string, whole: string, what: string, open: string, close: string): string[] {
  if (value[0] !== open || value[value.length - 1] !== close) {
    throw pgrst.parse(`"failed to parse ${what} (${whole})" (line 1, column ${whole.length - value.length + 1})`, `unexpected "${value[0] ?? ''}" expecting "${open}"`);
  }
  const inner = value.slice(1, -1);
  const out: string[] = [];
  if (inner.trim() === '') return out;
  let i = 0;
  for (;;) {
    let item = '';
    while (inner[i] === ' ') i++;
    if (inner[i] === '"') {
      i++;
      while (i < inner.length && inner[i] !== '"') {
        if (inner[i] === '\\' && i + 1 < inner.length) i++;
        item += inner[i];
        i++;
      }
      i++;
      while (i < inner.length && inner[i] !== ',') i++;
    } else {
      while (i < inner.length && inner[i] !== ',') item += inner[i++];
    }
    out.push(item);
    if (i >= inner.length) break;
    i++;
  }
  return out;
}

export function parseFieldText(key: string): Field {
  try {
    const p = { i: 0 };
    const f = field(key, p);
    if (p.i !== key.length) throw new Fail(p.i, `unexpected "${key[p.i]}"`);
    return f;
  } catch (e) {
    return parseFail('filter', key, e);
  }
}

/** `or=(a.eq.1,and(b.gt.2,c.is.null))`: `op` is the key's operator, `negated` from `not.or`. */
export function parseLogic(op: 'and' | 'or', negated: boolean, input: string): Logic {
  const s = input;
  const p = { i: 0 };
  try {
    if (s[0] !== '(') throw new Fail(0, `unexpected "${s[0] ?? ''}" expecting "("`);
    const children = logicItems(s, p, 1);
    if (p.i !== s.length) throw new Fail(p.i, `unexpected "${s[p.i]}" expecting end of input`);
    return { kind: 'logic', negated, op, children };
  } catch (e) {
    return parseFail('logic tree', input, e);
  }
}

/** How deeply `and(…)`/`or(…)` may nest (an extension: PostgREST has no limit, and a deep tree exhausts a stack). */
export const MAX_LOGIC_DEPTH = 100;

function logicItems(s: string, p: { i: number }, level: number): Condition[] {
  // s[p.i] === '('
  if (level > MAX_LOGIC_DEPTH) throw new Fail(p.i, `logic trees nest at most ${MAX_LOGIC_DEPTH} levels`);
  p.i++;
  const out: Condition[] = [];
  for (;;) {
    out.push(logicItem(s, p, level));
    if (s[p.i] === ',') {
      p.i++;
      continue;
    }
    if (s[p.i] === ')') {
      p.i++;
      return out;
    }
    throw new Fail(p.i, p.i >= s.length ? 'unexpected end of input expecting "," or ")"' : `unexpected "${s[p.i]}" expecting "," or ")"`);
  }
}

function logicItem(s: string, p: { i: number }, level: number): Condition {
  const m = /^(not\.)?(and|or)\(/.exec(s.slice(p.i, p.i + 8));
  if (m) {
    p.i += m[0].length - 1;
    const children = logicItems(s, p, level + 1);
    return { kind: 'logic', negated: !!m[1], op: m[2] as 'and' | 'or', children };
  }
  const f = field(s, p);
  if (s[p.i] !== '.') throw new Fail(p.i, `unexpected "${s[p.i] ?? ''}" expecting "."`);
  p.i++;
  // the operator expression runs to the next top-level ',' or ')' (values may hold quoted or parenthesized parts)
  const start = p.i;
  let depth = 0;
  let inQuote = false;
  while (p.i < s.length) {
    const ch = s[p.i]!;
    if (inQuote) {
      if (ch === '\\') p.i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '(' || ch === '{' || ch === '[') depth++;
    else if (ch === ')' || ch === '}' || ch === ']') {
      if (depth === 0) break;
      depth--;
    } else if (ch === ',' && depth === 0) break;
    p.i++;
  }
  let text = s.slice(start, p.i);
  const expr = (() => {
    try {
      return parseOpExpr(text, 'logic tree');
    } catch {
      throw new Fail(start, `unexpected "${text[0] ?? ''}" expecting "not" or operator (eq, gt, ...)`);
    }
  })();
  // values inside logic trees may be double-quoted to hold reserved characters
  if (!expr.list && /^".*"$/s.test(expr.value)) {
    text = expr.value.slice(1, -1).replace(/\\(.)/g, '$1');
    expr.value = text;
  }
  return { kind: 'filter', field: f, expr };
}

// ---- Prefer ----
export interface Preferences {
  count?: 'exact' | 'planned' | 'estimated';
  tx?: 'commit' | 'rollback';
  handling?: 'strict' | 'lenient';
  timezone?: string;
  maxAffected?: number;
  return?: string;
  resolution?: string;
  missing?: string;
  invalid: string[];
}

export function parsePrefer(headers: string | string[] | undefined): Preferences {
  const prefs: Preferences = { invalid: [] };
  if (headers === undefined) return prefs;
  const all = (Array.isArray(headers) ? headers : [headers]).flatMap((h) => h.split(',')).map((x) => x.trim()).filter(Boolean);
  const seen = new Set<string>();
  for (const item of all) {
    const eq = item.indexOf('=');
    const k = (eq < 0 ? item : item.slice(0, eq)).trim();
    const v = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (seen.has(k)) continue;
    let ok = true;
    switch (k) {
      case 'count':
        if (v === 'exact' || v === 'planned' || v === 'estimated') prefs.count = v;
        else ok = false;
        break;
      case 'tx':
        if (v === 'commit' || v === 'rollback') prefs.tx = v;
        else ok = false;
        break;
      case 'handling':
        if (v === 'strict' || v === 'lenient') prefs.handling = v;
        else ok = false;
        break;
      case 'timezone':
        if (v) prefs.timezone = v;
        else ok = false;
        break;
      case 'max-affected':
        if (/^\d+$/.test(v)) prefs.maxAffected = Number(v);
        else ok = false;
        break;
      case 'return':
        if (v === 'minimal' || v === 'representation' || v === 'headers-only') prefs.return = v;
        else ok = false;
        break;
      case 'resolution':
        if (v === 'merge-duplicates' || v === 'ignore-duplicates') prefs.resolution = v;
        else ok = false;
        break;
      case 'missing':
        if (v === 'default' || v === 'null') prefs.missing = v;
        else ok = false;
        break;
      default:
        ok = false;
    }
    if (ok) seen.add(k);
    else prefs.invalid.push(item);
  }
  return prefs;
}

// ---- Accept ----
export type MediaKind = 'json' | 'singular' | 'csv' | 'openapi';
export interface Media {
  kind: MediaKind;
  stripNulls: boolean;
}

/** Pick the first acceptable media type (q-values honoured); null when none. */
export function negotiate(accept: string | undefined, allowed: MediaKind[]): Media | null {
  if (!accept || accept.trim() === '') return { kind: allowed[0]!, stripNulls: false };
  const items = accept.split(',').map((raw, idx) => {
    const parts = raw.split(';').map((x) => x.trim());
    const type = (parts[0] ?? '').toLowerCase();
    const params: Record<string, string> = {};
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    const q = params.q !== undefined ? Number(params.q) : 1;
    return { type, params, q: Number.isFinite(q) ? q : 0, idx };
  }).filter((x) => x.type && x.q > 0);
  items.sort((a, b) => b.q - a.q || a.idx - b.idx);
  for (const it of items) {
    const strip = it.params.nulls === 'stripped';
    let kind: MediaKind | null = null;
    switch (it.type) {
      case '*/*':
      case 'application/*':
        kind = allowed[0]!;
        break;
      case 'application/json':
        kind = allowed.includes('json') ? 'json' : allowed.includes('openapi') ? 'openapi' : null;
        break;
      case 'application/vnd.pgrst.array+json':
      case 'application/vnd.pgrst.array':
        kind = 'json';
        break;
      case 'application/vnd.pgrst.object+json':
      case 'application/vnd.pgrst.object':
        kind = 'singular';
        break;
      case 'text/csv':
        kind = 'csv';
        break;
      case 'application/openapi+json':
        kind = 'openapi';
        break;
    }
    if (kind && allowed.includes(kind)) return { kind, stripNulls: strip && (kind === 'json' || kind === 'singular') };
  }
  return null;
}
