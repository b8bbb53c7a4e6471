// Child process: run one section's `run(opts)` and send back its result. Running each section in its
// own process lets the orchestrator bound its time (kill the process group) and keeps one section's
// state (pools, timers, heap) out of the next one's numbers.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createDatabase } from './cluster.ts';
import type { BenchOptions, GatewayHandle, SectionEnv } from './context.ts';
import { startGatewayProcess } from './http.ts';
import { exitWithParent, sendToParent } from './proc.ts';

const env = JSON.parse(process.env.BENCH_SECTION_ENV ?? 'null') as SectionEnv | null;
if (!env) {
  console.error('bench/lib/section.ts is started by bench/run.ts');
  process.exit(2);
}

const gateways = new Set<GatewayHandle>();
exitWithParent(async () => {
  await Promise.allSettled([...gateways].map((g) => g.close()));
});

const log = (line: string) => console.log(line);

const opts: BenchOptions & { scaleDb?: SectionEnv['scaleDb'] } = {
  quick: env.quick,
  section: env.section,
  adminUrl: env.db.adminUrl,
  databaseUrl: env.db.databaseUrl,
  authenticatorUrl: env.db.databaseUrl,
  serverUrl: env.cluster.rootUrl,
  jwtSecret: env.cluster.jwtSecret,
  deadline: env.deadline,
  cluster: env.cluster,
  scaleDb: env.scaleDb,
  log,
  createDatabase: (name) => createDatabase(env.cluster, name),
  async startGateway(o = {}) {
    const g = await startGatewayProcess({ databaseUrl: o.databaseUrl ?? env.db.databaseUrl, jwtSecret: env.cluster.jwtSecret, poolSize: o.poolSize, env: o.env, log });
    const handle: GatewayHandle = {
      url: g.url,
      token: g.token,
      close: async () => {
        gateways.delete(handle);
        await g.close();
      },
    };
    gateways.add(handle);
    return handle;
  },
};

try {
  if (!existsSync(env.module)) {
    await sendToParent({ type: 'skipped', reason: `${env.module.replace(/.*\/bench\//, 'bench/')} does not exist (yet)` });
  } else {
    const mod = (await import(pathToFileURL(env.module).href)) as { run?: unknown };
    if (typeof mod.run !== 'function') {
      await sendToParent({ type: 'skipped', reason: `${env.module.replace(/.*\/bench\//, 'bench/')} exports no run(opts)` });
    } else {
      const started = Date.now();
      const result: unknown = await (mod.run as (o: BenchOptions) => Promise<unknown>)({ ...opts, ...env.extra });
      await sendToParent({ type: 'result', result: result ?? null, seconds: (Date.now() - started) / 1000 });
    }
  }
} catch (e) {
  await sendToParent({ type: 'error', message: (e as Error).stack ?? String(e) });
} finally {
  await Promise.allSettled([...gateways].map((g) => g.close()));
  process.exit(0);
}
