// Traceability under real concurrency: many connections, each call in its own committed transaction through
// the SQL door (app.act_as). Cycles are refused even when two transactions would close one together; a recall
// racing productions leaves nothing made from a recalled batch outside the recall; and a fast-check property
// fires random productions, splits and merges from parallel connections and checks after every run: quantity
// conserved (what each event consumed = what its edges say; a split or merge produces what it consumed), the
// ledger equals the stock, no cycle, and tracing down then up returns to the start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import fc from 'fast-check';
import { asUser, createTestDb, type TestDb } from '../support/db.ts';
import type { Who } from '../support/door.ts';
import { barrier, call, tally } from '../support/race.ts';

let db: TestDb;
let pool: Sql;
const OWNER: Who = { sub: 'tc-owner' };
const ADMIN: Who = { sub: 'tc-admin' };
const EDITOR: Who = { sub: 'tc-editor' };
let brand: string;
let flour: string;
let sauce: string;
let locs: string[];
let n = 0;
const uniq = (p: string) => `${p}-${++n}`;

function report(name: string, t: ReturnType<typeof tally>): void {
  console.log(`traceability-concurrency: ${name}: calls=${t.calls} successes=${t.ok} conflicts=${t.conflicts} other=${t.other.length}`);
}

async function receive(loc: string, quantity: number, product = flour): Promise<string> {
  const [r] = await asUser(pool, EDITOR, (tx) => tx<{ batch_id: string }[]>`
    select (lines[1]).batch_id from api.receive_inbound(_brand_id => ${brand}, _location_id => ${loc},
      _lines => ${tx.json([{ product_id: product, batch_number: uniq('R'), quantity }])})`);
  return r!.batch_id;
}

function produceSql(tx: TransactionSql, loc: string, inputs: { batch_id: string; quantity: number }[], out: { batch?: string; product?: string; number?: string }, quantity: number) {
  return tx<{ id: string; outputs: { batch_id: string }[] }[]>`
    select id, to_json(outputs) as outputs from api.produce_batch(_brand_id => ${brand}, _location_id => ${loc}, _inputs => ${tx.json(inputs)},
      _quantity => ${quantity}, _output_batch_id => ${out.batch ?? null}, _product_id => ${out.product ?? null}, _batch_number => ${out.number ?? null})`;
}

/** The invariants, over the whole brand, as the superuser. */
async function checkInvariants(): Promise<void> {
  const ledger = await db.admin`
    select s.batch_id from data.stock s
      full join (select batch_id, location_id, sum(quantity_delta) as q, sum(committed_delta) as c
                   from data.stock_movements where brand_id = ${brand} group by 1, 2) m
        on m.batch_id = s.batch_id and m.location_id = s.location_id
     where (s.brand_id = ${brand} or s.brand_id is null) and (s.quantity is distinct from m.q or s.committed is distinct from m.c)`;
  expect(ledger, 'ledger sums = stock table').toEqual([]);
  expect(await db.admin`select 1 from data.stock where brand_id = ${brand} and (quantity < 0 or committed < 0 or committed > quantity)`).toEqual([]);
  // each event consumed from each input exactly what its edges from that input say
  const consumed = await db.admin`
    select m.trace_event_id, m.batch_id from data.stock_movements m
     where m.brand_id = ${brand} and m.kind = 'consumption'
     group by m.trace_event_id, m.batch_id
    having -sum(m.quantity_delta) is distinct from (select sum(e.quantity) from data.genealogy_edges e
                                                     where e.brand_id = ${brand} and e.event_id = m.trace_event_id and e.input_batch_id = m.batch_id)`;
  expect(consumed, 'consumed = edges').toEqual([]);
  // every edge's ends were consumed from / produced into by its event; splits and merges produce what they consumed
  const ends = await db.admin`
    select e.event_id from data.genealogy_edges e
     where e.brand_id = ${brand}
       and (not exists (select from data.stock_movements m where m.brand_id = e.brand_id and m.trace_event_id = e.event_id and m.batch_id = e.input_batch_id and m.kind = 'consumption')
         or not exists (select from data.stock_movements m where m.brand_id = e.brand_id and m.trace_event_id = e.event_id and m.batch_id = e.output_batch_id and m.kind = 'production'))`;
  expect(ends, 'edges match the ledger').toEqual([]);
  const conserved = await db.admin`
    select ev.id from data.genealogy_events ev
      join data.stock_movements m on m.brand_id = ev.brand_id and m.trace_event_id = ev.id
     where ev.brand_id = ${brand} and ev.kind in ('split', 'merge')
     group by ev.id having sum(m.quantity_delta) <> 0`;
  expect(conserved, 'split/merge conserve quantity').toEqual([]);
  const orphans = await db.admin`
    select ev.id from data.genealogy_events ev where ev.brand_id = ${brand}
       and not exists (select from data.genealogy_edges e where e.brand_id = ev.brand_id and e.event_id = ev.id)`;
  expect(orphans, 'no event without edges').toEqual([]);
  const cycles = await db.admin`
    with recursive r (start, node) as (
      select input_batch_id, output_batch_id from data.genealogy_edges where brand_id = ${brand}
      union
      select r.start, e.output_batch_id from r join data.genealogy_edges e on e.brand_id = ${brand} and e.input_batch_id = r.node)
    select start from r where start = node limit 1`;
  expect(cycles, 'no cycle').toEqual([]);
}

async function traceIds(batch: string, direction: 'up' | 'down'): Promise<Set<string>> {
  const [t] = await asUser(pool, EDITOR, (tx) => tx<{ ids: string[] }[]>`
    select array(select (x).batch_id from unnest((api.trace_batch(${brand}, ${batch}, ${direction}, 100, 100000)).nodes) x) as ids`);
  return new Set(t!.ids);
}

beforeAll(async () => {
  db = await createTestDb();
  pool = postgres(db.adminUrl, { max: 24, onnotice: () => {} });
  const [b] = await asUser(pool, OWNER, (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => 'Trace concurrency')`);
  brand = b!.id;
  await asUser(pool, OWNER, async (tx) => {
    await tx`select api.add_brand_member(${brand}, ${ADMIN.sub}, 'admin')`;
    await tx`select api.add_brand_member(${brand}, ${EDITOR.sub}, 'editor')`;
  });
  const product = async (name: string) =>
    (await asUser(pool, EDITOR, (tx) => tx<{ id: string }[]>`select id from api.create_product(_brand_id => ${brand}, _name => ${name})`))[0]!.id;
  flour = await product('Flour');
  sauce = await product('Sauce');
  locs = [];
  for (const name of ['L1', 'L2']) {
    locs.push((await asUser(pool, EDITOR, (tx) => tx<{ id: string }[]>`select id from api.create_location(_brand_id => ${brand}, _name => ${name})`))[0]!.id);
  }
  await Promise.all(Array.from({ length: 24 }, () => pool`select pg_sleep(0.02)`));
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('traceability under concurrency', () => {
  it('two concurrent edge inserts that together close a cycle: the second waits for the genealogy lock, then is refused', async () => {
    // raw inserts as the superuser, in a brand of their own (they bypass the ledger the other tests check)
    const [raw] = await db.admin<{ id: string }[]>`insert into data.brands (name, slug, created_by) values ('Raw edges', 'raw-edges', 'test') returning id`;
    const rb = raw!.id;
    const [p] = await db.admin<{ id: string }[]>`insert into data.products (brand_id, name) values (${rb}, 'P') returning id`;
    const [x, y] = (await db.admin<{ id: string }[]>`
      insert into data.batches (brand_id, product_id, batch_number) values (${rb}, ${p!.id}, 'X'), (${rb}, ${p!.id}, 'Y') returning id`).map((r) => r.id);
    const [l] = await db.admin<{ id: string }[]>`insert into data.locations (brand_id, name) values (${rb}, 'L') returning id`;
    const [ev] = await db.admin<{ id: string }[]>`
      insert into data.genealogy_events (brand_id, kind, location_id, created_by) values (${rb}, 'production', ${l!.id}, 'test') returning id`;
    const t1 = await db.admin.reserve();
    const t2 = await db.admin.reserve();
    try {
      await t1`begin`;
      await t2`begin`;
      const pid = (await t2<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
      await t1`insert into data.genealogy_edges (brand_id, input_batch_id, output_batch_id, event_id, kind, quantity) values (${rb}, ${x!}, ${y!}, ${ev!.id}, 'production', 1)`;
      // each alone is fine; together they are x → y → x
      const second = t2`insert into data.genealogy_edges (brand_id, input_batch_id, output_batch_id, event_id, kind, quantity) values (${rb}, ${y!}, ${x!}, ${ev!.id}, 'production', 1)`
        .then(() => null, (e: { code?: string; detail?: string }) => ({ code: e.code, rule: JSON.parse(e.detail ?? '{}').rule as string }));
      // wait (with a deadline) until the second transaction is blocked on the first one's lock
      const deadline = Date.now() + 20_000;
      for (;;) {
        const [w] = await db.admin<{ waiting: boolean }[]>`
          select coalesce(wait_event_type = 'Lock', false) as waiting from pg_stat_activity where pid = ${pid}`;
        if (w?.waiting) break;
        if (Date.now() > deadline) throw new Error('the second insert never waited for the genealogy lock');
        await new Promise((r) => setTimeout(r, 20));
      }
      await t1`commit`;
      expect(await second).toEqual({ code: 'PT409', rule: 'cycle' });
      await t2`rollback`;
    } finally {
      t1.release();
      t2.release();
    }
    const [edges] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.genealogy_edges where brand_id = ${rb}`;
    expect(edges!.n).toBe(1);
  });

  it('a recall and a reservation of its batch exclude each other: whichever runs second waits, then sees the first', async () => {
    /** Run `first` in an open transaction, start `second` in another, wait until it blocks on a lock, then commit `first`. */
    async function ordered<A, B>(first: [Who, (tx: TransactionSql) => Promise<A>], second: [Who, (tx: TransactionSql) => Promise<B>]) {
      const c1 = await db.admin.reserve();
      const c2 = await db.admin.reserve();
      try {
        await c1`begin`;
        await c1`select app.act_as(${first[0].sub}, null)`;
        const a = await first[1](c1 as unknown as TransactionSql);
        await c2`begin`;
        await c2`select app.act_as(${second[0].sub}, null)`;
        const pid = (await c2<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
        const b = second[1](c2 as unknown as TransactionSql).then((v) => ({ ok: true as const, v }), (e: { code?: string; detail?: string }) =>
          ({ ok: false as const, code: e.code, rule: JSON.parse(e.detail || '{}').rule as string }));
        for (const deadline = Date.now() + 20_000; ;) {
          const [w] = await db.admin<{ waiting: boolean }[]>`select coalesce(wait_event_type = 'Lock', false) as waiting from pg_stat_activity where pid = ${pid}`;
          if (w?.waiting) break;
          if (Date.now() > deadline) throw new Error('the second call never waited');
          await new Promise((r) => setTimeout(r, 20));
        }
        await c1`commit`;
        const out = await b;
        await (out.ok ? c2`commit` : c2`rollback`);
        return { a, b: out };
      } finally {
        c1.release();
        c2.release();
      }
    }
    const reserve = (batch: string) => (tx: TransactionSql) => tx<{ id: string }[]>`
      select id from api.create_transfer(_brand_id => ${brand}, _from_location_id => ${locs[0]!}, _to_location_id => ${locs[1]!},
        _lines => ${tx.json([{ batch_id: batch, quantity: 1 }])})`;
    const recallOf = (batch: string) => (tx: TransactionSql) => tx<{ pending: { transfer_id: string }[] }[]>`
      select to_json(pending_transfers) as pending from api.recall_batch(${brand}, ${batch}, 'exclusion')`;
    // recall first: the reservation waits for it, then is refused
    const b1 = await receive(locs[0]!, 5);
    const r1 = await ordered([ADMIN, recallOf(b1)], [EDITOR, reserve(b1)]);
    expect(r1.b).toEqual({ ok: false, code: 'PT409', rule: 'recalled' });
    // reservation first: the recall waits for it, then reports the pending transfer it made
    const b2 = await receive(locs[0]!, 5);
    const r2 = await ordered([EDITOR, reserve(b2)], [ADMIN, recallOf(b2)]);
    expect(r2.b.ok).toBe(true);
    const transferId = (r2.a as { id: string }[])[0]!.id;
    expect((r2.b as { v: { pending: { transfer_id: string }[] }[] }).v[0]!.pending.map((t) => t.transfer_id)).toEqual([transferId]);
    await checkInvariants();
  });

  it('20 parallel pairs of productions x → y ‖ y → x: exactly one of each pair succeeds, no cycle', async () => {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 20; i++) pairs.push([await receive(locs[0]!, 10, sauce), await receive(locs[0]!, 10, sauce)]);
    const gate = barrier(40);
    const rs = await Promise.all(pairs.flatMap(([x, y]) => [
      call(pool, EDITOR, (tx) => produceSql(tx, locs[0]!, [{ batch_id: x, quantity: 1 }], { batch: y }, 1), gate.arrive()),
      call(pool, EDITOR, (tx) => produceSql(tx, locs[0]!, [{ batch_id: y, quantity: 1 }], { batch: x }, 1), gate.arrive()),
    ]));
    const t = tally(rs);
    report('20 pairs of crossing productions (x → y ‖ y → x)', t);
    expect(t.other).toEqual([]);
    expect(t.ok).toBe(20);
    for (let i = 0; i < 20; i++) {
      expect(rs[2 * i]!.ok !== rs[2 * i + 1]!.ok, `pair ${i}`).toBe(true);
      const refused = rs[2 * i]!.ok ? rs[2 * i + 1]! : rs[2 * i]!;
      expect(refused.details).toMatchObject({ rule: 'cycle', field: '_output_batch_id' });
    }
    await checkInvariants();
  });

  it('a recall racing productions from its batches: everything made from a recalled batch is in the recall', async () => {
    const root = await receive(locs[0]!, 1000);
    const kids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [r] = await asUser(pool, EDITOR, (tx) => produceSql(tx, locs[0]!, [{ batch_id: root, quantity: 10 }], { product: sauce, number: uniq('K') }, 100));
      kids.push(r!.outputs[0]!.batch_id);
    }
    const gate = barrier(17);
    const producers = Array.from({ length: 16 }, (_, i) =>
      call(pool, EDITOR, (tx) => produceSql(tx, locs[0]!, [{ batch_id: kids[i % 4]!, quantity: 1 }], { product: sauce, number: uniq('G') }, 1), gate.arrive()));
    const recall = call(pool, ADMIN, (tx) => tx<{ id: string }[]>`select (recall).id from api.recall_batch(${brand}, ${root}, 'race')`, gate.arrive());
    const rs = await Promise.all([...producers, recall]);
    const t = tally(rs);
    report('recall ‖ 16 productions from its downstream', t);
    expect(t.other).toEqual([]);
    expect(rs[16]!.ok).toBe(true);
    for (const r of rs.slice(0, 16).filter((x) => !x.ok)) expect(r.details).toMatchObject({ rule: 'recalled' });
    const recallId = (rs[16]!.value as { id: string }[])[0]!.id;
    const escaped = await db.admin`
      with recursive down (batch_id) as (select ${root}::uuid union select e.output_batch_id from down d
        join data.genealogy_edges e on e.brand_id = ${brand} and e.input_batch_id = d.batch_id)
      select d.batch_id from down d join data.batches b on b.brand_id = ${brand} and b.id = d.batch_id
       where b.status <> 'recalled'
          or not exists (select from data.recall_batches rb where rb.brand_id = ${brand} and rb.recall_id = ${recallId} and rb.batch_id = d.batch_id)`;
    expect(escaped).toEqual([]);
    await checkInvariants();
  });

  it('property: random productions, splits and merges from parallel connections keep every invariant', async () => {
    const batches: string[] = [];
    for (let i = 0; i < 4; i++) batches.push(await receive(locs[i % 2]!, 40, i % 2 === 0 ? flour : sauce));
    const totals = { calls: 0, ok: 0, conflicts: 0, runs: 0 };
    const idx = fc.nat();
    const q = fc.integer({ min: 1, max: 6 });
    const op = fc.oneof(
      fc.record({ k: fc.constant('produce' as const), loc: fc.nat({ max: 1 }), ins: fc.uniqueArray(idx, { minLength: 1, maxLength: 2 }), q, into: fc.option(idx, { nil: undefined }) }),
      fc.record({ k: fc.constant('split' as const), loc: fc.nat({ max: 1 }), b: idx, parts: fc.array(q, { minLength: 1, maxLength: 2 }) }),
      fc.record({ k: fc.constant('merge' as const), loc: fc.nat({ max: 1 }), ins: fc.uniqueArray(idx, { minLength: 2, maxLength: 2 }), q }),
      fc.record({ k: fc.constant('receive' as const), loc: fc.nat({ max: 1 }), q }),
    );
    type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
    const pick = (i: number) => batches[i % batches.length]!;
    async function run(o: Op) {
      const loc = locs[o.loc]!;
      switch (o.k) {
        case 'receive': {
          batches.push(await receive(loc, o.q * 10, o.q % 2 ? flour : sauce));
          return { ok: true };
        }
        case 'produce': {
          const ins = [...new Set(o.ins.map(pick))].map((batch_id) => ({ batch_id, quantity: o.q }));
          const r = await call(pool, EDITOR, (tx) => produceSql(tx, loc, ins, o.into === undefined ? { product: sauce, number: uniq('P') } : { batch: pick(o.into) }, o.q * 2));
          if (r.ok && o.into === undefined) batches.push((r.value as { outputs: { batch_id: string }[] }[])[0]!.outputs[0]!.batch_id);
          return r;
        }
        case 'split': {
          const r = await call(pool, EDITOR, (tx) => tx<{ outputs: { batch_id: string }[] }[]>`
            select to_json(outputs) as outputs from api.split_batch(${brand}, ${pick(o.b)}, ${loc}, ${tx.json(o.parts.map((quantity) => ({ quantity })))})`);
          if (r.ok) batches.push(...(r.value as { outputs: { batch_id: string }[] }[])[0]!.outputs.map((x) => x.batch_id));
          return r;
        }
        case 'merge': {
          const ins = [...new Set(o.ins.map(pick))].map((batch_id) => ({ batch_id, quantity: o.q }));
          if (ins.length < 2) return { ok: true };
          const r = await call(pool, EDITOR, (tx) => tx<{ outputs: { batch_id: string }[] }[]>`
            select to_json(outputs) as outputs from api.merge_batches(${brand}, ${loc}, ${tx.json(ins)})`);
          if (r.ok) batches.push((r.value as { outputs: { batch_id: string }[] }[])[0]!.outputs[0]!.batch_id);
          return r;
        }
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 10 }), { minLength: 8, maxLength: 12 }), fc.nat(), async (workers, probe) => {
        totals.runs++;
        const results = (await Promise.all(workers.map(async (ops) => {
          const out = [];
          for (const o of ops) out.push(await run(o));
          return out;
        }))).flat();
        const t = tally(results);
        totals.calls += t.calls;
        totals.ok += t.ok;
        totals.conflicts += t.conflicts;
        // the only refusals are business conflicts: shortfall, cycle, different product/status/unit
        expect(t.other).toEqual([]);
        await checkInvariants();
        // trace down from a batch, then up from what was found, returns to the start
        const start = pick(probe);
        const down = await traceIds(start, 'down');
        for (const d of [...down].slice(0, 4)) expect((await traceIds(d, 'up')).has(start), `${d} up reaches ${start}`).toBe(true);
      }),
      { numRuns: 20, endOnFailure: true },
    );
    console.log(`traceability-concurrency: property (fast-check, ${totals.runs} runs, 8–12 parallel connections each): calls=${totals.calls} successes=${totals.ok} conflicts=${totals.conflicts}`);
    expect(totals.ok).toBeGreaterThan(0);
    expect(totals.conflicts).toBeGreaterThan(0);
    const [e] = await db.admin<{ events: number; edges: number }[]>`
      select (select count(*)::int from data.genealogy_events where brand_id = ${brand}) as events,
             (select count(*)::int from data.genealogy_edges where brand_id = ${brand}) as edges`;
    console.log(`traceability-concurrency: property genealogy: ${JSON.stringify(e)}`);
    expect(e!.edges).toBeGreaterThan(20);
  }, 300_000);
});
