// Who may read /metrics: nobody on the API port unless a token is configured (then `Authorization:
// Bearer <token>`, compared in constant time); or anyone who reaches the separate metrics listener,
// which binds to a private interface (127.0.0.1 by default). Request counts per function, pool gauges and
// latencies are operational data an outsider should not see.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { GatewayMetrics } from './metrics.ts';

export interface MetricsAccess {
  /** `LOTLINE_METRICS_TOKEN`: /metrics answers (on either port) only to this bearer token */
  token?: string;
  /** `LOTLINE_METRICS_PORT`: a listener of its own serving only /metrics (no token needed unless one is set) */
  port?: number;
  /** `LOTLINE_METRICS_HOST`: the metrics listener's interface */
  host: string;
}

/** A check of the Authorization header against the token; null when no token is configured. */
export function metricsTokenCheck(token: string | undefined): ((authorization: string | undefined) => boolean) | null {
  if (!token) return null;
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const got = createHash('sha256').update(m?.[1] ?? '').digest();
    return m !== null && timingSafeEqual(got, expected);
  };
}

export const METRICS_UNAUTHORIZED = '{"code":"PGRST301","message":"A valid metrics token is required","details":null,"hint":null}';

/** The separate metrics listener; resolves to its base URL. */
export async function listenMetrics(metrics: GatewayMetrics, a: MetricsAccess & { port: number }): Promise<{ url: string; server: Server }> {
  const allowed = metricsTokenCheck(a.token);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (allowed && !allowed(req.headers.authorization)) {
      res.writeHead(401, { 'Content-Type': 'application/json; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="metrics"' }).end(METRICS_UNAUTHORIZED);
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(a.port, a.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : a.port;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return { url: `http://${host}:${port}`, server };
}
