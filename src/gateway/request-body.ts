// The body of a POST call (PostgREST's payload): JSON (object, array of objects), form fields, the first
// row of a CSV, or a raw text/xml/bytea value for a single unnamed parameter. Values are kept as sent:
// JSON stays text, so Postgres converts it (query.ts) and numbers keep every digit.
import { pgrst } from './errors.ts';
import { checkJsonDepth } from './jsonraw.ts';

/** Strict UTF-8: a malformed byte sequence is refused, never replaced by U+FFFD (one decoder, reused). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The arguments as sent. */
export type CallArgs =
  | { kind: 'json'; raw: string; array: boolean; keys: string[] }
  | { kind: 'text'; values: Map<string, string[]> }
  | { kind: 'raw'; text?: string; bytes?: Buffer }
  | { kind: 'none' };

/** How the body was sent: a POST's content type decides the single-unnamed-parameter fallback (resolve.ts). */
export type BodyKind = 'json' | 'form' | 'text' | 'xml' | 'bytea' | 'none';

export interface Payload {
  args: CallArgs;
  kind: BodyKind;
  /** the argument names sent (body keys, or `columns=`) */
  keys: string[];
}

/** Arguments from the query string (GET, HEAD, OPTIONS): text values, cast by Postgres. */
export function queryPayload(values: Map<string, string[]>): Payload {
  const keys = [...values.keys()];
  return { args: keys.length ? { kind: 'text', values } : { kind: 'none' }, kind: 'none', keys };
}

/**
 * A POST body by its Content-Type (absent: JSON). `columns`: the `columns=` query parameter, naming the
 * body keys that are arguments. `maxJsonDepth`: deeper JSON is refused before anything parses it.
 */
export function parsePayload(body: Buffer | undefined, contentType: string | undefined, columns: string[] | undefined, maxJsonDepth: number): Payload {
  const buf = body ?? Buffer.alloc(0);
  const ct = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/json' || ct === '' || ct.endsWith('+json')) return jsonPayload(utf8(buf), columns, maxJsonDepth);
  if (ct === 'application/x-www-form-urlencoded') {
    const text = utf8(buf);
    if (text.includes('%')) checkPercentUtf8(text);
    const values = new Map<string, string[]>();
    for (const [k, val] of new URLSearchParams(text)) {
      const l = values.get(k);
      if (l) l.push(val);
      else values.set(k, [val]);
    }
    return textPayload(values);
  }
  if (ct === 'text/csv') {
    const [header, first] = parseCsv(utf8(buf));
    const values = new Map<string, string[]>();
    (header ?? []).forEach((h, i) => values.set(h, [first?.[i] ?? '']));
    return textPayload(values);
  }
  if (ct === 'text/plain') return { args: { kind: 'raw', text: utf8(buf) }, kind: 'text', keys: [] };
  if (ct === 'text/xml') return { args: { kind: 'raw', text: utf8(buf) }, kind: 'xml', keys: [] };
  if (ct === 'application/octet-stream') return { args: { kind: 'raw', bytes: buf }, kind: 'bytea', keys: [] };
  throw pgrst.invalidBody(`Content-Type not acceptable: ${ct}`);
}

/** The body as text; bytes that are not UTF-8 → 400 PGRST102 (they used to become U+FFFD silently). */
function utf8(buf: Buffer): string {
  try {
    return UTF8.decode(buf);
  } catch {
    throw pgrst.invalidBody('Invalid UTF-8 in the request body', 'The request body must be UTF-8 encoded');
  }
}

/** Percent-encoded form values must decode to UTF-8 too (URLSearchParams would put U+FFFD in). */
function checkPercentUtf8(text: string): void {
  for (const part of text.split(/[&=]/)) {
    if (!part.includes('%')) continue;
    try {
      decodeURIComponent(part.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
    } catch {
      throw pgrst.invalidBody('Invalid UTF-8 in the request body', 'A percent-encoded form value is not UTF-8');
    }
  }
}

/**
 * A `\uD800`–`\uDFFF` escape in JSON must be a high surrogate followed at once by a low one; a lone one
 * is not a character (Postgres or the encoder would turn it into U+FFFD or fail later). Only bodies with
 * a `\u` escape are scanned; a backslash pair (`\\`) is skipped as one escape.
 */
function checkSurrogateEscapes(raw: string): void {
  const re = /\\(?:u([0-9a-fA-F]{4})|[^])/g;
  let pendingEnd = -1; // where the escape after a high surrogate must start
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    const unit = m[1] === undefined ? -1 : parseInt(m[1], 16);
    const low = unit >= 0xdc00 && unit <= 0xdfff;
    if (pendingEnd >= 0) {
      if (m.index !== pendingEnd || !low) throw loneSurrogate();
      pendingEnd = -1;
      continue;
    }
    if (low) throw loneSurrogate();
    if (unit >= 0xd800 && unit <= 0xdbff) pendingEnd = re.lastIndex;
  }
  if (pendingEnd >= 0) throw loneSurrogate();
}

function loneSurrogate() {
  return pgrst.invalidBody('Invalid UTF-8 in the request body', 'A \\u escape in the JSON is a lone surrogate (not a character)');
}

function textPayload(values: Map<string, string[]>): Payload {
  const keys = [...values.keys()];
  return { args: keys.length ? { kind: 'text', values } : { kind: 'none' }, kind: 'form', keys };
}

function jsonPayload(raw: string, columns: string[] | undefined, maxJsonDepth: number): Payload {
  if (raw.trim() === '') return { args: columns ? { kind: 'json', raw: '{}', array: false, keys: columns } : { kind: 'none' }, kind: 'json', keys: columns ?? [] };
  // before anything parses it: Postgres' JSON parser recurses (54001 "stack depth limit exceeded")
  checkJsonDepth(raw, maxJsonDepth, 'the request body');
  if (raw.includes('\\u')) checkSurrogateEscapes(raw);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw pgrst.invalidBody('Empty or invalid json');
  }
  let keys: string[] = [];
  let array = false;
  if (Array.isArray(v)) {
    array = true;
    const isObj = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
    if (v.length > 0 && v.some(isObj)) {
      if (!v.every(isObj)) throw pgrst.invalidBody('All object keys must match');
      const first = Object.keys(v[0] as object).sort().join('\u0000');
      for (const x of v) if (Object.keys(x as object).sort().join('\u0000') !== first) throw pgrst.invalidBody('All object keys must match');
      keys = Object.keys(v[0] as object);
    }
  } else if (typeof v === 'object' && v !== null) {
    keys = Object.keys(v);
  }
  if (columns) keys = columns;
  return { args: { kind: 'json', raw, array, keys }, kind: 'json', keys };
}

/** RFC 4180 rows: quoted fields may hold commas, newlines and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      row.push(cur);
      cur = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cur);
      rows.push(row);
      row = [];
      cur = '';
    } else cur += ch;
  }
  if (cur !== '' || row.length) {
    row.push(cur);
    rows.push(row);
  }
  return rows;
}
