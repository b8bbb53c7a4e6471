// The change feed never skips an event: a transaction held open while later ones commit, and a property
// test of parallel writers (some rolling back) against a polling reader. A naive "seq > last" reader is
// run beside it on the same schedule to show the failure the feed is built against.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import postgres, { type Sql } from 'postgres';
import { asUser, createTestDb, type TestDb } from '../support/db.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { must } from '../support/door.ts';

let db: TestDb;
let conns: Sql[];
let brand: string;
let product: string;
const owner = { sub: 'feed-owner' };
const viewer = { sub: 'feed-viewer' };

beforeAll(async () => {
  db = await createTestDb();
  conns = Array.from({ length: 7 }, () => postgres(db.adminUrl, { max: 1, onnotice: () => {} }));
  brand = must<{ id: string }>(await sqlCall(db.admin, owner, 'create_brand', { _name: 'Feed' })).id;
  must(await sqlCall(db.admin, owner, 'add_brand_member', { _brand_id: brand, _user_id: viewer.sub, _role: 'viewer' }));
  product = must<{ id: string }>(await sqlCall(db.admin, owner, 'create_product', { _brand_id: brand, _name: 'P' })).id;
});
afterAll(async () => {
  await Promise.all((conns ?? []).map((c) => c.end()));
  await db?.drop();
});

interface Change { cursor: string; type: string; data: { batch_number?: string } }

/** One poll of the feed as the viewer, through the SQL door. */
async function poll(after: string | null, limit = 1000): Promise<Change[]> {
  return must<Change[]>(await sqlCall(db.admin, viewer, 'list_changes', { _brand_id: brand, _after: after, _limit: limit }));
}

/** A reader that follows cursors; `seen` keeps every batch_number it was served, in order. */
function reader() {
  let cursor: string | null = null;
  const seen: string[] = [];
  return {
    seen,
    async step(limit?: number) {
      const page = await poll(cursor, limit);
      for (const c of page) if (c.type === 'batch.created') seen.push(c.data.batch_number!);
      if (page.length) cursor = page[page.length - 1]!.cursor;
    },
  };
}

/** The naive reader the feed is built against: every committed event with seq > the last seq seen. */
function naiveReader() {
  let last = 0;
  const seen: string[] = [];
  return {
    seen,
    async step() {
      const rows = await db.admin<{ seq: string; n: string }[]>`
        select seq::text, data ->> 'batch_number' as n from data.events
         where brand_id = ${brand} and type = 'batch.created' and seq > ${last} order by seq`;
      for (const r of rows) seen.push(r.n);
      if (rows.length) last = Number(rows[rows.length - 1]!.seq);
    },
  };
}

const batch = (tx: postgres.TransactionSql, n: string) =>
  tx`select id from api.create_product_batch(${brand}, ${product}, ${n})`;

/** Poll until every name is served (or fail after a deadline); returns the reader's sequence. */
async function drain(r: ReturnType<typeof reader>, names: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!names.every((n) => r.seen.includes(n))) {
    if (Date.now() > deadline) throw new Error(`feed did not serve ${names.filter((n) => !r.seen.includes(n)).join(', ')}`);
    await r.step();
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('the feed never skips', () => {
  it('a transaction held open while later ones commit: its events are served when it commits, in (xid, seq) order', async () => {
    const r = reader();
    const naive = naiveReader();
    await r.step();
    await naive.step();
    const [w1, w2, w3] = conns as [Sql, Sql, Sql];
    let release!: () => void;
    const held = new Promise<void>((res) => (release = res));
    let w1Ready!: () => void;
    const w1HasXid = new Promise<void>((res) => (w1Ready = res));
    // W1 takes its transaction id first (an early write), but writes its event only after W2 committed
    const t1 = asUser(w1, owner, async (tx) => {
      await batch(tx, 'HELD-EARLY');
      w1Ready();
      await held;
      await batch(tx, 'HELD-LATE');
    });
    await w1HasXid;
    await asUser(w2, owner, (tx) => batch(tx, 'AFTER-1'));
    await asUser(w3, owner, (tx) => batch(tx, 'AFTER-2'));
    // both later transactions are committed and visible, yet the feed serves none of them while W1 is open
    const [after] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.events where brand_id = ${brand} and data ->> 'batch_number' like 'AFTER-%'`;
    expect(after!.n).toBe(2);
    for (let i = 0; i < 5; i++) await r.step();
    expect(r.seen.filter((x) => /HELD|AFTER/.test(x))).toEqual([]);
    await naive.step(); // the naive reader has already moved past them
    expect(naive.seen).toEqual(['AFTER-1', 'AFTER-2']);
    release();
    await t1;
    await drain(r, ['HELD-EARLY', 'HELD-LATE', 'AFTER-1', 'AFTER-2']);
    await naive.step();
    // W1's events are served exactly once, before the later transactions' (xid order) ...
    expect(r.seen).toEqual(['HELD-EARLY', 'HELD-LATE', 'AFTER-1', 'AFTER-2']);
    // ... while the naive reader lost the event whose sequence number was taken before its cursor
    expect(naive.seen).not.toContain('HELD-EARLY');
  }, 90_000);

  it('property: parallel writers (some rolling back) and a polling reader — every committed event exactly once, in one consistent order', async () => {
    let run = 0;
    const writer = fc.record({
      events: fc.integer({ min: 1, max: 4 }),
      pauseMs: fc.integer({ min: 0, max: 40 }),
      startMs: fc.integer({ min: 0, max: 30 }),
      commit: fc.boolean().map((b) => b || Math.random() < 0.5), // ~75 % commit
    });
    await fc.assert(fc.asyncProperty(fc.array(writer, { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 7 }), async (writers, pageSize) => {
      run++;
      const r = reader();
      await r.step(); // start at the current end of the feed (drain what earlier runs left)
      while (true) {
        const before = r.seen.length;
        await r.step();
        if (r.seen.length === before) break;
      }
      const start = r.seen.length;
      let done = false;
      const polling = (async () => {
        while (!done) {
          await r.step(pageSize);
          await new Promise((res) => setTimeout(res, 5));
        }
      })();
      const committed: string[] = [];
      await Promise.all(writers.map(async (w, i) => {
        await new Promise((res) => setTimeout(res, w.startMs));
        const names = Array.from({ length: w.events }, (_, k) => `R${run}-W${i}-E${k}`);
        try {
          await conns[i]!.begin(async (tx) => {
            await tx`select app.act_as(${owner.sub})`;
            for (const n of names) {
              await batch(tx, n);
              await tx`select pg_sleep(${w.pauseMs / 1000})`;
            }
            if (!w.commit) throw new Error('rollback');
          });
          committed.push(...names);
        } catch (e) {
          if ((e as Error).message !== 'rollback') throw e;
        }
      }));
      // the polling reader (the only one stepping) catches up once the last writer has finished
      const deadline = Date.now() + 60_000;
      while (!committed.every((n) => r.seen.includes(n)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      done = true;
      await polling;
      // a last look after everything settled: nothing new, nothing twice
      await r.step();
      const served = r.seen.slice(start);
      expect(served.filter((n) => n.startsWith(`R${run}-`)).sort()).toEqual([...committed].sort());
      expect(new Set(served).size).toBe(served.length);
      // one transaction's events arrive together and in the order they were written
      for (let i = 0; i < writers.length; i++) {
        const mine = served.filter((n) => n.startsWith(`R${run}-W${i}-`));
        if (mine.length) {
          const first = served.indexOf(mine[0]!);
          expect(served.slice(first, first + mine.length)).toEqual(mine);
          expect(mine).toEqual([...mine].sort());
        }
      }
      // the order served is the feed's (xid, seq) order
      const order = await db.admin<{ n: string }[]>`
        select data ->> 'batch_number' as n from data.events
         where brand_id = ${brand} and type = 'batch.created' and data ->> 'batch_number' like ${`R${run}-%`} order by xid, seq`;
      expect(served.filter((n) => n.startsWith(`R${run}-`))).toEqual(order.map((o) => o.n));
    }), { numRuns: 15 });
  }, 300_000);
});
