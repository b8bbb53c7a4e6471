// The gateway's lifecycle: start (connections, schema cache, LISTEN, HTTP), reload on demand, and a
// graceful close. What a request goes through is in app.ts; docs/gateway.md describes the contract.
import postgres, { type Sql } from 'postgres';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { Authenticator } from './auth.ts';
import { createHttpApp } from './http.ts';
import { createLog } from './log.ts';
import { GatewayMetrics } from './metrics.ts';
import { listenMetrics } from './metrics-access.ts';
import type { Server } from 'node:http';
import { GatewayPool } from './pool.ts';
import { SchemaReloader, type ReloadEvent } from './schema-reload.ts';
import { defaultSettings, gatewaySettingsFromConfig as fromConfig, type GatewaySettings } from './settings.ts';

export type { GatewaySettings } from './settings.ts';
export type { ReloadEvent } from './schema-reload.ts';

export interface Gateway {
  app: FastifyInstance;
  /** Listen (and the metrics listener, when configured); resolves to the base URL. */
  listen(port: number, host: string): Promise<string>;
  /** The metrics listener's base URL, once listening (null: none configured). */
  metricsUrl(): string | null;
  /** Stop accepting, finish in-flight requests, release connections. */
  close(): Promise<void>;
  /** Reload the schema cache now. */
  reload(): Promise<void>;
  /** Called after every schema-cache load (start-up, NOTIFY, reconnect, reload()); returns an unsubscribe function. */
  onReload(listener: (event: ReloadEvent) => void): () => void;
}

export function gatewaySettingsFromConfig(config: Config, resolved: { databaseUrl: string; jwtSecret?: string }): GatewaySettings {
  return fromConfig(config, resolved);
}

export async function createGateway(input: GatewaySettings): Promise<Gateway> {
  const s: GatewaySettings = { ...defaultSettings, ...input };
  if (s.schemas.length === 0) throw new Error('At least one schema must be exposed');
  const auth = new Authenticator(s); // a bad JWT setting stops the start before any connection is made
  const log = createLog(s);
  const pool = new GatewayPool({
    url: s.databaseUrl,
    size: s.poolSize,
    anonReserved: s.anonRole === null ? 0 : s.poolAnonReserved ?? Math.floor(s.poolSize / 5),
    timeoutMs: s.poolTimeoutMs,
    prepare: s.preparedStatements,
    maxPrepared: s.maxPreparedStatements,
    debug: s.debugStatements,
    warn: (msg, detail) => log.write?.({ time: new Date().toISOString(), level: 'warn', msg, ...detail }),
  });
  // schema cache, LISTEN, /ready and OpenAPI privileges: a direct connection (never through a transaction pooler)
  const meta: Sql = postgres(s.listenUrl ?? s.databaseUrl, {
    max: 1, prepare: false, onnotice: () => {}, idle_timeout: 0, connect_timeout: 10,
    connection: { application_name: 'lotline-gateway-meta' },
  });
  // /ready's own connection: a short connect timeout, no type fetch; answers false past the readiness timeout
  const readyTimeoutSec = s.readyTimeoutMs / 1000;
  const probe: Sql = postgres(s.listenUrl ?? s.databaseUrl, {
    max: 1, prepare: false, fetch_types: false, onnotice: () => {}, idle_timeout: 30, connect_timeout: readyTimeoutSec,
    connection: { application_name: 'lotline-gateway-ready' },
  });
  const databaseReady = (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, s.readyTimeoutMs, false)));
    return Promise.race([probe.unsafe('select 1').then(() => true, () => false), late]).finally(() => clearTimeout(timer));
  };
  const metrics = new GatewayMetrics(pool.sem, { defaultMetrics: s.defaultMetrics });
  const schema = new SchemaReloader({ meta, schemas: s.schemas, channel: s.channel, metrics, log: log.write });
  await schema.start();

  let closing = false;
  let metricsServer: { url: string; server: Server } | null = null;
  const app = await createHttpApp({
    settings: s,
    auth,
    pool,
    meta,
    metrics,
    log: log.write,
    cache: () => schema.cache,
    connectionTrouble: () => schema.relisten(),
    closing: () => closing,
    databaseReady,
  });

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    const unlistened = schema.close();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, s.shutdownTimeoutMs).unref());
    // in-flight requests finish (their connections close after the response); idle keep-alive
    // connections are closed as soon as they are idle
    const sweep = setInterval(() => app.server.closeIdleConnections?.(), 25);
    try {
      await Promise.race([app.close(), grace]);
    } finally {
      clearInterval(sweep);
      app.server.closeAllConnections?.();
    }
    if (metricsServer) {
      const done = new Promise((resolve) => metricsServer!.server.close(resolve));
      metricsServer.server.closeAllConnections();
      await done;
    }
    await unlistened;
    await Promise.all([pool.end(5), meta.end({ timeout: 5 }), probe.end({ timeout: 1 })]);
    log.flush();
  }

  return {
    app,
    async listen(port: number, host: string) {
      const addr = await app.listen({ port, host });
      if (s.metricsPort !== undefined) metricsServer = await listenMetrics(metrics, { token: s.metricsToken, host: s.metricsHost, port: s.metricsPort });
      return addr.replace('[::1]', 'localhost');
    },
    metricsUrl: () => metricsServer?.url ?? null,
    close,
    reload: () => schema.reload(),
    onReload: (listener) => schema.onReload(listener),
  };
}
