// The events room through the SQL door (app.act_as in a transaction): the shared case list, plus what only
// SQL can show — the audit trail and the outbox are append-only for every role, and nobody forges a row.
import { describe, expect, it } from 'vitest';
import { asUser } from '../support/db.ts';
import { useDoor } from '../support/doors.ts';
import { must } from '../support/door.ts';
import { defineEventCases, EV_USERS as U } from '../cases/events.ts';

const t = useDoor('sql');
defineEventCases(() => t.door());

describe('append-only, for every role', () => {
  it('request roles cannot write, update or delete audit rows or events; the superuser is stopped by triggers, the owner by RLS and triggers', async () => {
    const d = t.door();
    const brand = must<{ id: string }>(await d.call(U.alice, 'create_brand', { _name: 'Append only' })).id;
    const product = must<{ id: string }>(await d.call(U.alice, 'create_product', { _brand_id: brand, _name: 'P' })).id;
    must(await d.call(U.alice, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: 'AO-1' }));
    const sql = t.db.admin;
    for (const stmt of [
      `update data.audit_events set actor = 'x'`,
      `delete from data.audit_events`,
      `insert into data.audit_events (brand_id, table_name, action, row_id, db_role, door) values ('${brand}', 'batches', 'insert', 'x', 'r', 'sql')`,
      `update data.events set type = 'x.y'`,
      `insert into data.events (brand_id, type) values ('${brand}', 'batch.created')`,
      `truncate data.audit_events`,
      `select app.emit_event('${brand}', 'batch.created', null, '{}')`,
    ]) {
      await expect(asUser(sql, U.alice, (tx) => tx.unsafe(stmt)), stmt).rejects.toMatchObject({ code: '42501' });
    }
    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from data.audit_events where brand_id = ${brand}`;
    expect(n!.n).toBeGreaterThan(0);
    // the superuser holds every privilege and bypasses RLS: the triggers refuse it
    const guarded = [`update data.audit_events set actor = 'x' where brand_id = '${brand}'`, `delete from data.audit_events where brand_id = '${brand}'`,
      `update data.events set type = 'x.y' where brand_id = '${brand}'`, `delete from data.events where brand_id = '${brand}'`,
      `truncate data.audit_events`, `truncate data.events`];
    for (const stmt of guarded) await expect(sql.unsafe(stmt), `superuser: ${stmt}`).rejects.toMatchObject({ code: 'PT409' });
    // the owner: forced RLS hides every row from it (nothing to update or delete), and truncate is refused
    for (const stmt of guarded) {
      const run = sql.begin(async (tx) => {
        await tx.unsafe('set local role lotline_owner');
        return (await tx.unsafe(stmt)).count;
      });
      if (stmt.startsWith('truncate')) await expect(run, `owner: ${stmt}`).rejects.toMatchObject({ code: 'PT409' });
      else expect(await run, `owner: ${stmt}`).toBe(0);
    }
    const [m] = await sql<{ n: number }[]>`select count(*)::int as n from data.audit_events where brand_id = ${brand}`;
    expect(m!.n).toBe(n!.n);
  });

  it('a partition cannot be truncated directly either', async () => {
    const parts = await t.db.admin<{ t: string }[]>`select inhrelid::regclass::text as t from pg_inherits where inhparent = 'data.audit_events'::regclass`;
    expect(parts.length).toBeGreaterThanOrEqual(13);
    for (const p of parts) await expect(t.db.admin.unsafe(`truncate ${p.t}`)).rejects.toMatchObject({ code: 'PT409' });
  });
});
