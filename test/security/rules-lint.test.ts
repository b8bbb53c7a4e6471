// Lints that keep the hardening rules true for code written later:
// - every date and numeric column of a data table is bounded by its domain (data.calendar_date,
//   data.quantity), as its type or by a check that casts to it;
// - no api function takes a bare date or numeric: its arguments use a domain (data.iso_date,
//   data.quantity), so every door, and the generated zod schema, meets the bound;
// - every UPDATE or DELETE of a data table in sql/ is followed by a row check (app.require_found(found, …),
//   IF NOT FOUND, GET DIAGNOSTICS or RETURN FOUND): a write that hit no row is an error, not a success.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ROOT, SQL_DIR } from '../../src/db/sql-layout.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.drop();
});

/** Writes whose row cannot vanish, with the reason (file: function). */
const NO_ROW_CHECK_NEEDED: Record<string, string> = {
  'sql/serials/serial-numbers.sql: app.serials_void':
    'a BYPASSRLS definer updating the serial it locked FOR UPDATE in the statement before',
  'sql/serials/mint-jobs.sql: app.mint_job_step':
    'its job updates are checked; giving a failed job\'s unused quota back finds no usage row when nothing was counted, and then there is nothing to give back',
  'sql/traceability/recalls.sql: app.recall_apply':
    'a set update of the batches the recall changed (recall_batches.changed): none when every batch was recalled already',
  'sql/events/webhooks.sql: app.webhook_dispatch':
    'a set update moving the cursor of every endpoint that got new deliveries: none when no event is new',
  'sql/events/webhooks.sql: app.webhook_claim':
    'a set update claiming due deliveries, re-checked on the row\'s latest version: none claimed is the normal idle answer',
  'sql/events/webhooks.sql: app.webhook_release':
    'releases a claimed attempt only if it is still this attempt (a lease taken over meanwhile): no row means nothing to release',
  'sql/traceability/recalls.sql: app.recall_lift':
    'the recall row update is checked; the batches update is a set update that returns only the batches still recalled: none when all moved on',
};

function sqlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sqlFiles(p) : f.endsWith('.sql') ? [p] : [];
  });
}

describe('bounded values', () => {
  it('every date and numeric column of a data table is checked against its domain', async () => {
    const rows = await db.admin<{ col: string }[]>`
      select format('%s.%s (%s)', c.oid::regclass, a.attname, format_type(a.atttypid, null)) as col
        from pg_attribute a join pg_class c on c.oid = a.attrelid
       where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
         and a.attgenerated = '' and a.atttypid in ('date'::regtype, 'numeric'::regtype)
         and not exists (select from pg_constraint k
                          where k.conrelid = c.oid and k.contype = 'c' and k.conkey = array[a.attnum]
                            and pg_get_constraintdef(k.oid) ~ ('::data\\.' || case when a.atttypid = 'date'::regtype then 'calendar_date' else 'quantity' end || '\\M'))`;
    expect(rows.map((r) => r.col), 'add a check (col::data.calendar_date = col) or (col::data.quantity = col), or use the domain as the type').toEqual([]);
  });

  it('no api function takes a bare date or numeric argument', async () => {
    const rows = await db.admin<{ arg: string }[]>`
      select format('%s: %s %s', p.proname, p.proargnames[i], format_type(t, null)) as arg
        from pg_proc p cross join lateral unnest(p.proargtypes::oid[]) with ordinality as a (t, i)
       where p.pronamespace = 'api'::regnamespace and t in ('date'::regtype, 'numeric'::regtype)`;
    expect(rows.map((r) => r.arg), 'use data.iso_date or data.quantity').toEqual([]);
  });
});

describe('writes that hit no row', () => {
  it('every UPDATE/DELETE of a data table in sql/ is followed by a row check', () => {
    const missing: string[] = [];
    for (const file of sqlFiles(SQL_DIR)) {
      const text = readFileSync(file, 'utf8').replace(/--[^\n]*/g, '');
      const rel = relative(ROOT, file);
      for (const m of text.matchAll(/\b(update\s+data\.\w+|delete\s+from\s+data\.\w+)/gi)) {
        const end = text.indexOf(';', m.index);
        const next = text.indexOf(';', end + 1);
        const after = text.slice(m.index, next < 0 ? undefined : next);
        if (/app\.require_found\s*\(\s*found|get\s+diagnostics|if\s+not\s+found|return\s+found/i.test(after)) continue;
        const fn = [...text.slice(0, m.index).matchAll(/create\s+(?:or\s+replace\s+)?function\s+([\w.]+)/gi)].at(-1)?.[1] ?? '?';
        if (`${rel}: ${fn}` in NO_ROW_CHECK_NEEDED) continue;
        missing.push(`${rel}: ${fn}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
