// Set-based generator of the genealogy history for bench/trace.ts: lines of 10 levels (5,501 batches and
// 10,000 edges each), filler batches, and smaller lines to recall. Inserted directly into data.* by the
// superuser, a few statements per step, with every index in place. Triggers and foreign key checks are off
// while loading (session_replication_role = replica: the generated graph is layered, so acyclic, and every
// reference exists by construction). Stock rows are written
// without ledger rows (a benchmark database only). Node ids are kept in public.bench_trace_nodes.
import type { Sql } from 'postgres';

export interface TraceBrand {
  brand: string;
  owner: string;
  admin: string;
  viewer: string;
  product: string;
  location: string;
  location2: string;
  root(line: number): Promise<string>;
  node(line: number, level: number, idx: number): Promise<string>;
}

const OWNER = 'bench-trace-owner';

async function as<T>(sql: Sql, sub: string, q: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select app.act_as(${sub}, null)`;
    return q(tx as unknown as Sql);
  }) as Promise<T>;
}

export async function setupBrand(sql: Sql): Promise<TraceBrand> {
  const brand = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_brand('Trace bench')`)[0]!.id);
  await as(sql, OWNER, async (tx) => {
    await tx`select api.add_brand_member(${brand}, 'bench-trace-admin', 'admin')`;
    await tx`select api.add_brand_member(${brand}, 'bench-trace-viewer', 'viewer')`;
  });
  const product = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_product(${brand}, 'Bench product', _unit => 'kg')`)[0]!.id);
  const location = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_location(${brand}, 'Plant')`)[0]!.id);
  const location2 = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_location(${brand}, 'Depot')`)[0]!.id);
  await sql`create table if not exists public.bench_trace_nodes (line int, level int, idx int, id uuid not null default gen_random_uuid(),
                                                                 primary key (line, level, idx))`;
  const cache = new Map<string, string>();
  const node = async (line: number, level: number, idx: number) => {
    const k = `${line}/${level}/${idx}`;
    if (!cache.has(k)) {
      const [r] = await sql<{ id: string }[]>`select id from public.bench_trace_nodes where line = ${line} and level = ${level} and idx = ${idx}`;
      cache.set(k, r!.id);
    }
    return cache.get(k)!;
  };
  return { brand, owner: OWNER, admin: 'bench-trace-admin', viewer: 'bench-trace-viewer', product, location, location2, node, root: (line) => node(line, 0, 0) };
}

/**
 * Lines [from, to) of a layered DAG: level 0 one lot, level 1 `first` batches made from it, levels 2..`levels`
 * `width` batches each made from two of the level above ((2i) and (2i+1) modulo its width: every batch of a level
 * feeds the next). Batches, events (one per output, id = the output's id), edges and stock (at one or two locations).
 */
async function addLayered(sql: Sql, b: TraceBrand, from: number, to: number, shape: { first: number; width: number; levels: number; tag: string }): Promise<void> {
  const { first, width, levels, tag } = shape;
  await sql.begin(async (tx) => {
    // generated consistent by construction: skip the per-row foreign key and trigger checks while loading
    await tx`set local session_replication_role = replica`;
    await tx`
      insert into public.bench_trace_nodes (line, level, idx)
      select l, lv, i from generate_series(${from}::int, ${to - 1}::int) l
      cross join lateral (select 0 as lv, 0 as i
                          union all select 1, i from generate_series(0, ${first - 1}::int) i
                          union all select lv, i from generate_series(2, ${levels}::int) lv, generate_series(0, ${width - 1}::int) i) x`;
    await tx`
      insert into data.batches (brand_id, id, product_id, batch_number, status, quantity, unit, created_by)
      select ${b.brand}, n.id, ${b.product}, ${tag} || n.line || '-' || n.level || '-' || n.idx,
             case when n.level = 0 then 'received' else 'active' end, 100, 'kg', 'bench'
        from public.bench_trace_nodes n where n.line >= ${from} and n.line < ${to}`;
    await tx`
      insert into data.genealogy_events (brand_id, id, kind, location_id, created_by)
      select ${b.brand}, n.id, 'production', ${b.location}, 'bench'
        from public.bench_trace_nodes n where n.line >= ${from} and n.line < ${to} and n.level > 0`;
    await tx`
      insert into data.genealogy_edges (brand_id, input_batch_id, output_batch_id, event_id, kind, quantity, unit)
      select ${b.brand}, p.id, c.id, c.id, 'production', 1, 'kg'
        from public.bench_trace_nodes c
        cross join lateral (select case when c.level = 1 then 0
                                        else (2 * c.idx + k) % (case when c.level = 2 then ${first}::int else ${width}::int end) end as pidx
                              from generate_series(0, case when c.level = 1 then 0 else 1 end) k) pk
        join public.bench_trace_nodes p on p.line = c.line and p.level = c.level - 1 and p.idx = pk.pidx
       where c.line >= ${from} and c.line < ${to} and c.level > 0`;
    await tx`
      insert into data.stock (brand_id, batch_id, location_id, quantity)
      select ${b.brand}, n.id, case when n.idx % 2 = 0 then ${b.location}::uuid else ${b.location2}::uuid end, 100
        from public.bench_trace_nodes n where n.line >= ${from} and n.line < ${to}`;
  });
  await sql`vacuum analyze data.batches, data.genealogy_edges, data.genealogy_events, data.stock, public.bench_trace_nodes`;
}

/** Grow the traced history from `from` to `to` lines (10 levels, 5,501 batches and 10,000 edges each), in chunks. */
export async function addLines(sql: Sql, b: TraceBrand, from: number, to: number, log: (l: string) => void): Promise<void> {
  for (let l = from; l < to; l += 10) {
    const end = Math.min(to, l + 10);
    const t0 = performance.now();
    await addLayered(sql, b, l, end, { first: 1000, width: 500, levels: 10, tag: 'T' });
    log(`trace: lines ${l}..${end - 1} generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** Plain batches (no genealogy) until the brand holds `target` batches. */
export async function fillBatches(sql: Sql, b: TraceBrand, target: number, log: (l: string) => void): Promise<void> {
  const [c] = await sql<{ n: number }[]>`select count(*)::int as n from data.batches where brand_id = ${b.brand}`;
  for (let have = c!.n; have < target;) {
    const n = Math.min(200_000, target - have);
    await sql`
      insert into data.batches (brand_id, product_id, batch_number, status, quantity, unit, created_by)
      select ${b.brand}, ${b.product}, 'F-' || (${have}::int + i), 'received', 10, 'kg', 'bench' from generate_series(1, ${n}::int) i`;
    have += n;
    log(`trace: ${have.toLocaleString('en')} batches`);
  }
  await sql`analyze data.batches`;
}

/** `n` lines of 10 levels × 100 batches (1,000 downstream of each root); returns the roots. */
export async function addRecallLines(sql: Sql, b: TraceBrand, n: number, log: (l: string) => void): Promise<string[]> {
  const [m] = await sql<{ max: number | null }[]>`select max(line) as max from public.bench_trace_nodes`;
  const from = (m!.max ?? -1) + 1;
  await addLayered(sql, b, from, from + n, { first: 100, width: 100, levels: 10, tag: 'RC' });
  log(`trace: ${n} recall lines generated`);
  const roots: string[] = [];
  for (let l = from; l < from + n; l++) roots.push(await b.root(l));
  return roots;
}
