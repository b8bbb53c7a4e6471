// The generated zod schemas and the database agree on lotline's value domains: for generated values,
// generated/zod.ts accepts exactly what the domain's CHECK accepts (data.iso_date, data.quantity), and
// app.iso_date_ok (the exception-free predicate the JSON and sync paths use) says the same as the domain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDb, type TestDb } from '../support/db.ts';
import { isoDate, quantity, schemas } from '../../generated/zod.ts';
import { ZOD_DOMAINS } from '../../src/codegen/domains.ts';
import { BAD_DATES, BAD_QUANTITIES, GOOD_DATES, GOOD_QUANTITIES } from '../cases/values.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.drop();
});

/** Does the database take `text` as a value of `domain`? And what does app.iso_date_ok say (dates)? */
async function dbAccepts(domain: string, text: string): Promise<boolean> {
  try {
    await db.admin.unsafe(`select $1::text::${domain}`, [text]);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code !== '23514') throw e;
    return false;
  }
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
// dates near and across every edge: the range, month lengths, leap years, and non-ISO spellings
const dateText = fc.oneof(
  fc.tuple(fc.integer({ min: 1850, max: 10_050 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`),
  fc.tuple(fc.constantFrom(1900, 1904, 2000, 2023, 2024, 2100, 2400, 9996, 9999), fc.constantFrom(2, 4, 12), fc.integer({ min: 27, max: 31 }))
    .map(([y, m, d]) => `${y}-${pad(m, 2)}-${d}`),
  fc.constantFrom(...BAD_DATES, ...GOOD_DATES),
  fc.string({ maxLength: 12 }),
);
// numbers as a JSON client writes them: few digits, many decimals, huge and tiny magnitudes
const quantityNumber = fc.oneof(
  fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 9 })).map(([m, e]) => m / 10 ** e),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 1e-6, 1e-7, 999999999999999, 999999999999999.5, 1e15, -1e15, -999999999999999, 5e-324, 1.7976931348623157e308),
);

describe('generated zod ⇔ database domains', () => {
  it('every domain of an exposed function\'s argument has a zod mapping', async () => {
    const rows = await db.admin<{ domain: string }[]>`
      select distinct format('%s.%s', n.nspname, t.typname) as domain
        from pg_proc p cross join lateral unnest(p.proargtypes::oid[]) a (oid)
        join pg_type t on t.oid = a.oid join pg_namespace n on n.oid = t.typnamespace
       where p.pronamespace = 'api'::regnamespace and t.typtype = 'd'`;
    expect(rows.map((r) => r.domain).filter((d) => !(d in ZOD_DOMAINS))).toEqual([]);
  });

  it('dates: zod isoDate, data.iso_date and app.iso_date_ok accept the same strings', async () => {
    await fc.assert(fc.asyncProperty(dateText, async (s) => {
      const z = isoDate.safeParse(s).success;
      expect(await dbAccepts('data.iso_date', s), s).toBe(z);
      const [r] = await db.admin<{ ok: boolean | null }[]>`select app.iso_date_ok(${s}) as ok`;
      expect(r!.ok, s).toBe(z);
    }), { numRuns: 400, seed: 7 });
  });

  it('quantities: zod quantity and data.quantity accept the same numbers (the JSON text a client sends)', async () => {
    await fc.assert(fc.asyncProperty(quantityNumber, async (q) => {
      expect(await dbAccepts('data.quantity', JSON.stringify(q)), String(q)).toBe(quantity.safeParse(q).success);
    }), { numRuns: 400, seed: 7 });
    for (const q of GOOD_QUANTITIES) expect(quantity.safeParse(Number(q)).success, q).toBe(true);
    for (const q of BAD_QUANTITIES.filter((x) => Number.isFinite(Number(x)) && String(Number(x)) === x)) {
      expect(quantity.safeParse(Number(q)).success, q).toBe(false);
    }
  });

  it('a generated Args schema refuses what the function refuses', () => {
    const args = schemas.api.Functions.create_product_batch.Args;
    const base = { _brand_id: '00000000-0000-4000-8000-000000000000', _product_id: '00000000-0000-4000-8000-000000000000', _batch_number: 'X' };
    for (const d of BAD_DATES) expect(args.safeParse({ ...base, _production_date: d }).success, d).toBe(false);
    for (const d of GOOD_DATES) expect(args.safeParse({ ...base, _expiry_date: d }).success, d).toBe(true);
    expect(args.safeParse({ ...base, _quantity: 1e-7 }).success).toBe(false);
    expect(args.safeParse({ ...base, _quantity: 0.000001 }).success).toBe(true);
  });
});
