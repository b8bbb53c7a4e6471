// The benchmark's own PostgreSQL: an embedded cluster in a temp dir (fsync off), a migrated template
// database, and one database per section cloned from it.
import postgres from 'postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbedded, type EmbeddedCluster } from '../../src/db/embedded.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';

export const TEMPLATE_DB = 'bench_template';

/** What a section needs to reach the database (serialisable: it is handed to child processes). */
export interface ClusterInfo {
  /** superuser URL of the `postgres` database */
  rootUrl: string;
  authenticatorPassword: string;
  jwtSecret: string;
  template: string;
}

export interface DatabaseUrls {
  name: string;
  /** superuser on this database (bypasses RLS) */
  adminUrl: string;
  /** the gateway's login role (`authenticator`, NOINHERIT; switches to anon/authenticated per transaction) */
  databaseUrl: string;
}

export function dbUrl(rootUrl: string, db: string, user?: string, password?: string): string {
  const u = new URL(rootUrl);
  u.pathname = `/${db}`;
  if (user) {
    u.username = user;
    u.password = password ?? '';
  }
  return u.toString();
}

export function databaseUrls(info: ClusterInfo, name: string): DatabaseUrls {
  return {
    name,
    adminUrl: dbUrl(info.rootUrl, name),
    databaseUrl: dbUrl(info.rootUrl, name, 'authenticator', info.authenticatorPassword),
  };
}

/** Create `name` as a clone of the migrated template (drops an existing one first unless keep). */
export async function createDatabase(info: ClusterInfo, name: string, opts: { keep?: boolean } = {}): Promise<DatabaseUrls> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
  const root = postgres(info.rootUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await root`select 1 as x from pg_database where datname = ${name}`;
    if (exists && opts.keep) return databaseUrls(info, name);
    if (exists) await root.unsafe(`drop database ${name} with (force)`);
    for (let i = 0; ; i++) {
      try {
        await root.unsafe(`create database ${name} template ${info.template}`);
        break;
      } catch (e) {
        if (i > 50 || !String((e as Error).message).includes('being accessed by other users')) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await root.end();
  }
  return databaseUrls(info, name);
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface BenchCluster {
  info: ClusterInfo;
  serverVersion: string;
  settings: Record<string, string>;
  stop(): Promise<void>;
}

/** Start the cluster, tune it for a throw-away benchmark, and migrate the template database. */
export async function startBenchCluster(log: (l: string) => void): Promise<BenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lotline-bench-'));
  let cluster: EmbeddedCluster | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (cluster) await cluster.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const port = await freePort();
    cluster = await startEmbedded({ dir, port, password: 'bench', persistent: false, fast: true });
    const rootUrl = cluster.superuserUrl('postgres');
    const root = postgres(rootUrl, { max: 1, onnotice: () => {} });
    let serverVersion = '';
    const settings: Record<string, string> = {};
    try {
      // Bulk generation writes ~1 GB: keep checkpoints out of the measurements.
      await root.unsafe(`alter system set max_wal_size = '8GB'`);
      await root.unsafe(`alter system set checkpoint_timeout = '30min'`);
      await root.unsafe(`select pg_reload_conf()`);
      const [v] = await root<{ v: string }[]>`select version() as v`;
      serverVersion = v!.v;
      const rows = await root<{ name: string; setting: string; unit: string | null }[]>`
        select name, setting, unit from pg_settings
         where name in ('shared_buffers', 'work_mem', 'max_connections', 'fsync', 'synchronous_commit',
                        'full_page_writes', 'jit', 'max_wal_size', 'effective_cache_size', 'random_page_cost')`;
      for (const r of rows) settings[r.name] = r.unit && r.unit !== '' ? `${r.setting} (${r.unit})` : r.setting;
      await root.unsafe(`create database ${TEMPLATE_DB}`);
    } finally {
      await root.end();
    }
    const authenticatorPassword = randomBytes(12).toString('hex');
    await migrateDatabase({ adminUrl: dbUrl(rootUrl, TEMPLATE_DB), authenticatorPassword, log });
    return {
      info: { rootUrl, authenticatorPassword, jwtSecret: randomBytes(32).toString('base64url'), template: TEMPLATE_DB },
      serverVersion,
      settings,
      stop,
    };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}
