// The top-level members of a JSON object as raw text, so values reach Postgres exactly as sent
// (numbers keep every digit). Only called on text JSON.parse has already accepted.

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
