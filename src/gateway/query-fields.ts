// The lexical pieces shared by the query-string grammars (select, order, filters, logic trees): field
// names (plain or "quoted"), JSON path steps, and PostgREST's PGRST100 parse-error wording.
import { pgrst } from './errors.ts';

export type JsonStep = { arrow: '->' | '->>'; key: string | number };

export interface Field {
  name: string;
  path: JsonStep[];
}

/** A parse failure at column `col` (0-based), with what was expected there. */
export class Fail extends Error {
  constructor(readonly col: number, readonly expected: string) {
    super(expected);
  }
}

/** `400 PGRST100 "failed to parse <what> (<input>)" (line 1, column n)` for a Fail; other errors pass. */
export function parseFail(what: string, input: string, e: unknown): never {
  if (e instanceof Fail) {
    throw pgrst.parse(`"failed to parse ${what} (${input})" (line 1, column ${e.col + 1})`, e.expected);
  }
  throw e;
}

const NAME = /^[^,.:()\->'"*\s]+/u;

/** A field: name or "quoted name", then JSON path steps. `p` is the cursor. */
export function field(s: string, p: { i: number }): Field {
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

export function ident(s: string, p: { i: number }): string {
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
