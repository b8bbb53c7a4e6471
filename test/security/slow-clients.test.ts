// Slow clients: connections that trickle their headers or body are answered 408 and closed once the
// request timeout passes (they used to be held forever), normal requests are answered meanwhile, and
// connections beyond the limit are closed at once. Raw sockets, as an attacker would send them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type Socket } from 'node:net';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { CONTRACT_SCHEMA_SQL } from '../gateway/contract-schema.ts';
import { req } from '../support/http.ts';
import { tally } from '../support/tally.ts';

const REQUEST_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 60;

let db: TestDb;
let gw: TestGateway;

beforeAll(async () => {
  db = await createTestDb();
  await db.admin.unsafe(CONTRACT_SCHEMA_SQL);
  gw = await startGateway(db, { schemas: ['demo'], requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: HEADERS_TIMEOUT_MS, maxConnections: MAX_CONNECTIONS });
});

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

interface Trickler {
  socket: Socket;
  /** what the server sent */
  received(): string;
  /** resolves with the time (ms since open) the server closed the connection */
  closed: Promise<number>;
  stop(): void;
}

/** A connection that sends `head` at once, then `rest` one byte every `everyMs`. */
function trickle(url: string, head: string, rest: string, everyMs: number): Promise<Trickler> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(u.port), u.hostname);
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<number>((res) => socket.on('close', () => res(performance.now() - started)));
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(head);
      let i = 0;
      timer = setInterval(() => {
        if (i >= rest.length || socket.destroyed) return clearInterval(timer);
        socket.write(rest[i++]!);
      }, everyMs);
      resolve({ socket, received: () => data, closed, stop: () => clearInterval(timer) });
    });
    socket.once('error', reject);
    closed.then(() => clearInterval(timer));
  });
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

function openConnections(): Promise<number> {
  return new Promise((resolve, reject) => gw.gateway.app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const logCount = async () => Number((await db.admin`select count(*) as n from demo.log`)[0]!.n);

describe('slow clients', () => {
  test('40 connections trickling a body get 408 and are closed; normal requests are answered meanwhile', async () => {
    const before = await logCount();
    const body = JSON.stringify({ p_msg: 'x'.repeat(200) });
    const head = `POST /rpc/add_log HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const conns = await Promise.all(Array.from({ length: 40 }, () => trickle(gw.url, head, body, 100)));
    // the gateway keeps answering others while they trickle
    const ok = await req(`${gw.url}/rpc/add_them?a=1&b=2`);
    expect(ok.status).toBe(200);
    const times = await withDeadline(Promise.all(conns.map((c) => c.closed)), REQUEST_TIMEOUT_MS * 8, 'trickling connections closed');
    for (const c of conns) {
      c.stop();
      expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.9);
    expect(await logCount(), 'no trickled call ran').toBe(before);
    tally('slow clients: trickling connections closed with 408', conns.length);
    process.stdout.write(`[security] slow bodies: 40 connections closed with 408 after ${Math.round(Math.min(...times))}–${Math.round(Math.max(...times))} ms (request timeout ${REQUEST_TIMEOUT_MS} ms)\n`);
  });

  test('trickled headers get 408 within the headers timeout', async () => {
    const head = 'GET /rpc/add_them?a=1&b=2 HTTP/1.1\r\nHost: x\r\n';
    const conns = await Promise.all(Array.from({ length: 10 }, () => trickle(gw.url, head, 'X-Slow: ' + 'a'.repeat(200), 100)));
    const times = await withDeadline(Promise.all(conns.map((c) => c.closed)), REQUEST_TIMEOUT_MS * 8, 'slow-header connections closed');
    for (const c of conns) expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(Math.max(...times)).toBeLessThan(REQUEST_TIMEOUT_MS * 8);
  });

  test(`connections beyond ${MAX_CONNECTIONS} are closed at once; service resumes when the slow ones are gone`, async () => {
    const head = 'POST /rpc/add_log HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const hold = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => trickle(gw.url, head, '{'.repeat(1000), 200)));
    await until(async () => (await openConnections()) >= MAX_CONNECTIONS, 5000, 'the server accepted the held connections');
    const extra = await trickle(gw.url, 'GET /rpc/add_them?a=1&b=2 HTTP/1.1\r\nHost: x\r\n\r\n', '', 1000);
    const extraClosed = await withDeadline(extra.closed, 2000, 'the connection over the limit closed');
    expect(extra.received()).toBe('');
    expect(extraClosed).toBeLessThan(2000);
    await withDeadline(Promise.all(hold.map((c) => c.closed)), REQUEST_TIMEOUT_MS * 8, 'held connections closed');
    hold.forEach((c) => c.stop());
    expect((await req(`${gw.url}/rpc/add_them?a=1&b=2`)).status).toBe(200);
  });
});
