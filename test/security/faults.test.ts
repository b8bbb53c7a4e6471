// Faults: the database restarts or drops every connection while the gateway serves a bounded load;
// the pool is exhausted; statements time out; bodies are too large. During an outage every request is
// answered quickly (503 + Retry-After, PostgREST-shaped), the gateway recovers without a restart, and
// every write that was acknowledged with a 2xx is in the database afterwards.
// The restart runs on a SEPARATE embedded cluster (temp dir, random port) so the shared test cluster is
// not disturbed; the other faults use a cloned test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbedded, type EmbeddedCluster } from '../../src/db/embedded.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { expectErrorShape } from '../support/door.ts';
import { raw } from '../support/http.ts';
import { installProbe } from '../support/probe.ts';
import { tally } from '../support/tally.ts';
import { buildBrand } from '../support/brand-fixture.ts';
import { sqlCall } from '../support/sqldoor.ts';

let faultsInjected = 0;

interface Outcome {
  worker: number;
  t: number;
  ms: number;
  status: number;
  retryAfter: string | null;
  body: unknown;
  id?: string;
  name: string;
}

/** A bounded load: `workers` loops of create_product (writes) until `stop()`; every request has a 8 s ceiling. */
function load(gw: TestGateway, token: string, brand: string, workers: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const t0 = performance.now();
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let k = 0; running; k++) {
      const name = `w${w}-${k}-${randomBytes(3).toString('hex')}`;
      const started = performance.now();
      let status = 0;
      let body: unknown;
      let retryAfter: string | null = null;
      try {
        const res = await fetch(`${gw.url}/rpc/create_product`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ _brand_id: brand, _name: name }),
          signal: AbortSignal.timeout(8000),
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        body = await res.json().catch(() => undefined);
      } catch (e) {
        body = String((e as Error).message);
      }
      const o: Outcome = { worker: w, t: started - t0, ms: performance.now() - started, status, retryAfter, body, name };
      if (status === 200) o.id = (body as { id: string }).id;
      outcomes.push(o);
      if (status !== 200) await new Promise((r) => setTimeout(r, 50)); // a polite client backs off a little
    }
  });
  return {
    outcomes,
    since: (t: number) => outcomes.filter((o) => o.t >= t),
    now: () => performance.now() - t0,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

function checkOutcomes(outcomes: Outcome[]): string[] {
  const bad: string[] = [];
  for (const o of outcomes) {
    if (o.ms > 5000) bad.push(`request took ${Math.round(o.ms)} ms (hang): ${JSON.stringify(o).slice(0, 200)}`);
    if (o.status === 200) continue;
    if (o.status !== 503 && o.status !== 504) {
      bad.push(`status ${o.status} during the fault: ${JSON.stringify(o.body).slice(0, 300)}`);
      continue;
    }
    const b = o.body as Record<string, unknown> | undefined;
    if (!b || Object.keys(b).sort().join() !== 'code,details,hint,message') bad.push(`not PostgREST-shaped: ${JSON.stringify(b)}`);
    if (o.status === 503 && !(o.retryAfter && /^\d+$/.test(o.retryAfter))) bad.push(`503 without Retry-After: ${JSON.stringify(o.body)}`);
  }
  return bad;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

describe('database restart under load (separate cluster)', () => {
  let dir: string;
  let port: number;
  let password: string;
  let cluster: EmbeddedCluster | undefined;
  let admin: postgres.Sql;
  let gw: TestGateway;
  let token: string;
  let brand: string;

  const supervisorLog: string[] = [];
  // supervised as `npm start` runs it: a postmaster that dies without stop() is started again
  // durable as `npm start`'s cluster (fast: true turns synchronous_commit off: a killed postmaster then loses
  // acknowledged commits still in its WAL buffers, as documented for that setting)
  const start = () => startEmbedded({ dir, port, password, persistent: true, supervise: true, log: (l) => l.startsWith('supervisor:') && supervisorLog.push(l) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lotline-sec-faults-'));
    chmodSync(dir, 0o777);
    password = randomBytes(12).toString('hex');
    for (let attempt = 0; ; attempt++) {
      port = 20000 + Math.floor(Math.random() * 20000);
      try {
        cluster = await start();
        break;
      } catch (e) {
        if (attempt > 4) throw e;
        rmSync(dir, { recursive: true, force: true });
        dir = mkdtempSync(join(tmpdir(), 'lotline-sec-faults-'));
        chmodSync(dir, 0o777);
      }
    }
    const root = postgres(cluster.superuserUrl('postgres'), { max: 1, onnotice: () => {} });
    await root.unsafe('create database faults');
    await root.end();
    const authenticatorPassword = randomBytes(12).toString('hex');
    const adminUrl = cluster.superuserUrl('faults');
    await migrateDatabase({ adminUrl, authenticatorPassword });
    admin = postgres(adminUrl, { max: 2, onnotice: () => {} });
    const u = new URL(adminUrl);
    u.username = 'authenticator';
    u.password = authenticatorPassword;
    const db = { name: 'faults', adminUrl, authenticatorUrl: u.toString(), admin, drop: async () => {} } as TestDb;
    gw = await startGateway(db, { poolSize: 4, poolTimeoutMs: 2000 });
    token = await gw.token('fault-owner');
    const r = await fetch(`${gw.url}/rpc/create_brand`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ _name: 'Faulty' }),
    });
    brand = ((await r.json()) as { id: string }).id;
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await admin?.end({ timeout: 2 }).catch(() => {});
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('restart: 503 + Retry-After quickly during the outage, recovery without a gateway restart, no acknowledged write lost', async () => {
    const l = load(gw, token, brand, 4);
    await new Promise((r) => setTimeout(r, 600));
    const down = l.now();
    await cluster!.stop(); // fast shutdown: in-flight transactions are aborted, connections closed
    faultsInjected++;
    // while it is down: /ready says so, calls are refused quickly
    await new Promise((r) => setTimeout(r, 300));
    const ready = await raw(gw.url, { method: 'GET', path: '/ready', timeoutMs: 5000 });
    expect(ready.status).toBe(503);
    expect(ready.headers['retry-after']).toBeDefined();
    expect(ready.ms, '/ready answers within 1 s during the outage (its own short connect timeout)').toBeLessThan(1000);
    expect(ready.json).toMatchObject({ status: 'unavailable', database: false });
    await new Promise((r) => setTimeout(r, 1200));
    const upAt = l.now();
    cluster = await start();
    const back = l.now();
    // recovery: every worker succeeds again, within a bounded time, with the same gateway
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const after = l.since(back);
      const okWorkers = new Set(after.filter((o) => o.status === 200).map((o) => o.worker));
      if (okWorkers.size === 4 && after.filter((o) => o.status === 200).length >= 12) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await l.stop();
    const all = l.outcomes;
    const during = all.filter((o) => o.t >= down && o.t < back);
    const after = l.since(back);
    const firstOk = after.find((o) => o.status === 200);
    const recoveryMs = firstOk ? firstOk.t + firstOk.ms - back : Infinity;
    process.stdout.write(`[security] restart: ${all.length} requests, ${during.length} during the outage (${during.filter((o) => o.status === 503).length} × 503), ` +
      `statuses ${JSON.stringify(all.reduce<Record<number, number>>((m, o) => ({ ...m, [o.status]: (m[o.status] ?? 0) + 1 }), {}))}, ` +
      `down ${Math.round(upAt - down)} ms, restart ${Math.round(back - upAt)} ms, first success ${Math.round(recoveryMs)} ms after the restart\n`);
    expect(checkOutcomes(all)).toEqual([]);
    expect(during.filter((o) => o.status === 503).length, 'the outage was observed').toBeGreaterThan(0);
    expect(after.filter((o) => o.status === 200).length, 'recovered').toBeGreaterThanOrEqual(12);
    expect(recoveryMs).toBeLessThan(5000);
    const acked = all.filter((o) => o.status === 200).map((o) => o.id!);
    const rows = await admin<{ id: string }[]>`select id::text from data.products where brand_id = ${brand} and id = any(${acked}::uuid[])`;
    expect(rows.length, 'every acknowledged write is in the database').toBe(acked.length);
    tally('faults: acknowledged writes checked after the restart', acked.length);
  }, 60_000);

  it('the postmaster killed (SIGKILL) under load: the supervisor restarts it, the service recovers by itself, no acknowledged write lost', async () => {
    const l = load(gw, token, brand, 4);
    await until(() => l.outcomes.filter((o) => o.status === 200).length >= 8, 10_000, 'the load runs');
    const before = cluster!.restarts();
    const restarted = new Promise<void>((resolve) => {
      const off = cluster!.onRestart(() => {
        off();
        resolve();
      });
    });
    const pid = cluster!.pid()!;
    const killAt = l.now();
    process.kill(pid, 'SIGKILL');
    faultsInjected++;
    await withDeadline(restarted, 30_000, 'the supervisor restarted PostgreSQL');
    const back = l.now();
    expect(cluster!.restarts()).toBe(before + 1);
    expect(cluster!.pid()).not.toBe(pid);
    // every worker succeeds again with the same gateway and the same cluster handle
    await until(() => new Set(l.since(back).filter((o) => o.status === 200).map((o) => o.worker)).size === 4, 20_000, 'every worker succeeds after the restart');
    await l.stop();
    const all = l.outcomes;
    const firstOk = l.since(killAt).find((o) => o.status === 200 && o.t > killAt);
    process.stdout.write(`[security] postmaster SIGKILL: ${all.length} requests, statuses ${JSON.stringify(all.reduce<Record<number, number>>((m, o) => ({ ...m, [o.status]: (m[o.status] ?? 0) + 1 }), {}))}, ` +
      `restarted by the supervisor ${Math.round(back - killAt)} ms after the kill, first success ${firstOk ? Math.round(firstOk.t + firstOk.ms - killAt) : '?'} ms after it; ${supervisorLog.join(' | ')}\n`);
    expect(checkOutcomes(all)).toEqual([]);
    expect(supervisorLog.some((x) => /exited unexpectedly \(SIGKILL\)/.test(x)), supervisorLog.join('\n')).toBe(true);
    expect(supervisorLog.some((x) => /restarted \(restart \d+/.test(x)), supervisorLog.join('\n')).toBe(true);
    expect((await raw(gw.url, { method: 'GET', path: '/ready', timeoutMs: 5000 })).status).toBe(200);
    const acked = all.filter((o) => o.status === 200).map((o) => o.id!);
    const rows = await admin<{ id: string }[]>`select id::text from data.products where brand_id = ${brand} and id = any(${acked}::uuid[])`;
    expect(rows.length, 'every acknowledged write is in the database').toBe(acked.length);
    tally('faults: acknowledged writes checked after the postmaster was killed', acked.length);
  }, 60_000);

  it('every connection killed under load (pg_terminate_backend): answered quickly, recovered, nothing acknowledged lost', async () => {
    const l = load(gw, token, brand, 4);
    await new Promise((r) => setTimeout(r, 400));
    const killAt = l.now();
    let killed = 0;
    for (let i = 0; i < 3; i++) {
      const rows = await admin<{ ok: boolean }[]>`
        select pg_terminate_backend(pid) as ok from pg_stat_activity where usename = 'authenticator' and pid <> pg_backend_pid()`;
      killed += rows.length;
      await new Promise((r) => setTimeout(r, 150));
    }
    faultsInjected++;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && l.since(killAt + 600).filter((o) => o.status === 200).length < 12) await new Promise((r) => setTimeout(r, 100));
    await l.stop();
    expect(killed).toBeGreaterThan(0);
    expect(checkOutcomes(l.outcomes)).toEqual([]);
    expect(l.since(killAt + 600).filter((o) => o.status === 200).length).toBeGreaterThanOrEqual(12);
    const acked = l.outcomes.filter((o) => o.status === 200).map((o) => o.id!);
    const rows = await admin<{ n: number }[]>`select count(*)::int as n from data.products where brand_id = ${brand} and id = any(${acked}::uuid[])`;
    expect(rows[0]!.n).toBe(acked.length);
    process.stdout.write(`[security] kill-connections: ${killed} backends killed, ${l.outcomes.length} requests, ` +
      `${l.outcomes.filter((o) => o.status !== 200).length} refused (503), ${acked.length} acknowledged writes all present\n`);
  }, 30_000);
});

describe('pool exhaustion, statement timeouts, oversized bodies', () => {
  let db: TestDb;
  let tight: TestGateway;
  let timed: TestGateway;
  let small: TestGateway;
  let dflt: TestGateway;
  let token: string;

  beforeAll(async () => {
    db = await createTestDb();
    await installProbe(db.admin);
    await db.admin.unsafe(`
      create table sec.slow_writes (id bigserial primary key, at timestamptz default now());
      grant insert, select on sec.slow_writes to authenticated; grant usage on sequence sec.slow_writes_id_seq to authenticated;
      create function sec.slow_write(_seconds float8) returns int language plpgsql volatile set search_path = '' as $$
      begin insert into sec.slow_writes default values; perform pg_catalog.pg_sleep(_seconds); return 1; end $$;
      revoke execute on function sec.slow_write(float8) from public;
      grant execute on function sec.slow_write(float8) to authenticated;`);
    // the gateway's own statement timeout is the baseline; migrate's per-role timeout would override it
    await db.admin.unsafe(`alter role authenticated in database ${db.name} reset statement_timeout`);
    const common = { schemas: ['api', 'sec'] };
    [tight, timed, small, dflt] = await Promise.all([
      startGateway(db, { ...common, poolSize: 1, poolTimeoutMs: 300 }),
      startGateway(db, { ...common, statementTimeoutMs: 250 }),
      startGateway(db, { ...common, maxBodyBytes: 2048 }),
      startGateway(db, common),
    ]);
    token = await dflt.token('fault-user');
  });
  afterAll(async () => {
    await Promise.all([tight?.close(), timed?.close(), small?.close(), dflt?.close()]);
    await db?.drop();
  });

  const SEC = new Set(['sleepy', 'sleepy_hoisted', 'probe', 'slow_write']);
  const post = (gw: TestGateway, fn: string, body: unknown, extra: Record<string, string> = {}) =>
    raw(gw.url, {
      path: `/rpc/${fn}`,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(SEC.has(fn) ? { 'Content-Profile': 'sec' } : {}), ...extra },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      timeoutMs: 8000,
    });

  it('pool exhaustion: a slow call holds the only connection; the others get 504 PGRST003 after the pool timeout, not a hang', async () => {
    const slow = post(tight, 'sleepy', { _seconds: 1.5 });
    await new Promise((r) => setTimeout(r, 100));
    const waiting = await Promise.all(Array.from({ length: 6 }, () => post(tight, 'probe', {})));
    faultsInjected++;
    for (const w of waiting) {
      expect(w.status, w.text).toBe(504);
      expectErrorShape(w.json, 'pool timeout');
      expect(w.json.code).toBe('PGRST003');
      expect(w.json.message).toBe('Timed out acquiring connection from connection pool.');
      expect(w.ms).toBeGreaterThanOrEqual(250);
      expect(w.ms).toBeLessThan(3000);
    }
    expect((await slow).status).toBe(200);
    // the pool is usable again at once
    expect((await post(tight, 'probe', {})).status).toBe(200);
    const [calls] = await db.admin<{ n: number }[]>`select count(*)::int as n from sec.calls`;
    expect(calls!.n, 'the timed-out requests never reached the database').toBe(1);
  });

  it('statement timeout (gateway setting): the call is cancelled quickly with 57014, PostgREST-shaped, and its write rolled back', async () => {
    const before = await db.admin<{ n: number }[]>`select count(*)::int as n from sec.slow_writes`;
    const r = await post(timed, 'slow_write', { _seconds: 5 });
    faultsInjected++;
    // PostgREST maps 57014 to 500 (57-class); the gateway does the same (docs/security.md discusses it)
    expect([500, 503, 504]).toContain(r.status);
    expectErrorShape(r.json, 'statement timeout');
    expect(r.json.code).toBe('57014');
    expect(r.json.message).toBe('canceling statement due to statement timeout');
    expect(r.ms).toBeLessThan(3000);
    const after = await db.admin<{ n: number }[]>`select count(*)::int as n from sec.slow_writes`;
    expect(after[0]!.n).toBe(before[0]!.n);
    // the connection is healthy afterwards
    expect((await post(timed, 'probe', {})).status).toBe(200);
  });

  it('statement timeout set on the function itself (hoisted like PostgREST): cancelled after ~150 ms', async () => {
    const r = await post(dflt, 'sleepy_hoisted', { _seconds: 5 });
    faultsInjected++;
    expect([500, 503, 504]).toContain(r.status);
    expectErrorShape(r.json, 'hoisted timeout');
    expect(r.json.code).toBe('57014');
    expect(r.ms).toBeLessThan(3000);
  });

  it('many slow calls at once with a statement timeout: all answered within the timeout bound, none hangs', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, () => post(timed, 'sleepy', { _seconds: 3 })));
    faultsInjected++;
    for (const r of rs) {
      expect(r.json && (r.json as { code: string }).code, r.text).toMatch(/^(57014|PGRST003)$/);
      expect(r.ms).toBeLessThan(10_000);
    }
    const worst = Math.max(...rs.map((r) => r.ms));
    process.stdout.write(`[security] 20 concurrent slow calls, pool 10, timeout 250 ms: slowest answered in ${Math.round(worst)} ms\n`);
  });

  it('oversized bodies are refused with 413, PostgREST-shaped, before anything runs', async () => {
    const [before] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.brands`;
    const cases: [string, Promise<Awaited<ReturnType<typeof raw>>>][] = [
      ['2 KB limit, 4 KB JSON', post(small, 'create_brand', { _name: 'x'.repeat(4000) })],
      ['default 1 MB limit, 1.5 MB JSON', post(dflt, 'create_brand', { _name: 'x'.repeat(1_500_000) })],
      ['default limit, 5 MB of garbage', post(dflt, 'create_brand', 'y'.repeat(5_000_000))],
      ['2 KB limit, form body', raw(small.url, { path: '/rpc/create_brand', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `_name=${'z'.repeat(5000)}` })],
      ['2 KB limit, text/plain body', raw(small.url, { path: '/rpc/create_brand', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' }, body: 'z'.repeat(5000) })],
    ];
    for (const [name, p] of cases) {
      let r: Awaited<ReturnType<typeof raw>>;
      try {
        r = await p;
      } catch (e) {
        // the server may answer 413 and close before the whole body is written: the write fails with a reset
        expect((e as Error).message, name).toMatch(/ECONNRESET|EPIPE/);
        continue;
      }
      expect(r.status, `${name}: ${r.text.slice(0, 200)}`).toBe(413);
      expectErrorShape(r.json, name);
    }
    faultsInjected += cases.length;
    // a chunked body (no Content-Length) over the limit
    const chunked = await new Promise<number>((resolve, reject) => {
      void import('node:http').then(({ request }) => {
        const u = new URL(small.url);
        const req = request({ host: u.hostname, port: Number(u.port), method: 'POST', path: '/rpc/create_brand', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', (e) => (/ECONNRESET|EPIPE/.test(e.message) ? resolve(413) : reject(e)));
        req.write('{"_name":"');
        for (let i = 0; i < 10; i++) req.write('w'.repeat(1000));
        req.end('"}');
      });
    });
    faultsInjected++;
    expect(chunked).toBe(413);
    // just under the limit is accepted
    const ok = await post(small, 'create_brand', `{"_name": "just under the limit"${' '.repeat(1900)}}`);
    expect(ok.status, ok.text).toBe(200);
    const [after] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.brands`;
    expect(after!.n).toBe(before!.n + 1);
  });

  it('a concurrent storm of writes on the same rows (every write function, 10 clients): no deadlock or serialization 500, ledger = stock', async () => {
    const S = await buildBrand((who, fn, args) => sqlCall(db.admin, who, fn, args), 'S');
    const sToken = await dflt.token(S.owner);
    const call = async (fn: string, args: Record<string, unknown>) => {
      const r = await raw(dflt.url, { path: `/rpc/${fn}`, headers: { Authorization: `Bearer ${sToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ _brand_id: S.brand, ...args }), timeoutMs: 10_000 });
      return r;
    };
    // a second batch and plenty of stock at both locations
    const b2 = ((await call('create_product_batch', { _product_id: S.product, _batch_number: `${S.marker}-LOT2` })).json as { id: string }).id;
    for (const loc of [S.location, S.location2]) {
      const r = await call('receive_inbound', { _location_id: loc, _lines: [{ product_id: S.product, batch_number: S.batchNumber, quantity: 500 }, { product_id: S.product, batch_number: `${S.marker}-LOT2`, quantity: 500 }] });
      expect(r.status, r.text).toBe(200);
    }
    const batches = [S.batch, b2];
    const locs = [S.location, S.location2];
    const transfers: string[] = [S.transfer];
    const pick = <T,>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
    const ops: (() => [string, Record<string, unknown>])[] = [
      () => ['receive_inbound', { _location_id: pick(locs), _lines: [{ product_id: S.product, batch_number: pick([S.batchNumber, `${S.marker}-LOT2`]), quantity: 2 }] }],
      () => ['adjust_stock', { _batch_id: pick(batches), _location_id: pick(locs), _delta: pick([-1, 1, 2]), _reason: 'storm' }],
      () => { const from = pick(locs); return ['create_transfer', { _from_location_id: from, _to_location_id: locs.find((l) => l !== from), _lines: batches.map((b) => ({ batch_id: b, quantity: 1 })) }]; },
      () => ['update_transfer', { _transfer_id: pick(transfers), _lines: [{ batch_id: pick(batches), quantity: 2 }] }],
      () => ['accept_transfer', { _transfer_id: pick(transfers) }],
      () => ['decline_transfer', { _transfer_id: pick(transfers), _reason: 'storm' }],
      () => ['cancel_transfer', { _transfer_id: pick(transfers) }],
      () => ['update_product_batch', { _batch_id: pick(batches), _patch: { quantity: Math.floor(Math.random() * 100) } }],
      () => ['upsert_batches', { _batches: [{ externalId: S.syncedBatchExt, productExternalId: S.syncedProductExt, batchNumber: S.syncedBatchNumber, quantity: Math.floor(Math.random() * 50) }] }],
      () => ['mint_serials', { _batch_id: pick(batches), _count: 3 }],
      () => ['import_serials', { _batch_id: pick(batches), _serials: [`S${Math.random().toString(36).slice(2, 12)}`], _on_error: 'proceed' }],
      () => ['set_batch_status', { _batch_id: pick(batches), _status: pick(['ready_for_sale', 'processing']) }],
      () => ['delete_product_batch', { _batch_id: pick(batches) }],
      () => ['upsert_products', { _products: [{ externalId: S.syncedProductExt, name: `${S.marker} synced ${Math.random()}` }] }],
      () => ['list_stock_movements', { _limit: 20 }],
      () => ['batch_quantities_by_product', { _product_id: S.product }],
    ];
    const outcomes: Record<string, number> = {};
    const bad: string[] = [];
    const until = Date.now() + 3000;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (Date.now() < until) {
        const [fn, args] = pick(ops)();
        const r = await call(fn, args);
        const key = `${fn} ${r.status}${r.status >= 400 ? ` ${(r.json as { code?: string } | undefined)?.code}` : ''}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        if (fn === 'create_transfer' && r.status === 200) transfers.push((r.json as { id: string }).id);
        if (r.status >= 500 || ![200, 404, 409, 412].includes(r.status)) bad.push(`${fn} ${JSON.stringify(args).slice(0, 200)} → ${r.status} ${r.text.slice(0, 300)}`);
      }
    }));
    faultsInjected++;
    const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
    process.stdout.write(`[security] storm: ${total} concurrent calls: ${JSON.stringify(outcomes)}\n`);
    expect(bad).toEqual([]);
    // the ledger sums to the stock table, and committed stock equals the pending transfers' lines plus the
    // reserved pick lists' lines (the fixture holds one)
    const drift = await db.admin`
      with l as (select batch_id, location_id, sum(quantity_delta) q, sum(committed_delta) c from data.stock_movements where brand_id = ${S.brand} group by 1, 2),
           p as (select x.batch_id, x.location_id, sum(x.q) c from (
                   select tl.batch_id, t.from_location_id as location_id, tl.quantity q from data.transfers t join data.transfer_lines tl on tl.brand_id = t.brand_id and tl.transfer_id = t.id
                    where t.brand_id = ${S.brand} and t.status = 'pending'
                   union all
                   select pl.batch_id, k.location_id, pl.quantity from data.picks k join data.pick_lines pl on pl.brand_id = k.brand_id and pl.pick_id = k.id
                    where k.brand_id = ${S.brand} and k.status = 'reserved') x group by 1, 2)
      select s.batch_id, s.location_id, s.quantity, s.committed, l.q, l.c, coalesce(p.c, 0) as pending
        from data.stock s left join l using (batch_id, location_id) left join p using (batch_id, location_id)
       where s.brand_id = ${S.brand} and (s.quantity <> coalesce(l.q, 0) or s.committed <> coalesce(l.c, 0) or s.committed <> coalesce(p.c, 0))`;
    expect(drift).toEqual([]);
    tally('faults: concurrent storm calls', total);
  }, 30_000);

  afterAll(() => tally('faults injected', faultsInjected));
});
