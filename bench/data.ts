// Seeded, set-based generator of the scale data set: brands, members, products and batches inserted
// directly into data.* by the superuser, a few statements per step, with every index in place.
//
// Shape per brand (constant, so cost growth shows the table growing, not the brand):
//   members  owner-<n> (owner), viewer-<n> (viewer)
//   products 20 (names from a word list, SKU, EAN, article code)
//   batches  1,000 (50 per product), statuses weighted, dates over two years, rows of all brands of a
//            step interleaved in creation order, as they would be in a shared table
//
// Determinism: ids and public ids are md5 of (kind, brand, index); every random column comes from
// random() after setseed(), one seed per step, and the steps are always the same list of brand
// counts, so two runs build the same rows whatever sections were chosen.
import type { Sql } from 'postgres';
import { createHash } from 'node:crypto';

export interface Shape {
  productsPerBrand: number;
  batchesPerBrand: number;
}

export const SHAPE: Shape = { productsPerBrand: 20, batchesPerBrand: 1000 };

/** Brand counts of the growth steps: 10k, 100k, 1M batches (quick: 1k, 5k, 20k). */
export function steps(quick: boolean): number[] {
  return quick ? [1, 5, 20] : [10, 100, 1000];
}

export const brandId = (n: number) => uuidOf(`brand:${n}`);
export const productId = (n: number, k: number) => uuidOf(`product:${n}:${k}`);

function uuidOf(s: string): string {
  const h = createHash('md5').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Number of generated brands present (they are numbered 1..n). */
export async function brandCount(sql: Sql): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from data.brands where slug like 'bench-%'`;
  return r!.n;
}

export interface StepTiming {
  fromBrand: number;
  toBrand: number;
  batches: number;
  seconds: number;
}

/** Generate brands (from, to] with their members, products and batches. */
export async function generateStep(sql: Sql, from: number, to: number, shape: Shape = SHAPE): Promise<StepTiming> {
  const t0 = performance.now();
  const nb = to - from;
  const P = shape.productsPerBrand;
  const B = shape.batchesPerBrand;
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local synchronous_commit = off`);
    await tx.unsafe(`set local maintenance_work_mem = '256MB'`);
    await tx.unsafe(`set local work_mem = '64MB'`);
    // one seed per step: the same step always produces the same rows
    await tx.unsafe(`select setseed($1)`, [((to * 7919) % 10000) / 10000 - 0.5]);
    await tx.unsafe(
      `insert into data.brands (id, name, slug, created_by, created_at, updated_at)
       select md5('brand:' || n)::uuid, 'Bench brand ' || n, 'bench-' || n, 'owner-' || n,
              timestamptz '2023-12-01 00:00:00+00' + n * interval '1 minute',
              timestamptz '2023-12-01 00:00:00+00' + n * interval '1 minute'
         from generate_series($1::int + 1, $2::int) n`,
      [from, to],
    );
    await tx.unsafe(
      `insert into data.brand_members (brand_id, user_id, role)
       select md5('brand:' || n)::uuid, u.who || n, u.role
         from generate_series($1::int + 1, $2::int) n,
              (values ('owner-', 'owner'), ('viewer-', 'viewer')) u(who, role)`,
      [from, to],
    );
    await tx.unsafe(
      `with words(w) as (select array['Organic','Alpine','Roasted','Cold','Pressed','Wild','Honey','Oat','Coffee',
                                      'Olive','Oil','Cheese','Salmon','Cocoa','Tea','Berry','Vanilla','Sea','Salt',
                                      'Rye','Bread','Cider','Mustard','Pepper','Mango','Lemon','Ginger','Maple'])
       insert into data.products (brand_id, id, external_id, name, sku, ean, article_code, unit, created_at, updated_at)
       select md5('brand:' || n)::uuid, md5('product:' || n || ':' || k)::uuid, 'P-' || k,
              w[1 + floor(random() * 28)::int] || ' ' || w[1 + floor(random() * 28)::int] || ' ' || k,
              'SKU-' || lpad(k::text, 4, '0'),
              (1000000000000 + floor(random() * 8999999999999))::bigint::text,
              'ART-' || lpad((n * 100 + k)::text, 7, '0'), 'pcs',
              timestamptz '2023-12-15 00:00:00+00', timestamptz '2023-12-15 00:00:00+00'
         from words, generate_series($1::int + 1, $2::int) n, generate_series(1, $3::int) k`,
      [from, to, P],
    );
    // g runs over the step's rows in creation order; consecutive rows belong to different brands
    await tx.unsafe(
      `insert into data.batches (brand_id, id, product_id, batch_number, external_id, status, production_date,
                                 received_date, expiry_date, quantity, unit, facility_ref, public_id, created_by,
                                 created_at, updated_at)
       select md5('brand:' || n)::uuid, md5('batch:' || n || ':' || j)::uuid,
              md5('product:' || n || ':' || (1 + (j - 1) % $2::int))::uuid,
              'L' || to_char(c, 'YYMMDD') || '-' || lpad(j::text, 4, '0'),
              'EXT-' || j,
              case when r < 0.45 then 'active' when r < 0.65 then 'received' when r < 0.80 then 'ready_for_sale'
                   when r < 0.87 then 'in_testing' when r < 0.92 then 'processing' when r < 0.95 then 'in_transfer'
                   when r < 0.97 then 'recalled' else 'archived' end,
              c::date - 2, c::date + (random() * 10)::int, c::date + 365, floor(random() * 10000), 'pcs',
              'FAC-' || floor(random() * 20)::int,
              translate(rtrim(encode(decode(md5('public:' || n || ':' || j), 'hex'), 'base64'), '='), '+/', '-_'),
              'owner-' || n, c, c + random() * interval '30 days'
         from (select g, n, j, random() as r,
                      timestamptz '2024-01-01 00:00:00+00' + (j - 1) * (interval '730 days' / $3::int)
                        + random() * interval '12 hours' as c
                 from generate_series(0, $4::bigint - 1) g,
                      lateral (select $1::int + 1 + (g % $5::int)::int as n, 1 + (g / $5::int)::int as j) x) s`,
      [from, P, B, nb * B, nb],
    );
  });
  await sql.unsafe(`analyze data.brands, data.brand_members, data.products, data.batches`);
  return { fromBrand: from, toBrand: to, batches: nb * B, seconds: (performance.now() - t0) / 1000 };
}

/** Grow the data set to `target` brands through the fixed steps; returns the timing of each step run. */
export async function growTo(sql: Sql, target: number, quick: boolean, log: (l: string) => void = () => {}): Promise<StepTiming[]> {
  const out: StepTiming[] = [];
  let have = await brandCount(sql);
  for (const s of steps(quick)) {
    if (s > target) break;
    if (have >= s) continue;
    log(`data: generating brands ${have + 1}..${s} (${((s - have) * SHAPE.batchesPerBrand).toLocaleString('en')} batches)`);
    const t = await generateStep(sql, have, s);
    log(`data: ${t.batches.toLocaleString('en')} batches in ${t.seconds.toFixed(1)} s`);
    out.push(t);
    have = s;
  }
  return out;
}

/** Counts and on-disk sizes of the generated tables. */
export async function datasetSize(sql: Sql): Promise<{ brands: number; products: number; batches: number; batchesHeap: string; batchesIndexes: string }> {
  const [r] = await sql<{ brands: number; products: number; batches: number; heap: string; idx: string }[]>`
    select (select count(*)::int from data.brands) as brands,
           (select count(*)::int from data.products) as products,
           (select count(*)::int from data.batches) as batches,
           pg_size_pretty(pg_table_size('data.batches')) as heap,
           pg_size_pretty(pg_indexes_size('data.batches')) as idx`;
  return { brands: r!.brands, products: r!.products, batches: r!.batches, batchesHeap: r!.heap, batchesIndexes: r!.idx };
}
