// Closed-loop load issued directly with postgres.js: `connections` clients, each sending its next
// transaction as soon as the previous one committed, for a fixed duration.
import postgres, { type Sql } from 'postgres';
import { summarize, type LoadResult } from './stats.ts';

export interface DirectSpec {
  url: string;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** one request: a whole transaction; `i` counts requests of this run (unique values for writes) */
  call: (sql: Sql, i: number) => Promise<unknown>;
}

export async function directLoad(spec: DirectSpec): Promise<LoadResult> {
  const sql = postgres(spec.url, { max: spec.connections, onnotice: () => {}, idle_timeout: 30 });
  let counter = 0;
  try {
    // open every connection before the clock starts (the gateway's pool is warm too)
    await Promise.all(Array.from({ length: spec.connections }, () => sql`select 1`));
    const phase = async (seconds: number, record: boolean) => {
      const samples: number[] = [];
      let ok = 0;
      let failed = 0;
      let firstError: string | undefined;
      const start = performance.now();
      const end = start + seconds * 1000;
      const worker = async () => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await spec.call(sql, counter++);
            ok++;
            if (record) samples.push(performance.now() - t);
          } catch (e) {
            failed++;
            firstError ??= (e as Error).message;
            if (failed > 1000 && ok === 0) break;
          }
        }
      };
      await Promise.all(Array.from({ length: spec.connections }, worker));
      return { samples, ok, failed, firstError, durationSec: (performance.now() - start) / 1000 };
    };
    if (spec.warmupSec > 0) await phase(spec.warmupSec, false);
    const r = await phase(spec.durationSec, true);
    return {
      ...summarize(r.samples),
      connections: spec.connections,
      durationSec: r.durationSec,
      rps: r.ok / r.durationSec,
      ok: r.ok,
      failed: r.failed,
      firstError: r.firstError,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
