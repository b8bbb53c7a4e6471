// Parent side of the gateway child (serve.ts) and the load-generator child (load.ts).
import { mintToken } from '../../src/cli/token.ts';
import { freePort } from './cluster.ts';
import type { GatewayHandle } from './context.ts';
import type { LoadSpec } from './load.ts';
import { spawnTs, type Child } from './proc.ts';
import type { LoadResult } from './stats.ts';

export interface GatewayProcOptions {
  databaseUrl: string;
  jwtSecret: string;
  poolSize?: number;
  logLevel?: string;
  /** more LOTLINE_* settings for the gateway */
  env?: Record<string, string>;
  log?: (l: string) => void;
}

export async function startGatewayProcess(o: GatewayProcOptions): Promise<GatewayHandle & { poolSize: number; pid: number }> {
  const port = await freePort();
  const poolSize = o.poolSize ?? 10;
  const child: Child<{ type: string; url?: string; message?: string }> = spawnTs('lib/serve.ts', {
    env: {
      DATABASE_URL: o.databaseUrl,
      LOTLINE_JWT_SECRET: o.jwtSecret,
      LOTLINE_POOL_SIZE: String(poolSize),
      LOTLINE_LOG_LEVEL: o.logLevel ?? process.env.BENCH_GATEWAY_LOG ?? 'info',
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      // one load generator on 127.0.0.1 is every "client": the per-address limit would answer 429
      LOTLINE_RATE_LIMIT_ANON: '0',
      ...o.env,
    },
    log: o.log,
    label: 'gateway',
    // one JSON log line per request, as deployed; written to /dev/null so no reader competes for the CPU
    ignoreStdout: true,
  });
  let m: { type: string; url?: string; message?: string };
  try {
    m = await child.message((x) => x.type === 'ready' || x.type === 'error', 60_000);
  } catch (e) {
    await child.stop(1000);
    throw e;
  }
  if (m.type !== 'ready' || !m.url) {
    await child.stop(1000);
    throw new Error(`gateway did not start: ${m.message}`);
  }
  const url = m.url.replace(/\/$/, '');
  const tokens = new Map<string, Promise<string>>();
  return {
    url,
    poolSize,
    pid: child.pid,
    token(sub: string, scope?: string) {
      const key = `${sub}\u0000${scope ?? ''}`;
      let t = tokens.get(key);
      if (!t) {
        t = mintToken({ secret: o.jwtSecret, sub, scope, ttl: '2h' });
        tokens.set(key, t);
      }
      return t;
    },
    close: () => child.stop(5000),
  };
}

/** The autocannon child: run load specs one after another. */
export interface LoadGenerator {
  run(spec: LoadSpec): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startLoadGenerator(log?: (l: string) => void): Promise<LoadGenerator> {
  type Msg = { type: string; id?: number; result?: LoadResult; message?: string };
  const child = spawnTs<Msg>('lib/load.ts', { log, label: 'autocannon' });
  await child.message((m) => m.type === 'hello', 60_000);
  let next = 1;
  return {
    async run(spec) {
      const id = next++;
      const answer = child.message((m) => m.id === id, (spec.warmupSec + spec.durationSec) * 1000 + 60_000);
      child.send({ type: 'run', id, spec });
      const m = await answer;
      if (m.type !== 'result' || !m.result) throw new Error(`load generator: ${m.message}`);
      return m.result;
    },
    close: () => child.stop(3000),
  };
}
