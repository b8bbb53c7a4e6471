// lotline's migrate: bootstrap roles → graphile-migrate (committed, then current) → code in sql/.
// Running it twice changes nothing. See docs/conventions.md.
import { Logger, migrate as gmMigrate, watch as gmWatch, type Settings } from 'graphile-migrate';
import postgres from 'postgres';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { codeFiles, ROOT } from './sql-layout.ts';

export { ROOT };

export interface MigrateOptions {
  /** Connection with rights to create roles, schemas and tables (a superuser for the embedded default). */
  adminUrl: string;
  /** When given, set as the `authenticator` role's password. */
  authenticatorPassword?: string;
  log?: (line: string) => void;
}

function sqlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

function hasCurrentMigration(folder: string): boolean {
  const file = join(folder, 'current.sql');
  const dir = join(folder, 'current');
  if (existsSync(file)) return readFileSync(file, 'utf8').replace(/--.*$/gm, '').trim().length > 0;
  return sqlFiles(dir).some((f) => readFileSync(f, 'utf8').replace(/--.*$/gm, '').trim().length > 0);
}

export async function migrateDatabase(opts: MigrateOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  const sql = postgres(opts.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(readFileSync(join(ROOT, 'migrations', 'afterReset.sql'), 'utf8'));
    if (opts.authenticatorPassword) {
      const [row] = await sql<{ q: string }[]>`select format('alter role authenticator with password %L', ${opts.authenticatorPassword}::text) as q`;
      await sql.unsafe(row!.q);
    }
  } finally {
    await sql.end();
  }

  const url = new URL(opts.adminUrl);
  const root = new URL(opts.adminUrl);
  root.pathname = '/template1';
  const settings: Settings = {
    connectionString: opts.adminUrl,
    rootConnectionString: root.toString(),
    databaseOwner: decodeURIComponent(url.username) || 'postgres',
    migrationsFolder: join(ROOT, 'migrations'),
    logger: makeLogger(log),
  };
  await gmMigrate(settings);
  if (hasCurrentMigration(settings.migrationsFolder!)) await gmWatch(settings, true);

  await applyCode(opts.adminUrl);
  log('migrate: done');
}

/**
 * Applies sql/ in one transaction, in the order of src/db/sql-layout.ts: core → each domain's helpers →
 * `drop schema api cascade; create schema api` → each domain's types.sql, then each domain's api/ →
 * each domain's policies.sql → core/finalize.sql → NOTIFY. A failure leaves the previous code in place.
 * Re-creating policies takes ACCESS EXCLUSIVE locks on data tables; taken one by one while requests
 * read them in other orders, that can deadlock a live request. So the code phase first locks every
 * data table in a fixed order with a short lock_timeout (shorter than deadlock_timeout, so the
 * migration is the one that yields) and retries the whole transaction when it could not.
 */
export async function applyCode(adminUrl: string, opts: { attempts?: number } = {}): Promise<void> {
  const attempts = opts.attempts ?? 40;
  for (let attempt = 1; ; attempt++) {
    try {
      await applyCodeOnce(adminUrl);
      return;
    } catch (e) {
      const code = (e as { code?: string; cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
      if (attempt >= attempts || (code !== '55P03' && code !== '40P01')) throw e;
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt) + Math.random() * 100));
    }
  }
}

async function applyCodeOnce(adminUrl: string): Promise<void> {
  const files = codeFiles();
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`set local check_function_bodies = off`);
      await tx.unsafe(`set local lock_timeout = '400ms'`);
      const tables = await tx<{ t: string }[]>`
        select format('%I.%I', n.nspname, c.relname) as t
          from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'data' and c.relkind in ('r', 'p') order by c.relname`;
      if (tables.length) await tx.unsafe(`lock table ${tables.map((r) => r.t).join(', ')} in access exclusive mode`);
      await tx.unsafe(`create schema if not exists app`);
      for (const f of [...files.core, ...files.helpers]) await runFile(tx, f);
      await tx.unsafe(`drop schema if exists api cascade; create schema api`);
      for (const f of [...files.types, ...files.api, ...files.policies, files.finalize]) await runFile(tx, f);
      await tx.unsafe(`notify pgrst, 'reload schema'`);
    });
  } finally {
    await sql.end();
  }
}

async function runFile(tx: postgres.TransactionSql, file: string): Promise<void> {
  try {
    await tx.unsafe(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as Error & { position?: string };
    throw new Error(`${file}: ${e.message}${e.position ? ` (at character ${e.position})` : ''}`, { cause: err });
  }
}

function makeLogger(log: (l: string) => void): Logger {
  return new Logger(() => (level, message) => {
    if (level !== 'debug') log(`[graphile-migrate] ${message}`);
  });
}
