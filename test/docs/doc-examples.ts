// The request examples of the docs, read from the Markdown: ```http blocks and curl commands that call
// /rpc/…. An ```http block is a request (method and path, headers, a blank line, the JSON body), optionally
// followed by the documented response: an `HTTP/1.1 <status>` line, a blank line and its JSON body, where
// the string "…" stands for any value. Placeholders: <brand_id>, <product_id>, <batch_id>, <dds_id> (also
// spelt with a space), and `Authorization: Bearer <token …>` / $TOKEN (a token of the example brand's
// owner, with the scope named by "<token with scope S>").
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DocExample {
  /** file:line of the block */
  where: string;
  method: string;
  /** path and query, placeholders unresolved */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** documented status (200 for a curl command, which documents none: any 2xx) */
  status: number | undefined;
  /** documented response body (JSON) */
  response: string | undefined;
}

const FENCE = /^```(\w*)\s*$/;

/** Fenced blocks of a Markdown text: language, first line number, lines. */
function blocks(text: string): { lang: string; line: number; lines: string[] }[] {
  const out: { lang: string; line: number; lines: string[] }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!.trim());
    if (!open || lines[i]!.startsWith('    ')) continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) j++;
    out.push({ lang: open[1] ?? '', line: start, lines: lines.slice(start, j) });
    i = j;
  }
  return out;
}

function parseHttp(lines: string[], where: string): DocExample {
  const [method, path] = lines[0]!.trim().split(/\s+/) as [string, string];
  const headers: Record<string, string> = {};
  let i = 1;
  for (; i < lines.length && lines[i]!.trim() !== ''; i++) {
    const m = /^([\w-]+):\s*(.*)$/.exec(lines[i]!.trim());
    if (!m) throw new Error(`${where}: not a header line: ${lines[i]}`);
    headers[m[1]!.toLowerCase()] = m[2]!;
  }
  const rest = lines.slice(i + 1);
  const statusAt = rest.findIndex((l) => /^HTTP\/1\.1 \d{3}/.test(l));
  const bodyLines = statusAt < 0 ? rest : rest.slice(0, statusAt);
  const body = bodyLines.join('\n').trim() || undefined;
  const status = statusAt < 0 ? undefined : Number(/^HTTP\/1\.1 (\d{3})/.exec(rest[statusAt]!)![1]);
  const response = statusAt < 0 ? undefined : rest.slice(statusAt + 1).join('\n').trim() || undefined;
  return { where, method, path, headers, body, status, response };
}

/** Shell words of one command line (quotes and backslash-newlines; enough for the docs' curl lines). */
function shellWords(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === "'" || c === '"') {
      const end = cmd.indexOf(c, i + 1);
      cur += cmd.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function parseCurl(cmd: string, where: string): DocExample | undefined {
  const w = shellWords(cmd.replace(/\\\n/g, ' '));
  const url = w.find((x) => /^https?:\/\//.test(x));
  if (!url || !new URL(url).pathname.startsWith('/rpc/')) return undefined;
  const headers: Record<string, string> = {};
  let method: string | undefined;
  let body: string | undefined;
  for (let i = 1; i < w.length; i++) {
    if (w[i] === '-X') method = w[++i];
    else if (w[i] === '-H') {
      const [k, ...v] = w[++i]!.split(':');
      headers[k!.trim().toLowerCase()] = v.join(':').trim();
    } else if (w[i] === '-d' || w[i] === '--data') body = w[++i];
  }
  const u = new URL(url);
  return { where, method: method ?? (body ? 'POST' : 'GET'), path: u.pathname + u.search, headers, body, status: undefined, response: undefined };
}

/** Every RPC request example in README.md and docs/*.md. */
export function docExamples(root: string): DocExample[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const out: DocExample[] = [];
  for (const file of files) {
    for (const b of blocks(readFileSync(join(root, file), 'utf8'))) {
      const where = `${file}:${b.line}`;
      if (b.lang === 'http' && /\/rpc\//.test(b.lines[0] ?? '')) out.push(parseHttp(b.lines, where));
      if (['bash', 'sh', 'shell'].includes(b.lang)) {
        const text = b.lines.join('\n').replace(/\\\n/g, ' ');
        text.split('\n').forEach((l, k) => {
          const at = l.indexOf('curl ');
          if (at >= 0) {
            const ex = parseCurl(l.slice(at), `${where}+${k}`);
            if (ex) out.push(ex);
          }
        });
      }
    }
  }
  return out;
}

/** Where `actual` lacks the documented shape: every documented key present with the same JSON type ("…": any). */
export function shapeMismatches(doc: unknown, actual: unknown, at = '$'): string[] {
  if (doc === '…') return [];
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(doc) !== kind(actual)) return [`${at}: documented ${kind(doc)}, got ${kind(actual)} ${JSON.stringify(actual)?.slice(0, 80)}`];
  if (Array.isArray(doc)) {
    const a = actual as unknown[];
    if (doc.length > 0 && a.length === 0) return [`${at}: documented a non-empty array, got []`];
    return doc.length > 0 ? shapeMismatches(doc[0], a[0], `${at}[0]`) : [];
  }
  if (doc && typeof doc === 'object') {
    const a = actual as Record<string, unknown>;
    return Object.entries(doc).flatMap(([k, v]) => (k in a ? shapeMismatches(v, a[k], `${at}.${k}`) : [`${at}.${k}: missing`]));
  }
  return [];
}
