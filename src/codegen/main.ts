// Standalone: `npx tsx src/codegen/main.ts [--out generated] [--database-url URL] [--schema api]`.
// Without a URL (flag or DATABASE_URL) it boots and migrates the embedded default, as the CLI does;
// `--fresh` instead migrates a throw-away embedded cluster in a temporary folder (what the drift
// check compares against), leaving the development database alone.
import { Command } from 'commander';
import postgres from 'postgres';
import { resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { ROOT } from '../db/migrate.ts';
import { withThrowawayDatabase } from '../db/throwaway.ts';
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

async function generateFrom(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const { files } = await generate({ sql, schemas, outDir: resolve(opts.out) });
    for (const f of files) process.stdout.write(`wrote ${f}\n`);
  } finally {
    await sql.end();
  }
}

// graphile-migrate's pool reports the throw-away cluster's shutdown; nothing to say after generating
let quiet = false;
const log = (l: string) => quiet || process.stderr.write(`${l}\n`);
if (opts.databaseUrl) {
  await generateFrom(opts.databaseUrl);
} else if (opts.fresh) {
  await withThrowawayDatabase('lotline_gen', async ({ adminUrl }) => {
    await generateFrom(adminUrl);
    quiet = true;
  }, { log });
} else {
  const db = await openDatabase(config, { migrate: true, log });
  try {
    await generateFrom(db.adminUrl ?? db.databaseUrl);
  } finally {
    quiet = true;
    await db.close();
  }
}
