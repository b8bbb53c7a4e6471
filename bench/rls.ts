// Section "rls": the cost of row-level security at scale (1,000,000 batches across 1,000 brands).
// Every query of bench/lib/queries.ts as a member through the api function, versus the equivalent
// plain SELECT as the superuser (no RLS); plus the two middle variants that split the ratio into
// "RLS" and "function overhead", and the plans of the slowest query.
import postgres from 'postgres';
import type { BenchOptions } from './lib/context.ts';
import { datasetSize, growTo, steps } from './data.ts';
import { explainQuery, measureQueries, QUERIES, type VariantResult } from './lib/queries.ts';
import { round } from './lib/stats.ts';

export interface RlsRow {
  query: string;
  description: string;
  /** api function as a member (RLS on) — what a client gets */
  member_api: VariantResult;
  /** plain SELECT as the superuser (no RLS, no function) — the floor */
  owner_plain: VariantResult;
  /** plain SELECT as a member (RLS on, no function) */
  member_plain: VariantResult;
  /** api function as the superuser (function, no RLS) */
  owner_api: VariantResult;
  /** plain SELECT as the superuser sent as text: planned on every call, like the RPC's dynamic SQL */
  owner_plain_sp: VariantResult;
  /** member_api.p50 / owner_plain_sp.p50: the RPC against the same SELECT planned per call */
  ratio_vs_unprepared_p50: number;
  /** member_api.p50 / owner_plain.p50 (the "RLS ≤ 1.3×" ratio, function overhead included) */
  ratio_p50: number;
  ratio_p95: number;
  /** pure RLS: member_plain / owner_plain */
  rls_only_p50: number;
  /** RLS inside the api call: member_api / owner_api */
  rls_in_api_p50: number;
}

export async function run(opts: BenchOptions & { scaleDb?: { adminUrl: string } }) {
  const adminUrl = opts.scaleDb?.adminUrl ?? opts.adminUrl;
  const brands = steps(opts.quick).at(-1)!;
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  let size;
  let generation;
  try {
    generation = await growTo(sql, brands, opts.quick, opts.log);
    await sql.unsafe('vacuum analyze data.batches');
    size = await datasetSize(sql);
  } finally {
    await sql.end();
  }
  opts.log(`measuring at ${size.batches.toLocaleString('en')} batches`);
  const samples = opts.quick ? 30 : 250;
  const results = await measureQueries({
    targets: [{ label: String(size.batches), adminUrl, brands }],
    samples,
    forms: ['api', 'plain', 'plain_sp'],
    deadline: opts.deadline - 45_000,
  });
  const get = (q: string, form: string, who: string) => results.find((r) => r.query === q && r.form === form && r.who === who)!;
  const rows: RlsRow[] = QUERIES.map((q) => {
    const member_api = get(q.name, 'api', 'member');
    const owner_plain = get(q.name, 'plain', 'owner');
    const member_plain = get(q.name, 'plain', 'member');
    const owner_api = get(q.name, 'api', 'owner');
    const owner_plain_sp = get(q.name, 'plain_sp', 'owner');
    return {
      query: q.name,
      description: q.description,
      member_api,
      owner_plain,
      member_plain,
      owner_api,
      owner_plain_sp,
      ratio_vs_unprepared_p50: round(member_api.p50 / owner_plain_sp.p50, 2),
      ratio_p50: round(member_api.p50 / owner_plain.p50, 2),
      ratio_p95: round(member_api.p95 / owner_plain.p95, 2),
      rls_only_p50: round(member_plain.p50 / owner_plain.p50, 2),
      rls_in_api_p50: round(member_api.p50 / owner_api.p50, 2),
    };
  });
  const slowest = [...rows].sort((a, b) => b.member_api.p95 - a.member_api.p95)[0]!;
  opts.log(`plans of ${slowest.query}`);
  const plans = await explainQuery(adminUrl, slowest.query, Math.max(1, Math.floor(brands / 2)), 3);
  const search = rows.filter((r) => r.query.startsWith('search_'));
  return {
    dataset: size,
    generation,
    samplesPerVariant: samples,
    rows,
    worst_ratio_p50: Math.max(...rows.map((r) => r.ratio_p50)),
    worst_rls_only_p50: Math.max(...rows.map((r) => r.rls_only_p50)),
    worst_rls_in_api_p50: Math.max(...rows.map((r) => r.rls_in_api_p50)),
    search_p95_max_ms: Math.max(...search.map((r) => r.member_api.p95)),
    slowest: { query: slowest.query, ...plans },
  };
}
