// Operations: health/ready, metrics, request logs, CORS, body limit, schema reload on NOTIFY,
// graceful shutdown, 503 on connection failure, 504 on pool timeout.
import { describe, expect, test } from 'vitest';
import { useContractSchema } from './contract-schema.ts';
import { req } from '../support/http.ts';
import { startGateway } from '../support/gateway.ts';
import { applyCode } from '../../src/db/migrate.ts';
import type { Gateway } from '../../src/gateway/server.ts';

const lines: Record<string, unknown>[] = [];
const METRICS_TOKEN = 'metrics-token-for-the-ops-tests';
const env = useContractSchema({ logLevel: 'info', logger: (l) => lines.push(l), corsOrigins: ['*'], metricsToken: METRICS_TOKEN });
const u = (p: string) => env.gw.url + p;
const withMetricsToken = { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } };

describe('health and readiness', () => {
  test('/health is 200; /ready is 200 with the database and the schema cache', async () => {
    const h = await req(u('/health'));
    expect(h.status).toBe(200);
    expect(h.body).toEqual({ status: 'ok' });
    const r = await req(u('/ready'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ready', database: true, schemaCache: true });
  });

  test('/ready is 503 and calls are 503 PGRST002 while the database is unreachable at start', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], databaseUrl: 'postgres://authenticator:x@127.0.0.1:1/nope', listenUrl: 'postgres://authenticator:x@127.0.0.1:1/nope' });
    try {
      const r = await req(`${gw.url}/ready`);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).not.toBeNull();
      const c = await req(`${gw.url}/rpc/no_args`);
      expect(c.status).toBe(503);
      expect(c.body).toEqual({ code: 'PGRST002', message: 'Could not query the database for the schema cache. Retrying.', details: null, hint: null });
      expect(c.headers.get('retry-after')).not.toBeNull();
    } finally {
      await gw.close();
    }
  });

  test('a connection failure on a call → 503 PGRST000 with Retry-After', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], listenUrl: env.db.authenticatorUrl, databaseUrl: 'postgres://authenticator:x@127.0.0.1:1/nope' });
    try {
      const c = await req(`${gw.url}/rpc/no_args`);
      expect(c.status).toBe(503);
      expect(c.body.code).toBe('PGRST000');
      expect(c.body.message).toBe('Database connection error.');
      expect(c.headers.get('retry-after')).not.toBeNull();
    } finally {
      await gw.close();
    }
  });
});

describe('pool', () => {
  test('waiting longer than the pool timeout → 504 PGRST003', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], poolSize: 1, poolTimeoutMs: 150 });
    try {
      const slow = req(`${gw.url}/rpc/sleep?p_ms=600`);
      await new Promise((r) => setTimeout(r, 50));
      const blocked = await req(`${gw.url}/rpc/no_args`);
      expect(blocked.status).toBe(504);
      expect(blocked.body).toEqual({ code: 'PGRST003', message: 'Timed out acquiring connection from connection pool.', details: null, hint: null });
      expect((await slow).status).toBe(200);
      expect((await req(`${gw.url}/rpc/no_args`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  test('many concurrent requests share a small pool', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], poolSize: 2 });
    try {
      const all = await Promise.all(Array.from({ length: 40 }, (_, i) => req(`${gw.url}/rpc/add_them?a=${i}&b=1`)));
      expect(all.map((r) => r.body)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    } finally {
      await gw.close();
    }
  });
});

describe('metrics and logs', () => {
  test('/metrics: request counts and latency by function and status, pool gauges', async () => {
    await req(u('/rpc/add_them?a=1&b=1'));
    await req(u('/rpc/nope'));
    const m = await req(u('/metrics'), withMetricsToken);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/lotline_http_requests_total\{function="add_them",method="GET",status="200"\} \d+/);
    expect(m.text).toMatch(/lotline_http_requests_total\{function="unknown",method="GET",status="404"\} \d+/);
    expect(m.text).toMatch(/lotline_http_request_duration_seconds_bucket\{le="0.005",function="add_them",method="GET",status="200"\}/);
    expect(m.text).toMatch(/lotline_db_pool_size 4/);
    expect(m.text).toMatch(/lotline_db_pool_in_use \d+/);
    expect(m.text).toMatch(/lotline_db_pool_waiting \d+/);
    expect(m.text).toMatch(/lotline_schema_cache_reloads_total\{outcome="ok"\} \d+/);
  });

  test('/metrics is not public: not served on the API port without a token; with one, only to its bearer; or on its own listener', async () => {
    const metricsText = /lotline_http_requests_total/;
    // the default: no token, no metrics port → /metrics is an unknown path on the API port
    const plain = await startGateway(env.db, { schemas: ['demo'] });
    try {
      const r = await req(`${plain.url}/metrics`);
      expect(r.status).toBe(404);
      expect(r.text).not.toMatch(metricsText);
      expect(plain.gateway.metricsUrl()).toBeNull();
    } finally {
      await plain.close();
    }
    // a token: refused without it, with a wrong one, with a JWT; served with it
    for (const auth of [undefined, 'Bearer wrong-token', `Bearer ${METRICS_TOKEN}x`, `Bearer ${await env.gw.token('u1')}`, METRICS_TOKEN]) {
      const r = await req(u('/metrics'), auth ? { headers: { Authorization: auth } } : {});
      expect(r.status, String(auth)).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(r.body).toEqual({ code: 'PGRST301', message: 'A valid metrics token is required', details: null, hint: null });
    }
    expect((await req(u('/metrics'), withMetricsToken)).text).toMatch(metricsText);
    // a port of its own on 127.0.0.1: metrics there, nothing on the API port
    const apart = await startGateway(env.db, { schemas: ['demo'], metricsPort: 0 });
    try {
      const url = apart.gateway.metricsUrl();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const m = await req(`${url}/metrics`);
      expect(m.status).toBe(200);
      expect(m.text).toMatch(metricsText);
      expect((await req(`${url}/rpc/no_args`)).status).toBe(404);
      expect((await req(`${apart.url}/metrics`)).status).toBe(404);
    } finally {
      await apart.close();
    }
  });

  test('one JSON log line per request with the incoming X-Request-Id (echoed back)', async () => {
    lines.length = 0;
    const r = await req(u('/rpc/add_them?a=2&b=2'), { headers: { 'X-Request-Id': 'req-abc-123' } });
    expect(r.headers.get('x-request-id')).toBe('req-abc-123');
    await new Promise((res) => setTimeout(res, 20));
    const mine = lines.filter((l) => l.reqId === 'req-abc-123');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: 'info', method: 'GET', path: '/rpc/add_them', function: 'add_them', status: 200, role: 'anon' });
    expect(typeof mine[0]!.durationMs).toBe('number');
    const gen = await req(u('/rpc/no_args'));
    expect(gen.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('CORS', () => {
  test('preflight answered by the gateway; responses expose Content-Range', async () => {
    const p = await fetch(u('/rpc/add_them'), {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,prefer' },
    });
    expect(p.status).toBe(200);
    expect(p.headers.get('access-control-allow-origin')).toBe('*');
    expect(p.headers.get('access-control-allow-methods')).toContain('POST');
    expect(p.headers.get('access-control-allow-headers')).toBe('authorization,content-type,prefer');
    const r = await fetch(u('/rpc/list_items'), { headers: { Origin: 'http://app.example' } });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-expose-headers')).toContain('Content-Range');
  });

  test('a configured origin list: allowed origin echoed, others get no CORS headers', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], corsOrigins: ['http://ok.example'] });
    try {
      const a = await fetch(`${gw.url}/rpc/no_args`, { headers: { Origin: 'http://ok.example' } });
      expect(a.headers.get('access-control-allow-origin')).toBe('http://ok.example');
      const b = await fetch(`${gw.url}/rpc/no_args`, { headers: { Origin: 'http://evil.example' } });
      expect(b.headers.get('access-control-allow-origin')).toBeNull();
      // an OPTIONS answer's own `*` does not replace the allowed origin
      const o = await fetch(`${gw.url}/rpc/no_args`, { method: 'OPTIONS', headers: { Origin: 'http://ok.example' } });
      expect([o.status, o.headers.get('access-control-allow-origin')]).toEqual([200, 'http://ok.example']);
    } finally {
      await gw.close();
    }
  });
});

describe('body limit', () => {
  test('a body over the limit → 413 with a PostgREST-shaped body', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], maxBodyBytes: 100 });
    try {
      const r = await req(`${gw.url}/rpc/echo_json`, { method: 'POST', json: { big: 'x'.repeat(200) } });
      expect(r.status).toBe(413);
      expect(r.body).toMatchObject({ code: 'PGRST413', details: null, hint: null });
      expect((await req(`${gw.url}/rpc/echo_json`, { method: 'POST', json: { small: 1 } })).body).toEqual({ small: 1 });
    } finally {
      await gw.close();
    }
  });
});

describe('schema cache', () => {
  test("a new function is 404 until NOTIFY pgrst, 'reload schema'; then callable", async () => {
    await env.db.admin.unsafe(`create function demo.added_later() returns text language sql stable as $$ select 'new' $$`);
    const before = await req(u('/rpc/added_later'));
    expect(before.status).toBe(404);
    await env.db.admin.unsafe(`notify pgrst, 'reload schema'`);
    let after = before;
    for (let i = 0; i < 50 && after.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await req(u('/rpc/added_later'));
    }
    expect(after.status).toBe(200);
    expect(after.body).toBe('new');
  });

  test('requests keep being served during a burst of reloads', async () => {
    const calls = Array.from({ length: 30 }, (_, i) => req(u(`/rpc/add_them?a=${i}&b=0`)));
    for (let i = 0; i < 10; i++) await env.db.admin.unsafe(`notify pgrst, 'reload schema'`);
    await env.gw.gateway.reload();
    const res = await Promise.all(calls);
    expect(res.every((r) => r.status === 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 400)); // let the debounced reload settle
  });

  test('other payloads do not reload; an empty payload does', async () => {
    await env.db.admin.unsafe(`create function demo.added_later2() returns text language sql stable as $$ select 'new2' $$`);
    await env.db.admin.unsafe(`notify pgrst, 'reload config'`);
    await new Promise((r) => setTimeout(r, 300));
    expect((await req(u('/rpc/added_later2'))).status).toBe(404);
    await env.db.admin.unsafe(`notify pgrst`);
    let r = await req(u('/rpc/added_later2'));
    for (let i = 0; i < 50 && r.status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 50));
      r = await req(u('/rpc/added_later2'));
    }
    expect(r.status).toBe(200);
  });
});

/** Resolves at the gateway's next successful schema-cache load; rejects after `deadlineMs`. */
function nextReload(gateway: Gateway, deadlineMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no schema-cache reload within ${deadlineMs} ms`));
    }, deadlineMs);
    const off = gateway.onReload((e) => {
      if (e.outcome !== 'ok') return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe('schema reload after migrate', () => {
  // The gateway keeps serving from its cache while `migrate` rebuilds `api` and NOTIFYs. Calls that
  // read data tables can still meet migrate's own table locks (policies are re-created): that is the
  // migration's lock order, reported separately; here the traffic is a function that reads no table.
  test('re-applying the code (api rebuilt, NOTIFY) under load drops no request; api is served afterwards', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo', 'api'], poolSize: 4, metricsToken: METRICS_TOKEN });
    try {
      const token = await gw.token('migrate-user');
      let stop = false;
      const statuses: number[] = [];
      const loop = (async () => {
        while (!stop) {
          const r = await fetch(`${gw.url}/rpc/add_them?a=1&b=2`, { headers: { Authorization: `Bearer ${token}` } });
          await r.text();
          statuses.push(r.status);
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      const reloadsBefore = (await req(`${gw.url}/metrics`, withMetricsToken)).text.match(/lotline_schema_cache_reloads_total\{outcome="ok"\} (\d+)/)![1];
      const reloaded = nextReload(gw.gateway, 10_000);
      await applyCode(env.db.adminUrl);
      await reloaded; // the NOTIFY sent by applyCode, loaded while the calls keep coming
      stop = true;
      await loop;
      expect(statuses.length).toBeGreaterThan(5);
      expect(statuses.filter((x) => x !== 200)).toEqual([]);
      const reloadsAfter = (await req(`${gw.url}/metrics`, withMetricsToken)).text.match(/lotline_schema_cache_reloads_total\{outcome="ok"\} (\d+)/)![1];
      expect(Number(reloadsAfter)).toBeGreaterThan(Number(reloadsBefore));
      const api = await req(`${gw.url}/rpc/list_my_brands`, { headers: { Authorization: `Bearer ${token}`, 'Accept-Profile': 'api' } });
      expect(api.status).toBe(200);
    } finally {
      await gw.close();
    }
  }, 60_000);
});

describe('graceful shutdown', () => {
  test('close() lets in-flight requests finish, then refuses new connections', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'] });
    const inflight = req(`${gw.url}/rpc/sleep?p_ms=400`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = gw.close();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body).toBe(400);
    await closing;
    await expect(fetch(`${gw.url}/health`)).rejects.toThrow();
  });
});

describe('log level', () => {
  test('request lines are info: a gateway at level warn writes none, at info one per request', async () => {
    const quiet: Record<string, unknown>[] = [];
    const chatty: Record<string, unknown>[] = [];
    const gwWarn = await startGateway(env.db, { schemas: ['demo'], logLevel: 'warn', logger: (l) => quiet.push(l) });
    const gwInfo = await startGateway(env.db, { schemas: ['demo'], logLevel: 'info', logger: (l) => chatty.push(l) });
    try {
      for (const gw of [gwWarn, gwInfo]) expect((await req(`${gw.url}/rpc/no_args`)).status).toBe(200);
      expect(quiet.filter((l) => l.level === 'info')).toEqual([]);
      expect(chatty.filter((l) => l.level === 'info' && l.path === '/rpc/no_args')).toHaveLength(1);
    } finally {
      await gwWarn.close();
      await gwInfo.close();
    }
  });
});
