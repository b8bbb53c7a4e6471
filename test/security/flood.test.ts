// One tenant cannot starve everyone: a flood of long authenticated calls fills what authenticated callers
// may use of the pool, and anonymous resolves are still answered (2xx, never 504 PGRST003); request
// rates per client are limited (429 + Retry-After); a call whose client disconnects is cancelled in the
// database and rolled back, never committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { CONTRACT_SCHEMA_SQL } from '../gateway/contract-schema.ts';
import { PLATFORM_ADMIN, gtin13 } from '../support/brand-fixture.ts';
import { must } from '../support/door.ts';
import { raw } from '../support/http.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { tally } from '../support/tally.ts';

const SLOW_SQL = String.raw`
create function demo.slow_write(p_msg text) returns int language plpgsql volatile set statement_timeout = '60s' as $$
begin
  insert into demo.log (msg) values (p_msg);
  perform pg_sleep(30);
  return 1;
end $$;
`;

let db: TestDb;
let codes: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  await db.admin.unsafe(CONTRACT_SCHEMA_SQL);
  await db.admin.unsafe(SLOW_SQL);
  // a brand with a verified GTIN and minted serials: what anonymous consumers resolve
  const call = (who: Parameters<typeof sqlCall>[1], fn: string, args: Record<string, unknown>) => sqlCall(db.admin, who, fn, args);
  const owner = { sub: 'flood-owner' };
  const brand = must<{ id: string }>(await call(owner, 'create_brand', { _name: 'Flood brand' })).id;
  const gtin = gtin13('flood');
  const product = must<{ id: string }>(await call(owner, 'create_product', { _brand_id: brand, _name: 'Flood product', _gtin: gtin, _serialized: true })).id;
  const claim = must<{ id: string }>(await call(owner, 'claim_gtin_prefix', { _brand_id: brand, _prefix: gtin, _kind: 'gtin', _display_name: 'Flood brand', _evidence: 'licence' })).id;
  must(await call(PLATFORM_ADMIN, 'verify_gtin_claim', { _brand_id: brand, _claim_id: claim, _note: 'checked' }));
  const batch = must<{ id: string }>(await call(owner, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: 'FLOOD-1', _quantity: 50 })).id;
  must(await call(owner, 'mint_serials', { _brand_id: brand, _batch_id: batch, _count: 50 }));
  codes = must<{ code: string }[]>(await call(owner, 'list_batch_serials', { _brand_id: brand, _batch_id: batch })).map((s) => s.code);
  expect(codes.length).toBe(50);
});

afterAll(async () => {
  await db?.drop();
});

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const activeSleeps = async (like: string) =>
  Number((await db.admin`select count(*) as n from pg_stat_activity where state = 'active' and query like ${like} and pid <> pg_backend_pid()`)[0]!.n);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

/** `n` anonymous resolves, `concurrency` at a time (stopping at the first that is not 200): statuses and latencies. */
async function resolves(gw: TestGateway, n: number, concurrency: number): Promise<{ statuses: number[]; ms: number[] }> {
  const statuses: number[] = [];
  const ms: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const code = codes[next++ % codes.length]!;
      const r = await raw(gw.url, { path: '/rpc/resolve_serial', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ _code: code }), timeoutMs: 20_000 });
      statuses.push(r.status);
      ms.push(r.ms);
      if (r.status !== 200) next = n; // the first failure is the answer: stop
    }
  }));
  return { statuses, ms };
}

describe('one tenant floods the pool', () => {
  it('anonymous resolves are answered (2xx, no 504) while one tenant fills the authenticated part of the pool', async () => {
    // 6 connections, 2 kept for the anonymous role; a pool wait over 2 s is 504
    const gw = await startGateway(db, { schemas: ['api', 'demo'], poolSize: 6, poolAnonReserved: 2, poolTimeoutMs: 2000 });
    try {
      const idle = await resolves(gw, 100, 2);
      expect(idle.statuses.filter((s) => s !== 200)).toEqual([]);
      const token = await gw.token('flood-tenant');
      let stop = false;
      const flood: number[] = [];
      const workers = Array.from({ length: 24 }, async () => {
        while (!stop) {
          const r = await raw(gw.url, { path: '/rpc/sleep', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Profile': 'demo' }, body: '{"p_ms": 3000}', timeoutMs: 20_000 });
          flood.push(r.status);
        }
      });
      try {
        // the authenticated callers hold every connection they may use
        await until(async () => (await activeSleeps('%sleep%')) >= 4, 10_000, 'the flood filled the authenticated pool');
        const during = await resolves(gw, 100, 2);
        const bad = during.statuses.filter((s) => s !== 200);
        expect(bad, `anonymous resolves during the flood: ${JSON.stringify(during.statuses)}`).toEqual([]);
        expect(await activeSleeps('%sleep%'), 'the flood was still running').toBeGreaterThanOrEqual(4);
        const line = `anonymous resolve_serial p50/p99: idle ${pct(idle.ms, 50)}/${pct(idle.ms, 99)} ms, during a flood of 24 parallel 3 s authenticated calls ${pct(during.ms, 50)}/${pct(during.ms, 99)} ms (${during.statuses.length} requests, all 200)`;
        process.stdout.write(`[security] ${line}\n`);
        tally('flood: anonymous resolves answered 2xx during the flood', during.statuses.length);
      } finally {
        stop = true;
        await Promise.all(workers);
      }
      // the flood itself got 200 or 504 PGRST003 (its own waits), nothing else
      expect(flood.filter((s) => s !== 200 && s !== 504)).toEqual([]);
    } finally {
      await gw.close();
    }
  }, 60_000);
});

describe('rate limits', () => {
  it('anonymous requests per client address and authenticated ones per user id: 429 with Retry-After beyond the limit', async () => {
    const gw = await startGateway(db, { schemas: ['demo'], rateLimitAnonMax: 5, rateLimitAuthenticatedMax: 3, rateLimitWindowMs: 60_000, trustProxy: true });
    try {
      const get = (headers: Record<string, string>) => raw(gw.url, { method: 'GET', path: '/rpc/add_them?a=1&b=2', headers });
      const from = (ip: string) => get({ 'X-Forwarded-For': ip });
      for (let i = 0; i < 5; i++) expect((await from('10.0.0.1')).status).toBe(200);
      const over = await from('10.0.0.1');
      expect(over.status).toBe(429);
      const retry = Number(over.headers['retry-after']);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
      expect(over.json).toMatchObject({ code: 'PT429', message: 'Too many requests: at most 5 per 60 s per client address', hint: null });
      expect(JSON.parse((over.json as { details: string }).details)).toMatchObject({ rule: 'rate_limit', limit: 5, window_ms: 60_000 });
      expect((await from('10.0.0.2')).status, 'another address has its own count').toBe(200);
      // IPv6 addresses of one /64 share a count
      for (let i = 0; i < 5; i++) expect((await from(`2001:db8:1:2::${i + 1}`)).status).toBe(200);
      expect((await from('2001:db8:1:2::ff')).status).toBe(429);
      // authenticated: per user id, whatever token and address it comes with
      const a1 = await gw.token('rate-a');
      const a2 = await gw.token('rate-a', 'x');
      expect((await get({ Authorization: `Bearer ${a1}`, 'X-Forwarded-For': '10.0.0.1' })).status).toBe(200);
      expect((await get({ Authorization: `Bearer ${a2}`, 'X-Forwarded-For': '10.0.0.3' })).status).toBe(200);
      expect((await get({ Authorization: `Bearer ${a1}`, 'X-Forwarded-For': '10.0.0.4' })).status).toBe(200);
      const userOver = await get({ Authorization: `Bearer ${a2}`, 'X-Forwarded-For': '10.0.0.5' });
      expect(userOver.status).toBe(429);
      expect((userOver.json as { message: string }).message).toBe('Too many requests: at most 3 per 60 s per user');
      expect((await get({ Authorization: `Bearer ${await gw.token('rate-b')}`, 'X-Forwarded-For': '10.0.0.1' })).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe('the client goes away', () => {
  it('a slow write whose client disconnects is cancelled in the database and not committed', async () => {
    const gw = await startGateway(db, { schemas: ['demo'], poolSize: 2 });
    try {
      const token = await gw.token('gone-user');
      const msg = `gone-${Date.now()}`;
      const u = new URL(gw.url);
      const body = JSON.stringify({ p_msg: msg });
      const r = request({ host: u.hostname, port: Number(u.port), method: 'POST', path: '/rpc/slow_write', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length) } });
      r.on('error', () => {});
      r.end(body);
      await until(async () => (await activeSleeps('%slow_write%')) === 1, 10_000, 'the slow write runs');
      r.destroy();
      await until(async () => (await activeSleeps('%slow_write%')) === 0, 5000, 'the slow write was cancelled after the disconnect');
      const [row] = await db.admin<{ n: number }[]>`select count(*)::int as n from demo.log where msg = ${msg}`;
      expect(row!.n, 'the cancelled write was rolled back').toBe(0);
      // the gateway carries on: both connections usable
      for (let i = 0; i < 4; i++) expect((await raw(gw.url, { method: 'GET', path: '/rpc/add_them?a=1&b=2' })).status).toBe(200);
    } finally {
      await gw.close();
    }
  }, 30_000);
});
