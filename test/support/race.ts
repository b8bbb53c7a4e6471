// Helpers for concurrency tests: one call in its own committed transaction through the SQL door (failures
// returned, not thrown), a barrier that starts calls together, and a tally of the outcomes.
import type { Sql, TransactionSql } from 'postgres';
import { asUser } from './db.ts';
import type { Who } from './door.ts';

export interface Outcome<T> {
  ok: boolean;
  value?: T;
  code?: string;
  details?: Record<string, unknown>;
  message?: string;
}

/** One call in its own transaction as `who`; a database error is returned as an outcome. */
export async function call<T>(pool: Sql, who: Who, fn: (tx: TransactionSql) => Promise<T>, barrier?: Promise<void>): Promise<Outcome<T>> {
  try {
    const value = await asUser(pool, who, async (tx) => {
      if (barrier) await barrier;
      return fn(tx);
    });
    return { ok: true, value };
  } catch (e) {
    const pe = e as { code?: string; detail?: string; message: string };
    if (!pe.code) throw e;
    let details: Record<string, unknown> | undefined;
    try {
      details = pe.detail ? (JSON.parse(pe.detail) as Record<string, unknown>) : undefined;
    } catch {
      details = undefined;
    }
    return { ok: false, code: pe.code, details, message: pe.message };
  }
}

/** A promise that resolves once `n` parties have arrived (each transaction open, role set). */
export function barrier(n: number): { arrive: () => Promise<void> } {
  let count = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => (release = r));
  return {
    arrive: () => {
      count++;
      if (count === n) release();
      return all;
    },
  };
}

/** Calls, successes, business conflicts (PT409) and anything else (which a race must not produce). */
export function tally(rs: Outcome<unknown>[]): { calls: number; ok: number; conflicts: number; other: string[] } {
  return {
    calls: rs.length,
    ok: rs.filter((r) => r.ok).length,
    conflicts: rs.filter((r) => r.code === 'PT409').length,
    other: rs.filter((r) => !r.ok && r.code !== 'PT409').map((r) => `${r.code} ${r.message}`),
  };
}
