// Quality rules under real concurrency (fast-check, parallel connections, each call its own committed
// transaction through the SQL door):
//   1. no reservation, transfer or pick ever includes held, expired or recalled stock — judged by what the
//      callers could know: a hold or recall that had committed before a call started (and whose release had
//      not begun before the call ended) must make the call fail with 409 rule unsellable; an expired batch
//      never moves; suggestions never offer such stock; the stock invariants hold after every run;
//   2. release is impossible without a passing result when a product requires one — after every run, every
//      gated batch whose latest result does not pass is not ready_for_sale and has an open lab hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import fc from 'fast-check';
import { asUser, createTestDb, type TestDb } from '../support/db.ts';
import type { Who } from '../support/door.ts';
import { call as callOn, checkStockInvariants, tally, type Outcome } from '../support/race.ts';

let db: TestDb;
let pool: Sql;
const OWNER: Who = { sub: 'qc-owner' };
const ADMIN: Who = { sub: 'qc-admin' };
const EDITOR: Who = { sub: 'qc-editor' };
let brand: string;
let product: string;
let gated: string;
let src: string;
let dst: string;

const call = <T>(who: Who, fn: (tx: TransactionSql) => Promise<T>): Promise<Outcome<T>> => callOn(pool, who, fn);
const one = async <T>(who: Who, fn: (tx: TransactionSql) => Promise<T[]>): Promise<T> => (await asUser(pool, who, fn))[0]!;
const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  db = await createTestDb();
  pool = postgres(db.adminUrl, { max: 16, onnotice: () => {} });
  brand = (await one<{ id: string }>(OWNER, (tx) => tx`select id from api.create_brand(_name => 'Quality races')`)).id;
  await asUser(pool, OWNER, async (tx) => {
    await tx`select api.add_brand_member(${brand}, ${ADMIN.sub}, 'admin')`;
    await tx`select api.add_brand_member(${brand}, ${EDITOR.sub}, 'editor')`;
  });
  product = (await one<{ id: string }>(EDITOR, (tx) => tx`select id from api.create_product(_brand_id => ${brand}, _name => 'Salad', _expirable => true)`)).id;
  gated = (await one<{ id: string }>(EDITOR, (tx) => tx`select id from api.create_product(_brand_id => ${brand}, _name => 'Flower')`)).id;
  await asUser(pool, ADMIN, (tx) => tx`select api.set_release_rule(${brand}, ${gated}, true)`);
  src = (await one<{ id: string }>(EDITOR, (tx) => tx`select id from api.create_location(_brand_id => ${brand}, _name => 'Source')`)).id;
  dst = (await one<{ id: string }>(EDITOR, (tx) => tx`select id from api.create_location(_brand_id => ${brand}, _name => 'Destination')`)).id;
  await Promise.all(Array.from({ length: 16 }, () => pool`select pg_sleep(0.02)`));
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** A logical clock: every call takes a tick when it starts and when it ends (JS runs one callback at a time). */
let clock = 0;
interface Timed<T> { start: number; end: number; r: Outcome<T> }
async function timed<T>(who: Who, fn: (tx: TransactionSql) => Promise<T>): Promise<Timed<T>> {
  const start = ++clock;
  const r = await call(who, fn);
  return { start, end: ++clock, r };
}

describe('quality under concurrency', () => {
  it('property: no reservation, transfer or pick includes held, expired or recalled stock', async () => {
    const totals = { calls: 0, ok: 0, refused: 0, certain: 0, runs: 0 };
    const idx = fc.nat({ max: 3 });
    const op = fc.oneof(
      { weight: 2, arbitrary: fc.record({ k: fc.constant('hold' as const), b: idx, here: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('release' as const), h: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('recall' as const), b: idx }) },
      { weight: 3, arbitrary: fc.record({ k: fc.constant('transfer' as const), b: idx, q: fc.integer({ min: 1, max: 3 }) }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('accept' as const), t: fc.nat() }) },
      { weight: 3, arbitrary: fc.record({ k: fc.constant('pick' as const), q: fc.integer({ min: 1, max: 6 }) }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('confirm' as const), p: fc.nat(), release: fc.boolean() }) },
    );

    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 6, maxLength: 10 }), async (workers) => {
        totals.runs++;
        // fresh batches each run: b0..b2 sellable (different expiry dates), b3 already expired
        const batches: string[] = [];
        for (const [i, exp] of [day(200), day(100), day(300), '2020-02-02'].entries()) {
          batches.push((await one<{ batch_id: string }>(EDITOR, (tx) => tx`
            select (lines[1]).batch_id from api.receive_inbound(_brand_id => ${brand}, _location_id => ${src},
              _lines => ${tx.json([{ product_id: product, batch_number: `R${totals.runs}-${i}-${Math.random().toString(36).slice(2, 6)}`, quantity: 12, expiry_date: exp }])})`)).batch_id);
        }
        const holds: { id: string; batch: string; end: number; releaseStart?: number }[] = [];
        const recalls: { batch: string; end: number }[] = [];
        const transfers: { id: string; batch: string }[] = [];
        const picks: { id: string; batches: string[] }[] = [];
        // stock-taking calls that succeeded (create/accept transfer, reserve/confirm pick) and suggestions made
        const taken: { what: string; batches: string[]; start: number; end: number }[] = [];
        const outcomes: Outcome<unknown>[] = [];

        async function run(o: typeof op extends fc.Arbitrary<infer T> ? T : never): Promise<void> {
          switch (o.k) {
            case 'hold': {
              const t = await timed(EDITOR, (tx) => tx<{ id: string }[]>`select id from api.place_hold(_brand_id => ${brand}, _batch_id => ${batches[o.b]!},
                _reason_code => 'damaged', _location_id => ${o.here ? src : null})`);
              outcomes.push(t.r.ok || t.r.code !== '23505' ? t.r : { ok: true }); // the same open hold twice: a 409 by design
              if (t.r.ok) holds.push({ id: t.r.value![0]!.id, batch: batches[o.b]!, end: t.end });
              return;
            }
            case 'release': {
              const h = holds[o.h % Math.max(1, holds.length)];
              if (!h) return;
              h.releaseStart ??= clock + 1;
              const t = await timed(ADMIN, (tx) => tx`select status from api.release_hold(${brand}, ${h.id})`);
              outcomes.push(t.r);
              return;
            }
            case 'recall': {
              const t = await timed(ADMIN, (tx) => tx`select status from api.set_batch_status(${brand}, ${batches[o.b]!}, 'recalled')`);
              outcomes.push(t.r.ok || t.r.details?.rule !== 'transition' ? t.r : { ok: true }); // already recalled
              if (t.r.ok) recalls.push({ batch: batches[o.b]!, end: t.end });
              return;
            }
            case 'transfer': {
              const t = await timed(EDITOR, (tx) => tx<{ id: string }[]>`select id from api.create_transfer(_brand_id => ${brand},
                _from_location_id => ${src}, _to_location_id => ${dst}, _lines => ${tx.json([{ batch_id: batches[o.b]!, quantity: o.q }])})`);
              outcomes.push(t.r);
              if (t.r.ok) {
                transfers.push({ id: t.r.value![0]!.id, batch: batches[o.b]! });
                taken.push({ what: 'create_transfer', batches: [batches[o.b]!], start: t.start, end: t.end });
              }
              return;
            }
            case 'accept': {
              const tr = transfers[o.t % Math.max(1, transfers.length)];
              if (!tr) return;
              const t = await timed(ADMIN, (tx) => tx`select status from api.accept_transfer(${brand}, ${tr.id})`);
              outcomes.push(t.r);
              if (t.r.ok) taken.push({ what: 'accept_transfer', batches: [tr.batch], start: t.start, end: t.end });
              return;
            }
            case 'pick': {
              const s = await timed(EDITOR, (tx) => tx<{ lines: { batch_id: string; quantity: number }[] }[]>`
                select to_json(lines) as lines from api.suggest_picks(${brand}, ${product}, ${src}, ${o.q})`);
              outcomes.push(s.r);
              if (!s.r.ok) return;
              const lines = s.r.value![0]!.lines.map((l) => ({ batch_id: l.batch_id, quantity: Number(l.quantity) }));
              taken.push({ what: 'suggest_picks', batches: lines.map((l) => l.batch_id), start: s.start, end: s.end });
              if (lines.length === 0) return;
              const t = await timed(EDITOR, (tx) => tx<{ id: string }[]>`select id from api.reserve_picks(_brand_id => ${brand},
                _product_id => ${product}, _location_id => ${src}, _lines => ${tx.json(lines)})`);
              outcomes.push(t.r);
              if (t.r.ok) {
                picks.push({ id: t.r.value![0]!.id, batches: lines.map((l) => l.batch_id) });
                taken.push({ what: 'reserve_picks', batches: lines.map((l) => l.batch_id), start: t.start, end: t.end });
              }
              return;
            }
            case 'confirm': {
              const p = picks[o.p % Math.max(1, picks.length)];
              if (!p) return;
              const fn = o.release ? 'release_picks' : 'confirm_picks';
              const t = await timed(EDITOR, (tx) => tx`select status from ${tx('api')}.${tx(fn)}(_brand_id => ${brand}, _pick_id => ${p.id})`);
              outcomes.push(t.r);
              if (t.r.ok && !o.release) taken.push({ what: 'confirm_picks', batches: p.batches, start: t.start, end: t.end });
            }
          }
        }

        await Promise.all(workers.map(async (ops) => {
          for (const o of ops) await run(o);
        }));

        // judge every successful stock-taking call by what had certainly happened before it started
        for (const s of taken) {
          for (const b of s.batches) {
            expect(b, `${s.what} took the expired batch`).not.toBe(batches[3]);
            const heldBefore = holds.find((h) => h.batch === b && h.end < s.start && (h.releaseStart === undefined || h.releaseStart > s.end));
            expect(heldBefore, `${s.what} (ticks ${s.start}–${s.end}) took stock of batch ${b} held since tick ${heldBefore?.end}`).toBeUndefined();
            const recalledBefore = recalls.find((r) => r.batch === b && r.end < s.start);
            expect(recalledBefore, `${s.what} took stock of batch ${b} recalled at tick ${recalledBefore?.end}`).toBeUndefined();
          }
        }
        const t = tally(outcomes, ['PT409']);
        expect(t.other, 'only business conflicts (409) may refuse a call').toEqual([]);
        const refusals = outcomes.filter((r) => r.details?.rule === 'unsellable').length;
        totals.calls += t.calls;
        totals.ok += t.ok;
        totals.refused += refusals;
        totals.certain += taken.length;
        await checkStockInvariants(db.admin, brand);
      }),
      { numRuns: 15, endOnFailure: true },
    );
    console.log(`quality-concurrency: unsellable stock (fast-check, ${totals.runs} runs, 6–10 parallel connections): calls=${totals.calls} ` +
      `successes=${totals.ok} refused as unsellable=${totals.refused} stock-taking calls judged=${totals.certain}`);
    expect(totals.refused).toBeGreaterThan(0);
    expect(totals.certain).toBeGreaterThan(0);
  }, 300_000);

  it('property: a gated batch is never ready_for_sale unless its latest lab result passes', async () => {
    const totals = { calls: 0, ok: 0, conflicts: 0, runs: 0, readyNow: 0 };
    const idx = fc.nat({ max: 2 });
    const op = fc.oneof(
      fc.record({ k: fc.constant('result' as const), b: idx, pass: fc.boolean() }),
      fc.record({ k: fc.constant('ready' as const), b: idx, direct: fc.boolean() }),
      fc.record({ k: fc.constant('back' as const), b: idx }),
      fc.record({ k: fc.constant('release' as const), b: idx }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 6, maxLength: 10 }), async (workers) => {
        totals.runs++;
        const batches: string[] = [];
        for (let i = 0; i < 3; i++) {
          batches.push((await one<{ id: string }>(EDITOR, (tx) => tx`select id from api.create_product_batch(_brand_id => ${brand},
            _product_id => ${gated}, _batch_number => ${`G${totals.runs}-${i}-${Math.random().toString(36).slice(2, 6)}`})`)).id);
        }
        const outcomes: Outcome<unknown>[] = [];
        await Promise.all(workers.map(async (ops) => {
          for (const o of ops) {
            const b = batches[o.b]!;
            if (o.k === 'result') {
              outcomes.push(await call(EDITOR, (tx) => tx`select id from api.record_lab_result(_brand_id => ${brand}, _batch_id => ${b},
                _result => ${o.pass ? 'pass' : 'fail'})`));
            } else if (o.k === 'ready') {
              outcomes.push(await call(EDITOR, (tx) => o.direct
                ? tx`update data.batches set status = 'ready_for_sale' where brand_id = ${brand} and id = ${b}`
                : tx`select status from api.set_batch_status(${brand}, ${b}, 'ready_for_sale')`));
            } else if (o.k === 'back') {
              outcomes.push(await call(EDITOR, (tx) => tx`select status from api.set_batch_status(${brand}, ${b}, 'in_testing')`));
            } else {
              // try to release every open lab hold of the batch
              outcomes.push(await call(ADMIN, (tx) => tx`select api.release_hold(${brand}, h.id) from data.holds h
                where h.brand_id = ${brand} and h.batch_id = ${b} and h.status = 'open'`));
            }
          }
        }));
        const t = tally(outcomes, ['PT409']);
        expect(t.other, 'only business conflicts (409) may refuse a call').toEqual([]);
        totals.calls += t.calls;
        totals.ok += t.ok;
        totals.conflicts += t.conflicts;
        const bad = await db.admin<{ id: string; status: string; latest: string | null; lab_holds: number }[]>`
          select b.id, b.status, app.latest_lab_result_of(b.brand_id, b.id) as latest,
                 (select count(*)::int from data.holds h where h.brand_id = b.brand_id and h.batch_id = b.id and h.status = 'open'
                     and h.reason_code in ('lab_pending', 'lab_failed')) as lab_holds
            from data.batches b where b.brand_id = ${brand} and b.id = any (${batches})`;
        for (const r of bad) {
          if (r.status === 'ready_for_sale') totals.readyNow++;
          if (r.latest !== 'pass') {
            expect(r.status, `batch ${r.id} (latest result ${r.latest})`).not.toBe('ready_for_sale');
            expect(r.lab_holds, `batch ${r.id} (latest result ${r.latest}) has an open lab hold`).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 15, endOnFailure: true },
    );
    console.log(`quality-concurrency: release gate (fast-check, ${totals.runs} runs, 6–10 parallel connections): calls=${totals.calls} ` +
      `successes=${totals.ok} conflicts=${totals.conflicts} ready_for_sale at the end=${totals.readyNow}`);
    expect(totals.conflicts).toBeGreaterThan(0);
    expect(totals.readyNow).toBeGreaterThan(0);
  }, 300_000);
});
