// Webhook delivery end to end: real receivers on 127.0.0.1 verifying signatures with the standardwebhooks
// library, several workers at once, a receiver killed mid-stream and brought back, dead letters and
// redelivery, 410, timeouts and the SSRF guard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { must } from '../support/door.ts';
import { eventually } from '../cases/events.ts';
import { startWorker, retryDelay, type Worker, type WorkerOptions } from '../../src/events/worker.ts';
import { deliver } from '../../src/events/deliver.ts';
import { isPrivateAddress } from '../../src/events/ssrf.ts';

let db: TestDb;
let brand: string;
let product: string;
const owner = { sub: 'wh-owner' };
const workers: Worker[] = [];
let n = 0;

const call = (fn: string, args: Record<string, unknown>) => sqlCall(db.admin, owner, fn, args);
const workerOpts = (): WorkerOptions => ({
  databaseUrl: db.authenticatorUrl, pollMs: 20, concurrency: 8, timeoutMs: 2000, allowPrivate: true,
  retryBaseMs: 40, retryMaxMs: 300,
});
function worker(extra: Partial<WorkerOptions> = {}): Worker {
  const w = startWorker({ ...workerOpts(), ...extra });
  workers.push(w);
  return w;
}
async function stopWorkers(): Promise<void> {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
}

async function endpoint(r: Receiver, args: Record<string, unknown> = {}): Promise<string> {
  const created = must<{ webhook: { id: string }; secret: string }>(await call('create_webhook', { _brand_id: brand, _url: r.url, _events: ['batch.created'], ...args }));
  r.setSecret(created.secret);
  return created.webhook.id;
}

/** Create `count` batches in `tx` transactions; returns their numbers in creation order. */
async function batches(count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `WH-${++n}`;
    must(await call('create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: name }));
    names.push(name);
  }
  return names;
}

const numbers = (r: Receiver) => r.receipts.map((x) => (x.body.data as { batch_number: string }).batch_number);
const firstArrivals = (r: Receiver) => [...new Set(numbers(r))];

beforeAll(async () => {
  db = await createTestDb();
  brand = must<{ id: string }>(await call('create_brand', { _name: 'Webhooks' })).id;
  product = must<{ id: string }>(await call('create_product', { _brand_id: brand, _name: 'P' })).id;
});
afterAll(async () => {
  await stopWorkers();
  await db?.drop();
});

describe('delivery', () => {
  it('a receiver killed mid-stream gets every event once it is back, in feed order; two workers never send one attempt twice', async () => {
    const r = await startReceiver();
    const hook = await endpoint(r);
    worker({ name: 'w1' });
    worker({ name: 'w2' });
    const first = await batches(10);
    await eventually(async () => (r.receipts.length >= 4 ? true : undefined), 30_000, 'first receipts');
    await r.stop(); // mid-stream: some of the first ten are still queued
    const second = await batches(10);
    // attempts fail while it is down (connection refused), and are retried with backoff
    await eventually(async () => {
      const [x] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.webhook_attempts where brand_id = ${brand} and status_code is null`;
      return x!.n >= 2 ? true : undefined;
    }, 30_000, 'failed attempts while the receiver is down');
    await r.start();
    const all = [...first, ...second];
    await eventually(async () => (all.every((b) => numbers(r).includes(b)) ? true : undefined), 60_000, 'every event delivered');
    expect(r.rejected).toBe(0);
    expect(firstArrivals(r)).toEqual(all); // in order per endpoint
    const attempts = r.receipts.map((x) => x.attempt);
    expect(new Set(attempts).size).toBe(attempts.length); // no attempt sent twice
    // a request cut off by the kill may have reached the receiver unanswered: its retry finishes the queue
    const states = await eventually(async () => {
      const s = await db.admin<{ state: string; n: number }[]>`
        select state, count(*)::int as n from data.webhook_deliveries where brand_id = ${brand} and webhook_id = ${hook} group by state`;
      return s.length === 1 ? s : undefined;
    }, 30_000, 'every delivery settled');
    expect(states).toEqual([{ state: 'delivered', n: 20 }]);
    // every receipt is a recorded attempt (a duplicate receipt is a retry of a request cut off mid-flight)
    const recorded = await db.admin<{ a: string }[]>`
      select delivery_id || ':' || attempt as a from data.webhook_attempts where brand_id = ${brand}`;
    const known = new Set(recorded.map((x) => x.a));
    expect(attempts.filter((a) => !known.has(a))).toEqual([]);
    await stopWorkers();
    await r.stop();
    must(await call('delete_webhook', { _brand_id: brand, _webhook_id: hook }));
  }, 120_000);

  it('three workers and three endpoints under load: each endpoint in order, no attempt twice', async () => {
    const rs = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    const hooks = [];
    for (const r of rs) hooks.push(await endpoint(r));
    worker();
    worker();
    worker();
    const names = await batches(40);
    await eventually(async () => (rs.every((r) => names.every((b) => numbers(r).includes(b))) ? true : undefined), 60_000, 'all delivered');
    for (const r of rs) {
      expect(firstArrivals(r)).toEqual(names);
      expect(numbers(r)).toEqual(names); // the receivers never failed: exactly once
      expect(r.rejected).toBe(0);
    }
    const attempts = rs.flatMap((r) => r.receipts.map((x) => x.attempt));
    expect(new Set(attempts).size).toBe(attempts.length);
    await stopWorkers();
    await Promise.all(rs.map((r) => r.stop()));
    for (const h of hooks) must(await call('delete_webhook', { _brand_id: brand, _webhook_id: h }));
  }, 120_000);

  it('a delivery that keeps failing goes to the dead-letter state; the next ones proceed; redelivery sends it again', async () => {
    const r = await startReceiver();
    const hook = await endpoint(r, { _max_attempts: 3 });
    r.status = 500;
    worker();
    const [a] = await batches(1);
    const dead = await eventually(async () => {
      const rows = must<{ id: string; state: string; attempts: number; attempt_log: { status_code: number }[] }[]>(
        await call('list_webhook_deliveries', { _brand_id: brand, _webhook_id: hook }));
      return rows[0]?.state === 'dead' ? rows[0] : undefined;
    }, 30_000, 'dead letter');
    expect(dead.attempts).toBe(3);
    expect(dead.attempt_log.map((x) => x.status_code)).toEqual([500, 500, 500]);
    r.status = null;
    const [b] = await batches(1);
    await eventually(async () => (numbers(r).includes(b!) ? true : undefined), 30_000, 'next delivery');
    expect(numbers(r)).toEqual([b]);
    must(await call('redeliver_webhook', { _brand_id: brand, _delivery_id: dead.id }));
    await eventually(async () => (numbers(r).includes(a!) ? true : undefined), 30_000, 'redelivered');
    expect(numbers(r)).toEqual([b, a]);
    await stopWorkers();
    await r.stop();
    must(await call('delete_webhook', { _brand_id: brand, _webhook_id: hook }));
  }, 60_000);

  it('410 Gone disables the endpoint; re-enabling resumes its queue', async () => {
    const r = await startReceiver();
    const hook = await endpoint(r);
    r.status = 410;
    worker();
    const [a] = await batches(1);
    const w = await eventually(async () => {
      const list = must<{ id: string; status: string; disabled_reason: string }[]>(await call('list_webhooks', { _brand_id: brand }));
      const x = list.find((h) => h.id === hook);
      return x?.status === 'disabled' ? x : undefined;
    }, 30_000, 'disabled');
    expect(w.disabled_reason).toMatch(/410/);
    r.status = null;
    must(await call('update_webhook', { _brand_id: brand, _webhook_id: hook, _status: 'active' }));
    await eventually(async () => (numbers(r).includes(a!) ? true : undefined), 30_000, 'resumed');
    await stopWorkers();
    await r.stop();
    must(await call('delete_webhook', { _brand_id: brand, _webhook_id: hook }));
  }, 60_000);
});

describe('outbound requests', () => {
  it('time out, and refuse private and loopback targets unless allowed (SSRF)', async () => {
    const r = await startReceiver('whsec_' + Buffer.alloc(32, 7).toString('base64'));
    r.delayMs = 1500;
    const attempt = { url: r.url, secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64'), msgId: 'msg_1', payload: '{"type":"t.x"}' };
    const slow = await deliver(attempt, { timeoutMs: 200, allowPrivate: true });
    expect(slow).toMatchObject({ status: null, error: 'timeout after 200 ms' });
    const refused = await deliver(attempt, { timeoutMs: 2000, allowPrivate: false });
    expect(refused.status).toBeNull();
    expect(refused.error).toMatch(/refused: 127\.0\.0\.1/);
    const byName = await deliver({ ...attempt, url: r.url.replace('127.0.0.1', 'localhost') }, { timeoutMs: 2000, allowPrivate: false });
    expect(byName.error).toMatch(/refused: localhost resolves to/);
    r.delayMs = 0;
    expect(await deliver(attempt, { timeoutMs: 2000, allowPrivate: true })).toMatchObject({ status: 200, error: null });
    await r.stop();
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '224.0.0.1']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it('retries back off exponentially with jitter, honour Retry-After, and stay under the maximum', () => {
    for (let a = 1; a <= 6; a++) {
      const d = retryDelay(a, 1000, 3_600_000);
      expect(d).toBeGreaterThanOrEqual(0.8 * 1000 * 4 ** (a - 1));
      expect(d).toBeLessThanOrEqual(1.2 * 1000 * 4 ** (a - 1));
    }
    expect(retryDelay(20, 1000, 60_000)).toBe(60_000);
    expect(retryDelay(1, 1000, 60_000, 30_000)).toBe(30_000);
  });
});
