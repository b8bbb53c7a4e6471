// Section "inventory": accept_transfer under contention.
//
//   npx tsx bench/inventory.ts [--quick]     own embedded PostgreSQL (fast, temp dir), migrated, then run()
//   npm run bench                            bench/run.ts calls run(opts) with its own database
//
// Two shapes, each in its own brand: "hot" (8 batches × 4 locations: every accept contends with most
// others for the same stock balances) and "spread" (256 batches × 8 locations). In each:
//   accept: many pending transfers (2 lines each) are created first, then 32 clients, each on its own
//           connection and in its own transaction per call (act_as + api.accept_transfer, as the gateway
//           does), accept them concurrently. Every accept moves stock at two locations per line (release +
//           transfer_out at the source, transfer_in at the destination) under the per-balance advisory locks.
//   mixed:  32 clients each loop create_transfer → accept_transfer, with a receipt and an adjustment every
//           few iterations (stock moving while transfers are accepted); accept latency is reported apart.
// While each phase runs, pg_stat_activity is sampled to show what the backends waited on. The run ends
// with the ledger = stock check over every brand.
import postgres, { type Sql } from 'postgres';
import { runAsMain, withThrowawayDatabase } from '../src/db/throwaway.ts';

export interface InventoryBenchOptions {
  /** superuser connection to a migrated database; without it run() starts its own embedded cluster */
  adminUrl?: string;
  quick?: boolean;
  /** concurrent clients (connections), default 32 */
  clients?: number;
  log?: (line: string) => void;
}

export interface Latency {
  n: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

export interface AcceptResult {
  transfers: number;
  lines_per_transfer: number;
  accepted: number;
  conflicts: number;
  errors: number;
  seconds: number;
  calls_per_sec: number;
  latency: Latency;
  /** share of sampled active backends by wait event ('cpu' = not waiting) */
  waits_pct: Record<string, number>;
  firstError?: string;
}

export interface MixedResult {
  seconds: number;
  calls: number;
  calls_per_sec: number;
  accepts: number;
  accepts_per_sec: number;
  creates: number;
  receipts: number;
  adjustments: number;
  conflicts: number;
  errors: number;
  accept_latency: Latency;
  create_latency: Latency;
  all_latency: Latency;
  waits_pct: Record<string, number>;
  firstError?: string;
}

export interface ScenarioResult {
  locations: number;
  batches: number;
  accept: AcceptResult;
  mixed: MixedResult;
}

export interface InventoryBenchResult {
  clients: number;
  /** hot: 8 batches × 4 locations (every accept contends); spread: 256 batches × 8 locations */
  scenarios: { hot: ScenarioResult; spread: ScenarioResult };
  ledger_equals_stock: boolean;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

function latency(samples: number[]): Latency {
  const a = Float64Array.from(samples).sort();
  const pct = (p: number) => (a.length ? a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))]! : NaN);
  const mean = a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN;
  return { n: a.length, p50_ms: r2(pct(50)), p95_ms: r2(pct(95)), p99_ms: r2(pct(99)), max_ms: r2(a.length ? a[a.length - 1]! : NaN), mean_ms: r2(mean) };
}

const ADMIN = 'bench-inv-admin';
const EDITOR = 'bench-inv-editor';

/** Sample pg_stat_activity every 20 ms while `f` runs: what the other backends were waiting on. */
async function sampleWaits<T>(sql: Sql, f: () => Promise<T>): Promise<{ value: T; waits: Record<string, number> }> {
  const counts: Record<string, number> = {};
  let running = true;
  const sampler = (async () => {
    const probe = postgres(sqlOptionsUrl(sql), { max: 1, onnotice: () => {} });
    try {
      while (running) {
        const rows = await probe<{ w: string; n: number }[]>`
          select coalesce(wait_event_type || ':' || wait_event, 'cpu') as w, count(*)::int as n
            from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
           group by 1`;
        for (const r of rows) counts[r.w] = (counts[r.w] ?? 0) + r.n;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await probe.end({ timeout: 1 });
    }
  })();
  try {
    const value = await f();
    return { value, waits: counts };
  } finally {
    running = false;
    await sampler;
  }
}

const urlOf = new WeakMap<Sql, string>();
function sqlOptionsUrl(sql: Sql): string {
  return urlOf.get(sql)!;
}

function topWaits(w: Record<string, number>): Record<string, number> {
  const total = Object.values(w).reduce((s, x) => s + x, 0) || 1;
  return Object.fromEntries(Object.entries(w).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => [k, r2((100 * v) / total)]));
}

/** One call in its own transaction, as the gateway runs it (role + claims, then the function). */
async function as<T>(sql: Sql, sub: string, q: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select app.act_as(${sub}, null)`;
    return q(tx);
  }) as Promise<T>;
}

interface Ctx {
  sql: Sql;
  brandId: string;
  product: string;
  locs: string[];
  batches: string[];
}

/** A brand with `nLoc` locations and `nBatch` batches, each with plenty of stock at every location. */
async function setupBrand(sql: Sql, tag: string, nLoc: number, nBatch: number): Promise<Ctx> {
  const owner = `bench-inv-owner-${tag}`;
  const [brand] = await as(sql, owner, (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => ${`Inventory bench ${tag}`})`);
  const brandId = brand!.id;
  await as(sql, owner, async (tx) => {
    await tx`select api.add_brand_member(${brandId}, ${ADMIN}, 'admin')`;
    await tx`select api.add_brand_member(${brandId}, ${EDITOR}, 'editor')`;
  });
  const [product] = await as(sql, EDITOR, (tx) => tx<{ id: string }[]>`select id from api.create_product(_brand_id => ${brandId}, _name => 'Bench goods')`);
  const locs: string[] = [];
  for (let i = 0; i < nLoc; i++) {
    const [l] = await as(sql, EDITOR, (tx) => tx<{ id: string }[]>`select id from api.create_location(_brand_id => ${brandId}, _name => ${`Loc ${i}`})`);
    locs.push(l!.id);
  }
  let batches: string[] = [];
  for (const loc of locs) {
    const lines = Array.from({ length: nBatch }, (_, b) => ({ product_id: product!.id, batch_number: `B-${b}`, quantity: 1_000_000 }));
    const [r] = await as(sql, EDITOR, (tx) => tx<{ ids: string[] }[]>`
      select array(select (l).batch_id from unnest(lines) l order by (l).line_no) as ids
        from api.receive_inbound(_brand_id => ${brandId}, _location_id => ${loc}, _lines => ${tx.json(lines)})`);
    batches = r!.ids;
  }
  return { sql, brandId, product: product!.id, locs, batches };
}

function linesFor(ctx: Ctx, i: number, n: number): { batch_id: string; quantity: number }[] {
  const nb = ctx.batches.length;
  // distinct batches per transfer, spread over the set
  return Array.from({ length: n }, (_, j) => ({ batch_id: ctx.batches[(i * 7 + j * Math.max(1, Math.floor(nb / n))) % nb]!, quantity: 1 }));
}

async function createTransfer(ctx: Ctx, i: number, linesPer: number, fromOffset = 0): Promise<string> {
  const n = ctx.locs.length;
  const from = (i + fromOffset) % n;
  const to = (from + 1 + (i % (n - 1))) % n;
  const [t] = await as(ctx.sql, EDITOR, (tx) => tx<{ id: string }[]>`
    select id from api.create_transfer(_brand_id => ${ctx.brandId}, _from_location_id => ${ctx.locs[from]!}, _to_location_id => ${ctx.locs[to]!},
      _lines => ${tx.json(linesFor(ctx, i, linesPer))})`);
  return t!.id;
}

async function acceptScenario(ctx: Ctx, clients: number, nTransfers: number, linesPer: number, log: (l: string) => void): Promise<AcceptResult> {
  const { sql } = ctx;
  log(`inventory: creating ${nTransfers} pending transfers (${linesPer} lines each, ${ctx.batches.length} batches × ${ctx.locs.length} locations)`);
  const transferIds: string[] = new Array(nTransfers);
  let k = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (;;) {
      const i = k++;
      if (i >= nTransfers) break;
      transferIds[i] = await createTransfer(ctx, i, linesPer);
    }
  }));
  await Promise.all(Array.from({ length: clients }, () => sql`select 1`));

  log(`inventory: ${clients} clients accepting ${nTransfers} transfers`);
  const samples: number[] = [];
  let accepted = 0;
  let conflicts = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  const { waits } = await sampleWaits(sql, () => Promise.all(Array.from({ length: clients }, async () => {
    for (;;) {
      const i = next++;
      if (i >= transferIds.length) break;
      const s = performance.now();
      try {
        await as(sql, ADMIN, (tx) => tx`select status from api.accept_transfer(${ctx.brandId}, ${transferIds[i]!})`);
        accepted++;
        samples.push(performance.now() - s);
      } catch (e) {
        if ((e as { code?: string }).code === 'PT409') conflicts++;
        else {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    }
  })));
  const seconds = (performance.now() - t0) / 1000;
  return {
    transfers: nTransfers, lines_per_transfer: linesPer, accepted, conflicts, errors, seconds: r2(seconds),
    calls_per_sec: r2(accepted / seconds), latency: latency(samples), waits_pct: topWaits(waits),
    ...(firstError ? { firstError } : {}),
  };
}

async function mixedScenario(ctx: Ctx, clients: number, seconds: number, linesPer: number, log: (l: string) => void): Promise<MixedResult> {
  const { sql } = ctx;
  log(`inventory: mixed load, ${clients} clients, ${seconds}s`);
  const m = { accept: [] as number[], create: [] as number[], all: [] as number[], receipts: 0, adjustments: 0, conflicts: 0, errors: 0 };
  let firstError: string | undefined;
  const timed = async <T>(bucket: number[] | null, f: () => Promise<T>): Promise<T | undefined> => {
    const s = performance.now();
    try {
      const v = await f();
      const d = performance.now() - s;
      bucket?.push(d);
      m.all.push(d);
      return v;
    } catch (e) {
      if ((e as { code?: string }).code === 'PT409') m.conflicts++;
      else {
        m.errors++;
        firstError ??= (e as Error).message;
      }
      return undefined;
    }
  };
  const end = performance.now() + seconds * 1000;
  let seq = 0;
  const t0 = performance.now();
  const nLoc = ctx.locs.length;
  const nBatch = ctx.batches.length;
  const { waits } = await sampleWaits(sql, () => Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (performance.now() < end) {
      const i = seq++;
      const id = await timed(m.create, () => createTransfer(ctx, i, linesPer, c));
      if (id) await timed(m.accept, () => as(sql, ADMIN, (tx) => tx`select status from api.accept_transfer(${ctx.brandId}, ${id})`));
      if (i % 4 === 0) {
        const v = await timed(null, () => as(sql, EDITOR, (tx) => tx`
          select id from api.receive_inbound(_brand_id => ${ctx.brandId}, _location_id => ${ctx.locs[i % nLoc]!},
            _lines => ${tx.json([{ product_id: ctx.product, batch_number: `B-${i % nBatch}`, quantity: 2 }])})`));
        if (v) m.receipts++;
      }
      if (i % 4 === 2) {
        const v = await timed(null, () => as(sql, EDITOR, (tx) => tx`
          select quantity from api.adjust_stock(${ctx.brandId}, ${ctx.batches[i % nBatch]!}, ${ctx.locs[(i + c) % nLoc]!}, -1, 'bench shrinkage')`));
        if (v) m.adjustments++;
      }
    }
  })));
  const secs = (performance.now() - t0) / 1000;
  return {
    seconds: r2(secs), calls: m.all.length, calls_per_sec: r2(m.all.length / secs),
    accepts: m.accept.length, accepts_per_sec: r2(m.accept.length / secs), creates: m.create.length,
    receipts: m.receipts, adjustments: m.adjustments, conflicts: m.conflicts, errors: m.errors,
    accept_latency: latency(m.accept), create_latency: latency(m.create), all_latency: latency(m.all),
    waits_pct: topWaits(waits), ...(firstError ? { firstError } : {}),
  };
}

async function ledgerEqualsStock(sql: Sql): Promise<boolean> {
  const [check] = await sql<{ bad: number }[]>`
    select count(*)::int as bad from data.stock s
      full join (select brand_id, batch_id, location_id, sum(quantity_delta) q, sum(committed_delta) c
                   from data.stock_movements group by 1, 2, 3) m
        on m.brand_id = s.brand_id and m.batch_id = s.batch_id and m.location_id = s.location_id
     where s.quantity is distinct from m.q or s.committed is distinct from m.c`;
  return check!.bad === 0;
}

export async function run(opts: InventoryBenchOptions = {}): Promise<InventoryBenchResult> {
  if (!opts.adminUrl) return withThrowawayDatabase('bench_inventory', ({ adminUrl }) => run({ ...opts, adminUrl }));
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const clients = opts.clients ?? 32;
  const nTransfers = quick ? 640 : 4000;
  const mixedSeconds = quick ? 3 : 10;
  const linesPer = 2;
  const shapes = { hot: { locations: 4, batches: 8 }, spread: { locations: 8, batches: 256 } } as const;

  const sql = postgres(opts.adminUrl, { max: clients + 2, onnotice: () => {} });
  urlOf.set(sql, opts.adminUrl);
  try {
    const scenarios = {} as InventoryBenchResult['scenarios'];
    for (const [name, shape] of Object.entries(shapes) as [keyof typeof shapes, (typeof shapes)[keyof typeof shapes]][]) {
      log(`inventory: scenario ${name}`);
      const ctx = await setupBrand(sql, name, shape.locations, shape.batches);
      const accept = await acceptScenario(ctx, clients, nTransfers, linesPer, log);
      const mixed = await mixedScenario(ctx, clients, mixedSeconds, linesPer, log);
      scenarios[name] = { ...shape, accept, mixed };
      log(`inventory: ${name}: accept ${accept.calls_per_sec} calls/s p50 ${accept.latency.p50_ms} ms p99 ${accept.latency.p99_ms} ms; ` +
          `mixed ${mixed.calls_per_sec} calls/s (accept p50 ${mixed.accept_latency.p50_ms} ms p99 ${mixed.accept_latency.p99_ms} ms)`);
    }
    return { clients, scenarios, ledger_equals_stock: await ledgerEqualsStock(sql) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}


runAsMain(import.meta.url, (argv) => {
  const clientsArg = argv.find((a) => a.startsWith('--clients='));
  return run({ quick: argv.includes('--quick'), clients: clientsArg ? Number(clientsArg.split('=')[1]) : undefined });
});
