// `lotline gen`: write generated/ from the catalog of a migrated database — a given URL, a
// throw-away embedded cluster (`--fresh`, what the drift check compares against), or the database
// `serve` uses (DATABASE_URL, else the embedded default, migrated first).
import postgres from 'postgres';
import { resolve } from 'node:path';
import type { Config } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { withThrowawayDatabase } from '../db/throwaway.ts';
import { generate } from '../codegen/index.ts';

export interface GenOptions {
  out: string;
  databaseUrl?: string;
  schemas: string[];
  fresh?: boolean;
}

async function generateFrom(url: string, opts: GenOptions): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const { files } = await generate({ sql, schemas: opts.schemas, outDir: resolve(opts.out) });
    for (const f of files) process.stdout.write(`wrote ${f}\n`);
  } finally {
    await sql.end();
  }
}

export async function runGen(config: Config, opts: GenOptions): Promise<void> {
  // graphile-migrate's pool reports the throw-away cluster's shutdown; nothing to say after generating
  let quiet = false;
  const log = (l: string) => quiet || process.stderr.write(`${l}\n`);
  if (opts.databaseUrl) {
    await generateFrom(opts.databaseUrl, opts);
  } else if (opts.fresh) {
    await withThrowawayDatabase('lotline_gen', async ({ adminUrl }) => {
      await generateFrom(adminUrl, opts);
      quiet = true;
    }, { log });
  } else {
    const db = await openDatabase(config, { migrate: true, log });
    try {
      await generateFrom(db.adminUrl ?? db.databaseUrl, opts);
    } finally {
      quiet = true;
      await db.close();
    }
  }
}
