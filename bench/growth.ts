// Section "growth": search and list latency (as a member, through the api functions) at 10k, 100k
// and 1M batches. The brand's shape is constant (1,000 batches, 20 products), so what grows is the
// table and its indexes: indexed queries should stay near flat.
import postgres from 'postgres';
import type { BenchOptions } from './lib/context.ts';
import { datasetSize, growTo, steps } from './data.ts';
import { measureQueries, type VariantResult } from './lib/queries.ts';

export interface GrowthPoint {
  batches: number;
  brands: number;
  heap: string;
  indexes: string;
  generationSeconds: number;
  results: VariantResult[];
}

const MEASURED = ['search_default', 'search_status', 'search_term', 'list_product'];

export async function run(opts: BenchOptions & { scaleDb?: { adminUrl: string } }) {
  const adminUrl = opts.scaleDb?.adminUrl ?? opts.adminUrl;
  const points: GrowthPoint[] = [];
  const samples = opts.quick ? 25 : 150;
  for (const brands of steps(opts.quick)) {
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    let size;
    let gen;
    try {
      gen = await growTo(sql, brands, opts.quick, opts.log);
      await sql.unsafe('vacuum analyze data.batches');
      size = await datasetSize(sql);
    } finally {
      await sql.end();
    }
    opts.log(`measuring at ${size.batches.toLocaleString('en')} batches`);
    const results = await measureQueries({
      adminUrl,
      brands,
      samples,
      queries: MEASURED,
      forms: ['api', 'plain'],
      whos: ['member'],
      seed: 7,
      deadline: opts.deadline - 30_000,
    });
    points.push({
      batches: size.batches,
      brands: size.brands,
      heap: size.batchesHeap,
      indexes: size.batchesIndexes,
      generationSeconds: gen.reduce((s, g) => s + g.seconds, 0),
      results,
    });
  }
  return { samplesPerVariant: samples, queries: MEASURED, points };
}
