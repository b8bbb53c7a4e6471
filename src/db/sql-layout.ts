// Where the code phase of migrate finds its SQL, and in which order it applies it (docs/conventions.md, "Layout").
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SQL_DIR = join(ROOT, 'sql');

/** sql/core/, in the order applied (each file grants what it creates, so later files may name earlier ones). */
export const CORE_FILES = ['errors', 'claims', 'act-as', 'authz', 'triggers', 'rls', 'checks', 'gtin'] as const;

/**
 * The domain rooms sql/<domain>/, in the order applied. A new domain joins by adding its folder here,
 * after the domains whose helpers, types or tables it uses.
 */
export const DOMAINS = ['tenancy', 'products', 'batches', 'sync', 'inventory', 'gs1', 'quotas', 'serials', 'traceability', 'quality', 'events'] as const;

/** The files of one domain room with a fixed role; every other .sql file directly in the folder is a helper file. */
const TYPES_FILE = 'types.sql';
const POLICIES_FILE = 'policies.sql';

export interface CodeFiles {
  /** sql/core/*.sql except finalize.sql, in CORE_FILES order */
  core: string[];
  /** each domain's private helpers (app schema), domain by domain, file-name order within one */
  helpers: string[];
  /** each domain's types.sql: api row types and the row → type helpers */
  types: string[];
  /** each domain's api/<function>.sql */
  api: string[];
  /** each domain's policies.sql: RLS policies, grants and triggers of its tables */
  policies: string[];
  finalize: string;
}

function sqlFiles(dir: string, except: string[] = []): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !except.includes(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

function optional(file: string): string[] {
  return existsSync(file) ? [file] : [];
}

/** The code phase's files, by phase, in the order they are applied. Fails on a folder or file it would skip. */
export function codeFiles(sqlDir: string = SQL_DIR): CodeFiles {
  const coreDir = join(sqlDir, 'core');
  const known = new Set<string>(['core', ...DOMAINS]);
  const stray = readdirSync(sqlDir).filter((f) => !known.has(f));
  if (stray.length) throw new Error(`sql/: ${stray.join(', ')} not listed in DOMAINS (src/db/sql-layout.ts)`);
  const coreStray = sqlFiles(coreDir, ['finalize.sql']).filter((f) => !CORE_FILES.some((c) => f === join(coreDir, `${c}.sql`)));
  if (coreStray.length) throw new Error(`sql/core/: ${coreStray.join(', ')} not listed in CORE_FILES (src/db/sql-layout.ts)`);
  const dirs = DOMAINS.map((d) => join(sqlDir, d));
  return {
    core: CORE_FILES.map((c) => join(coreDir, `${c}.sql`)),
    helpers: dirs.flatMap((d) => sqlFiles(d, [TYPES_FILE, POLICIES_FILE])),
    types: dirs.flatMap((d) => optional(join(d, TYPES_FILE))),
    api: dirs.flatMap((d) => sqlFiles(join(d, 'api'))),
    policies: dirs.flatMap((d) => optional(join(d, POLICIES_FILE))),
    finalize: join(coreDir, 'finalize.sql'),
  };
}
