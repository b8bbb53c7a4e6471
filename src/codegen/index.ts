// Code generation from the catalog: `generate()` introspects the exposed schemas through the shared
// module src/catalog/introspect.ts and writes generated/; `renderAll()` is the pure part
// (catalog → file contents), used by the drift check. Output is deterministic: sorted by name,
// no timestamps, fixed formatting.
import type postgres from 'postgres';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog, type Catalog } from '../catalog/introspect.ts';
import { buildModel } from './model.ts';
import { renderDatabase } from './render-database.ts';
import { renderZod } from './render-zod.ts';
import { renderClient, renderRuntime } from './render-client.ts';

/** The files of generated/, by name, for a catalog. Pure and deterministic. */
export function renderAll(catalog: Catalog): Record<string, string> {
  const model = buildModel(catalog);
  return {
    'client.ts': renderClient(model),
    'database.ts': renderDatabase(model),
    'runtime.ts': renderRuntime(model),
    'zod.ts': renderZod(model),
  };
}

export interface GenerateOptions {
  /** a connection to the migrated database (any role may read the catalog) */
  sql: postgres.Sql;
  /** the exposed schemas, e.g. ['api'] */
  schemas: string[];
  /** folder to write into, e.g. 'generated' */
  outDir: string;
}

/** Introspect the database and write the generated files; returns the paths written. */
export async function generate(opts: GenerateOptions): Promise<{ files: string[] }> {
  const catalog = await loadCatalog(opts.sql, opts.schemas);
  const files = renderAll(catalog);
  mkdirSync(opts.outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = join(opts.outDir, name);
    writeFileSync(path, text);
    written.push(path);
  }
  return { files: written };
}
