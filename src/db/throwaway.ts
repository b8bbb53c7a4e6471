// Throw-away embedded clusters and migrated databases on them (`lotline gen --fresh`, `db:commit`,
// benchmark sections run on their own), and the "run as main, print JSON, exit" wrapper for such scripts.
import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmbedded, type EmbeddedCluster } from './embedded.ts';
import { migrateDatabase } from './migrate.ts';

export interface ThrowawayDatabase {
  /** superuser on the migrated database */
  adminUrl: string;
  /** the authenticator role on it (for a gateway) */
  databaseUrl: string;
  /** an HS256 secret for that gateway's tokens */
  jwtSecret: string;
}

/** Start an embedded cluster (fsync off) in a temp dir on a random port, run `f`, stop and delete it. */
export async function withThrowawayCluster<T>(prefix: string, f: (cluster: EmbeddedCluster) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `lotline-${prefix}-`));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const cluster = await startEmbedded({ dir, port, password: randomBytes(12).toString('hex'), persistent: false, fast: true });
  try {
    return await f(cluster);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** On a throw-away cluster: create and migrate database `name`, run `f`, clean up. */
export async function withThrowawayDatabase<T>(
  name: string,
  f: (db: ThrowawayDatabase) => Promise<T>,
  opts: { log?: (line: string) => void } = {},
): Promise<T> {
  return withThrowawayCluster(name, async (cluster) => {
    const root = postgres(cluster.superuserUrl('postgres'), { max: 1, onnotice: () => {} });
    try {
      await root.unsafe(`create database ${name}`);
    } finally {
      await root.end();
    }
    const adminUrl = cluster.superuserUrl(name);
    const authenticatorPassword = randomBytes(12).toString('hex');
    await migrateDatabase({ adminUrl, authenticatorPassword, log: opts.log });
    const u = new URL(adminUrl);
    u.username = 'authenticator';
    u.password = authenticatorPassword;
    return f({ adminUrl, databaseUrl: u.toString(), jwtSecret: randomBytes(32).toString('base64url') });
  });
}

/** When the module at `metaUrl` is the process's entry point: run `main`, print its result as JSON, exit. */
export function runAsMain(metaUrl: string, main: (argv: string[]) => Promise<unknown>): void {
  if (!process.argv[1] || metaUrl !== pathToFileURL(process.argv[1]).href) return;
  main(process.argv.slice(2))
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
