// A pool connection that dies while it is being set up (before the request's transaction is sent) is a
// quick 503, never a hang or an unhandled promise rejection (postgres.js' connect-time array-type query
// used to reject with nobody waiting: vitest and Node count that as a crash). A TCP proxy between the
// gateway and the database cuts every new connection at its first query.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { useContractSchema } from './contract-schema.ts';
import { startGateway } from '../support/gateway.ts';
import { raw } from '../support/http.ts';

const env = useContractSchema();

/** Forwards to the database; while `cut` is on, a connection is closed when its client sends its first query. */
function proxy(target: URL) {
  const state = { cut: true, cuts: 0, queries: [] as string[] };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let buf = Buffer.alloc(0);
    let startup = true;
    client.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // frontend messages: the startup message (length first), then type byte + length
      for (;;) {
        const off = startup ? 0 : 1;
        if (buf.length < off + 4) break;
        const len = buf.readUInt32BE(off);
        if (buf.length < off + len) break;
        const type = startup ? '' : String.fromCharCode(buf[0]!);
        if (type === 'Q' || type === 'P') {
          state.queries.push(buf.subarray(off + 4, off + len).toString('utf8'));
          if (state.cut) {
            state.cuts++;
            client.destroy();
            upstream.destroy();
            return;
          }
        }
        buf = buf.subarray(off + len);
        startup = false;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (d) => client.write(d));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return {
    state,
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onRejection);
});
afterAll(() => {
  process.off('unhandledRejection', onRejection);
});

describe('pool connections that die while they are set up', () => {
  test('cut at the first query: 503 quickly, no unhandled rejection; then served normally, without any type query', async () => {
    const target = new URL(env.db.authenticatorUrl);
    const p = proxy(target);
    const port = await p.listen();
    const via = new URL(env.db.authenticatorUrl);
    via.port = String(port);
    // the pool through the proxy; the schema-cache connection direct
    const gw = await startGateway(env.db, { schemas: ['demo'], databaseUrl: via.toString(), listenUrl: env.db.authenticatorUrl, poolSize: 2, poolTimeoutMs: 3000 });
    try {
      for (let i = 0; i < 6; i++) {
        const r = await raw(gw.url, { method: 'GET', path: '/rpc/add_them?a=1&b=2', timeoutMs: 8000 });
        expect(r.status, r.text).toBe(503);
        expect((r.json as { code: string }).code).toMatch(/^PGRST00[01]$/);
        expect(r.ms).toBeLessThan(5000);
      }
      expect(p.state.cuts).toBeGreaterThanOrEqual(6);
      p.state.cut = false;
      p.state.queries.length = 0;
      for (let i = 0; i < 4; i++) {
        const r = await raw(gw.url, { method: 'GET', path: '/rpc/add_them?a=1&b=2', timeoutMs: 8000 });
        expect(r.status, r.text).toBe(200);
        expect(r.text).toBe('3');
      }
      expect(p.state.queries.filter((q) => q.includes('typarray')), 'the pool does not fetch array types').toEqual([]);
      // let any stray rejection surface before checking
      await new Promise((r) => setImmediate(r));
      expect(rejections).toEqual([]);
    } finally {
      await gw.close();
      await p.close();
    }
  }, 60_000);
});
