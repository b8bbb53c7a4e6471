// Inventory under real concurrency: many connections (postgres.js pool, max 24), each call in its own
// committed transaction through the SQL door (app.act_as). The numbers (calls, successes, conflicts)
// are printed as `inventory-concurrency: …` lines (the source of the concurrency table in docs/inventory.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import fc from 'fast-check';
import { asUser, createTestDb, type TestDb } from '../support/db.ts';
import type { Who } from '../support/door.ts';
import { barrier, call as callOn, checkStockInvariants, tally, type Outcome } from '../support/race.ts';

let db: TestDb;
let pool: Sql;
const OWNER: Who = { sub: 'cc-owner' };
const ADMIN: Who = { sub: 'cc-admin' };
const EDITOR: Who = { sub: 'cc-editor' };
let brand: string;
let product: string;

/** One call in its own transaction on the pool; failures are returned, not thrown. */
const call = <T>(who: Who, fn: (tx: TransactionSql) => Promise<T>, gate?: Promise<void>): Promise<Outcome<T>> => callOn(pool, who, fn, gate);

function report(name: string, t: ReturnType<typeof tally>): void {
  console.log(`inventory-concurrency: ${name}: calls=${t.calls} successes=${t.ok} conflicts=${t.conflicts} other=${t.other.length}`);
}

async function location(name: string): Promise<string> {
  const [l] = await asUser(pool, EDITOR, (tx) => tx<{ id: string }[]>`select id from api.create_location(_brand_id => ${brand}, _name => ${name})`);
  return l!.id;
}

async function receive(loc: string, batchNumber: string, quantity: number): Promise<string> {
  const [r] = await asUser(pool, EDITOR, (tx) => tx<{ batch_id: string }[]>`
    select (lines[1]).batch_id from api.receive_inbound(_brand_id => ${brand}, _location_id => ${loc},
      _lines => ${tx.json([{ product_id: product, batch_number: batchNumber, quantity }])})`);
  return r!.batch_id;
}

async function createTransfer(from: string, to: string, lines: { batch_id: string; quantity: number }[], tx: TransactionSql) {
  const [t] = await tx<{ id: string; status: string }[]>`
    select id, status from api.create_transfer(_brand_id => ${brand}, _from_location_id => ${from}, _to_location_id => ${to},
      _lines => ${tx.json(lines)})`;
  return t!;
}

async function stockRow(batch: string, loc: string): Promise<{ quantity: number; committed: number; available: number } | undefined> {
  const [r] = await db.admin<{ quantity: number; committed: number; available: number }[]>`
    select quantity::float8 as quantity, committed::float8 as committed, available::float8 as available
      from data.stock where brand_id = ${brand} and batch_id = ${batch} and location_id = ${loc}`;
  return r;
}

/** The invariants of docs/inventory.md, checked over the whole brand as the superuser. */
const checkInvariants = () => checkStockInvariants(db.admin, brand);

beforeAll(async () => {
  db = await createTestDb();
  pool = postgres(db.adminUrl, { max: 24, onnotice: () => {} });
  const [b] = await asUser(pool, OWNER, (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => 'Concurrency')`);
  brand = b!.id;
  await asUser(pool, OWNER, async (tx) => {
    await tx`select api.add_brand_member(${brand}, ${ADMIN.sub}, 'admin')`;
    await tx`select api.add_brand_member(${brand}, ${EDITOR.sub}, 'editor')`;
  });
  const [p] = await asUser(pool, EDITOR, (tx) => tx<{ id: string }[]>`select id from api.create_product(_brand_id => ${brand}, _name => 'Widget')`);
  product = p!.id;
  // open all connections now so the races below start together
  await Promise.all(Array.from({ length: 24 }, () => pool`select pg_sleep(0.02)`));
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('inventory under concurrency', () => {
  it('20 parallel accept_transfer calls on one transfer: exactly one succeeds, 19 get 409, the stock moves once', async () => {
    const a = await location('acc-src');
    const b = await location('acc-dst');
    const b1 = await receive(a, 'ACC-1', 100);
    const b2 = await receive(a, 'ACC-2', 50);
    const t = await asUser(pool, EDITOR, (tx) => createTransfer(a, b, [{ batch_id: b1, quantity: 30 }, { batch_id: b2, quantity: 20 }], tx));
    const gate = barrier(20);
    const rs = await Promise.all(Array.from({ length: 20 }, () =>
      call(ADMIN, (tx) => tx<{ status: string; accepted_by: string }[]>`select status, accepted_by from api.accept_transfer(${brand}, ${t.id})`, gate.arrive())));
    const n = tally(rs);
    report('20 parallel accept_transfer on one transfer', n);
    expect(n.other).toEqual([]);
    expect(n.ok).toBe(1);
    expect(n.conflicts).toBe(19);
    for (const r of rs.filter((x) => !x.ok)) expect(r.details).toMatchObject({ field: '_transfer_id', rule: 'state', state: 'accepted' });
    expect(await stockRow(b1, a)).toEqual({ quantity: 70, committed: 0, available: 70 });
    expect(await stockRow(b2, a)).toEqual({ quantity: 30, committed: 0, available: 30 });
    expect(await stockRow(b1, b)).toEqual({ quantity: 30, committed: 0, available: 30 });
    expect(await stockRow(b2, b)).toEqual({ quantity: 20, committed: 0, available: 20 });
    const [m] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.stock_movements where brand_id = ${brand} and transfer_id = ${t.id} and kind = 'transfer_in'`;
    expect(m!.n).toBe(2);
    await checkInvariants();
  });

  it('20 parallel reservations of 1 against stock 10: exactly 10 succeed, never over-reserved', async () => {
    const a = await location('res-src');
    const b = await location('res-dst');
    const batch = await receive(a, 'RES-1', 10);
    const gate = barrier(20);
    const rs = await Promise.all(Array.from({ length: 20 }, () =>
      call(EDITOR, (tx) => createTransfer(a, b, [{ batch_id: batch, quantity: 1 }], tx), gate.arrive())));
    const n = tally(rs);
    report('20 parallel create_transfer(1) against stock 10', n);
    expect(n.other).toEqual([]);
    expect(n.ok).toBe(10);
    expect(n.conflicts).toBe(10);
    for (const r of rs.filter((x) => !x.ok)) expect(r.details).toMatchObject({ rule: 'available', batch_id: batch, requested: 1, available: 0, shortfall: 1 });
    expect(await stockRow(batch, a)).toEqual({ quantity: 10, committed: 10, available: 0 });
    await checkInvariants();
  });

  it('parallel reservations and negative adjustments on one balance never take it below committed', async () => {
    const a = await location('mix-src');
    const b = await location('mix-dst');
    const batch = await receive(a, 'MIX-1', 30);
    const gate = barrier(30);
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      i % 2 === 0
        ? call(EDITOR, (tx) => createTransfer(a, b, [{ batch_id: batch, quantity: 2 }], tx), gate.arrive())
        : call(EDITOR, (tx) => tx`select quantity from api.adjust_stock(${brand}, ${batch}, ${a}, -2, 'shrinkage')`, gate.arrive())));
    const n = tally(rs);
    report('15 reservations(2) + 15 adjustments(-2) against stock 30', n);
    expect(n.other).toEqual([]);
    expect(n.ok).toBe(15); // exactly 30 / 2 calls fit
    const s = await stockRow(batch, a);
    expect(s!.available).toBe(0);
    await checkInvariants();
  });

  it('parallel FIRST receipts of one new batch at one location: one batch, one balance, the full sum', async () => {
    const a = await location('first-rcpt');
    const gate = barrier(20);
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      call(EDITOR, (tx) => tx<{ batch_id: string; batch_created: boolean }[]>`
        select (lines[1]).batch_id, (lines[1]).batch_created from api.receive_inbound(_brand_id => ${brand}, _location_id => ${a},
          _lines => ${tx.json([{ product_id: product, batch_number: 'FRESH-1', quantity: i + 1 }])})`, gate.arrive())));
    const n = tally(rs);
    report('20 parallel first receipts of one new batch', n);
    expect(n.other).toEqual([]);
    expect(n.ok).toBe(20);
    const created = rs.filter((r) => r.value![0]!.batch_created);
    expect(created.length).toBe(1);
    const ids = new Set(rs.map((r) => r.value![0]!.batch_id));
    expect(ids.size).toBe(1);
    const [batch] = [...ids];
    expect(await stockRow(batch!, a)).toEqual({ quantity: 210, committed: 0, available: 210 });
    const [c] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.batches where brand_id = ${brand} and batch_number = 'FRESH-1'`;
    expect(c!.n).toBe(1);
    await checkInvariants();
  });

  it('parallel receipts of several new batches in different line orders, and crossing transfers, never deadlock', async () => {
    const a = await location('x-a');
    const b = await location('x-b');
    const numbers = ['X-1', 'X-2', 'X-3', 'X-4'];
    const gate = barrier(16);
    const rs = await Promise.all(Array.from({ length: 16 }, (_, i) => {
      const order = i % 2 === 0 ? numbers : [...numbers].reverse();
      return call(EDITOR, (tx) => tx`select id from api.receive_inbound(_brand_id => ${brand}, _location_id => ${i % 4 < 2 ? a : b},
        _lines => ${tx.json(order.map((bn) => ({ product_id: product, batch_number: bn, quantity: 5 })))})`, gate.arrive());
    }));
    const n = tally(rs);
    report('16 parallel multi-batch receipts (opposite line orders)', n);
    expect(n.other).toEqual([]);
    expect(n.ok).toBe(16);
    const batches = await db.admin<{ id: string }[]>`select id from data.batches where brand_id = ${brand} and batch_number = any (${numbers}) order by batch_number`;
    expect(batches.length).toBe(4);
    // 24 transfers a→b and b→a over all four batches, lines in varying order, then all accepted at once
    const transfers: string[] = [];
    for (let i = 0; i < 24; i++) {
      const lines = (i % 3 === 0 ? batches : [...batches].reverse()).map((x) => ({ batch_id: x.id, quantity: 1 }));
      const t = await asUser(pool, EDITOR, (tx) => (i % 2 === 0 ? createTransfer(a, b, lines, tx) : createTransfer(b, a, lines, tx)));
      transfers.push(t.id);
    }
    const gate2 = barrier(24);
    const acc = await Promise.all(transfers.map((id) =>
      call(ADMIN, (tx) => tx`select status from api.accept_transfer(${brand}, ${id})`, gate2.arrive())));
    const m = tally(acc);
    report('24 parallel accepts of crossing transfers (a→b, b→a)', m);
    expect(m.other).toEqual([]);
    expect(m.ok).toBe(24);
    for (const x of batches) {
      expect(await stockRow(x.id, a)).toMatchObject({ quantity: 40, committed: 0 });
      expect(await stockRow(x.id, b)).toMatchObject({ quantity: 40, committed: 0 });
    }
    await checkInvariants();
  });

  it('archive_location racing receipts and transfers into the location: never stock or a pending transfer at an archived location', async () => {
    const src = await location('arch-src');
    const batch = await receive(src, 'ARCH-SRC', 1000);
    const rs: Outcome<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      const loc = await location(`arch-${i}`);
      const gate = barrier(3);
      rs.push(...await Promise.all([
        call(ADMIN, (tx) => tx`select archived_at from api.archive_location(${brand}, ${loc})`, gate.arrive()),
        call(EDITOR, (tx) => tx`select id from api.receive_inbound(_brand_id => ${brand}, _location_id => ${loc},
          _lines => ${tx.json([{ product_id: product, batch_number: `ARCH-${i}`, quantity: 1 }])})`, gate.arrive()),
        call(EDITOR, (tx) => createTransfer(src, loc, [{ batch_id: batch, quantity: 1 }], tx), gate.arrive()),
      ]));
    }
    const n = tally(rs);
    report('12 × (archive_location ‖ receipt ‖ transfer into it)', n);
    expect(n.other).toEqual([]);
    const bad = await db.admin`
      select l.id from data.locations l
       where l.brand_id = ${brand} and l.archived_at is not null
         and (exists (select from data.stock s where s.brand_id = l.brand_id and s.location_id = l.id and s.quantity > 0)
              or exists (select from data.transfers t where t.brand_id = l.brand_id and t.status = 'pending'
                            and (t.to_location_id = l.id or t.from_location_id = l.id)))`;
    expect(bad).toEqual([]);
    await checkInvariants();
  });

  it('property: random receipts, adjustments, transfers, edits, accepts, declines and cancels from parallel connections keep every invariant', async () => {
    const locs = [await location('p-1'), await location('p-2'), await location('p-3')];
    const batchNumbers = ['P-A', 'P-B', 'P-C'];
    const totals = { calls: 0, ok: 0, conflicts: 0, runs: 0 };
    const transfers: string[] = [];

    const idx = (n: number) => fc.nat({ max: n - 1 });
    const qty = fc.integer({ min: 1, max: 8 });
    const op = fc.oneof(
      fc.record({ k: fc.constant('receive' as const), loc: idx(3), batch: idx(3), q: qty }),
      fc.record({ k: fc.constant('adjust' as const), loc: idx(3), batch: idx(3), q: fc.integer({ min: -6, max: 6 }).filter((x) => x !== 0) }),
      fc.record({ k: fc.constant('create' as const), from: idx(3), step: fc.integer({ min: 1, max: 2 }),
                  lines: fc.uniqueArray(fc.record({ batch: idx(3), q: qty }), { minLength: 1, maxLength: 3, selector: (l) => l.batch }) }),
      fc.record({ k: fc.constant('update' as const), pick: fc.nat(), lines: fc.uniqueArray(fc.record({ batch: idx(3), q: qty }), { minLength: 1, maxLength: 3, selector: (l) => l.batch }) }),
      fc.record({ k: fc.constant('accept' as const), pick: fc.nat() }),
      fc.record({ k: fc.constant('decline' as const), pick: fc.nat() }),
      fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }),
    );
    type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

    let batchIds: string[] = [];
    const batchId = async (i: number): Promise<string> => batchIds[i]!;

    async function run(o: Op): Promise<Outcome<unknown>> {
      const pick = (p: number) => transfers[transfers.length - 1 - (p % Math.max(1, transfers.length))];
      switch (o.k) {
        case 'receive':
          return call(EDITOR, async (tx) => tx`select id from api.receive_inbound(_brand_id => ${brand}, _location_id => ${locs[o.loc]!},
            _lines => ${tx.json([{ product_id: product, batch_number: batchNumbers[o.batch]!, quantity: o.q }])})`);
        case 'adjust':
          return call(EDITOR, async (tx) => tx`select quantity from api.adjust_stock(${brand}, ${await batchId(o.batch)}, ${locs[o.loc]!}, ${o.q}, 'count')`);
        case 'create': {
          const lines = await Promise.all(o.lines.map(async (l) => ({ batch_id: await batchId(l.batch), quantity: l.q })));
          const r = await call(EDITOR, (tx) => createTransfer(locs[o.from]!, locs[(o.from + o.step) % 3]!, lines, tx));
          if (r.ok) transfers.push((r.value as { id: string }).id);
          return r;
        }
        case 'update': {
          const id = pick(o.pick);
          if (!id) return { ok: true };
          const lines = await Promise.all(o.lines.map(async (l) => ({ batch_id: await batchId(l.batch), quantity: l.q })));
          return call(EDITOR, (tx) => tx`select version from api.update_transfer(_brand_id => ${brand}, _transfer_id => ${id}, _lines => ${tx.json(lines)})`);
        }
        case 'accept':
        case 'decline':
        case 'cancel': {
          const id = pick(o.pick);
          if (!id) return { ok: true };
          if (o.k === 'accept') return call(ADMIN, (tx) => tx`select status from api.accept_transfer(${brand}, ${id})`);
          if (o.k === 'decline') return call(ADMIN, (tx) => tx`select status from api.decline_transfer(${brand}, ${id}, 'no')`);
          return call(EDITOR, (tx) => tx`select status from api.cancel_transfer(${brand}, ${id})`);
        }
      }
    }

    // the batches exist from the start (received once at p-1)
    batchIds = [];
    for (const bn of batchNumbers) batchIds.push(await receive(locs[0]!, bn, 20));

    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 8, maxLength: 12 }), async (workers) => {
        totals.runs++;
        const results = await Promise.all(workers.map(async (ops) => {
          const out: Outcome<unknown>[] = [];
          for (const o of ops) out.push(await run(o));
          return out;
        }));
        const flat = results.flat();
        const t = tally(flat);
        totals.calls += t.calls;
        totals.ok += t.ok;
        totals.conflicts += t.conflicts;
        // the only expected refusal is a business conflict (shortfall, or a transfer no longer pending)
        expect(t.other).toEqual([]);
        await checkInvariants();
      }),
      { numRuns: 25, endOnFailure: true },
    );
    console.log(`inventory-concurrency: property (fast-check, ${totals.runs} runs, 8–12 parallel connections each): calls=${totals.calls} successes=${totals.ok} conflicts=${totals.conflicts}`);
    const [s] = await db.admin<{ pending: number; accepted: number; declined: number; cancelled: number }[]>`
      select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'accepted')::int as accepted,
             count(*) filter (where status = 'declined')::int as declined, count(*) filter (where status = 'cancelled')::int as cancelled
        from data.transfers where brand_id = ${brand} and from_location_id = any (${locs})`;
    console.log(`inventory-concurrency: property transfers: ${JSON.stringify(s)}`);
    expect(totals.ok).toBeGreaterThan(0);
    expect(totals.conflicts).toBeGreaterThan(0);
  }, 300_000);
});
