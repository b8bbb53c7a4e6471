// Section "flood": one tenant floods the pool; what anonymous consumers see.
//
//   npm run bench -- flood       bench/run.ts calls run(opts) with its own database
//
// A brand with a verified GTIN and 2,000 minted serials. Anonymous POST /rpc/resolve_serial (no token),
// 2 clients, first with nothing else running (idle), then while 16 parallel clients of ONE tenant loop
// authenticated mint_serials of 9,000 serials each (below the job threshold: each call mints itself),
// more than the pool's authenticated share can run. Run twice: with the default share (a fifth of the
// pool kept for anonymous callers) and with LOTLINE_POOL_ANON_RESERVED=0 (nothing kept), for comparison.
import postgres, { type Sql } from 'postgres';
import type { BenchOptions, GatewayHandle, SectionResult } from './lib/context.ts';

const OWNER = 'bench-flood-owner';
const OPERATOR = 'bench-flood-operator';
const r1 = (x: number) => Math.round(x * 10) / 10;

interface Lat { n: number; p50_ms: number; p99_ms: number; max_ms: number; non_2xx: number; statuses: Record<string, number> }

function lat(ms: number[], statuses: number[]): Lat {
  const a = Float64Array.from(ms).sort();
  const pct = (p: number) => (a.length ? a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))]! : NaN);
  const by: Record<string, number> = {};
  for (const s of statuses) by[s] = (by[s] ?? 0) + 1;
  return { n: a.length, p50_ms: r1(pct(50)), p99_ms: r1(pct(99)), max_ms: r1(a.length ? a[a.length - 1]! : NaN), non_2xx: statuses.filter((s) => s < 200 || s > 299).length, statuses: by };
}

async function as<T>(sql: Sql, sub: string, q: (tx: postgres.TransactionSql) => Promise<T>, scope: string | null = null): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`select app.act_as(${sub}, ${scope})`;
    return q(tx);
  }) as Promise<T>;
}

async function resolves(url: string, codes: string[], seconds: number, clients: number): Promise<Lat> {
  const ms: number[] = [];
  const st: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const res = await fetch(`${url}/rpc/resolve_serial`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ _code: codes[Math.floor(Math.random() * codes.length)] }) });
      await res.text();
      ms.push(performance.now() - t0);
      st.push(res.status);
    }
  }));
  return lat(ms, st);
}

async function scenario(gw: GatewayHandle, codes: string[], brand: string, batch: string, seconds: number) {
  const idle = await resolves(gw.url, codes, seconds, 2);
  const token = await gw.token(OWNER);
  let stop = false;
  const floodStatuses: number[] = [];
  const flood = Array.from({ length: 16 }, async () => {
    while (!stop) {
      const res = await fetch(`${gw.url}/rpc/mint_serials`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ _brand_id: brand, _batch_id: batch, _count: 9000 }) });
      await res.text();
      floodStatuses.push(res.status);
    }
  });
  await new Promise((r) => setTimeout(r, 1000)); // the flood fills the pool
  const during = await resolves(gw.url, codes, seconds, 2);
  stop = true;
  await Promise.all(flood);
  return { idle, during, flood: lat([], floodStatuses).statuses };
}

export async function run(opts: BenchOptions): Promise<SectionResult> {
  const seconds = opts.quick ? 3 : 10;
  const sql = postgres(opts.adminUrl, { max: 2, onnotice: () => {} });
  try {
    const brand = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_brand('Flood bench')`)[0]!.id);
    const product = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`
      select id from api.create_product(${brand}, 'Flood product', _gtin => '09506000134352', _serialized => true)`)[0]!.id);
    const claim = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.claim_gtin_prefix(${brand}, '9506000', 'Flood bench')`)[0]!.id);
    await as(sql, OPERATOR, (tx) => tx`select api.verify_gtin_claim(${brand}, ${claim})`, 'platform:admin');
    const batch = await as(sql, OWNER, async (tx) => (await tx<{ id: string }[]>`select id from api.create_product_batch(${brand}, ${product}, 'FLOOD-1')`)[0]!.id);
    await as(sql, OWNER, (tx) => tx`select minted from api.mint_serials(${brand}, ${batch}, 2000)`);
    const codes = (await sql<{ code: string }[]>`select code from data.serials where brand_id = ${brand} limit 2000`).map((r) => r.code);
    // the flood mints millions: no daily quota in this database
    const db = (await sql<{ db: string }[]>`select current_database() as db`)[0]!.db;
    await sql.unsafe(`alter database "${db}" set lotline.quota_serials_per_day = 0`);

    const out: Record<string, unknown> = {};
    for (const [name, env] of [['reserved', {}], ['nothing_reserved', { LOTLINE_POOL_ANON_RESERVED: '0' }]] as const) {
      const gw = await opts.startGateway({ poolSize: 10, env });
      try {
        out[name] = await scenario(gw, codes, brand, batch, seconds);
        opts.log(`flood (${name}): resolve_serial p50/p99 idle ${JSON.stringify((out[name] as { idle: Lat }).idle)} during ${JSON.stringify((out[name] as { during: Lat }).during)}`);
      } finally {
        await gw.close();
      }
    }
    const row = (label: string, x: { idle: Lat; during: Lat; flood: Record<string, number> }) =>
      `| ${label} | ${x.idle.p50_ms} / ${x.idle.p99_ms} ms (${x.idle.n}) | ${x.during.p50_ms} / ${x.during.p99_ms} ms (${x.during.n}; max ${x.during.max_ms} ms) | ${x.during.non_2xx} ${JSON.stringify(x.during.statuses)} | ${JSON.stringify(x.flood)} |`;
    const markdown = [
      `Anonymous \`resolve_serial\` (2 clients, ${seconds} s each) with nothing else running, then while one tenant runs 16 parallel clients looping \`mint_serials\` of 9,000 serials (pool of 10).`,
      '',
      '| pool | idle p50 / p99 (requests) | under flood p50 / p99 | anonymous answers not 2xx | flood calls by status |',
      '|:--|:--|:--|:--|:--|',
      row('2 of 10 kept for anonymous (default)', out.reserved as never),
      row('nothing kept (`LOTLINE_POOL_ANON_RESERVED=0`)', out.nothing_reserved as never),
    ].join('\n');
    return { seconds, ...out, markdown };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
