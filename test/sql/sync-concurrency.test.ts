// Integration sync: deterministic interleavings of two transactions on two connections.
// The race a blind retry from an ERP produces (the same push twice at the same moment), and a
// user's edit landing between a push's validation and its write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReservedSql } from 'postgres';
import { createTestDb, type TestDb } from '../support/db.ts';

let db: TestDb;
let brand: string;
const EDITOR = 'sync-editor';

beforeAll(async () => {
  db = await createTestDb();
  const [b] = await db.admin<{ id: string }[]>`insert into data.brands (name, slug, created_by) values ('Sync race', 'sync-race', ${EDITOR}) returning id::text`;
  brand = b!.id;
  await db.admin`insert into data.brand_members (brand_id, user_id, role) values (${brand}, ${EDITOR}, 'editor')`;
  await db.admin`insert into data.products (brand_id, external_id, name) values (${brand}, 'ITEM-1', 'Item 1')`;
});
afterAll(async () => db?.drop());

interface Result { success: boolean; created: number; updated: number; errors: { externalId: string; error: string }[]; records: { externalId: string; status: string }[] }

async function begin(c: ReservedSql): Promise<void> {
  await c`begin`;
  await c`select app.act_as(${EDITOR}, 'integration:batches:write batches:write')`;
}
async function upsert(c: ReservedSql, recs: unknown[]): Promise<Result> {
  const [r] = await c<{ r: Result }[]>`select to_jsonb(x) as r from api.upsert_batches(${brand}::uuid, ${c.json(recs as never)}) x`;
  return r!.r;
}
/** Wait until some other backend of this database is blocked on a lock. */
async function waitForBlocked(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [r] = await db.admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    if (r!.n > 0) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('no backend became blocked');
}

describe('upsert_batches under concurrency', () => {
  it('the same push from two connections at once: the second waits, then finds the rows and reports UNCHANGED', async () => {
    const recs = Array.from({ length: 50 }, (_, i) => ({ externalId: `TW-${i}`, productExternalId: 'ITEM-1', batchNumber: `L-TW-${i}`, quantity: i }));
    const c1 = await db.admin.reserve();
    const c2 = await db.admin.reserve();
    try {
      await begin(c1);
      const r1 = await upsert(c1, recs);
      expect(r1).toMatchObject({ success: true, created: 50 });
      await begin(c2);
      const p2 = upsert(c2, recs); // blocks behind c1's transaction
      await waitForBlocked();
      await c1`commit`;
      const r2 = await p2;
      await c2`commit`;
      expect(r2).toMatchObject({ success: true, created: 0, updated: 0, errors: [] });
      expect(r2.records.every((r) => r.status === 'UNCHANGED')).toBe(true);
      const [n] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.batches where brand_id = ${brand} and external_id like 'TW-%'`;
      expect(n!.n).toBe(50);
    } finally {
      c1.release();
      c2.release();
    }
  });

  it("a user's edit that commits between a push's validation and its write is not overwritten: that record is an ERROR to push again", async () => {
    const [b] = await db.admin<{ id: string }[]>`
      insert into data.batches (brand_id, product_id, external_id, batch_number, quantity)
      select ${brand}, id, 'ED-1', 'L-ED-1', 1 from data.products where brand_id = ${brand} and external_id = 'ITEM-1' returning id::text`;
    const c1 = await db.admin.reserve();
    const c2 = await db.admin.reserve();
    try {
      // the user edits the batch and has not committed yet (row locked)
      await begin(c1);
      await c1`select api.update_product_batch(${brand}::uuid, ${b!.id}::uuid, ${c1.json({ unit: 'kg' })})`;
      // the push validates against version 1, then its upsert waits for the row
      await begin(c2);
      const p2 = upsert(c2, [
        { externalId: 'ED-1', productExternalId: 'ITEM-1', batchNumber: 'L-ED-1', quantity: 5 },
        { externalId: 'ED-2', productExternalId: 'ITEM-1', batchNumber: 'L-ED-2' },
      ]);
      await waitForBlocked();
      await c1`commit`;
      const r2 = await p2;
      await c2`commit`;
      expect(r2.success).toBe(false);
      expect(r2.records.map((r) => [r.externalId, r.status])).toEqual([['ED-1', 'ERROR'], ['ED-2', 'CREATED']]);
      expect(r2.errors).toEqual([{ externalId: 'ED-1', error: 'Batch with externalId "ED-1" was changed by another request during this push; push it again' }]);
      const [row] = await db.admin<{ unit: string; quantity: string; version: number }[]>`
        select unit, quantity::text, version from data.batches where brand_id = ${brand} and external_id = 'ED-1'`;
      expect(row).toEqual({ unit: 'kg', quantity: '1', version: 2 }); // the user's edit survived
    } finally {
      c1.release();
      c2.release();
    }
  });

  it('a batch created with the same external id by another request mid-push is reported, not duplicated or overwritten', async () => {
    const c1 = await db.admin.reserve();
    const c2 = await db.admin.reserve();
    try {
      await begin(c1);
      const [p] = await c1<{ id: string }[]>`select id::text from data.products where brand_id = ${brand} and external_id = 'ITEM-1'`;
      await c1`select api.create_product_batch(_brand_id => ${brand}::uuid, _product_id => ${p!.id}::uuid, _batch_number => 'L-NEW-a', _external_id => 'NEW-1')`;
      await begin(c2);
      const p2 = upsert(c2, [{ externalId: 'NEW-1', productExternalId: 'ITEM-1', batchNumber: 'L-NEW-b' }]);
      await waitForBlocked();
      await c1`commit`;
      const r2 = await p2;
      await c2`commit`;
      expect(r2.records.map((r) => [r.externalId, r.status])).toEqual([['NEW-1', 'ERROR']]);
      const rows = await db.admin<{ batch_number: string }[]>`select batch_number from data.batches where brand_id = ${brand} and external_id = 'NEW-1'`;
      expect(rows).toEqual([{ batch_number: 'L-NEW-a' }]);
      // pushed again, it now updates the row the other request created
      const c3 = await db.admin.reserve();
      try {
        await begin(c3);
        const r3 = await upsert(c3, [{ externalId: 'NEW-1', productExternalId: 'ITEM-1', batchNumber: 'L-NEW-b' }]);
        await c3`commit`;
        expect(r3.records.map((r) => r.status)).toEqual(['UPDATED']);
      } finally {
        c3.release();
      }
    } finally {
      c1.release();
      c2.release();
    }
  });

  it('validates and writes without a subtransaction per record', async () => {
    // 500 records, many of them invalid: no savepoints/exception blocks means no subtransaction ids
    const recs = Array.from({ length: 500 }, (_, i) => (i % 2
      ? { externalId: `SX-${i}`, productExternalId: 'ITEM-1', batchNumber: `L-SX-${i}` }
      : { externalId: `SX-${i}`, productExternalId: 'ITEM-1', batchNumber: `L-SX-${i}`, receivedDate: 'nope' }));
    const c = await db.admin.reserve();
    try {
      await begin(c);
      const r = await upsert(c, recs);
      expect([r.created, r.errors.length]).toEqual([250, 250]);
      // pg_stat_get_backend_subxact (PG 16+): subtransaction ids this transaction has taken. A savepoint or
      // exception block around each written record would show up here (one per record, overflowing past 64).
      const [ver] = await c<{ v: number }[]>`select current_setting('server_version_num')::int as v`;
      if (ver!.v >= 160000) {
        const [s] = await c<{ n: number; overflowed: boolean }[]>`
          select st.subxact_count::int as n, st.subxact_overflowed as overflowed
            from pg_stat_get_backend_idset() i, pg_stat_get_backend_subxact(i) st
           where pg_stat_get_backend_pid(i) = pg_backend_pid()`;
        expect(s).toEqual({ n: 0, overflowed: false });
      }
      // every version: a writing subtransaction holds a lock on its own transaction id until commit,
      // so exactly one transactionid lock (the top-level transaction's) means no subtransaction wrote
      const [l] = await c<{ n: number }[]>`
        select count(*)::int as n from pg_locks where pid = pg_backend_pid() and locktype = 'transactionid'`;
      expect(l!.n).toBe(1);
      await c`rollback`;
    } finally {
      c.release();
    }
  });
});
