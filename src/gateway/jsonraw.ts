// JSON as text, without parsing it into values: the top-level members of a request body (values reach
// Postgres exactly as sent, numbers keep every digit), the nesting-depth limit, and the renaming of
// result keys in a body Postgres produced.
import { pgrst } from './errors.ts';

/** Raw member texts of the object (or, for an array, of its first element). Later duplicates win, as in json_to_record. */
export function topLevelMembers(text: string, array: boolean): Map<string, string> {
  const out = new Map<string, string>();
  let i = skipWs(text, 0);
  if (array) {
    if (text[i] !== '[') return out;
    i = skipWs(text, i + 1);
  }
  if (text[i] !== '{') return out;
  i = skipWs(text, i + 1);
  if (text[i] === '}') return out;
  for (;;) {
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // ':'
    const end = valueEnd(text, i);
    out.set(key, text.slice(i, end));
    i = skipWs(text, end);
    if (text[i] !== ',') return out;
    i = skipWs(text, i + 1);
  }
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** index after the closing quote of the string starting at i */
function stringEnd(s: string, i: number): number {
  i++;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return i;
}

function valueEnd(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return stringEnd(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < s.length) {
      const ch = s[i];
      if (ch === '"') {
        i = stringEnd(s, i);
        continue;
      }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < s.length && s[i] !== ',' && s[i] !== '}' && s[i] !== ']' && s[i] !== ' ' && s[i] !== '\n' && s[i] !== '\r' && s[i] !== '\t') i++;
  return i;
}

/**
 * How deeply arrays and objects nest in a JSON text (brackets inside strings do not count): `1` → 0,
 * `{"a":[1]}` → 2. Counting stops at `limit + 1`. Works on any text (a query-string value meant for a
 * json parameter may not be valid JSON): it is an upper bound of what a JSON parser would recurse.
 */
export function jsonDepth(text: string, limit = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) break;
        else i++;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      if (depth > 0) depth--;
    }
  }
  return max;
}

/** 400 PGRST102 for JSON nested deeper than `limit` (LOTLINE_MAX_JSON_DEPTH); `what` names the value. */
export function checkJsonDepth(text: string, limit: number, what: string): void {
  if (jsonDepth(text, limit) > limit) {
    throw pgrst.invalidBody('Empty or invalid json', `The JSON of ${what} is nested deeper than ${limit} levels (the gateway's limit, LOTLINE_MAX_JSON_DEPTH)`);
  }
}

/**
 * Rename the keys of the result rows in a JSON body made by json_agg (an array of row objects) or a
 * singular body (one row object or null): only keys of the row objects themselves, nothing nested.
 */
export function renameRowKeys(text: string, rename: Map<string, string>, singular: boolean): string {
  const rowDepth = singular ? 1 : 2;
  const stack: string[] = []; // '{' or '[' per open container
  let out = '';
  let from = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (expectKey && stack.length === rowDepth) {
        const to = rename.get(JSON.parse(text.slice(start, i + 1)) as string);
        if (to !== undefined) {
          out += text.slice(from, start) + JSON.stringify(to);
          from = i + 1;
        }
      }
      expectKey = false;
    } else if (c === '{' || c === '[') {
      stack.push(c);
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] === '{';
    }
  }
  return from === 0 ? text : out + text.slice(from);
}
