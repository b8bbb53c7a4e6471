// Child process: run one section's `run(opts)` and send back its result. Running each section in its
// own process lets the orchestrator bound its time (kill the process group) and keeps one section's
// state (pools, timers, heap) out of the next one's numbers.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createDatabase } from './cluster.ts';
import type { BenchOptions, GatewayHandle, SectionEnv } from './context.ts';
import { startGatewayProcess, waitForGatewayFile } from './http.ts';
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
    const budget = Math.max(5_000, Math.min(10 * 60_000, env.deadline - Date.now() - 30_000));
    if (!(await waitForGatewayFile(budget, log))) throw new Error('src/gateway/server.ts did not appear in time');
    // the gateway is being written while the benchmark is: a file caught mid-edit may fail to load,
    // so try a few times before giving up
    let g: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
    for (let attempt = 1; !g; attempt++) {
      try {
        g = await startGatewayProcess({ databaseUrl: o.databaseUrl ?? env.db.databaseUrl, jwtSecret: env.cluster.jwtSecret, poolSize: o.poolSize, log });
      } catch (e) {
        if (attempt >= 3 || Date.now() + 15_000 > env.deadline) throw e;
        log(`gateway did not start (attempt ${attempt}): ${(e as Error).message.split('\n')[0]}; retrying in 10 s`);
        await new Promise((r) => setTimeout(r, 10_000));
      }
    }
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
