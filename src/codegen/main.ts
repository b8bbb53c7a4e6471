// Standalone: `npx tsx src/codegen/main.ts [--out generated] [--database-url URL] [--schema api]`.
// Without a URL (flag or DATABASE_URL) it boots and migrates the embedded default, as the CLI does;
// `--fresh` instead migrates a throw-away embedded cluster in a temporary folder (what the drift
// check compares against), leaving the development database alone.
import { Command } from 'commander';
import postgres from 'postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { migrateDatabase, ROOT } from '../db/migrate.ts';
import { startEmbedded } from '../db/embedded.ts';
import { generate } from './index.ts';

const program = new Command()
  .name('codegen')
  .description('Write generated/ (Database type, zod schemas, server-side client) from the database catalog')
  .option('--out <dir>', 'output folder', resolve(ROOT, 'generated'))
  .option('--database-url <url>', 'a migrated database (default: DATABASE_URL, else the embedded default)')
  .option('--schema <names>', 'exposed schemas, comma separated (default: LOTLINE_DB_SCHEMAS or api)')
  .option('--fresh', 'migrate a throw-away embedded PostgreSQL and generate from it')
  .parse();

const opts = program.opts<{ out: string; databaseUrl?: string; schema?: string; fresh?: boolean }>();
const config = loadConfig();
const schemas = opts.schema ? opts.schema.split(',').map((s) => s.trim()).filter(Boolean) : config.LOTLINE_DB_SCHEMAS;

let close = async (): Promise<void> => {};
// graphile-migrate's pool reports the throw-away cluster's shutdown; nothing to say after generating
let quiet = false;
let url = opts.databaseUrl;
if (!url && opts.fresh) {
  const dir = mkdtempSync(join(tmpdir(), 'lotline-gen-'));
  const cluster = await startEmbedded({ dir, port: 20000 + Math.floor(Math.random() * 20000), password: 'gen', persistent: false, fast: true });
  close = async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const root = postgres(cluster.superuserUrl('postgres'), { max: 1, onnotice: () => {} });
    await root.unsafe('create database lotline_gen');
    await root.end();
    url = cluster.superuserUrl('lotline_gen');
    await migrateDatabase({ adminUrl: url, log: (l) => quiet || process.stderr.write(`${l}\n`) });
  } catch (e) {
    await close();
    throw e;
  }
} else if (!url) {
  const db = await openDatabase(config, { migrate: true, log: (l) => process.stderr.write(`${l}\n`) });
  url = db.adminUrl ?? db.databaseUrl;
  close = db.close;
}
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  const { files } = await generate({ sql, schemas, outDir: resolve(opts.out) });
  for (const f of files) process.stdout.write(`wrote ${f}\n`);
} finally {
  await sql.end();
  quiet = true;
  await close();
}
