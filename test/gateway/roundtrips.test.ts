// Network round trips per call, counted on the wire: the gateway's pool connects through a TCP proxy
// that delays everything the server sends by DELAY ms and counts the client's turns (a turn = the
// client sends after something from the server reached it). With the delay, statements the client
// pipelines always arrive within the same turn, so the count is exact. docs/gateway.md quotes these numbers.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { CONTRACT_SCHEMA_SQL } from './contract-schema.ts';
import { req } from '../support/http.ts';
import type { GatewaySettings } from '../../src/gateway/settings.ts';

const DELAY = 15;

interface Proxy {
  url: string;
  turns: number;
  reset(): void;
  close(): Promise<void>;
}

async function startProxy(upstreamUrl: string): Promise<Proxy> {
  const up = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  const state = { turns: 0 };
  const server: Server = createServer((client) => {
    sockets.add(client);
    let heard = true; // the client's first send is a turn
    const upstream = connect({ host: up.hostname, port: Number(up.port || 5432) });
    sockets.add(upstream);
    client.on('data', (d) => {
      if (heard) {
        state.turns++;
        heard = false;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      setTimeout(() => {
        if (client.destroyed) return;
        client.write(d);
        heard = true;
      }, DELAY);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', () => setTimeout(end, DELAY + 5)).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(upstreamUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    get turns() {
      return state.turns;
    },
    reset() {
      state.turns = 0;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  await db.admin.unsafe(CONTRACT_SCHEMA_SQL);
  // a function that drops the session's prepared statements (as a buggy function could)
  await db.admin.unsafe(`create function demo.forget() returns void language plpgsql volatile as $$ begin execute 'DEALLOCATE ALL'; end $$`);
});
afterAll(() => db?.drop());

/** A gateway (one pool connection, through the proxy) and a counter of the round trips of one request. */
function through(overrides: Partial<GatewaySettings>) {
  const env = {} as { proxy: Proxy; gw: TestGateway };
  beforeAll(async () => {
    env.proxy = await startProxy(db.authenticatorUrl);
    env.gw = await startGateway(db, { schemas: ['demo'], poolSize: 1, databaseUrl: env.proxy.url, listenUrl: db.authenticatorUrl, ...overrides });
  });
  afterAll(async () => {
    await env.gw?.close();
    await env.proxy?.close();
  });
  let n = 0;
  const call = async (path: string, init: Parameters<typeof req>[1] = {}) => req(env.gw.url + path, init);
  /** round trips of the request, measured after `warm` identical-shape requests */
  const count = async (path: string | (() => string), init: Parameters<typeof req>[1] | (() => Parameters<typeof req>[1]) = {}, warm = 2) => {
    const p = () => (typeof path === 'function' ? path() : path);
    const i = () => (typeof init === 'function' ? init() : init);
    for (let k = 0; k < warm; k++) await call(p(), i());
    env.proxy.reset();
    const res = await call(p(), i());
    return { turns: env.proxy.turns, status: res.status, body: res.body };
  };
  const unique = () => `msg-${Date.now()}-${++n}`;
  return { env, call, count, unique };
}

describe('prepared statements on (the default): warm calls are ONE round trip', () => {
  const t = through({ preparedStatements: true, preRequest: 'demo.pre_check', txEnd: 'commit-allow-override' });

  test('POST of a volatile function: BEGIN, settings, pre-request, call, COMMIT in one round trip', async () => {
    const r = await t.count('/rpc/add_log', () => ({ method: 'POST', json: { p_msg: t.unique() } }));
    expect(r.status).toBe(200);
    expect(r.turns).toBe(1);
  });

  test('GET with select, filters, order, limit, count', async () => {
    const r = await t.count('/rpc/list_items?select=id,name&name=like.*a*&or=(id.gt.1,note.is.null)&order=id.desc&limit=2', { headers: { Prefer: 'count=exact' } });
    expect(r.status).toBe(206);
    expect(r.turns).toBe(1);
  });

  test('an error from the function (409) is one round trip too (the pipelined COMMIT rolls back)', async () => {
    await t.call('/rpc/add_log', { method: 'POST', json: { p_msg: 'dup' } });
    const r = await t.count('/rpc/add_log', { method: 'POST', json: { p_msg: 'dup' } });
    expect(r.status).toBe(409);
    expect(r.turns).toBe(1);
  });

  test('Prefer: tx=rollback (allowed): rollback decided in advance, still one round trip', async () => {
    const r = await t.count('/rpc/add_log', () => ({ method: 'POST', json: { p_msg: t.unique() }, headers: { Prefer: 'tx=rollback' } }));
    expect(r.status).toBe(200);
    expect(r.turns).toBe(1);
  });

  test('singular Accept on a writing SETOF function: commit or rollback is decided from the result → 2', async () => {
    const r = await t.count('/rpc/add_logs', () => ({ method: 'POST', json: { p_prefix: t.unique(), p_n: 1 }, headers: { Accept: 'application/vnd.pgrst.object+json' } }));
    expect(r.status).toBe(200);
    expect(r.turns).toBe(2);
  });

  test('the first use of a statement text on a connection: described first → 3', async () => {
    // a shape this connection has not seen: its main statement is prepared on the way
    const r = await t.count('/rpc/items_between?p_min=1&p_max=2&select=id&id=gte.1&order=name', {}, 0);
    expect(r.status).toBe(200);
    expect(r.turns).toBe(3);
  });
});

describe('prepared statements off (PgBouncer mode): every parameterised statement is described first', () => {
  const t = through({ preparedStatements: false, preRequest: 'demo.pre_check' });

  test('POST of a volatile function: 5 round trips (BEGIN + settings described, settings run, call described, call run, COMMIT)', async () => {
    const r = await t.count('/rpc/add_log', () => ({ method: 'POST', json: { p_msg: t.unique() } }));
    expect(r.status).toBe(200);
    expect(r.turns).toBe(5);
  });

  test('GET with shaping: 5 as well', async () => {
    const r = await t.count('/rpc/list_items?select=id,name&name=like.*a*&order=id.desc&limit=2');
    expect(r.status).toBe(200);
    expect(r.turns).toBe(5);
  });

  test('an error from the call: 5 (the call fails on its second trip, then ROLLBACK)', async () => {
    await t.call('/rpc/add_log', { method: 'POST', json: { p_msg: 'dup2' } });
    const r = await t.count('/rpc/add_log', { method: 'POST', json: { p_msg: 'dup2' } });
    expect(r.status).toBe(409);
    expect(r.turns).toBe(5);
  });

  test('singular Accept on a writing SETOF function: 5 (COMMIT waits for the result anyway)', async () => {
    const r = await t.count('/rpc/add_logs', () => ({ method: 'POST', json: { p_prefix: t.unique(), p_n: 1 }, headers: { Accept: 'application/vnd.pgrst.object+json' } }));
    expect(r.status).toBe(200);
    expect(r.turns).toBe(5);
  });
});

describe('prepared statements that vanish (DEALLOCATE in a function, a transaction pooler)', () => {
  const warnings: string[] = [];
  const t = through({ preparedStatements: true, logLevel: 'info', logger: (l) => { if (l.level === 'warn') warnings.push(String(l.msg)); } });

  test('the next call fails over to a new connection without prepared statements: answered once, run once, no hang', async () => {
    await t.call('/rpc/add_log', { method: 'POST', json: { p_msg: t.unique() } }); // warm: statements prepared
    expect((await t.call('/rpc/forget', { method: 'POST' })).status).toBe(204);
    const before = (await db.admin<{ n: number }[]>`select count(*)::int as n from demo.log`)[0]!.n;
    const r = await t.call('/rpc/add_log', { method: 'POST', json: { p_msg: t.unique() }, signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(200);
    const after = (await db.admin<{ n: number }[]>`select count(*)::int as n from demo.log`)[0]!.n;
    expect(after - before).toBe(1); // the failed attempt left nothing behind; nothing ran outside the transaction
    expect(warnings.join('\n')).toMatch(/prepared statements turned off/);
    // from now on: no prepared statements, i.e. PgBouncer mode's round trips
    const c = await t.count('/rpc/add_log', () => ({ method: 'POST', json: { p_msg: t.unique() } }));
    expect([c.status, c.turns]).toEqual([200, 5]);
  });
});
