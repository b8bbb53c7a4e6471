// The filter grammar: `[not.]op[(any|all|lang)].value` operator expressions, `in` lists and the
// and/or logic trees. Parsing only; query.ts turns conditions into SQL with bound values.
import { pgrst } from './errors.ts';
import { Fail, field, parseFail, type Field } from './query-fields.ts';

export type Operator =
  | 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'match' | 'imatch' | 'in' | 'is'
  | 'isdistinct' | 'fts' | 'plfts' | 'phfts' | 'wfts' | 'cs' | 'cd' | 'ov' | 'sl' | 'sr' | 'nxr' | 'nxl' | 'adj';

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
