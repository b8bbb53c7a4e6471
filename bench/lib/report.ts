// docs/benchmarks.md from the raw results (bench/results/latest.json).
import { existsSync, readFileSync } from 'node:fs';
import type { GatewayRow } from '../gateway.ts';
import type { GrowthPoint } from '../growth.ts';
import type { RlsRow } from '../rls.ts';

export interface SectionOutcome {
  status: 'ok' | 'skipped' | 'error' | 'timeout';
  /** when this section was last measured (ISO) */
  at: string;
  seconds: number;
  quick: boolean;
  result?: Record<string, unknown> | null;
  reason?: string;
}

export interface Meta {
  date: string;
  command: string;
  quick: boolean;
  machine: { cpus: string; cores: number; mhz: number; memory: string; os: string; loadavgStart: number[]; loadavgEnd?: number[] };
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  commit?: string;
  totalSeconds?: number;
}

export interface Results {
  meta: Meta;
  sections: Record<string, SectionOutcome>;
}

const f = (x: unknown, d = 2): string => {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x === null || x === undefined ? '–' : String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en');
  return x.toFixed(d).replace(/\.?0+$/, (m) => (m.startsWith('.') ? '' : m)) || '0';
};
const ms = (x: unknown) => f(x, 2);
const mark = (ok: boolean | null) => (ok === null ? '–' : ok ? '✅ met' : '❌ missed');

function table(head: string[], rows: (string | number)[][], align?: string[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${head.join(' | ')} |`, `| ${a.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function statusLine(name: string, s: SectionOutcome | undefined): string | null {
  if (!s) return `_Not run (\`npm run bench -- ${name}\`)._`;
  if (s.status === 'skipped') return `_Skipped: ${s.reason}._`;
  if (s.status === 'error' || s.status === 'timeout') return `_Failed (${s.status}) after ${f(s.seconds, 0)} s:_\n\n\`\`\`text\n${(s.reason ?? '').slice(0, 3000)}\n\`\`\``;
  return null;
}

function measuredAt(s: SectionOutcome): string {
  return `_Measured ${s.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} in ${f(s.seconds, 0)} s${s.quick ? ' — **quick mode** (small sizes, short runs: not comparable)' : ''}._`;
}

function gatewaySection(s: SectionOutcome | undefined): string {
  const out = ['## 1. Gateway overhead: HTTP through the gateway vs the same transaction direct'];
  const st = statusLine('gateway', s);
  if (st) return [...out, st].join('\n\n');
  const r = s!.result as { rows: GatewayRow[]; durationSec: number; warmupSec: number; gatewayPoolSize: number; min_ratio_at_32: number | null };
  out.push(measuredAt(s!));
  out.push(
    `Closed loop: each of N clients sends its next request when the previous one has answered; ${f(r.durationSec)} s measured after ${f(r.warmupSec)} s of warm-up per cell. ` +
      `**HTTP**: autocannon in its own process → \`POST /rpc/<fn>\` with a JSON body and an HS256 JWT → the gateway in its own process (pool of ${r.gatewayPoolSize} connections, default settings: one JSON log line per request, written to /dev/null). ` +
      `**Direct**: postgres.js from the bench process, one connection per client, \`sql.begin([read only], tx => [set_config(role, claims), select * from api.<fn>(…)])\` — BEGIN, the two statements pipelined, COMMIT, prepared statements. ` +
      `The call's rows are fetched raw (not decoded into JS values): direct is the floor, and the gateway's JSON rendering counts as its overhead. ` +
      `**One-trip direct** (at some client counts): the same transaction sent the way the gateway sends it — one multi-statement simple query, i.e. one round trip, no HTTP — so HTTP ÷ one-trip is the cost of the HTTP layer alone. ` +
      `Latencies are per request as the client sees it (ms). Ratio = HTTP req/s ÷ direct req/s.`,
  );
  out.push(
    table(
      ['RPC', 'clients', 'HTTP req/s', 'HTTP p50', 'HTTP p99', 'direct req/s', 'direct p50', 'direct p99', 'HTTP ÷ direct', 'one-trip direct req/s', 'HTTP ÷ one-trip', 'errors'],
      r.rows.map((x) => [
        `\`${x.rpc}\``,
        x.clients,
        f(x.http.rps, 0),
        ms(x.http.p50),
        ms(x.http.p99),
        f(x.direct.rps, 0),
        ms(x.direct.p50),
        ms(x.direct.p99),
        `**${f(x.ratio)}×**`,
        x.direct1 ? f(x.direct1.rps, 0) : '–',
        x.ratio1 !== undefined ? `${f(x.ratio1)}×` : '–',
        String(x.http.failed + x.direct.failed + (x.direct1?.failed ?? 0)),
      ]),
    ),
  );
  return out.join('\n\n');
}

function rlsSection(s: SectionOutcome | undefined): string {
  const out = ['## 2. Row-level security cost at scale'];
  const st = statusLine('rls', s);
  if (st) return [...out, st].join('\n\n');
  const r = s!.result as {
    dataset: { brands: number; products: number; batches: number; batchesHeap: string; batchesIndexes: string };
    samplesPerVariant: number;
    rows: RlsRow[];
    slowest: { query: string; member: string; owner: string; apiNested: string };
    generation?: { batches: number; seconds: number }[];
  };
  out.push(measuredAt(s!));
  const gen = (r.generation ?? []).reduce((a, g) => ({ b: a.b + g.batches, s: a.s + g.seconds }), { b: 0, s: 0 });
  out.push(
    `Data: ${f(r.dataset.batches, 0)} batches, ${f(r.dataset.products, 0)} products, ${f(r.dataset.brands, 0)} brands (heap ${r.dataset.batchesHeap}, indexes ${r.dataset.batchesIndexes})` +
      (gen.b ? `, generated set-based in ${f(gen.s, 0)} s (bench/data.ts: setseed + generate_series, md5-derived ids).` : '.') +
      ` ${r.samplesPerVariant} samples per cell, a random brand (and product) per sample, the variants interleaved in random order; only the query statement is timed (the role/claims set_config runs before it in the same transaction).`,
  );
  out.push(
    '- **member · api** — role `authenticated` with a viewer\'s claims calling the RPC: what a client gets.\n' +
      '- **owner · plain** — the superuser running the equivalent SELECT on `data.batches` with the brand filter: no RLS, no function (the floor).\n' +
      '- **member · plain** — the plain SELECT under RLS (isolates the policy cost); **owner · api** — the RPC without RLS (isolates the function\'s own cost).\n' +
      '- **owner · plain, unprepared** — the plain SELECT sent as text, planned on every call (as psql does it, and as the RPC\'s dynamic SQL must): the like-for-like floor for a search with optional filters.',
  );
  out.push(
    table(
      ['query', 'member · api p50 / p95', 'owner · plain p50 / p95', 'ratio p50 (p95)', 'member · plain p50', 'owner · api p50', 'owner · plain unprepared p50', 'RLS alone (plain)', 'RLS inside api', 'api ÷ unprepared'],
      r.rows.map((x) => [
        `\`${x.query}\``,
        `${ms(x.member_api.p50)} / ${ms(x.member_api.p95)}`,
        `${ms(x.owner_plain.p50)} / ${ms(x.owner_plain.p95)}`,
        `**${f(x.ratio_p50)}×** (${f(x.ratio_p95)}×)`,
        ms(x.member_plain.p50),
        ms(x.owner_api.p50),
        x.owner_plain_sp ? ms(x.owner_plain_sp.p50) : '–',
        `${f(x.rls_only_p50)}×`,
        `${f(x.rls_in_api_p50)}×`,
        x.ratio_vs_unprepared_p50 !== undefined ? `${f(x.ratio_vs_unprepared_p50)}×` : '–',
      ]),
    ),
  );
  out.push(r.rows.map((x) => `- \`${x.query}\`: ${x.description}`).join('\n'));
  out.push(
    `### Plans of the slowest query (\`${r.slowest.query}\`, by member · api p95)\n\n` +
      `The equivalent plain SELECT as a member (RLS applied), \`EXPLAIN (ANALYZE, BUFFERS)\`:\n\n\`\`\`text\n${r.slowest.member}\n\`\`\`\n\n` +
      `The same as the superuser (no RLS):\n\n\`\`\`text\n${r.slowest.owner}\n\`\`\`\n\n` +
      `The statements the RPC runs, as a member (auto_explain with analyze, buffers, nested statements):\n\n\`\`\`text\n${r.slowest.apiNested.slice(0, 12000)}\n\`\`\``,
  );
  return out.join('\n\n');
}

function growthSection(s: SectionOutcome | undefined): string {
  const out = ['## 5. Cost growth: 10k → 100k → 1M batches'];
  const st = statusLine('growth', s);
  if (st) return [...out, st].join('\n\n');
  const r = s!.result as { points: GrowthPoint[]; queries: string[]; samplesPerVariant: number; interleaved?: boolean };
  out.push(measuredAt(s!));
  out.push(
    `Every brand has the same shape (1,000 batches, 20 products): what grows is the table and its indexes. As a member (RLS on); p50 / p95 in ms, ${r.samplesPerVariant} samples per cell` +
      `${r.interleaved ? ', each size its own database, the sizes measured interleaved round by round (background load hits all sizes alike)' : ''}. ` +
      `Last column: p50 at the largest size ÷ p50 at the smallest (1.0 = flat).`,
  );
  const head = ['query', 'form', ...r.points.map((p) => `${f(p.batches, 0)} batches`), 'growth'];
  const rows: string[][] = [];
  for (const q of r.queries) {
    for (const form of ['api', 'plain']) {
      const cells = r.points.map((p) => p.results.find((x) => x.query === q && x.form === form && x.who === 'member'));
      if (cells.every((c) => !c)) continue;
      const first = cells[0];
      const last = cells[cells.length - 1];
      rows.push([
        `\`${q}\``,
        form,
        ...cells.map((c) => (c ? `${ms(c.p50)} / ${ms(c.p95)}` : '–')),
        first && last ? `${f(last.p50 / first.p50)}×` : '–',
      ]);
    }
  }
  out.push(table(head, rows));
  out.push(
    table(
      ['batches', 'brands', 'heap', 'indexes', 'generated in'],
      r.points.map((p) => [f(p.batches, 0), f(p.brands, 0), p.heap, p.indexes, `${f(p.generationSeconds, 1)} s`]),
    ),
  );
  return out.join('\n\n');
}

// ---- sections written by other engineers: rendered generically -------------------------------------

function cell(v: unknown): string {
  if (typeof v === 'number') return f(v, 3);
  if (Array.isArray(v)) return v.map(cell).join(', ');
  if (v === null || v === undefined) return '–';
  return String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * Any JSON result as tables: every object's scalar members form one row named by its path; rows with
 * the same members share a table. A `markdown` string member is used as is instead.
 */
export function genericResult(result: unknown): string {
  if (result === null || result === undefined) return '_No numbers returned._';
  if (typeof result !== 'object') return `Result: ${cell(result)}`;
  const r = result as Record<string, unknown>;
  if (typeof r.markdown === 'string') return r.markdown;
  const rows: { path: string; values: Record<string, unknown> }[] = [];
  const walk = (o: unknown, path: string) => {
    if (Array.isArray(o)) {
      if (o.every((x) => x === null || typeof x !== 'object')) return;
      o.forEach((x, i) => walk(x, `${path}[${i}]`));
      return;
    }
    if (!o || typeof o !== 'object') return;
    const scalars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'))) walk(v, path ? `${path}.${k}` : k);
      else scalars[k] = v;
    }
    if (Object.keys(scalars).length) rows.push({ path: path || '(result)', values: scalars });
  };
  walk(r, '');
  const groups = new Map<string, typeof rows>();
  for (const row of rows) {
    const sig = Object.keys(row.values).join('\u0000');
    groups.set(sig, [...(groups.get(sig) ?? []), row]);
  }
  const parts: string[] = [];
  for (const [sig, g] of groups) {
    const cols = sig.split('\u0000');
    if (g.length === 1 && cols.length <= 2) {
      parts.push(cols.map((c) => `- ${g[0]!.path === '(result)' ? '' : `${g[0]!.path}.`}${c}: **${cell(g[0]!.values[c])}**`).join('\n'));
    } else {
      parts.push(table(['', ...cols], g.map((row) => [row.path, ...cols.map((c) => cell(row.values[c]))])));
    }
  }
  return parts.join('\n\n');
}

function externalSection(title: string, name: string, s: SectionOutcome | undefined): string {
  const out = [title];
  const st = statusLine(name, s);
  if (st) return [...out, st].join('\n\n');
  out.push(measuredAt(s!));
  out.push(genericResult(s!.result));
  return out.join('\n\n');
}

function dig(o: unknown, path: string): unknown {
  let x = o;
  for (const k of path.split('.')) {
    if (!x || typeof x !== 'object') return undefined;
    x = (x as Record<string, unknown>)[k];
  }
  return x;
}

// ---- summary ------------------------------------------------------------------------------------------

function summary(res: Results): string {
  const g = res.sections.gateway?.status === 'ok' ? (res.sections.gateway.result as { rows: GatewayRow[] }) : undefined;
  const rl = res.sections.rls?.status === 'ok' ? (res.sections.rls.result as { rows: RlsRow[]; search_p95_max_ms: number; dataset: { batches: number } }) : undefined;
  const gr = res.sections.growth?.status === 'ok' ? (res.sections.growth.result as { points: GrowthPoint[] }) : undefined;
  const rows: string[][] = [];
  if (g) {
    for (const x of g.rows.filter((r) => r.clients === 32)) {
      rows.push([`Gateway: \`${x.rpc}\` HTTP ÷ direct at 32 clients`, '≥ 0.7×', `${f(x.ratio)}× (${f(x.http.rps, 0)} vs ${f(x.direct.rps, 0)} req/s)`, mark(x.ratio >= 0.7)]);
    }
  } else rows.push(['Gateway HTTP ÷ direct at 32 clients', '≥ 0.7×', '–', '–']);
  if (rl) {
    const worst = [...rl.rows].sort((a, b) => b.ratio_p50 - a.ratio_p50)[0]!;
    rows.push([
      `RLS: member · api ÷ owner · plain (worst p50, \`${worst.query}\`) at ${f(rl.dataset.batches, 0)} batches`,
      '≤ 1.3×',
      `${f(worst.ratio_p50)}×`,
      mark(worst.ratio_p50 <= 1.3),
    ]);
    const worstRls = [...rl.rows].sort((a, b) => b.rls_only_p50 - a.rls_only_p50)[0]!;
    rows.push([`RLS alone: plain SELECT member ÷ superuser (worst p50, \`${worstRls.query}\`)`, '≤ 1.3×', `${f(worstRls.rls_only_p50)}×`, mark(worstRls.rls_only_p50 <= 1.3)]);
    const worstIn = [...rl.rows].sort((a, b) => b.rls_in_api_p50 - a.rls_in_api_p50)[0]!;
    rows.push([`RLS inside the RPC: member · api ÷ superuser · api (worst p50, \`${worstIn.query}\`)`, '≤ 1.3×', `${f(worstIn.rls_in_api_p50)}×`, mark(worstIn.rls_in_api_p50 <= 1.3)]);
    rows.push([`search_batches p95 (worst variant) at ${f(rl.dataset.batches, 0)} batches`, '< 20 ms', `${ms(rl.search_p95_max_ms)} ms`, mark(rl.search_p95_max_ms < 20)]);
  } else rows.push(['RLS cost / search p95 at 1M', '≤ 1.3× / < 20 ms', '–', '–']);
  if (gr && gr.points.length > 1) {
    const first = gr.points[0]!;
    const last = gr.points[gr.points.length - 1]!;
    let worst = { q: '', ratio: 0 };
    for (const c of last.results.filter((x) => x.form === 'api')) {
      const b = first.results.find((x) => x.query === c.query && x.form === c.form && x.who === c.who);
      if (b && c.p50 / b.p50 > worst.ratio) worst = { q: c.query, ratio: c.p50 / b.p50 };
    }
    rows.push([`Growth ${f(first.batches, 0)} → ${f(last.batches, 0)} batches (worst api p50, \`${worst.q}\`)`, 'near flat', `${f(worst.ratio)}×`, '–']);
  }
  // the other engineers' sections: their headline numbers, when their results carry them
  const ok = (n: string) => (res.sections[n]?.status === 'ok' ? res.sections[n]!.result : undefined);
  const sync = ok('sync');
  if (sync) {
    const ratio = dig(sync, 'ratio');
    const api = dig(sync, 'phases.create.api.recordsPerSecond');
    const raw = dig(sync, 'phases.create.raw.recordsPerSecond');
    if (typeof ratio === 'number') rows.push([`Sync: \`upsert_batches\` ÷ raw \`INSERT … ON CONFLICT\` (records/s)`, 'ratio reported', `${f(ratio)}×${typeof api === 'number' && typeof raw === 'number' ? ` (${f(api, 0)} vs ${f(raw, 0)} records/s)` : ''}`, '–']);
  }
  const inv = ok('inventory');
  if (inv) {
    const p50 = dig(inv, 'scenarios.hot.accept.latency.p50_ms');
    const p99 = dig(inv, 'scenarios.hot.accept.latency.p99_ms');
    const cps = dig(inv, 'scenarios.hot.accept.calls_per_sec');
    if (typeof p50 === 'number') rows.push([`Contention: \`accept_transfer\`, 32 clients, hot rows`, 'reported', `${f(cps, 0)} calls/s, p50 ${ms(p50)} ms, p99 ${ms(p99)} ms; ledger = stock: ${cell(dig(inv, 'ledger_equals_stock'))}`, '–']);
  }
  const ser = ok('serials');
  if (ser) {
    const mint = dig(ser, 'mint.first_call_serials_per_sec');
    const p50 = dig(ser, 'resolve_serial.p50_ms');
    const p99 = dig(ser, 'resolve_serial.p99_ms');
    const job = dig(ser, 'job.serials_per_sec');
    if (typeof mint === 'number') rows.push(['Serials: random serial numbers minted/s (100,000 in one call; through a job)', '≥ 50,000/s', `${f(mint, 0)}/s; job ${typeof job === 'number' ? `${f(job, 0)}/s` : '–'}`, mint >= 50_000 ? 'met' : 'not met']);
    if (typeof p50 === 'number') rows.push([`Serials: \`resolve_serial\` over HTTP with ${f(dig(ser, 'total_serials'), 0)} serials`, 'reported', `p50 ${ms(p50)} ms, p99 ${ms(p99)} ms`, '–']);
  }
  const tr = ok('trace');
  if (tr) {
    const steps = dig(tr, 'steps') as { edges: number; batches: number; down: { p95_ms: number; p50_ms: number }; down_call: { p95_ms: number } }[] | undefined;
    const first = steps?.[0];
    const last = steps?.at(-1);
    if (first && last) {
      rows.push([`Trace: \`trace_batch\` of 10 levels / 10,000 edges, p95 at ${f(last.edges, 0)} edges (call only; + JSON)`, '< 20 ms',
        `${ms(last.down_call.p95_ms)} ms; ${ms(last.down.p95_ms)} ms`, mark(last.down.p95_ms < 20)]);
      rows.push([`Trace growth ${f(first.edges, 0)} → ${f(last.edges, 0)} edges (p50, + JSON)`, 'flat', `${f(dig(tr, 'growth_p50_ratio'))}×`, '–']);
    }
    const rc = dig(tr, 'recall.p50_ms');
    if (typeof rc === 'number') rows.push([`Recall: \`recall_batch\` of a lot with ${f(dig(tr, 'recall.downstream_batches'), 0)} downstream batches (p50; max)`, '< 1 s', `${ms(rc)} ms; ${ms(dig(tr, 'recall.max_ms'))} ms`, mark((dig(tr, 'recall.max_ms') as number) < 1000)]);
  }
  const q = ok('quality');
  if (q) {
    const p95 = dig(q, 'suggest_picks_p95_max_ms');
    if (typeof p95 === 'number') rows.push([`Quality: \`suggest_picks\` p95 (worst shape) at ${f(dig(q, 'dataset.batches'), 0)} batches, 100 per product at one location`, '< 10 ms', `${ms(p95)} ms`, mark(p95 < 10)]);
  }
  const ev = ok('events');
  if (ev) {
    const c = dig(ev, 'write.create_product_batch.ratio');
    const u = dig(ev, 'write.upsert_batches.ratio');
    if (typeof c === 'number' && typeof u === 'number') {
      rows.push(['Audit trail + outbox: write throughput with ÷ without (`create_product_batch` / `upsert_batches`)', '≥ 0.8×', `${f(c)}× / ${f(u)}×`, mark(c >= 0.8 && u >= 0.8)]);
    }
    const p50 = dig(ev, 'webhook.p50_ms');
    if (typeof p50 === 'number') {
      rows.push([`Feed read by one consumer; webhook commit → receiver at ${f(dig(ev, 'webhook.events_per_sec'), 0)} events/s`, 'reported',
        `${f(dig(ev, 'feed.events_per_sec'), 0)} events/s; p50 ${ms(p50)} ms, p99 ${ms(dig(ev, 'webhook.p99_ms') as number)} ms`, '–']);
    }
  }
  return table(['goal', 'target', 'measured', ''], rows, [':--', ':--', ':--', ':--']);
}

export function renderReport(res: Results, extra: { fixesFile?: string } = {}): string {
  const m = res.meta;
  const lines: string[] = [];
  lines.push('# Benchmarks');
  lines.push(
    '_Generated by `npm run bench` (bench/run.ts) — do not edit by hand; raw numbers in `bench/results/latest.json`. ' +
      'Hand-written notes on the fixes come from `bench/results/fixes.md`._',
  );
  lines.push(
    `| | |\n|:--|:--|\n| date | ${m.date} |\n| command | \`${m.command}\` |\n| machine | ${m.machine.cores} × ${m.machine.cpus}${m.machine.mhz ? ` (${m.machine.mhz} MHz)` : ''}, ${m.machine.memory} RAM, ${m.machine.os} |\n` +
      `| load average | ${m.machine.loadavgStart.map((x) => x.toFixed(2)).join(' / ')} at start${m.machine.loadavgEnd ? `, ${m.machine.loadavgEnd.map((x) => x.toFixed(2)).join(' / ')} at end` : ''} (1 / 5 / 15 min) |\n` +
      `| Node.js | ${m.node} |\n| PostgreSQL | ${m.postgres} |\n| PostgreSQL settings | ${Object.entries(m.postgresSettings).map(([k, v]) => `${k}=${v}`).join(', ')} |\n` +
      (m.commit ? `| commit | ${m.commit} |\n` : '') +
      (m.totalSeconds ? `| run time | ${f(m.totalSeconds, 0)} s |\n` : ''),
  );
  lines.push(
    'Everything runs on one machine: an embedded PostgreSQL started for the run (temp dir, fsync off — throw-away data), the gateway in its own process, the load generator in another. ' +
      'On a 2-core machine client, gateway and database compete for the same cores, so absolute numbers are low and noisy; the ratios are the point. ' +
      'A load average well above 0 at the start means other work was running and the numbers are less reliable.',
  );
  lines.push('## Goals');
  lines.push(summary(res));
  lines.push(gatewaySection(res.sections.gateway));
  lines.push(rlsSection(res.sections.rls));
  lines.push(externalSection('## 3. Bulk sync: `upsert_batches` vs plain `INSERT … ON CONFLICT`', 'sync', res.sections.sync));
  lines.push(externalSection('## 4. Contention: `accept_transfer` and stock moves from 32 clients', 'inventory', res.sections.inventory));
  lines.push(growthSection(res.sections.growth));
  lines.push(externalSection('## 6. Serials: minting and `resolve_serial` latency', 'serials', res.sections.serials));
  lines.push(externalSection('## 7. Traceability: `trace_batch` over a deep genealogy, `recall_batch`', 'trace', res.sections.trace));
  lines.push(externalSection('## 8. Quality: first-expiry-first-out `suggest_picks` at 1M batches', 'quality', res.sections.quality));
  lines.push(externalSection('## 9. Events: audit trail + outbox write cost, feed reading, webhook latency', 'events', res.sections.events));
  lines.push(externalSection('## 10. One tenant floods the pool: anonymous `resolve_serial` idle vs under flood', 'flood', res.sections.flood));
  if (extra.fixesFile && existsSync(extra.fixesFile)) lines.push(readFileSync(extra.fixesFile, 'utf8').trim());
  lines.push(
    '## How to run\n\n' +
      '```sh\nnpm run bench                 # everything (< 45 min on 2 cores); writes this file and bench/results/latest.json\n' +
      'npm run bench -- --quick      # smoke run (< 2 min, small sizes); writes bench/results/quick.json only\n' +
      'npm run bench -- rls growth   # some sections; merged into latest.json and this file\n' +
      'npm run bench -- --time-factor=3 growth rls   # every time limit × 3, for a machine busy with other work\n```\n\n' +
      'Sections: `gateway`, `rls`, `growth` (bench/gateway.ts, rls.ts, growth.ts), `sync`, `inventory`, `serials`, `trace`, `quality`, `events`, `flood` (bench/sync.ts, inventory.ts, serials.ts, trace.ts, quality.ts, events.ts, flood.ts: each exports `run(opts)`; ' +
      'a missing module is reported as skipped). Each section runs in its own process against its own database cloned from a migrated template, with a time limit; ' +
      'the harness stops every child process and the embedded cluster on exit, error or Ctrl-C.',
  );
  return lines.join('\n\n') + '\n';
}
