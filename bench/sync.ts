// Benchmark: api.upsert_batches (500-record calls, acting as an editor, through RLS, validation and
// the per-record report) against the floor no API can beat: a plain INSERT … ON CONFLICT of the same
// rows by the database owner. Both build up to `total` batches in their own brand, chunk by chunk,
// alternating so both see the same cluster state. Then both re-push everything unchanged, then with
// every quantity changed.
//
//   npx tsx bench/sync.ts [--total=100000] [--batch=500] [--products=100]   (BENCH_TRACE=1: log every call)
//
// Starts its own throw-away embedded PostgreSQL (fsync off) in a temp dir. `run()` is exported for
// `npm run bench`.
import postgres, { type Sql } from 'postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrateDatabase } from '../src/db/migrate.ts';

export interface SyncBenchOptions {
  /** batches to build up to (default 100000) */
  total?: number;
  /** records per call (default 500, the API's maximum) */
  batch?: number;
  /** products the batches are spread over (default 100) */
  products?: number;
  /** a migrated, empty database to use (superuser URL), e.g. the one `npm run bench` gives each section */
  adminUrl?: string;
  /** else this server (superuser URL): a database is created, migrated and dropped; else an embedded cluster */
  serverUrl?: string;
  /** Date.now() by which run() should return: the re-push phases are skipped when they would not fit */
  deadline?: number;
  log?: (line: string) => void;
}

export interface PhaseFigures {
  records: number;
  calls: number;
  seconds: number;
  recordsPerSecond: number;
  callP50ms: number;
  callP95ms: number;
}

export interface SyncBenchResult {
  benchmark: 'sync';
  postgres: string;
  total: number;
  batch: number;
  products: number;
  /** create: building up to `total`; unchanged: re-pushing all of it as is; update: with every quantity changed */
  phases: { create: PhaseResult; unchanged?: PhaseResult; update?: PhaseResult };
  /** phases left out to meet the deadline */
  skipped?: string[];
  /** api records/s ÷ raw records/s while building up to `total` (1 = as fast as the floor) */
  ratio: number;
}

export interface PhaseResult {
  api: PhaseFigures;
  raw: PhaseFigures;
  /** api records/s ÷ raw records/s */
  ratio: number;
}

interface Rec {
  externalId: string;
  productExternalId: string;
  productId: string;
  batchNumber: string;
  quantity: number;
  unit: string;
  receivedDate: string;
  expiryDate: string;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function figures(records: number, times: number[]): PhaseFigures {
  const seconds = times.reduce((a, b) => a + b, 0) / 1000;
  const sorted = [...times].sort((a, b) => a - b);
  const r = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    records,
    calls: times.length,
    seconds: r(seconds, 3),
    recordsPerSecond: Math.round(records / seconds),
    callP50ms: r(pct(sorted, 50)),
    callP95ms: r(pct(sorted, 95)),
  };
}

const RAW_UPSERT = `
  insert into data.batches as b (brand_id, product_id, external_id, batch_number, quantity, unit, received_date, expiry_date)
  select $1::uuid, x."productId", x."externalId", x."batchNumber", x.quantity, x.unit, x."receivedDate", x."expiryDate"
    from jsonb_to_recordset($2::jsonb) as x("productId" uuid, "externalId" text, "batchNumber" text, quantity numeric,
                                             unit text, "receivedDate" date, "expiryDate" date)
  on conflict (brand_id, external_id) do update
     set batch_number = excluded.batch_number, quantity = excluded.quantity, unit = excluded.unit,
         received_date = excluded.received_date, expiry_date = excluded.expiry_date`;

export async function run(opts: SyncBenchOptions = {}): Promise<SyncBenchResult> {
  const total = opts.total ?? 100_000;
  const batch = opts.batch ?? 500;
  const nProducts = opts.products ?? 100;
  const log = opts.log ?? (() => {});

  let dir: string | undefined;
  let stop: (() => Promise<void>) | undefined;
  let root: Sql | undefined;
  let dbName: string | undefined;
  let dbUrl = opts.adminUrl;
  let sql: Sql | undefined;
  try {
    if (!dbUrl) {
      let serverUrl = opts.serverUrl;
      if (!serverUrl) {
        dir = mkdtempSync(join(tmpdir(), 'lotline-bench-sync-'));
        const port = 30000 + Math.floor(Math.random() * 20000);
        const cluster = await startEmbedded({ dir, port, password: 'bench', persistent: false, fast: true });
        stop = cluster.stop;
        serverUrl = cluster.superuserUrl('postgres');
      }
      dbName = `bench_sync_${randomBytes(4).toString('hex')}`;
      root = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await root.unsafe(`create database ${dbName}`);
      const url = new URL(serverUrl);
      url.pathname = `/${dbName}`;
      dbUrl = url.toString();
      log('migrating');
      await migrateDatabase({ adminUrl: dbUrl });
    }
    sql = postgres(dbUrl, { max: 2, onnotice: () => {} });
    const [{ version }] = (await sql`select current_setting('server_version') as version`) as unknown as [{ version: string }];

    // two brands with the same products: one fed through the API, one by the raw upsert
    const editor = 'bench-erp';
    const brands: string[] = [];
    for (const slug of ['bench-api', 'bench-raw']) {
      const [b] = await sql<{ id: string }[]>`insert into data.brands (name, slug, created_by) values (${slug}, ${slug}, ${editor}) returning id::text`;
      brands.push(b!.id);
      await sql`insert into data.brand_members (brand_id, user_id, role) values (${b!.id}, ${editor}, 'editor')`;
      await sql`insert into data.products (brand_id, external_id, name)
                select ${b!.id}, 'ITEM-' || i, 'Product ' || i from generate_series(1, ${nProducts}) i`;
    }
    const [apiBrand, rawBrand] = brands as [string, string];
    // a database in steady state has statistics on its products (autovacuum would take up to a minute)
    await sql`analyze data.products`;
    const rawProductIds = new Map(
      (await sql<{ external_id: string; id: string }[]>`select external_id, id::text from data.products where brand_id = ${rawBrand}`)
        .map((p) => [p.external_id, p.id]),
    );

    const chunk = (start: number, n: number, qty: (i: number) => number): Rec[] =>
      Array.from({ length: n }, (_, k) => {
        const i = start + k;
        const pe = `ITEM-${(i % nProducts) + 1}`;
        const day = String((i % 28) + 1).padStart(2, '0');
        return {
          externalId: `BATCH-${i}`, productExternalId: pe, productId: rawProductIds.get(pe)!, batchNumber: `LOT-${i}`,
          quantity: qty(i), unit: 'kg', receivedDate: `2026-01-${day}`, expiryDate: `2027-06-${day}`,
        };
      });

    const apiCall = async (recs: Rec[]): Promise<{ ms: number; created: number; updated: number; errors: number }> => {
      const payload = recs.map(({ productId: _, ...r }) => r);
      const t0 = performance.now();
      const r = await sql!.begin(async (tx) => {
        await tx`select app.act_as(${editor}, 'integration:batches:write')`;
        const [x] = await tx<{ created: number; updated: number; n: number }[]>`
          select created, updated, jsonb_array_length(errors) as n from api.upsert_batches(${apiBrand}::uuid, ${tx.json(payload as never)})`;
        return x!;
      });
      return { ms: performance.now() - t0, created: r.created, updated: r.updated, errors: r.n };
    };
    const rawCall = async (recs: Rec[]): Promise<number> => {
      const t0 = performance.now();
      await sql!.begin((tx) => tx.unsafe(RAW_UPSERT, [rawBrand, recs as never]));
      return performance.now() - t0;
    };

    const phase = async (name: 'create' | 'unchanged' | 'update', qty: (i: number) => number, expect: 'created' | 'updated' | 'none') => {
      const apiTimes: number[] = [];
      const rawTimes: number[] = [];
      let touched = 0;
      for (let start = 0; start < total; start += batch) {
        const recs = chunk(start, Math.min(batch, total - start), qty);
        // alternate which goes first so neither always runs on a freshly checkpointed/vacuumed cluster
        if ((start / batch) % 2 === 0) {
          const a = await apiCall(recs);
          apiTimes.push(a.ms);
          touched += expect === 'created' ? a.created : expect === 'updated' ? a.updated : a.created + a.updated;
          if (a.errors) throw new Error(`upsert_batches reported ${a.errors} errors`);
          rawTimes.push(await rawCall(recs));
        } else {
          rawTimes.push(await rawCall(recs));
          const a = await apiCall(recs);
          apiTimes.push(a.ms);
          touched += expect === 'created' ? a.created : expect === 'updated' ? a.updated : a.created + a.updated;
          if (a.errors) throw new Error(`upsert_batches reported ${a.errors} errors`);
        }
        if ((start / batch) % 40 === 0 || process.env.BENCH_TRACE) {
          log(`${name}: ${start + recs.length}/${total} api ${apiTimes.at(-1)!.toFixed(1)} ms, raw ${rawTimes.at(-1)!.toFixed(1)} ms`);
        }
      }
      const want = expect === 'none' ? 0 : total;
      if (touched !== want) throw new Error(`${name}: expected ${want} ${expect} records, the API reported ${touched}`);
      const api = figures(total, apiTimes);
      const raw = figures(total, rawTimes);
      return { api, raw, ratio: Math.round((api.recordsPerSecond / raw.recordsPerSecond) * 1000) / 1000 };
    };

    const t0 = Date.now();
    const create = await phase('create', (i) => i % 1000, 'created');
    const phaseMs = Date.now() - t0;
    const fits = () => opts.deadline === undefined || Date.now() + phaseMs * 1.5 < opts.deadline;
    const skipped: string[] = [];
    let unchanged: PhaseResult | undefined;
    let update: PhaseResult | undefined;
    if (fits()) unchanged = await phase('unchanged', (i) => i % 1000, 'none');
    else skipped.push('unchanged');
    if (fits()) update = await phase('update', (i) => (i % 1000) + 1, 'updated');
    else skipped.push('update');

    const [counts] = await sql<{ a: number; r: number }[]>`
      select count(*) filter (where brand_id = ${apiBrand})::int as a, count(*) filter (where brand_id = ${rawBrand})::int as r from data.batches`;
    if (counts!.a !== total || counts!.r !== total) throw new Error(`row counts ${counts!.a}/${counts!.r}, expected ${total}`);

    return {
      benchmark: 'sync', postgres: version, total, batch, products: nProducts,
      phases: { create, ...(unchanged ? { unchanged } : {}), ...(update ? { update } : {}) },
      ...(skipped.length ? { skipped } : {}),
      ratio: create.ratio,
    };
  } finally {
    await sql?.end();
    if (root && dbName) await root.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await root?.end();
    if (stop) await stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function argInt(name: string): number | undefined {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number.parseInt(a.slice(name.length + 3), 10) : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run({
    total: argInt('total'), batch: argInt('batch'), products: argInt('products'),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  console.log(JSON.stringify(result, null, 2));
  const line = Object.entries(result.phases)
    .map(([name, p]) => `${name} ${p.api.recordsPerSecond} vs ${p.raw.recordsPerSecond} (ratio ${p.ratio})`)
    .join('; ');
  console.log(`upsert_batches vs raw INSERT … ON CONFLICT, records/s: ${line}`);
}
