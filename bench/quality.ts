// Section "quality": suggest_picks (first expiry first out) latency at scale, and reserve_picks.
//
//   npx tsx bench/quality.ts [--quick]     own embedded PostgreSQL (fast, temp dir), migrated
//   npm run bench -- quality               bench/run.ts calls run(opts) with its own database
//
// Data (set-based, as the superuser, triggers and foreign-key checks off while loading): one brand, one
// location, `products` products × 100 batches = 1,000,000 batches (quick: 10,000), every batch stocked at
// that location (1–50 units), expiry dates spread over two years; 5 % already expired, 1 % on hold, so
// suggestions skip some. The stock rows are loaded without ledger rows (suggest_picks reads stock only).
// Before timing, the tables and indexes read are loaded into the OS cache with pg_prewarm (a warm server).
// Timed: api.suggest_picks through the SQL door (one transaction: act_as as a viewer, the call), for random
// products, with quantities that take 1 batch, about 10, and all 100 (a shortfall) — as a client sees it (4 round
// trips: begin, act_as, call, commit) and inside the database (n calls in one DO block, clock per call); then reserve_picks of a
// fresh suggestion (suggest, then reserve in its own transaction as an editor) and the plan of the suggestion.
import postgres from 'postgres';
import { runAsMain, withThrowawayDatabase } from '../src/db/throwaway.ts';
import { rng, round, summarize, type LatencySummary } from './lib/stats.ts';

export interface QualityBenchOptions {
  adminUrl?: string;
  quick?: boolean;
  /** products with 100 batches each (default 10,000; quick 100) */
  products?: number;
  /** timed calls per shape (default 500; quick 100) */
  samples?: number;
  deadline?: number;
  log?: (line: string) => void;
}

const BATCHES_PER_PRODUCT = 100;
const VIEWER = 'bench-quality-viewer';
const EDITOR = 'bench-quality-editor';
const ms = (s: LatencySummary) => ({ n: s.n, p50_ms: round(s.p50), p95_ms: round(s.p95), p99_ms: round(s.p99), max_ms: round(s.max), mean_ms: round(s.mean) });

export async function run(opts: QualityBenchOptions = {}): Promise<Record<string, unknown>> {
  if (!opts.adminUrl) return withThrowawayDatabase('bench_quality', (db) => run({ ...opts, ...db }));
  const log = opts.log ?? (() => {});
  const products = opts.products ?? (opts.quick ? 100 : 10_000);
  const samples = opts.samples ?? (opts.quick ? 100 : 500);
  const sql = postgres(opts.adminUrl, { max: 2, onnotice: () => {} });
  try {
    await sql`create extension if not exists pg_prewarm schema public`.catch((e: Error) => log(`quality: no pg_prewarm (${e.message})`));
    const t0 = performance.now();
    const [{ brand, location }] = await sql.begin(async (tx) => {
      await tx.unsafe(`set local session_replication_role = replica`); // no triggers, no FK checks: bulk load
      await tx.unsafe(`set local synchronous_commit = off`);
      await tx.unsafe(`select setseed(0.42)`);
      const [b] = await tx<{ id: string }[]>`insert into data.brands (name, slug, created_by) values ('Bench quality', 'bench-quality', ${VIEWER}) returning id`;
      await tx`insert into data.brand_members (brand_id, user_id, role) values (${b!.id}, ${VIEWER}, 'viewer'), (${b!.id}, ${EDITOR}, 'editor')`;
      const [l] = await tx<{ id: string }[]>`insert into data.locations (brand_id, name) values (${b!.id}, 'Main') returning id`;
      await tx`insert into data.products (brand_id, id, name, expirable)
               select ${b!.id}, md5('qp:' || k)::uuid, 'Product ' || k, true from generate_series(1, ${products}::int) k`;
      await tx`insert into data.batches (brand_id, id, product_id, batch_number, status, received_date, expiry_date, created_by, created_at)
               select ${b!.id}, md5('qb:' || k || ':' || j)::uuid, md5('qp:' || k)::uuid, 'L' || k || '-' || j, 'ready_for_sale',
                      date '2025-01-01' + (random() * 600)::int,
                      case when random() < 0.05 then current_date - 1 - (random() * 90)::int else current_date + (random() * 730)::int end,
                      ${EDITOR}, timestamptz '2025-01-01' + j * interval '1 hour'
                 from generate_series(1, ${products}::int) k, generate_series(1, ${BATCHES_PER_PRODUCT}::int) j`;
      await tx`insert into data.stock (brand_id, batch_id, location_id, quantity)
               select ${b!.id}, b.id, ${l!.id}, 1 + floor(random() * 50) from data.batches b where b.brand_id = ${b!.id}`;
      await tx`insert into data.holds (brand_id, batch_id, reason_code, note, placed_by)
               select ${b!.id}, b.id, 'damaged', 'bench', ${EDITOR} from data.batches b where b.brand_id = ${b!.id} and random() < 0.01`;
      return [{ brand: b!.id, location: l!.id }];
    });
    await sql.unsafe(`analyze data.batches, data.stock, data.holds, data.products`);
    const loadSeconds = (performance.now() - t0) / 1000;
    // a warm working set, as on a server that has been answering for a while: the tables and indexes the
    // suggestion reads are read once into the OS cache (shared_buffers is smaller than them)
    const prewarmed = await sql.unsafe<{ pages: number }[]>(`
      select coalesce(sum(public.pg_prewarm(c.oid::regclass, 'read')), 0)::bigint as pages from pg_catalog.pg_class c
       where c.oid in ('data.batches'::regclass, 'data.stock'::regclass, 'data.holds'::regclass, 'data.lab_results'::regclass)
          or c.oid in (select i.indexrelid from pg_catalog.pg_index i
                        where i.indrelid in ('data.batches'::regclass, 'data.stock'::regclass, 'data.holds'::regclass, 'data.lab_results'::regclass))`)
      .catch((e: Error) => { log(`quality: no prewarm (${e.message})`); return [{ pages: 0 }]; });
    const [size] = await sql<{ batches: number; stock: number; holds: number }[]>`
      select (select count(*)::int from data.batches) as batches, (select count(*)::int from data.stock) as stock,
             (select count(*)::int from data.holds) as holds`;
    log(`quality: ${size!.batches.toLocaleString('en')} batches, ${size!.stock.toLocaleString('en')} stock rows, ${size!.holds} holds loaded in ${loadSeconds.toFixed(1)} s`);

    const pick = rng(7);
    const productIds = await sql<{ id: string }[]>`select md5('qp:' || k)::uuid as id from generate_series(1, ${products}::int) k`;
    const randomProduct = () => productIds[Math.floor(pick() * productIds.length)]!.id;
    const suggest = async (product: string, quantity: number) => {
      const t = performance.now();
      const [r] = await sql.begin(async (tx) => {
        await tx`select app.act_as(${VIEWER}, null)`;
        return tx<{ lines: number; suggested: number; skipped: number }[]>`
          select cardinality(s.lines) as lines, s.suggested::float8 as suggested, cardinality(s.skipped) as skipped
            from api.suggest_picks(${brand}, ${product}, ${location}, ${quantity}) s`;
      });
      return { ms: performance.now() - t, r: r! };
    };
    // the function alone, timed inside the database (no round trips): n calls in one transaction as the viewer
    const serverSide = async (quantity: number, n: number): Promise<number[]> => {
      const ids = Array.from({ length: n }, () => randomProduct());
      const [r] = await sql.begin(async (tx) => {
        await tx`select app.act_as(${VIEWER}, null)`;
        await tx.unsafe(`do $$
          declare t timestamptz; d float8[] := '{}'; p uuid;
          begin
            foreach p in array array[${ids.map((x) => `'${x}'`).join(',')}]::uuid[] loop
              t := clock_timestamp();
              perform api.suggest_picks('${brand}', p, '${location}', ${quantity});
              d := d || extract(epoch from clock_timestamp() - t)::float8 * 1000;
            end loop;
            perform set_config('bench.ms', array_to_string(d, ','), true);
          end $$`);
        return tx<{ v: string }[]>`select current_setting('bench.ms') as v`;
      });
      return r!.v.split(',').map(Number);
    };
    // warm-up (plans cached per connection, catalog caches)
    for (let i = 0; i < 50; i++) await suggest(randomProduct(), 10);

    const shapes: { name: string; quantity: number }[] = [
      { name: 'one batch (quantity 1)', quantity: 1 },
      { name: 'about ten batches (quantity 250)', quantity: 250 },
      { name: 'every batch, short (quantity 100,000)', quantity: 100_000 },
    ];
    const suggestResults = [];
    for (const s of shapes) {
      const times: number[] = [];
      let lines = 0;
      let skipped = 0;
      for (let i = 0; i < samples; i++) {
        if (opts.deadline && Date.now() > opts.deadline - 20_000) break;
        const x = await suggest(randomProduct(), s.quantity);
        times.push(x.ms);
        lines += x.r.lines;
        skipped += x.r.skipped;
      }
      const server = summarize(await serverSide(s.quantity, Math.min(samples, 200)));
      suggestResults.push({
        shape: s.name, quantity: s.quantity, ...ms(summarize(times)), mean_lines: round(lines / times.length, 1),
        mean_skipped: round(skipped / times.length, 1), in_database_p50_ms: round(server.p50), in_database_p95_ms: round(server.p95),
      });
      log(`quality: suggest_picks ${s.name}: p50 ${round(summarize(times).p50)} ms, p95 ${round(summarize(times).p95)} ms; in the database p50 ${round(server.p50)} ms, p95 ${round(server.p95)} ms`);
    }

    // reserve_picks: a fresh suggestion, then the reservation in its own transaction (as an editor)
    const reserveTimes: number[] = [];
    let conflicts = 0;
    for (let i = 0; i < Math.min(samples, 200); i++) {
      if (opts.deadline && Date.now() > opts.deadline - 15_000) break;
      const product = randomProduct();
      const [s] = await sql.begin(async (tx) => {
        await tx`select app.act_as(${EDITOR}, null)`;
        return tx<{ lines: unknown }[]>`select to_jsonb(lines) as lines from api.suggest_picks(${brand}, ${product}, ${location}, 30)`;
      });
      const t = performance.now();
      try {
        await sql.begin(async (tx) => {
          await tx`select app.act_as(${EDITOR}, null)`;
          await tx`select id from api.reserve_picks(_brand_id => ${brand}, _product_id => ${product}, _location_id => ${location}, _lines => ${tx.json(s!.lines as never)})`;
        });
        reserveTimes.push(performance.now() - t);
      } catch {
        conflicts++;
      }
    }

    const sample = randomProduct();
    const plan = await sql.begin(async (tx) => {
      await tx`select app.act_as(${VIEWER}, null)`;
      await tx.unsafe(`set local role authenticated`);
      return tx.unsafe<{ 'QUERY PLAN': string }[]>(
        `explain (analyze, buffers, costs off, timing off, summary on) select * from app.pick_suggestion($1, $2, $3, 250, 0)`, [brand, sample, location]);
    });
    const p95 = suggestResults.reduce((m, x) => Math.max(m, x.p95_ms), 0);
    const inDbP95 = suggestResults.reduce((m, x) => Math.max(m, x.in_database_p95_ms), 0);
    return {
      dataset: {
        batches: size!.batches, products, batches_per_product: BATCHES_PER_PRODUCT, stock_rows: size!.stock, holds: size!.holds,
        load_seconds: round(loadSeconds, 1), prewarmed_pages: Number(prewarmed[0]?.pages ?? 0),
      },
      suggest_picks: suggestResults,
      suggest_picks_p95_max_ms: p95,
      suggest_picks_in_database_p95_max_ms: inDbP95,
      goal_p95_ms: 10,
      goal_met: p95 < 10,
      reserve_picks: { ...ms(summarize(reserveTimes)), conflicts },
      plan: plan.map((r) => r['QUERY PLAN']).filter((l) => /Execution Time|Planning Time|Buffers: shared/.test(l)).slice(-3),
    };
  } finally {
    await sql.end();
  }
}

runAsMain(import.meta.url, (argv) => run({ quick: argv.includes('--quick'), log: (l) => console.error(l) }));
