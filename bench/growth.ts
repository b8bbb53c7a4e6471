// Section "growth": search and list latency as a member at 10k, 100k and 1M batches. The brand's shape
// is constant (1,000 batches, 20 products), so what grows is the table and its indexes: indexed queries
// should stay near flat.
//
// Each size is its own database (the seeded generator builds the same first brands in each), and the
// three are measured interleaved, round by round, so a burst of background load hits every size alike
// instead of whichever size happened to be measured at that moment. The largest is the shared scale
// data set that the rls section reuses.
import postgres from 'postgres';
import type { BenchOptions } from './lib/context.ts';
import { datasetSize, growTo, steps, type StepTiming } from './data.ts';
import { measureQueries, type MeasureTarget, type VariantResult } from './lib/queries.ts';

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
  const sizes = steps(opts.quick);
  const targets: (MeasureTarget & { size: Awaited<ReturnType<typeof datasetSize>>; gen: StepTiming[] })[] = [];
  for (const brands of sizes) {
    const largest = brands === sizes[sizes.length - 1];
    const adminUrl = largest ? (opts.scaleDb?.adminUrl ?? opts.adminUrl) : (await opts.createDatabase(`bench_growth_${brands}`)).adminUrl;
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      const gen = await growTo(sql, brands, opts.quick, opts.log);
      await sql.unsafe('vacuum analyze data.batches');
      const size = await datasetSize(sql);
      targets.push({ label: String(size.batches), adminUrl, brands, size, gen });
    } finally {
      await sql.end();
    }
  }
  const samples = opts.quick ? 25 : 150;
  opts.log(`measuring at ${targets.map((t) => Number(t.label).toLocaleString('en')).join(', ')} batches, interleaved`);
  const results = await measureQueries({
    targets,
    samples,
    queries: MEASURED,
    forms: ['api', 'plain'],
    whos: ['member'],
    seed: 7,
    deadline: opts.deadline - 20_000,
  });
  const points: GrowthPoint[] = targets.map((t) => ({
    batches: t.size.batches,
    brands: t.size.brands,
    heap: t.size.batchesHeap,
    indexes: t.size.batchesIndexes,
    generationSeconds: t.gen.reduce((s, g) => s + g.seconds, 0),
    results: results.filter((r) => r.target === t.label),
  }));
  return { samplesPerVariant: samples, queries: MEASURED, interleaved: true, points };
}
