// search_batches runs one static statement per shape (cached generic plans) instead of SQL built per call.
// This property test holds it to the meaning of its filters: for random combinations of every filter, sort,
// direction, limit and paging, the pages equal a reference SELECT written straight from the documented
// rules (run as the superuser), and following next_cursor walks the whole ordered result without overlap.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { useDoor } from '../support/doors.ts';
import { must } from '../support/door.ts';

const t = useDoor('sql');
const owner = { sub: 'search-owner' };
let brand: string;
let products: { id: string; sku: string; ean: string; article_code: string; name: string }[];
const STATUSES = ['active', 'received', 'in_testing', 'ready_for_sale'];

beforeAll(async () => {
  const door = t.door();
  brand = must<{ id: string }>(await door.call(owner, 'create_brand', { _name: 'Search equivalence' })).id;
  products = [];
  for (const [i, name] of ['Honey jar', 'Oat drink', 'Wild honey', 'Rye bread'].entries()) {
    products.push(must(await door.call(owner, 'create_product', {
      _brand_id: brand, _name: name, _sku: `SKU-${i % 2}`, _ean: `EAN-${i}`, _article_code: `ART-${i % 3}`,
    })));
  }
  // 80 batches: timestamps with ties (same created_at for pairs), statuses and received dates spread
  await t.db.admin`
    insert into data.batches (brand_id, product_id, batch_number, status, received_date, created_at, updated_at)
    select ${brand}::uuid, (${products.map((p) => p.id)}::uuid[])[1 + i % 4], 'LOT-' || i || case when i % 7 = 0 then '-honey' else '' end,
           (${STATUSES}::text[])[1 + (i * 7) % 4], date '2026-01-01' + (i % 20),
           timestamptz '2026-01-01 00:00:00+00' + (i / 2) * interval '1 hour',
           timestamptz '2026-02-01 00:00:00+00' + ((i * 37) % 50) * interval '1 hour'
      from generate_series(1, 80) i`;
}, 60_000);

interface Args {
  product?: number; status?: string; term?: string; sku?: string; article?: string;
  createdFrom?: number; updatedTo?: number; receivedFrom?: number; receivedTo?: number;
  sort: 'id' | 'created_at' | 'updated_at'; dir: 'asc' | 'desc'; limit: number; page?: number;
}

const argsArb: fc.Arbitrary<Args> = fc.record({
  product: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 1 }),
  status: fc.option(fc.constantFrom(...STATUSES, 'RECEIVED'), { nil: undefined, freq: 1 }),
  term: fc.option(fc.constantFrom('honey', 'LOT-1', 'oat', 'xyz'), { nil: undefined, freq: 1 }),
  sku: fc.option(fc.constantFrom('SKU-0', 'SKU-1'), { nil: undefined, freq: 1 }),
  article: fc.option(fc.constantFrom('ART-0', 'ART-2'), { nil: undefined, freq: 1 }),
  createdFrom: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined, freq: 1 }),
  updatedTo: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined, freq: 1 }),
  receivedFrom: fc.option(fc.integer({ min: 0, max: 19 }), { nil: undefined, freq: 1 }),
  receivedTo: fc.option(fc.integer({ min: 0, max: 19 }), { nil: undefined, freq: 1 }),
  sort: fc.constantFrom('id', 'created_at', 'updated_at'),
  dir: fc.constantFrom('asc', 'desc'),
  limit: fc.integer({ min: 1, max: 30 }),
  page: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined, freq: 1 }),
}, { requiredKeys: ['sort', 'dir', 'limit'] });

const hours = (base: string, h: number) => new Date(Date.parse(base) + h * 3_600_000).toISOString();
const day = (d: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + d * 86_400_000).toISOString().slice(0, 10);

function apiArgs(a: Args): Record<string, unknown> {
  const x: Record<string, unknown> = { _brand_id: brand, _sort: a.sort, _direction: a.dir, _limit: a.limit, _include_total: true };
  if (a.product !== undefined) x._product_id = products[a.product]!.id;
  if (a.status) x._status = a.status;
  if (a.term) x._term = a.term;
  if (a.sku) x._sku = a.sku;
  if (a.article) x._article_code = a.article;
  if (a.createdFrom !== undefined) x._created_from = hours('2026-01-01T00:00:00Z', a.createdFrom);
  if (a.updatedTo !== undefined) x._updated_to = hours('2026-02-01T00:00:00Z', a.updatedTo);
  if (a.receivedFrom !== undefined) x._received_from = day(a.receivedFrom);
  if (a.receivedTo !== undefined) x._received_to = day(a.receivedTo);
  return x;
}

/** The documented meaning of the filters and the order, as one plain SELECT: all matching ids in order. */
async function reference(a: Args): Promise<string[]> {
  const x = apiArgs(a);
  const like = a.term ? `%${a.term}%` : null;
  const rows = await t.db.admin.unsafe<{ id: string }[]>(
    `select b.id::text from data.batches b
      where b.brand_id = $1 and ($2::uuid is null or b.product_id = $2) and ($3::text is null or b.status = lower($3))
        and ($4::text is null or b.batch_number ilike $4 or exists (select from data.products p where p.brand_id = b.brand_id and p.id = b.product_id
             and (p.name ilike $4 or p.sku ilike $4 or p.ean ilike $4 or p.article_code ilike $4)))
        and ($5::text is null or exists (select from data.products p where p.brand_id = b.brand_id and p.id = b.product_id and p.sku = $5))
        and ($6::text is null or exists (select from data.products p where p.brand_id = b.brand_id and p.id = b.product_id and p.article_code = $6))
        and ($7::timestamptz is null or b.created_at >= $7) and ($8::timestamptz is null or b.updated_at < $8)
        and ($9::date is null or b.received_date >= $9) and ($10::date is null or b.received_date <= $10)
      order by b.${a.sort} ${a.dir}, b.id ${a.dir}`,
    [brand, (x._product_id as string) ?? null, a.status ?? null, like, a.sku ?? null, a.article ?? null,
     (x._created_from as string) ?? null, (x._updated_to as string) ?? null, (x._received_from as string) ?? null, (x._received_to as string) ?? null]);
  return rows.map((r) => r.id);
}

describe('search_batches: every shape means what its filters say', () => {
  it('pages equal the reference SELECT; cursors walk it all; totals count it', async () => {
    const door = t.door();
    await fc.assert(fc.asyncProperty(argsArb, async (a) => {
      const want = await reference(a);
      const x = apiArgs(a);
      if (a.page !== undefined) {
        const p = must<{ items: { id: string }[]; total: number }>(await door.call(owner, 'search_batches', { ...x, _page: a.page }));
        expect(p.items.map((i) => i.id)).toEqual(want.slice((a.page - 1) * a.limit, a.page * a.limit));
        expect(p.total).toBe(want.length);
        return;
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 100; i++) {
        type Page = { items: { id: string }[]; next_cursor: string | null; total: number };
        const p: Page = must<Page>(
          await door.call(owner, 'search_batches', cursor ? { ...x, _cursor: cursor } : x));
        expect(p.total).toBe(want.length);
        seen.push(...p.items.map((r) => r.id));
        cursor = p.next_cursor;
        if (!cursor) break;
      }
      expect(seen).toEqual(want);
    }), {
      numRuns: 80, seed: 17,
      // each static statement at least once: term by id both ways, status by created_at both ways,
      // product in every order, each sort × direction, totals with and without filters, cursors deep
      examples: [
        [{ term: 'honey', sort: 'id', dir: 'desc', limit: 2 }], [{ term: 'LOT-1', sort: 'id', dir: 'asc', limit: 3, sku: 'SKU-0' }],
        [{ term: 'oat', sort: 'id', dir: 'desc', limit: 4, page: 2 }],
        [{ status: 'received', sort: 'created_at', dir: 'desc', limit: 3 }], [{ status: 'RECEIVED', sort: 'created_at', dir: 'asc', limit: 4 }],
        [{ product: 1, sort: 'updated_at', dir: 'asc', limit: 3 }], [{ product: 2, sort: 'id', dir: 'desc', limit: 4 }],
        [{ product: 0, sort: 'created_at', dir: 'desc', limit: 2, status: 'active' }],
        [{ sort: 'id', dir: 'asc', limit: 7 }], [{ sort: 'created_at', dir: 'desc', limit: 7 }], [{ sort: 'created_at', dir: 'asc', limit: 7 }],
        [{ sort: 'updated_at', dir: 'desc', limit: 7 }], [{ sort: 'updated_at', dir: 'asc', limit: 7, page: 3 }],
        [{ sort: 'id', dir: 'desc', limit: 5, receivedFrom: 3, receivedTo: 9, createdFrom: 5 }],
      ],
    });
  }, 120_000);
});
