// Section "events": what the audit trail and the outbox cost, how fast one consumer reads the feed, and how
// long a webhook takes from commit to receiver.
//
//   npx tsx bench/events.ts [--quick]     own embedded PostgreSQL (fast, temp dir), migrated, then run()
//   npm run bench -- events               bench/run.ts calls run(opts) with its own database
//
// write:   create_product_batch (one batch per call, 4 clients) and upsert_batches (500 records per call,
//          2 clients) through the SQL door, with the audit and event triggers and without them. "Without"
//          drops the triggers on this throw-away database and attaches them again afterwards: production has
//          no switch (a setting a session could change would let it escape its audit trail). The two
//          variants alternate in rounds so both see the same table sizes; the ratio is with ÷ without.
// feed:    one consumer reads the brand's whole feed from the start with list_changes (1000 a page).
// webhook: 100 events/s (one create_product_batch transaction every 10 ms) for a while, one endpoint on a
//          local receiver, one delivery worker with the default poll interval; latency = arrival at the
//          receiver − the writer's commit returning.
import postgres, { type Sql } from 'postgres';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runAsMain, withThrowawayDatabase } from '../src/db/throwaway.ts';
import { startWorker } from '../src/events/worker.ts';
import { loadEventsConfig } from '../src/events/config.ts';

export interface EventsBenchOptions {
  adminUrl?: string;
  databaseUrl?: string;
  quick?: boolean;
  log?: (line: string) => void;
}

interface Rate { calls: number; records: number; seconds: number; records_per_sec: number }

const OWNER = 'bench-events-owner';
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function asOwner<T>(sql: Sql, f: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select app.act_as(${OWNER})`;
    return f(tx);
  }) as Promise<T>;
}

async function brand(sql: Sql, name: string): Promise<{ brand: string; product: string }> {
  return asOwner(sql, async (tx) => {
    const [b] = await tx<{ id: string }[]>`select id from api.create_brand(${name})`;
    const [p] = await tx<{ id: string }[]>`select id from api.create_product(${b!.id}, 'Bench', _external_id => 'P-1')`;
    return { brand: b!.id, product: p!.id };
  });
}

/** `clients` loops, each running `call(i)` until `total` calls are done; the rate in records/s. */
async function measure(clients: Sql[], total: number, recordsPerCall: number, call: (c: Sql, i: number) => Promise<unknown>): Promise<Rate> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(clients.map(async (c) => {
    for (let i = next++; i < total; i = next++) await call(c, i);
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { calls: total, records: total * recordsPerCall, seconds: round(seconds, 2), records_per_sec: round((total * recordsPerCall) / seconds, 0) };
}

/** Remember the event triggers' definitions, drop them and the audit triggers; returns how to put them back. */
async function dropTriggers(sql: Sql): Promise<() => Promise<void>> {
  const defs = await sql<{ def: string; drop: string }[]>`
    select pg_get_triggerdef(t.oid) as def, format('drop trigger %I on %s', t.tgname, t.tgrelid::regclass) as drop
      from pg_trigger t where t.tgrelid in (select oid from pg_class where relnamespace = 'data'::regnamespace)
       and (t.tgname like '\\_900\\_audit\\_%' or t.tgname like '\\_800\\_events\\_%') and not t.tgisinternal`;
  for (const d of defs) await sql.unsafe(d.drop);
  return async () => {
    for (const d of defs) await sql.unsafe(d.def);
  };
}

async function writeCost(admin: Sql, quick: boolean, log: (l: string) => void) {
  const clients = Array.from({ length: 4 }, () => postgres(urlOf.get(admin)!, { max: 1, onnotice: () => {} }));
  const rounds = quick ? 2 : 3;
  const creates = quick ? 200 : 1000;
  const upserts = quick ? 4 : 16;
  const out = { with: { create: [] as Rate[], upsert: [] as Rate[] }, without: { create: [] as Rate[], upsert: [] as Rate[] } };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const variant of ['with', 'without'] as const) {
        const restore = variant === 'without' ? await dropTriggers(admin) : null;
        try {
          const b = await brand(admin, `Bench ${variant} ${r}`);
          const create = await measure(clients, creates, 1, (c, i) => asOwner(c, (tx) =>
            tx`select api.create_product_batch(${b.brand}, ${b.product}, ${`C-${i}`}, _quantity => 5)`));
          const upsert = await measure(clients.slice(0, 2), upserts, 500, (c, i) => asOwner(c, (tx) =>
            tx`select api.upsert_batches(${b.brand}, ${tx.json(Array.from({ length: 500 }, (_, k) => ({
              externalId: `U-${i}-${k}`, productExternalId: 'P-1', batchNumber: `U-${i}-${k}`, quantity: k,
            })))})`));
          out[variant].create.push(create);
          out[variant].upsert.push(upsert);
          log(`events: write round ${r} ${variant}: create ${create.records_per_sec}/s, upsert ${upsert.records_per_sec} records/s`);
        } finally {
          await restore?.();
        }
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  const best = (xs: Rate[]) => Math.max(...xs.map((x) => x.records_per_sec));
  return {
    rounds,
    create_product_batch: { with_per_sec: best(out.with.create), without_per_sec: best(out.without.create), ratio: round(best(out.with.create) / best(out.without.create), 2) },
    upsert_batches: { with_records_per_sec: best(out.with.upsert), without_records_per_sec: best(out.without.upsert), ratio: round(best(out.with.upsert) / best(out.without.upsert), 2) },
    note: 'best round of each variant; with = audit trail + outbox triggers, without = both dropped',
  };
}

async function feedRate(admin: Sql, quick: boolean, log: (l: string) => void) {
  // a brand with its own feed: `calls` upserts of 500 new batches (one batch.created event each)
  const b = await brand(admin, 'Bench feed');
  const calls = quick ? 10 : 100;
  for (let i = 0; i < calls; i++) {
    await asOwner(admin, (tx) => tx`select api.upsert_batches(${b.brand}, ${tx.json(Array.from({ length: 500 }, (_, k) => ({
      externalId: `F-${i}-${k}`, productExternalId: 'P-1', batchNumber: `F-${i}-${k}`, quantity: k,
    })))})`);
  }
  log(`events: feed of ${calls * 500} events written`);
  let after: string | null = null;
  let read = 0;
  const t0 = performance.now();
  for (;;) {
    const page: { cursor: string }[] = await asOwner(admin, (tx) => tx<{ cursor: string }[]>`select cursor from api.list_changes(${b.brand}, ${after}, 1000)`);
    read += page.length;
    if (page.length < 1000) break;
    after = page[page.length - 1]!.cursor;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { events: read, seconds: round(seconds, 2), events_per_sec: round(read / seconds, 0), page: 1000 };
}

async function webhookLatency(admin: Sql, databaseUrl: string, quick: boolean, log: (l: string) => void) {
  const cfg = loadEventsConfig();
  const arrivals = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { batch_number: string } };
      if (!arrivals.has(body.data.batch_number)) arrivals.set(body.data.batch_number, at);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const b = await brand(admin, 'Bench webhooks');
  await asOwner(admin, (tx) => tx`select api.create_webhook(${b.brand}, ${url}, '{batch.created}')`);
  const worker = startWorker({
    databaseUrl, pollMs: cfg.LOTLINE_WEBHOOK_POLL_MS, concurrency: cfg.LOTLINE_WEBHOOK_CONCURRENCY, timeoutMs: 5000,
    allowPrivate: true, retryBaseMs: 100, retryMaxMs: 1000,
  });
  // one transaction every 10 ms, each on its own schedule (a pool of 4: a slow commit does not delay the next)
  const writer = postgres(urlOf.get(admin)!, { max: 4, onnotice: () => {} });
  const seconds = quick ? 5 : 20;
  const commits = new Map<string, number>();
  try {
    const t0 = performance.now();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < seconds * 100; i++) {
      const wait = t0 + i * 10 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = `W-${i}`;
      writes.push(asOwner(writer, (tx) => tx`select api.create_product_batch(${b.brand}, ${b.product}, ${n})`).then(() => {
        commits.set(n, performance.now());
      }));
    }
    await Promise.all(writes);
    const elapsed = (performance.now() - t0) / 1000;
    const deadline = Date.now() + 60_000;
    while (arrivals.size < commits.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lat = [...commits].filter(([n]) => arrivals.has(n)).map(([n, t]) => arrivals.get(n)! - t);
    const rate = commits.size / elapsed;
    log(`events: webhook ${commits.size} events at ${round(rate, 0)}/s: p50 ${round(percentile(lat, 50))} ms, p99 ${round(percentile(lat, 99))} ms`);
    return {
      events: commits.size, delivered: lat.length, events_per_sec: round(rate, 0), poll_ms: cfg.LOTLINE_WEBHOOK_POLL_MS,
      p50_ms: round(percentile(lat, 50)), p90_ms: round(percentile(lat, 90)), p99_ms: round(percentile(lat, 99)), max_ms: round(Math.max(...lat)),
    };
  } finally {
    await worker.stop();
    await writer.end();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** The superuser URL behind a pool (postgres.js does not expose it). */
const urlOf = new WeakMap<Sql, string>();

export async function run(opts: EventsBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((l: string) => console.error(l));
  if (!opts.adminUrl || !opts.databaseUrl) {
    return withThrowawayDatabase('bench_events', (db) => run({ ...opts, adminUrl: db.adminUrl, databaseUrl: db.databaseUrl }), { log: () => {} });
  }
  const admin = postgres(opts.adminUrl, { max: 2, onnotice: () => {} });
  urlOf.set(admin, opts.adminUrl);
  try {
    const write = await writeCost(admin, !!opts.quick, log);
    const feed = await feedRate(admin, !!opts.quick, log);
    log(`events: feed ${feed.events} events in ${feed.seconds} s = ${feed.events_per_sec}/s`);
    const webhook = await webhookLatency(admin, opts.databaseUrl, !!opts.quick, log);
    return { write, feed, webhook };
  } finally {
    await admin.end({ timeout: 5 });
  }
}

runAsMain(import.meta.url, (argv) => run({ quick: argv.includes('--quick') }));
