// Section "serials": mint_serials throughput and resolve_serial latency.
//
//   npx tsx bench/serials.ts [--quick] [--serials=1000000]   own embedded PostgreSQL (fast, temp dir), migrated
//   npm run bench                                            bench/run.ts calls run(opts) with its own database
//
// 1. Mint: one api.mint_serials call of 100,000 random serials (the default format, as the brand owner,
//    through the SQL door: act_as + the function, as the gateway runs it, with the job threshold raised for
//    the transaction so the call mints them itself), repeated on fresh batches until the database holds
//    `serials` serials (default 1,000,000; quick: 100,000). Reported: the first call, and the median of all;
//    for comparison one call of 100,000 sequential serials (a brand that opted in).
// 1b. The job path: mint_serials of 100,000 with the default threshold returns a job at once; one job worker
//    (src/jobs, chunks of lotline.mint_job_chunk) mints it. Reported: the call, and queue → done.
// 2. Resolve over HTTP: the gateway (its own process under bench/run.ts, in-process otherwise) answers
//    POST /rpc/resolve_serial for random codes of the whole table, without a token (anon). Sequential
//    latency p50/p99 with one client, then a closed loop with several clients (throughput + latency).
//    resolve_digital_link (/01/…/10/…/21/…) the same way, sequentially. When the gateway cannot be
//    started, the same calls are timed through SQL as anon and the result says door = "sql".
import postgres, { type Sql } from 'postgres';
import { runAsMain, withThrowawayDatabase } from '../src/db/throwaway.ts';
import { createGateway } from '../src/gateway/server.ts';
import { defaultSettings } from '../src/gateway/settings.ts';
import { startJobWorkers } from '../src/jobs/index.ts';

export interface SerialsBenchOptions {
  /** superuser connection to a migrated database; without it run() starts its own embedded cluster */
  adminUrl?: string;
  /** the same database as the `authenticator` role (for an in-process gateway) */
  databaseUrl?: string;
  jwtSecret?: string;
  quick?: boolean;
  /** serials in the database before resolving (default 1,000,000; quick 100,000) */
  serials?: number;
  /** concurrent HTTP clients for the throughput run (default 8) */
  clients?: number;
  /** provided by bench/run.ts: the gateway in its own process */
  startGateway?: (o?: { databaseUrl?: string; poolSize?: number }) => Promise<{ url: string; close(): Promise<void> }>;
  /** wall-clock ms by which run() should have returned (bench/run.ts); the later phases shrink to fit */
  deadline?: number;
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

export interface SerialsBenchResult {
  mint: {
    per_call: number;
    calls: number;
    first_call_ms: number;
    first_call_serials_per_sec: number;
    median_call_ms: number;
    median_serials_per_sec: number;
    /** one call of 100,000 sequential serials (opt-in scheme), for comparison */
    sequential_serials_per_sec: number;
  };
  /** mint_serials of 100,000 as a job: the call, and from the call to the job's last chunk */
  job: { serials: number; chunk: number; chunks: number; call_ms: number; done_ms: number; serials_per_sec: number };
  total_serials: number;
  /** "http": through the gateway; "sql": the gateway could not be started, timed through SQL as anon */
  door: 'http' | 'sql';
  resolve_serial: Latency;
  resolve_serial_concurrent: Latency & { clients: number; rps: number; seconds: number };
  resolve_digital_link: Latency;
  /** server side, for comparison: the function alone, as anon, in one transaction */
  resolve_serial_sql: Latency;
  errors: number;
  firstError?: string;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const OWNER = 'bench-serials-owner';
const OPERATOR = 'bench-serials-operator';

function latency(samples: number[]): Latency {
  const a = Float64Array.from(samples).sort();
  const pct = (p: number) => (a.length ? a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))]! : NaN);
  const mean = a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN;
  return { n: a.length, p50_ms: r2(pct(50)), p95_ms: r2(pct(95)), p99_ms: r2(pct(99)), max_ms: r2(a.length ? a[a.length - 1]! : NaN), mean_ms: r2(mean) };
}

async function as<T>(sql: Sql, sub: string, q: (tx: postgres.TransactionSql) => Promise<T>, scope: string | null = null): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select app.act_as(${sub}, ${scope})`;
    return q(tx);
  }) as Promise<T>;
}

function pick<T>(a: T[]): T {
  return a[Math.floor(Math.random() * a.length)]!;
}

export async function run(opts: SerialsBenchOptions = {}): Promise<SerialsBenchResult> {
  if (!opts.adminUrl) return withThrowawayDatabase('bench_serials', (db) => run({ ...opts, ...db }));
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const total = opts.serials ?? (quick ? 100_000 : 1_000_000);
  const perCall = 100_000;
  const clients = opts.clients ?? 8;
  const left = () => (opts.deadline ?? Number.POSITIVE_INFINITY) - Date.now();
  const sql = postgres(opts.adminUrl, { max: 2, onnotice: () => {} });
  try {
    // --- setup: a brand, a serialized product with a GTIN, batches -------------------------------------
    const brand = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_brand('Serials bench')`)[0]!.id);
    const product = await as(sql, OWNER, async (tx) => (await tx<{ id: string; gtin: string }[]>`
      select id, gtin from api.create_product(${brand}, 'Bench product', _gtin => '09506000134352', _serialized => true)`)[0]!);
    // the brand owns the GTIN (a verified claim), so the public views answer for it
    const claim = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`
      select id from api.claim_gtin_prefix(${brand}, '9506000', 'Serials bench')`)[0]!.id);
    await as(sql, OPERATOR, (tx) => tx`select api.verify_gtin_claim(${brand}, ${claim})`, 'platform:admin');
    const mintCall = (tx: postgres.TransactionSql, batch: string, n: number) =>
      tx`select set_config('lotline.mint_job_threshold', '1000000', true), set_config('lotline.quota_serials_per_day', '0', true)`
        .then(() => tx`select minted from api.mint_serials(${brand}, ${batch}, ${n})`);

    // --- 1. mint ----------------------------------------------------------------------------------------
    const calls: number[] = [];
    const batches: { id: string; number: string }[] = [];
    for (let minted = 0, i = 0; minted < total; i++) {
      const number = `BENCH/${i} %`;  // characters that need escaping in the Digital Link
      const batch = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`
        select id from api.create_product_batch(${brand}, ${product.id}, ${number})`)[0]!.id);
      const n = Math.min(perCall, total - minted);
      const t0 = performance.now();
      await as(sql, OWNER, (tx) => mintCall(tx, batch, n));
      const ms = performance.now() - t0;
      if (n === perCall) calls.push(ms);
      batches.push({ id: batch, number });
      minted += n;
      log(`serials: minted ${minted.toLocaleString('en')} / ${total.toLocaleString('en')} (${n} in ${ms.toFixed(0)} ms, ${Math.round(n / (ms / 1000))}/s)`);
    }
    // for comparison: 100,000 sequential serials, in a brand that opted in
    const seqBrand = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_brand('Serials bench sequential')`)[0]!.id);
    const seqBatch = await as(sql, OWNER, async (tx) => {
      await tx`select api.set_serial_format(${seqBrand}, 'sequential')`;
      const [p] = await tx<{ id: string }[]>`select id from api.create_product(${seqBrand}, 'Sequential product', _serialized => true)`;
      return (await tx<{ id: string }[]>`select id from api.create_product_batch(${seqBrand}, ${p!.id}, 'SEQ-1')`)[0]!.id;
    });
    const s0 = performance.now();
    await as(sql, OWNER, async (tx) => {
      await tx`set local lotline.mint_job_threshold = 1000000`;
      await tx`select minted from api.mint_serials(${seqBrand}, ${seqBatch}, ${perCall})`;
    });
    const sequentialMs = performance.now() - s0;
    log(`serials: 100,000 sequential in ${sequentialMs.toFixed(0)} ms`);

    // --- 1b. the job path: the default threshold, one worker ------------------------------------------
    const jobBatch = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`
      select id from api.create_product_batch(${brand}, ${product.id}, 'JOB-1')`)[0]!.id);
    const workers = startJobWorkers({ databaseUrl: opts.adminUrl, idleMs: 20 });
    let job: SerialsBenchResult['job'];
    try {
      const j0 = performance.now();
      const queued = await as(sql, OWNER, async (tx) => (await tx<{ job_id: string }[]>`
        select job_id from api.mint_serials(${brand}, ${jobBatch}, ${perCall})`)[0]!.job_id);
      const callMs = performance.now() - j0;
      let row: { status: string; chunks: number } | undefined;
      for (;;) {
        [row] = await sql<{ status: string; chunks: number }[]>`select status, chunks from data.mint_jobs where id = ${queued}`;
        if (row!.status === 'done' || row!.status === 'failed') break;
        if (left() < 5_000) throw new Error('serials: the mint job did not finish in time');
        await new Promise((r) => setTimeout(r, 20));
      }
      if (row!.status !== 'done') throw new Error('serials: the mint job failed');
      const doneMs = performance.now() - j0;
      const [chunk] = await sql<{ n: string }[]>`select (select coalesce(nullif(current_setting('lotline.mint_job_chunk', true), ''), '5000')) as n`;
      job = { serials: perCall, chunk: Number(chunk!.n), chunks: row!.chunks, call_ms: r2(callMs), done_ms: Math.round(doneMs), serials_per_sec: Math.round(perCall / (doneMs / 1000)) };
      log(`serials: job of ${perCall.toLocaleString('en')} queued in ${callMs.toFixed(0)} ms, done in ${doneMs.toFixed(0)} ms (${job.serials_per_sec}/s, ${job.chunks} chunks)`);
    } finally {
      await workers.stop();
    }

    await sql`vacuum analyze data.serials`;
    const sorted = [...calls].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const mint = {
      per_call: perCall,
      calls: calls.length,
      first_call_ms: Math.round(calls[0]!),
      first_call_serials_per_sec: Math.round(perCall / (calls[0]! / 1000)),
      median_call_ms: Math.round(median),
      median_serials_per_sec: Math.round(perCall / (median / 1000)),
      sequential_serials_per_sec: Math.round(perCall / (sequentialMs / 1000)),
    };

    // random codes from the whole table, and their Digital Link paths
    const sampleSize = quick ? 2_000 : 20_000;
    const sample = await sql<{ code: string; serial_number: string; batch_number: string }[]>`
      select s.code, s.serial_number, b.batch_number from data.serials s tablesample system (5)
        join data.batches b on b.brand_id = s.brand_id and b.id = s.batch_id
       where s.brand_id = ${brand}
       limit ${sampleSize}`;
    const codes = sample.map((r) => r.code);
    const enc = (x: string) => x.replace(/[^A-Za-z0-9._~-]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
    const links = sample.map((r) => `https://id.example.com/01/${product.gtin}/10/${enc(r.batch_number)}/21/${enc(r.serial_number)}`);

    // server side, as anon, one transaction
    const sqlSamples: number[] = [];
    await sql.begin(async (tx) => {
      await tx`select app.act_as_anon()`;
      for (let i = 0; i < (quick ? 300 : 3000); i++) {
        const t0 = performance.now();
        await tx`select * from api.resolve_serial(${pick(codes)})`;
        sqlSamples.push(performance.now() - t0);
      }
    });

    // --- 2. resolve over HTTP -----------------------------------------------------------------------------
    let gw: { url: string; close(): Promise<void> } | undefined;
    try {
      gw = await startGateway(opts, log);
    } catch (e) {
      log(`serials: gateway not available (${(e as Error).message}); timing through SQL as anon`);
    }
    let errors = 0;
    let firstError: string | undefined;
    let call: (fn: string, body: Record<string, unknown>) => Promise<void>;
    let anonPool: Sql | undefined;
    if (gw) {
      const url = gw.url;
      call = async (fn, body) => {
        const res = await fetch(`${url}/rpc/${fn}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
        const text = await res.text();
        if (res.status !== 200) {
          errors++;
          firstError ??= `HTTP ${res.status} ${text.slice(0, 200)}`;
        }
      };
    } else {
      anonPool = postgres(opts.adminUrl, { max: clients, onnotice: () => {} });
      const pool = anonPool;
      call = async (fn, body) => {
        await pool.begin(async (tx) => {
          await tx`select app.act_as_anon()`;
          if (fn === 'resolve_serial') await tx`select * from api.resolve_serial(${body._code as string})`;
          else await tx`select * from api.resolve_digital_link(${body._uri as string})`;
        });
      };
    }
    try {
      // warm-up
      for (let i = 0; i < (quick ? 100 : 300); i++) await call('resolve_serial', { _code: pick(codes) });
      const seq: number[] = [];
      for (let i = 0; i < (quick ? 600 : 5_000) && (i < 300 || left() > 20_000); i++) {
        const t0 = performance.now();
        await call('resolve_serial', { _code: pick(codes) });
        seq.push(performance.now() - t0);
      }
      const dl: number[] = [];
      for (let i = 0; i < (quick ? 300 : 3_000) && (i < 200 || left() > 15_000); i++) {
        const t0 = performance.now();
        await call('resolve_digital_link', { _uri: pick(links) });
        dl.push(performance.now() - t0);
      }
      const seconds = Math.max(1, Math.min(quick ? 2 : 10, (left() - 8_000) / 1000));
      const conc: number[] = [];
      const until = performance.now() + seconds * 1000;
      const started = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          await call('resolve_serial', { _code: pick(codes) });
          conc.push(performance.now() - t0);
        }
      }));
      const elapsed = (performance.now() - started) / 1000;
      const result: SerialsBenchResult = {
        mint,
        job,
        total_serials: total,
        door: gw ? 'http' : 'sql',
        resolve_serial: latency(seq),
        resolve_serial_concurrent: { ...latency(conc), clients, rps: Math.round(conc.length / elapsed), seconds: r2(elapsed) },
        resolve_digital_link: latency(dl),
        resolve_serial_sql: latency(sqlSamples),
        errors,
        ...(firstError ? { firstError } : {}),
      };
      log(`serials: mint ${mint.first_call_serials_per_sec}/s (first 100k call ${mint.first_call_ms} ms); resolve_serial over ${result.door} p50 ${result.resolve_serial.p50_ms} ms p99 ${result.resolve_serial.p99_ms} ms with ${total.toLocaleString('en')} serials`);
      return result;
    } finally {
      await gw?.close();
      await anonPool?.end({ timeout: 5 });
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The gateway: bench/run.ts's own process when offered, otherwise in this process (src/gateway/server.ts). */
async function startGateway(opts: SerialsBenchOptions, log: (l: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  if (opts.startGateway) return opts.startGateway({ poolSize: 10 });
  if (!opts.databaseUrl || !opts.jwtSecret) throw new Error('no databaseUrl / jwtSecret for an in-process gateway');
  const gateway = await createGateway({
    ...defaultSettings,
    databaseUrl: opts.databaseUrl,
    jwtSecret: opts.jwtSecret,
    logLevel: 'silent',
    poolSize: 10,
  });
  const url = (await gateway.listen(0, '127.0.0.1')).replace(/\/$/, '');
  log(`serials: gateway (in process) at ${url}`);
  return { url, close: () => gateway.close() };
}


runAsMain(import.meta.url, (argv) => {
  const n = argv.find((a) => a.startsWith('--serials='));
  return run({ quick: argv.includes('--quick'), serials: n ? Number(n.split('=')[1]) : undefined });
});
