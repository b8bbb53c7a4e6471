// Resolve where the database is: DATABASE_URL, or the embedded default under the data dir.
import postgres from 'postgres';
import { join } from 'node:path';
import { databaseSettings, migrateSettings, type Config } from '../config.ts';
import { startEmbedded, type EmbeddedCluster } from './embedded.ts';
import { loadDevSecrets } from './secrets.ts';
import { migrateDatabase } from './migrate.ts';

export interface OpenDatabase {
  /** the gateway's connection (the authenticator role) */
  databaseUrl: string;
  /** a connection that may migrate (superuser for the embedded default); undefined when not known */
  adminUrl?: string;
  /** HS256 secret: configured, or the development secret kept under the data dir */
  jwtSecret?: string;
  embedded: boolean;
  close(): Promise<void>;
}

export const EMBEDDED_DB = 'lotline';

export async function openDatabase(
  config: Config,
  opts: { migrate?: boolean; log?: (line: string) => void } = {},
): Promise<OpenDatabase> {
  const log = opts.log ?? (() => {});
  const needsDevSecret = !config.LOTLINE_JWT_SECRET && !config.LOTLINE_JWKS_URL && !config.LOTLINE_JWKS_FILE;
  if (config.DATABASE_URL) {
    const adminUrl = config.LOTLINE_ADMIN_DATABASE_URL;
    const jwtSecret = config.LOTLINE_JWT_SECRET ?? (needsDevSecret ? loadDevSecrets(config.LOTLINE_DATA_DIR).jwtSecret : undefined);
    if (opts.migrate && adminUrl) {
      await migrateDatabase({ adminUrl, ...migrateSettings(config), settings: databaseSettings(config), log });
    }
    return { databaseUrl: config.DATABASE_URL, adminUrl, jwtSecret, embedded: false, close: async () => {} };
  }

  const secrets = loadDevSecrets(config.LOTLINE_DATA_DIR);
  let cluster: EmbeddedCluster;
  try {
    cluster = await startEmbedded({
      dir: join(config.LOTLINE_DATA_DIR, 'pgdata'),
      port: config.LOTLINE_EMBEDDED_PORT,
      password: secrets.superuserPassword,
      log: (l) => log(`[postgres] ${l}`),
      // `npm start` keeps its database up: a killed or crashed postmaster is started again
      supervise: true,
    });
  } catch (e) {
    throw new Error(
      `Could not start the embedded PostgreSQL on port ${config.LOTLINE_EMBEDDED_PORT} (data in ${config.LOTLINE_DATA_DIR}/pgdata): ${e instanceof Error ? e.message : String(e ?? "unknown error (see LOTLINE_VERBOSE=1 output)")}. ` +
        'Set LOTLINE_EMBEDDED_PORT to a free port, or DATABASE_URL to use an existing server.',
      { cause: e },
    );
  }
  const root = postgres(cluster.superuserUrl('postgres'), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await root`select 1 as x from pg_database where datname = ${EMBEDDED_DB}`;
    if (!exists) await root.unsafe(`create database ${EMBEDDED_DB}`);
  } finally {
    await root.end();
  }
  const adminUrl = cluster.superuserUrl(EMBEDDED_DB);
  if (opts.migrate !== false) {
    await migrateDatabase({ adminUrl, ...migrateSettings(config), authenticatorPassword: secrets.authenticatorPassword, settings: databaseSettings(config), log });
  }
  const u = new URL(adminUrl);
  u.username = 'authenticator';
  u.password = secrets.authenticatorPassword;
  return {
    databaseUrl: u.toString(),
    adminUrl,
    jwtSecret: config.LOTLINE_JWT_SECRET ?? secrets.jwtSecret,
    embedded: true,
    close: () => cluster.stop(),
  };
}
