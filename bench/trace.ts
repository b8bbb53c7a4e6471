// Section "trace": trace_batch latency over a deep genealogy as the history grows, and recall_batch of a lot
// with 1,000 downstream batches.
//
//   npx tsx bench/trace.ts [--quick]      own embedded PostgreSQL (fast, temp dir), migrated, then run()
//   npm run bench -- trace                bench/run.ts calls run(opts) with its own database
//
// History (one brand, generated set-based by the superuser; bench/trace-data.ts): "lines", each a layered
// DAG of 10 levels below one received lot — 1,000 batches at level 1 made from the lot, then 500 batches per
// level each made from two of the level above — so a line is 5,501 batches and exactly 10,000 edges, with a
// production event per output and a stock row per batch. Lines are added step by step (1 → 10 → 100 lines:
// 10k → 100k → 1M edges), then plain batches fill the table up to 1,000,000 batches and the traces are timed again.
// At every step: trace_batch(root of a random line, 'down', 10 levels, 10,000 edges) — the whole line — and
// trace_batch(a random level-5 batch, 'both'), timed as a viewer through the SQL door (act_as + the call +
// to_json of the result, as the gateway runs it), only the call's statement.
// Recall: lines of 10 levels × 100 batches (1,000 downstream batches, stock at two locations), each recalled
// once by recall_batch as an admin in its own committed transaction.
import postgres, { type Sql } from 'postgres';
import { runAsMain, withThrowawayDatabase } from '../src/db/throwaway.ts';
import { summarize, round, rng, type LatencySummary } from './lib/stats.ts';
import { addLines, addRecallLines, fillBatches, setupBrand, type TraceBrand } from './trace-data.ts';

export interface TraceBenchOptions {
  adminUrl?: string;
  quick?: boolean;
  /** wall-clock ms by which run() should have returned (bench/run.ts); later steps are skipped when short */
  deadline?: number;
  log?: (line: string) => void;
}

interface Latency { n: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number; mean_ms: number }
export interface TraceStep {
  lines: number;
  edges: number;
  batches: number;
  generate_seconds: number;
  /** trace of a whole line (10 levels, 10,000 edges, 5,501 nodes): the call alone, result not rendered */
  down_call: Latency;
  /** the same, rendered as JSON (to_json), as the gateway answers it */
  down: Latency & { edges_returned: number; nodes_returned: number; truncated: boolean; json_bytes: number };
  /** trace up and down from a level-5 batch */
  both: Latency & { edges_returned: number; nodes_returned: number };
}
export interface TraceBenchResult {
  steps: TraceStep[];
  batches_total: number;
  edges_total: number;
  fill_seconds: number;
  recall: Latency & { downstream_batches: number; recalls: number };
  growth_p50_ratio: number;
  markdown: string;
}

const lat = (s: LatencySummary): Latency => ({
  n: s.n, p50_ms: round(s.p50), p95_ms: round(s.p95), p99_ms: round(s.p99), max_ms: round(s.max), mean_ms: round(s.mean),
});

/** One trace as the viewer: `json` renders the result as the gateway does (to_json), otherwise only the call. */
async function timedTrace(sql: Sql, b: TraceBrand, batch: string, direction: string, json: boolean): Promise<{ ms: number; text: string }> {
  return sql.begin(async (tx) => {
    await tx`select app.act_as(${b.viewer}, 'trace:read')`;
    const t0 = performance.now();
    const [r] = json
      ? await tx<{ j: string }[]>`select to_json(t)::text as j from api.trace_batch(${b.brand}, ${batch}, ${direction}, 10, 10000) t`
      : await tx<{ j: string }[]>`select json_build_object('edge_count', t.edge_count, 'node_count', t.node_count, 'truncated', t.truncated)::text as j
                                    from api.trace_batch(${b.brand}, ${batch}, ${direction}, 10, 10000) t`;
    return { ms: performance.now() - t0, text: r!.j };
  }) as Promise<{ ms: number; text: string }>;
}

async function measure(sql: Sql, b: TraceBrand, lines: number, samples: number, pick: () => number) {
  const call: number[] = [];
  const json: number[] = [];
  const both: number[] = [];
  let shape = { edges: 0, nodes: 0, truncated: true, bytes: 0, bothEdges: 0, bothNodes: 0 };
  // warm-up: plans cached, pages in memory
  for (let i = 0; i < 3; i++) await timedTrace(sql, b, await b.root(0), 'down', true);
  for (let i = 0; i < samples; i++) {
    const root = await b.root(Math.floor(pick() * lines));
    call.push((await timedTrace(sql, b, root, 'down', false)).ms);
    const d = await timedTrace(sql, b, root, 'down', true);
    json.push(d.ms);
    const line = Math.floor(pick() * lines);
    const m = await timedTrace(sql, b, await b.node(line, 5, Math.floor(pick() * 500)), 'both', true);
    both.push(m.ms);
    if (i === 0) {
      const t = JSON.parse(d.text) as { edge_count: number; node_count: number; truncated: boolean };
      const u = JSON.parse(m.text) as { edge_count: number; node_count: number };
      shape = { edges: t.edge_count, nodes: t.node_count, truncated: t.truncated, bytes: d.text.length, bothEdges: u.edge_count, bothNodes: u.node_count };
    }
  }
  return {
    down_call: lat(summarize(call)),
    down: { ...lat(summarize(json)), edges_returned: shape.edges, nodes_returned: shape.nodes, truncated: shape.truncated, json_bytes: shape.bytes },
    both: { ...lat(summarize(both)), edges_returned: shape.bothEdges, nodes_returned: shape.bothNodes },
  };
}

async function counts(sql: Sql, brand: string): Promise<{ batches: number; edges: number }> {
  const [r] = await sql<{ batches: number; edges: number }[]>`
    select (select count(*)::int from data.batches where brand_id = ${brand}) as batches,
           (select count(*)::int from data.genealogy_edges where brand_id = ${brand}) as edges`;
  return r!;
}

function markdown(r: Omit<TraceBenchResult, 'markdown'>): string {
  const n = (x: number) => x.toLocaleString('en');
  const row = (s: TraceStep) =>
    `| ${s.lines} | ${n(s.edges)} | ${n(s.batches)} | ${s.down_call.p50_ms} / ${s.down_call.p95_ms} | ${s.down.p50_ms} / ${s.down.p95_ms} | ` +
    `${n(s.down.edges_returned)} edges, ${n(s.down.nodes_returned)} nodes, ${(s.down.json_bytes / 1e6).toFixed(1)} MB${s.down.truncated ? ', truncated' : ''} | ` +
    `${s.both.p50_ms} / ${s.both.p95_ms} (${s.both.edges_returned} edges, ${s.both.nodes_returned} nodes) | ${Math.round(s.generate_seconds)} s |`;
  const table = [
    '| lines | edges in the brand | batches in the brand | whole line, call only: p50 / p95 ms | whole line, call + JSON: p50 / p95 ms | returned | level-5 batch, both ways, call + JSON: p50 / p95 ms | generation |',
    '| --: | --: | --: | --: | --: | :-- | --: | --: |',
    ...r.steps.map(row),
  ].join('\n');
  return [
    'One brand. A *line* is a lot received and 10 levels made from it: 1,000 batches at level 1, then 500 per level, each made from two batches of the level above — 5,501 batches and exactly 10,000 edges (production events, a stock row per batch). Lines are added step by step; then plain batches fill the table and the traces are timed once more (last row; its generation column is the fill). ' +
      'Timed as a viewer through the SQL door (`act_as`, then `api.trace_batch(root, \'down\', 10, 10000)` of a random line; only that statement), after 3 warm-up calls: *call only* reads three scalars of the result, *call + JSON* renders all of it with `to_json` as the gateway does.',
    table,
    `Growth of the whole-line trace (call + JSON) p50 from the first to the last step: **${r.growth_p50_ratio}×**. After the last step: ${n(r.batches_total)} batches (filled in ${Math.round(r.fill_seconds)} s), ${n(r.edges_total)} edges.`,
    `**recall_batch** of a lot with ${n(r.recall.downstream_batches)} downstream batches (10 levels × 100, stock at two locations), as an admin, each in its own committed transaction (walk, lock and update ${n(r.recall.downstream_batches + 1)} batches, record, build the report), ${r.recall.recalls} recalls: p50 **${r.recall.p50_ms} ms**, p95 ${r.recall.p95_ms} ms, max ${r.recall.max_ms} ms.`,
  ].join('\n\n');
}

export async function run(opts: TraceBenchOptions = {}): Promise<TraceBenchResult> {
  if (!opts.adminUrl) return withThrowawayDatabase('bench_trace', ({ adminUrl }) => run({ ...opts, adminUrl }));
  const log = opts.log ?? ((l: string) => console.log(l));
  const quick = opts.quick ?? false;
  const stepLines = quick ? [1, 3] : [1, 10, 100];
  const targetBatches = quick ? 50_000 : 1_000_000;
  const samples = quick ? 10 : 30;
  const recalls = quick ? 3 : 10;
  const left = () => (opts.deadline ?? Number.POSITIVE_INFINITY) - Date.now();
  const sql = postgres(opts.adminUrl, { max: 2, onnotice: () => {} });
  const pick = rng(20261205);
  try {
    const b = await setupBrand(sql);
    const steps: TraceStep[] = [];
    for (const lines of stepLines) {
      if (steps.length && left() < 240_000) {
        log(`trace: skipping the ${lines}-line step (${Math.round(left() / 1000)} s left)`);
        break;
      }
      const t0 = performance.now();
      await addLines(sql, b, steps.at(-1)?.lines ?? 0, lines, log);
      const generate_seconds = (performance.now() - t0) / 1000;
      const c = await counts(sql, b.brand);
      const m = await measure(sql, b, lines, samples, pick);
      steps.push({ lines, edges: c.edges, batches: c.batches, generate_seconds, ...m });
      log(`trace: ${lines} lines (${c.edges} edges, ${c.batches} batches): whole line p50 ${m.down_call.p50_ms} ms (+JSON ${m.down.p50_ms} ms), p95 ${m.down_call.p95_ms} ms (+JSON ${m.down.p95_ms} ms); both p50 ${m.both.p50_ms} ms`);
    }
    const t1 = performance.now();
    await fillBatches(sql, b, targetBatches, log);
    const fill_seconds = (performance.now() - t1) / 1000;
    const total = await counts(sql, b.brand);
    // the same traces once more, now that plain batches fill the table
    const lastLines = steps.at(-1)!.lines;
    const m = await measure(sql, b, lastLines, samples, pick);
    steps.push({ lines: lastLines, edges: total.edges, batches: total.batches, generate_seconds: fill_seconds, ...m });
    log(`trace: after filling to ${total.batches} batches: whole line p50 ${m.down_call.p50_ms} ms (+JSON ${m.down.p50_ms} ms)`);

    const recallRoots = await addRecallLines(sql, b, recalls, log);
    const times: number[] = [];
    let downstream = 0;
    for (const root of recallRoots) {
      const t = await sql.begin(async (tx) => {
        await tx`select app.act_as(${b.admin}, 'recall:write')`;
        const s = performance.now();
        const [r] = await tx<{ n: number }[]>`select cardinality(batches) as n from api.recall_batch(${b.brand}, ${root}, 'bench recall')`;
        downstream = r!.n - 1;
        return performance.now() - s;
      });
      times.push(t as number);
    }
    const first = steps[0]!;
    const last = steps.at(-1)!;
    const result = {
      steps, batches_total: total.batches, edges_total: total.edges, fill_seconds: round(fill_seconds, 1),
      recall: { ...lat(summarize(times)), downstream_batches: downstream, recalls: times.length },
      growth_p50_ratio: round(last.down.p50_ms / first.down.p50_ms),
    };
    return { ...result, markdown: markdown(result) };
  } finally {
    await sql.end();
  }
}

runAsMain(import.meta.url, (argv) => run({ quick: argv.includes('--quick') }));
