// npm run bench [-- --quick] [-- <section> ...]
//
// Starts an embedded PostgreSQL (temp dir, fsync off), migrates a template database, then runs each
// section in its own child process (bench/lib/section.ts) against its own clone, with a time limit.
// Writes bench/results/latest.json and docs/benchmarks.md (quick runs: bench/results/quick.json only).
// Child processes and the cluster are stopped on every way out: success, error, timeout, Ctrl-C.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { createDatabase, startBenchCluster, type BenchCluster } from './lib/cluster.ts';
import type { SectionEnv } from './lib/context.ts';
import { killAllChildrenNow, spawnTs } from './lib/proc.ts';
import { renderReport, type Meta, type Results, type SectionOutcome } from './lib/report.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');

interface SectionDef {
  name: string;
  module: string;
  /** time limit (s) in a full run / in a quick run */
  budget: number;
  quickBudget: number;
  /** uses the shared scale data set */
  scale?: boolean;
  /** options for this section's run(opts) beyond the common ones */
  extra?: (quick: boolean) => Record<string, unknown>;
}

// Run order: the gateway on a small database first, then the scale data set is grown step by step by
// `growth` and reused at its largest size by `rls`, then the other engineers' sections.
const SECTIONS: SectionDef[] = [
  { name: 'gateway', module: 'gateway.ts', budget: 240, quickBudget: 40 },
  { name: 'growth', module: 'growth.ts', budget: 300, quickBudget: 30 },
  { name: 'rls', module: 'rls.ts', budget: 240, quickBudget: 25 },
  // bench/sync.ts sizes itself with `total` (batches built up to; it has no quick mode of its own)
  { name: 'sync', module: 'sync.ts', budget: 150, quickBudget: 20, extra: (quick) => (quick ? { total: 10_000 } : {}) },
  { name: 'inventory', module: 'inventory.ts', budget: 120, quickBudget: 20 },
  { name: 'serials', module: 'serials.ts', budget: 200, quickBudget: 40 },
  // bench/trace.ts builds its own genealogy history (up to 1M batches, 1M edges) in its own database
  { name: 'trace', module: 'trace.ts', budget: 900, quickBudget: 60 },
  { name: 'quality', module: 'quality.ts', budget: 600, quickBudget: 30 },
  { name: 'events', module: 'events.ts', budget: 240, quickBudget: 40 },
  // one tenant floods the pool with authenticated mint_serials calls; anonymous resolve_serial latency
  { name: 'flood', module: 'flood.ts', budget: 120, quickBudget: 40 },
];

const TOTAL_BUDGET_S = { full: 43 * 60, quick: 240 };

function parseArgs(argv: string[]): { quick: boolean; sections: SectionDef[]; help: boolean; timeFactor: number } {
  let quick = false;
  let help = false;
  let timeFactor = 1;
  const names: string[] = [];
  for (const a of argv) {
    if (a === '--quick' || a === '-q' || a === 'quick') quick = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (a.startsWith('--time-factor=')) {
      timeFactor = Number(a.slice('--time-factor='.length));
      if (!(timeFactor >= 1 && timeFactor <= 10)) throw new Error(`--time-factor must be a number from 1 to 10, got ${a}`);
    }
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else names.push(...a.split(',').filter(Boolean));
  }
  for (const n of names) {
    if (!SECTIONS.some((s) => s.name === n)) throw new Error(`unknown section "${n}"; sections: ${SECTIONS.map((s) => s.name).join(', ')}`);
  }
  const sections = names.length ? SECTIONS.filter((s) => names.includes(s.name)) : SECTIONS;
  return { quick, sections, help, timeFactor };
}

function ts(): string {
  return new Date().toISOString().slice(11, 19);
}
const log = (line: string) => console.log(`[${ts()}] ${line}`);

function machine(): Meta['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    mhz: cpus[0]?.speed ?? 0,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavgStart: os.loadavg(),
  };
}

function gitCommit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return undefined;
  }
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(resolve(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

async function runSection(def: SectionDef, env: SectionEnv, hardLimitMs: number): Promise<SectionOutcome> {
  const started = Date.now();
  const at = new Date().toISOString();
  type Msg = { type: string; result?: Record<string, unknown> | null; reason?: string; message?: string };
  const child = spawnTs<Msg>('lib/section.ts', {
    env: { BENCH_SECTION_ENV: JSON.stringify(env) },
    log: (l) => log(l),
    label: `[${def.name}]`,
  });
  const seconds = () => (Date.now() - started) / 1000;
  try {
    const m = await child.message((x) => ['result', 'skipped', 'error'].includes(x.type), hardLimitMs);
    if (m.type === 'result') return { status: 'ok', at, seconds: seconds(), quick: env.quick, result: m.result ?? null };
    if (m.type === 'skipped') return { status: 'skipped', at, seconds: seconds(), quick: env.quick, reason: m.reason };
    return { status: 'error', at, seconds: seconds(), quick: env.quick, reason: m.message };
  } catch (e) {
    const timedOut = /no answer within/.test((e as Error).message);
    return { status: timedOut ? 'timeout' : 'error', at, seconds: seconds(), quick: env.quick, reason: (e as Error).message.slice(0, 4000) };
  } finally {
    await child.stop(5000);
  }
}

async function main(): Promise<number> {
  const { quick, sections, help, timeFactor } = parseArgs(process.argv.slice(2));
  if (help) {
    console.log(`usage: npm run bench [-- --quick] [-- --time-factor=N] [-- <section> ...]\nsections: ${SECTIONS.map((s) => s.name).join(', ')}`);
    return 0;
  }
  const t0 = Date.now();
  // --time-factor=N stretches every time limit N-fold (a machine busy with other work generates and samples slower)
  const globalEnd = t0 + (quick ? TOTAL_BUDGET_S.quick : TOTAL_BUDGET_S.full) * 1000 * timeFactor;
  const meta: Meta = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick,
    machine: machine(),
    node: process.version,
    postgres: '',
    postgresSettings: {},
    commit: gitCommit(),
  };
  log(`bench: ${quick ? 'quick' : 'full'} run of ${sections.map((s) => s.name).join(', ')} on ${meta.machine.cores} × ${meta.machine.cpus}, load ${meta.machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`);

  let cluster: BenchCluster | undefined;
  let stopping: Promise<void> | undefined;
  // one shutdown, whoever asks first (Ctrl-C or the end of main); everyone awaits the same promise
  const shutdown = () =>
    (stopping ??= (async () => {
      killAllChildrenNow();
      // graphile-migrate keeps its pool ~200 ms after use and exits the process if the server goes first
      await new Promise((r) => setTimeout(r, 300));
      if (cluster) await cluster.stop().catch((e: Error) => log(`bench: stopping PostgreSQL: ${e.message}`));
    })());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log(`bench: ${sig}, stopping`);
      void shutdown().finally(() => process.exit(130));
    });
  }

  const outcomes: Record<string, SectionOutcome> = {};
  try {
    log('bench: starting embedded PostgreSQL and migrating the template database');
    cluster = await startBenchCluster(() => {});
    meta.postgres = cluster.serverVersion.replace(/ on .*/, '');
    meta.postgresSettings = cluster.settings;
    log(`bench: ${meta.postgres} ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

    const scaleDb = sections.some((s) => s.scale ?? ['growth', 'rls'].includes(s.name))
      ? await createDatabase(cluster.info, 'bench_scale')
      : undefined;

    for (const [i, def] of sections.entries()) {
      const left = globalEnd - Date.now();
      // share what is left fairly with the sections still to come, within the section's own limit
      const budgetMs = Math.min((quick ? def.quickBudget : def.budget) * 1000 * timeFactor, left - (sections.length - i - 1) * 10_000);
      if (budgetMs < 5_000) {
        outcomes[def.name] = { status: 'skipped', at: new Date().toISOString(), seconds: 0, quick, reason: 'no time left in the run budget' };
        continue;
      }
      const db = await createDatabase(cluster.info, `bench_${def.name}`);
      const env: SectionEnv = {
        section: def.name,
        module: join(ROOT, 'bench', def.module),
        quick,
        deadline: Date.now() + budgetMs,
        cluster: cluster.info,
        db,
        scaleDb,
        extra: def.extra?.(quick),
      };
      log(`bench: section ${def.name} (limit ${Math.round(budgetMs / 1000)} s)`);
      // sections that ignore opts.deadline are stopped a little after it
      const out = await runSection(def, env, budgetMs + (quick ? 5_000 : 20_000));
      outcomes[def.name] = out;
      log(`bench: section ${def.name}: ${out.status} in ${out.seconds.toFixed(1)} s${out.reason ? ` — ${out.reason.split('\n')[0]}` : ''}`);
    }
  } catch (e) {
    log(`bench: failed: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  } finally {
    await shutdown();
  }

  meta.machine.loadavgEnd = os.loadavg();
  meta.totalSeconds = (Date.now() - t0) / 1000;
  const file = join(RESULTS_DIR, quick ? 'quick.json' : 'latest.json');
  // a partial run updates its sections in the previous results and keeps the others
  let previous: Results | undefined;
  if (!quick && sections.length < SECTIONS.length && existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, 'utf8')) as Results;
    } catch {
      previous = undefined;
    }
  }
  const results: Results = { meta, sections: { ...(previous?.sections ?? {}), ...outcomes } };
  writeAtomic(file, JSON.stringify(results, null, 2) + '\n');
  const report = renderReport(results, { fixesFile: join(RESULTS_DIR, 'fixes.md') });
  if (quick) {
    writeAtomic(join(RESULTS_DIR, 'quick.md'), report);
    log(`bench: wrote bench/results/quick.json and quick.md (docs/benchmarks.md is written by full runs)`);
  } else {
    writeAtomic(join(ROOT, 'docs', 'benchmarks.md'), report);
    log(`bench: wrote bench/results/latest.json and docs/benchmarks.md`);
  }
  const failed = Object.values(outcomes).filter((o) => o.status === 'error' || o.status === 'timeout').length;
  log(`bench: done in ${meta.totalSeconds.toFixed(0)} s${failed ? `, ${failed} section(s) failed` : ''}`);
  return failed ? 1 : (process.exitCode as number | undefined) ?? 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.stack ?? e);
    killAllChildrenNow();
    process.exit(2);
  },
);
