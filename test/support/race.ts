// Shared by the concurrency tests of the SQL door: one call in its own committed transaction (failures
// returned, not thrown), a start barrier, tallies, and the stock invariants of docs/inventory.md.
import { expect } from 'vitest';
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

/** One call in its own transaction on `pool`; failures are returned, not thrown. */
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

export interface Tally { calls: number; ok: number; conflicts: number; other: string[] }

/** Successes, business conflicts (PT409) and anything else (which a race test expects to be none). */
export function tally(rs: Outcome<unknown>[], conflictCodes: string[] = ['PT409']): Tally {
  return {
    calls: rs.length,
    ok: rs.filter((r) => r.ok).length,
    conflicts: rs.filter((r) => r.code !== undefined && conflictCodes.includes(r.code)).length,
    other: rs.filter((r) => !r.ok && !conflictCodes.includes(r.code!)).map((r) => `${r.code} ${r.message}`),
  };
}

/** The invariants of docs/inventory.md, checked over one brand as the superuser. */
export async function checkStockInvariants(admin: Sql, brand: string): Promise<void> {
  const ledgerMismatch = await admin`
    select s.batch_id, s.location_id, s.quantity, s.committed, m.q, m.c
      from data.stock s
      full join (select batch_id, location_id, sum(quantity_delta) as q, sum(committed_delta) as c
                   from data.stock_movements where brand_id = ${brand} group by 1, 2) m
        on m.batch_id = s.batch_id and m.location_id = s.location_id
     where (s.brand_id = ${brand} or s.brand_id is null)
       and (s.quantity is distinct from m.q or s.committed is distinct from m.c)`;
  expect(ledgerMismatch, 'ledger sums = stock table').toEqual([]);
  const negative = await admin`
    select * from data.stock where brand_id = ${brand} and (quantity < 0 or committed < 0 or committed > quantity or available < 0)`;
  expect(negative, 'nothing negative, committed <= quantity').toEqual([]);
  const committed = await admin`
    select s.batch_id, s.location_id, s.committed, coalesce(p.q, 0) as reserved
      from data.stock s
      left join (select x.batch_id, x.location_id, sum(x.quantity) as q from (
                   select l.batch_id, t.from_location_id as location_id, l.quantity
                     from data.transfer_lines l join data.transfers t on t.brand_id = l.brand_id and t.id = l.transfer_id
                    where t.brand_id = ${brand} and t.status = 'pending'
                   union all
                   select l.batch_id, k.location_id, l.quantity
                     from data.pick_lines l join data.picks k on k.brand_id = l.brand_id and k.id = l.pick_id
                    where k.brand_id = ${brand} and k.status = 'reserved') x group by 1, 2) p
        on p.batch_id = s.batch_id and p.location_id = s.location_id
     where s.brand_id = ${brand} and s.committed <> coalesce(p.q, 0)`;
  expect(committed, 'committed = pending transfers leaving + reserved picks').toEqual([]);
  // stock only moves between locations, or enters/leaves by a receipt, adjustment, pick or genealogy event:
  // per batch, on hand = receipts + adjustments + picks + consumption + production
  const conservation = await admin`
    select b.batch_id from (
      select batch_id, sum(quantity) as q from data.stock where brand_id = ${brand} group by 1) b
      join (select batch_id, sum(quantity_delta) filter (where kind in ('receipt', 'adjustment', 'pick', 'consumption', 'production')) as q
              from data.stock_movements where brand_id = ${brand} group by 1) m on m.batch_id = b.batch_id
     where b.q is distinct from coalesce(m.q, 0)`;
  expect(conservation, 'transfers neither create nor destroy stock').toEqual([]);
  // accepted transfers moved exactly once; others never moved
  const moved = await admin`
    select t.id, t.status from data.transfers t
     where t.brand_id = ${brand}
       and ((select count(*) from data.stock_movements m where m.brand_id = t.brand_id and m.transfer_id = t.id and m.kind = 'transfer_in')
            <> case when t.status = 'accepted' then (select count(*) from data.transfer_lines l where l.brand_id = t.brand_id and l.transfer_id = t.id) else 0 end
         or (select count(*) from data.stock_movements m where m.brand_id = t.brand_id and m.transfer_id = t.id and m.kind = 'transfer_out')
            <> case when t.status = 'accepted' then (select count(*) from data.transfer_lines l where l.brand_id = t.brand_id and l.transfer_id = t.id) else 0 end)`;
  expect(moved, 'accepted transfers moved exactly once').toEqual([]);
  // picked lists took their lines out exactly once; others never did
  const picked = await admin`
    select k.id, k.status from data.picks k
     where k.brand_id = ${brand}
       and (select count(*) from data.stock_movements m where m.brand_id = k.brand_id and m.pick_id = k.id and m.kind = 'pick')
           <> case when k.status = 'picked' then (select count(*) from data.pick_lines l where l.brand_id = k.brand_id and l.pick_id = k.id) else 0 end`;
  expect(picked, 'picked lists took their stock out exactly once').toEqual([]);
}
