// Drift check: what `npm run gen` would write for the freshly migrated database must equal the
// committed files in generated/. On failure it names the files, the functions and composite types
// that were added or removed, and the first differing lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDb, type TestDb } from '../support/db.ts';
import { loadCatalog } from '../../src/catalog/introspect.ts';
import { renderAll } from '../../src/codegen/index.ts';
import { lineDiff } from './diff.ts';

const GENERATED = resolve(import.meta.dirname, '..', '..', 'generated');
/** The schemas `npm run gen` exposes by default (LOTLINE_DB_SCHEMAS). */
const SCHEMAS = ['api'];

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db?.drop());

/** Function and composite names as listed in a rendered database.ts. */
function names(databaseTs: string): { functions: Set<string>; composites: Set<string> } {
  const section = (name: string): Set<string> => {
    const start = databaseTs.indexOf(`    ${name}: {\n`);
    if (start < 0) return new Set();
    const end = databaseTs.indexOf('\n    }', start);
    const body = databaseTs.slice(start, end);
    return new Set([...body.matchAll(/^ {6}([A-Za-z_$][\w$]*|"[^"]+"): /gm)].map((m) => m[1]!));
  };
  return { functions: section('Functions'), composites: section('CompositeTypes') };
}

describe('generated/ matches the migrated database', () => {
  it('is what `npm run gen` renders now', async () => {
    const expected = renderAll(await loadCatalog(db.admin, SCHEMAS));
    const committed = existsSync(GENERATED) ? readdirSync(GENERATED).filter((f) => f.endsWith('.ts')) : [];
    const report: string[] = [];
    for (const f of Object.keys(expected).sort()) {
      if (!committed.includes(f)) report.push(`generated/${f}: missing`);
    }
    for (const f of committed) {
      if (!(f in expected)) report.push(`generated/${f}: not produced by the generator any more (delete it)`);
    }
    const want = expected['database.ts'] ?? '';
    const have = existsSync(join(GENERATED, 'database.ts')) ? readFileSync(join(GENERATED, 'database.ts'), 'utf8') : '';
    const a = names(have);
    const b = names(want);
    const added = [...b.functions].filter((n) => !a.functions.has(n));
    const removed = [...a.functions].filter((n) => !b.functions.has(n));
    const addedT = [...b.composites].filter((n) => !a.composites.has(n));
    const removedT = [...a.composites].filter((n) => !b.composites.has(n));
    if (added.length) report.push(`functions in the database, not in generated/: ${added.join(', ')}`);
    if (removed.length) report.push(`functions in generated/, gone from the database: ${removed.join(', ')}`);
    if (addedT.length) report.push(`composite types new in the database: ${addedT.join(', ')}`);
    if (removedT.length) report.push(`composite types gone from the database: ${removedT.join(', ')}`);
    for (const [f, text] of Object.entries(expected).sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (!committed.includes(f)) continue;
      const current = readFileSync(join(GENERATED, f), 'utf8');
      if (current !== text) report.push(`generated/${f} differs (- committed, + database):\n${lineDiff(current, text, 40)}`);
    }
    if (report.length) report.push('Run `npm run gen` and commit generated/.');
    expect(report.join('\n\n')).toBe('');
  });

  it('renders deterministically (twice the same bytes, sorted, no timestamps)', async () => {
    const catalog = await loadCatalog(db.admin, SCHEMAS);
    const one = renderAll(catalog);
    // the catalog in reverse order must render the same: output never depends on oid order
    const shuffled = { ...catalog, functions: [...catalog.functions].reverse(), types: new Map([...catalog.types].reverse()) };
    expect(renderAll(shuffled)).toEqual(one);
    expect(renderAll(await loadCatalog(db.admin, SCHEMAS))).toEqual(one);
    for (const text of Object.values(one)) expect(text).not.toMatch(/\b20\d\d-\d\d-\d\dT\d\d:/);
  });
});
