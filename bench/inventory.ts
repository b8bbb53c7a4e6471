// Section "inventory": accept_transfer under contention.
//
//   npx tsx bench/inventory.ts [--quick]     own embedded PostgreSQL (fast, temp dir), migrated, then run()
//   npm run bench                            bench/run.ts calls run(opts) with its own database
//
// Scenario "accept": many pending transfers are created first over a small set of batches and
// locations (so their stock balances overlap heavily), then 32 clients, each on its own connection and
// in its own transaction per call (act_as + api.accept_transfer, as the gateway does), accept them
// concurrently. Every accept moves stock at two locations per line (release + transfer_out at the source,
// transfer_in at the destination) under the per-balance advisory locks.
// Scenario "mixed": 32 clients each loop create_transfer → accept_transfer on the same hot balances,
// with a receipt and an adjustment every few iterations (stock moving while transfers are accepted);
// accept latency is reported separately from the whole mix.
// Both end with the ledger = stock check.
import postgres, { type Sql } from 'postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrateDatabase } from '../src/db/migrate.ts';

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

export interface InventoryBenchResult {
  clients: number;
  locations: number;
  batches: number;
  accept: {
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
  };
  mixed: {
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
  };
  ledger_equals_stock: boolean;
  firstError?: string;
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

export async function run(opts: InventoryBenchOptions = {}): Promise<InventoryBenchResult> {
  if (!opts.adminUrl) return withEmbedded((adminUrl) => run({ ...opts, adminUrl }));
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const clients = opts.clients ?? 32;
  const nLoc = 4;
  const nBatch = 8;
  const nTransfers = quick ? 640 : 6400;
  const linesPer = 2;
  const mixedSeconds = quick ? 3 : 15;

  const sql = postgres(opts.adminUrl, { max: clients + 2, onnotice: () => {} });
  urlOf.set(sql, opts.adminUrl);
  try {
    // --- setup: a brand, members, locations, batches with plenty of stock everywhere
    const [brand] = await as(sql, 'bench-inv-owner', (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => 'Inventory bench')`);
    const brandId = brand!.id;
    await as(sql, 'bench-inv-owner', async (tx) => {
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
    for (let li = 0; li < nLoc; li++) {
      const lines = Array.from({ length: nBatch }, (_, b) => ({ product_id: product!.id, batch_number: `B-${b}`, quantity: 1_000_000 }));
      const [r] = await as(sql, EDITOR, (tx) => tx<{ ids: string[] }[]>`
        select array(select (l).batch_id from unnest(lines) l order by (l).line_no) as ids
          from api.receive_inbound(_brand_id => ${brandId}, _location_id => ${locs[li]!}, _lines => ${tx.json(lines)})`);
      batches = r!.ids;
    }

    // --- scenario "accept": pre-create pending transfers over the hot balances
    log(`inventory: creating ${nTransfers} pending transfers (${linesPer} lines each, ${nBatch} batches × ${nLoc} locations)`);
    const transferIds: string[] = [];
    let k = 0;
    const creator = async () => {
      for (;;) {
        const i = k++;
        if (i >= nTransfers) break;
        const from = i % nLoc;
        const to = (from + 1 + (i % (nLoc - 1))) % nLoc;
        const lines = Array.from({ length: linesPer }, (_, j) => ({ batch_id: batches[(i + j * 3) % nBatch]!, quantity: 1 }));
        const [t] = await as(sql, EDITOR, (tx) => tx<{ id: string }[]>`
          select id from api.create_transfer(_brand_id => ${brandId}, _from_location_id => ${locs[from]!}, _to_location_id => ${locs[to]!},
            _lines => ${tx.json(lines)})`);
        transferIds.push(t!.id);
      }
    };
    await Promise.all(Array.from({ length: 8 }, creator));
    // open every connection before the clock starts
    await Promise.all(Array.from({ length: clients }, () => sql`select 1`));

    log(`inventory: ${clients} clients accepting ${transferIds.length} transfers`);
    const acceptSamples: number[] = [];
    let accepted = 0;
    let conflicts = 0;
    let errors = 0;
    let firstError: string | undefined;
    let next = 0;
    const t0 = performance.now();
    const acceptWaits = await sampleWaits(sql, () => Promise.all(Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= transferIds.length) break;
        const s = performance.now();
        try {
          await as(sql, ADMIN, (tx) => tx`select status from api.accept_transfer(${brandId}, ${transferIds[i]!})`);
          accepted++;
          acceptSamples.push(performance.now() - s);
        } catch (e) {
          if ((e as { code?: string }).code === 'PT409') conflicts++;
          else {
            errors++;
            firstError ??= (e as Error).message;
          }
        }
      }
    })));
    const acceptSeconds = (performance.now() - t0) / 1000;

    // --- scenario "mixed": create → accept loops with receipts and adjustments on the same balances
    log(`inventory: mixed load, ${clients} clients, ${mixedSeconds}s`);
    const mixed = { accept: [] as number[], create: [] as number[], all: [] as number[], receipts: 0, adjustments: 0, conflicts: 0, errors: 0 };
    const end = performance.now() + mixedSeconds * 1000;
    let seq = 0;
    const m0 = performance.now();
    const timed = async (bucket: number[] | null, f: () => Promise<unknown>): Promise<unknown> => {
      const s = performance.now();
      try {
        const v = await f();
        const d = performance.now() - s;
        bucket?.push(d);
        mixed.all.push(d);
        return v;
      } catch (e) {
        if ((e as { code?: string }).code === 'PT409') mixed.conflicts++;
        else {
          mixed.errors++;
          firstError ??= (e as Error).message;
        }
        return undefined;
      }
    };
    const mixedWaits = await sampleWaits(sql, () => Promise.all(Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < end) {
        const i = seq++;
        const from = (c + i) % nLoc;
        const to = (from + 1) % nLoc;
        const lines = Array.from({ length: linesPer }, (_, j) => ({ batch_id: batches[(i + j * 3) % nBatch]!, quantity: 1 }));
        const t = (await timed(mixed.create, () => as(sql, EDITOR, (tx) => tx<{ id: string }[]>`
          select id from api.create_transfer(_brand_id => ${brandId}, _from_location_id => ${locs[from]!}, _to_location_id => ${locs[to]!},
            _lines => ${tx.json(lines)})`))) as { id: string }[] | undefined;
        if (t) await timed(mixed.accept, () => as(sql, ADMIN, (tx) => tx`select status from api.accept_transfer(${brandId}, ${t[0]!.id})`));
        if (i % 4 === 0) {
          const v = await timed(null, () => as(sql, EDITOR, (tx) => tx`
            select id from api.receive_inbound(_brand_id => ${brandId}, _location_id => ${locs[to]!},
              _lines => ${tx.json([{ product_id: product!.id, batch_number: `B-${i % nBatch}`, quantity: 2 }])})`));
          if (v) mixed.receipts++;
        }
        if (i % 4 === 2) {
          const v = await timed(null, () => as(sql, EDITOR, (tx) => tx`
            select quantity from api.adjust_stock(${brandId}, ${batches[i % nBatch]!}, ${locs[from]!}, -1, 'bench shrinkage')`));
          if (v) mixed.adjustments++;
        }
      }
    })));
    const mixedSeconds_ = (performance.now() - m0) / 1000;

    const [check] = await sql<{ bad: number }[]>`
      select count(*)::int as bad from data.stock s
        left join (select batch_id, location_id, sum(quantity_delta) q, sum(committed_delta) c
                     from data.stock_movements where brand_id = ${brandId} group by 1, 2) m
          on m.batch_id = s.batch_id and m.location_id = s.location_id
       where s.brand_id = ${brandId} and (s.quantity is distinct from m.q or s.committed is distinct from m.c)`;

    const mixedCalls = mixed.all.length;
    const result: InventoryBenchResult = {
      clients,
      locations: nLoc,
      batches: nBatch,
      accept: {
        transfers: transferIds.length,
        lines_per_transfer: linesPer,
        accepted,
        conflicts,
        errors,
        seconds: r2(acceptSeconds),
        calls_per_sec: r2(accepted / acceptSeconds),
        latency: latency(acceptSamples),
        waits_pct: topWaits(acceptWaits.waits),
      },
      mixed: {
        seconds: r2(mixedSeconds_),
        calls: mixedCalls,
        calls_per_sec: r2(mixedCalls / mixedSeconds_),
        accepts: mixed.accept.length,
        accepts_per_sec: r2(mixed.accept.length / mixedSeconds_),
        creates: mixed.create.length,
        receipts: mixed.receipts,
        adjustments: mixed.adjustments,
        conflicts: mixed.conflicts,
        errors: mixed.errors,
        accept_latency: latency(mixed.accept),
        create_latency: latency(mixed.create),
        all_latency: latency(mixed.all),
        waits_pct: topWaits(mixedWaits.waits),
      },
      ledger_equals_stock: check!.bad === 0,
      ...(firstError ? { firstError } : {}),
    };
    log(`inventory: accept ${result.accept.calls_per_sec} calls/s p50 ${result.accept.latency.p50_ms} ms p99 ${result.accept.latency.p99_ms} ms; ` +
        `mixed ${result.mixed.calls_per_sec} calls/s, accept p50 ${result.mixed.accept_latency.p50_ms} ms p99 ${result.mixed.accept_latency.p99_ms} ms`);
    return result;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Start a throw-away embedded cluster (fsync off), migrate a database, run `f`, clean up. */
async function withEmbedded<T>(f: (adminUrl: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'lotline-bench-inventory-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const cluster = await startEmbedded({ dir, port, password: 'bench', persistent: false, fast: true });
  try {
    const root = postgres(cluster.superuserUrl('postgres'), { max: 1, onnotice: () => {} });
    try {
      await root.unsafe('create database bench_inventory');
    } finally {
      await root.end();
    }
    const adminUrl = cluster.superuserUrl('bench_inventory');
    await migrateDatabase({ adminUrl });
    return await f(adminUrl);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const clientsArg = process.argv.find((a) => a.startsWith('--clients='));
  run({ quick, clients: clientsArg ? Number(clientsArg.split('=')[1]) : undefined })
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
