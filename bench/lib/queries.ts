// The read queries measured at scale, each in two forms:
//   api   — the RPC as a client calls it (select * from api.<fn>(...)), including require_role,
//           PL/pgSQL and the dynamic SQL inside;
//   plain — the equivalent hand-written SELECT on data.batches with the brand filter, what the
//           table owner would run, as a prepared statement (postgres.js default: planned once);
//   plain_sp — the same SELECT sent as text (simple protocol, planned on every call, as psql does
//           and as the RPC's dynamic SQL is).
// and under two identities:
//   member — role authenticated with the JWT claims of viewer-<n> (RLS applies), as the gateway does;
//   owner  — the superuser without a role switch (RLS does not apply; the claims are still set so
//            the api functions' own membership check passes).
// Only the query statement is timed; the transaction framing (BEGIN, set_config, COMMIT) is the same
// for every variant and is not.
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { brandId, productId, SHAPE } from '../data.ts';
import { rng, summarize, round, type LatencySummary } from './stats.ts';

export type Form = 'api' | 'plain' | 'plain_sp';
export type Who = 'member' | 'owner';

interface Args {
  brand: string;
  product: string;
}

export interface QueryDef {
  name: string;
  description: string;
  api: (tx: TransactionSql, a: Args) => Promise<unknown>;
  plain: (tx: TransactionSql, a: Args) => Promise<unknown>;
  /** the plain query's text with literals, for EXPLAIN */
  plainText: (a: Args) => string;
  /** the api call's text with literals, for auto_explain */
  apiText: (a: Args) => string;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const QUERIES: QueryDef[] = [
  {
    name: 'search_default',
    description: 'search_batches, no filter, newest id first, limit 50',
    api: (tx, a) => tx`select * from api.search_batches(_brand_id => ${a.brand}::uuid)`,
    plain: (tx, a) => tx`select * from data.batches b where b.brand_id = ${a.brand}::uuid order by b.id desc limit 51`,
    apiText: (a) => `select * from api.search_batches(_brand_id => ${lit(a.brand)}::uuid)`,
    plainText: (a) => `select * from data.batches b where b.brand_id = ${lit(a.brand)}::uuid order by b.id desc limit 51`,
  },
  {
    name: 'search_status',
    description: "search_batches, _status 'received', sort created_at desc",
    api: (tx, a) => tx`select * from api.search_batches(_brand_id => ${a.brand}::uuid, _status => 'received', _sort => 'created_at')`,
    plain: (tx, a) =>
      tx`select * from data.batches b where b.brand_id = ${a.brand}::uuid and b.status = 'received' order by b.created_at desc, b.id desc limit 51`,
    apiText: (a) => `select * from api.search_batches(_brand_id => ${lit(a.brand)}::uuid, _status => 'received', _sort => 'created_at')`,
    plainText: (a) =>
      `select * from data.batches b where b.brand_id = ${lit(a.brand)}::uuid and b.status = 'received' order by b.created_at desc, b.id desc limit 51`,
  },
  {
    name: 'search_product',
    description: 'search_batches, _product_id, sort updated_at asc',
    api: (tx, a) =>
      tx`select * from api.search_batches(_brand_id => ${a.brand}::uuid, _product_id => ${a.product}::uuid, _sort => 'updated_at', _direction => 'asc')`,
    plain: (tx, a) =>
      tx`select * from data.batches b where b.brand_id = ${a.brand}::uuid and b.product_id = ${a.product}::uuid order by b.updated_at, b.id limit 51`,
    apiText: (a) =>
      `select * from api.search_batches(_brand_id => ${lit(a.brand)}::uuid, _product_id => ${lit(a.product)}::uuid, _sort => 'updated_at', _direction => 'asc')`,
    plainText: (a) =>
      `select * from data.batches b where b.brand_id = ${lit(a.brand)}::uuid and b.product_id = ${lit(a.product)}::uuid order by b.updated_at, b.id limit 51`,
  },
  {
    name: 'search_term',
    description: "search_batches, _term 'honey' (substring of batch number, product name, SKU, EAN, article code)",
    api: (tx, a) => tx`select * from api.search_batches(_brand_id => ${a.brand}::uuid, _term => 'honey')`,
    plain: (tx, a) =>
      tx`select b.* from data.batches b
          where b.brand_id = ${a.brand}::uuid
            and (b.batch_number ilike '%honey%' or b.product_id in (select p.id from data.products p where p.brand_id = ${a.brand}::uuid
                 and (p.name ilike '%honey%' or p.sku ilike '%honey%' or p.ean ilike '%honey%' or p.article_code ilike '%honey%')))
          order by b.id desc limit 51`,
    apiText: (a) => `select * from api.search_batches(_brand_id => ${lit(a.brand)}::uuid, _term => 'honey')`,
    plainText: (a) =>
      `select b.* from data.batches b
  where b.brand_id = ${lit(a.brand)}::uuid
    and (b.batch_number ilike '%honey%' or b.product_id in (select p.id from data.products p where p.brand_id = ${lit(a.brand)}::uuid
         and (p.name ilike '%honey%' or p.sku ilike '%honey%' or p.ean ilike '%honey%' or p.article_code ilike '%honey%')))
  order by b.id desc limit 51`,
  },
  {
    name: 'search_total',
    description: 'search_batches, no filter, _include_total (count of the brand), sort created_at desc',
    api: (tx, a) => tx`select * from api.search_batches(_brand_id => ${a.brand}::uuid, _sort => 'created_at', _include_total => true)`,
    plain: (tx, a) =>
      tx`select (select count(*) from data.batches c where c.brand_id = ${a.brand}::uuid) as total, b.*
           from data.batches b where b.brand_id = ${a.brand}::uuid order by b.created_at desc, b.id desc limit 51`,
    apiText: (a) => `select * from api.search_batches(_brand_id => ${lit(a.brand)}::uuid, _sort => 'created_at', _include_total => true)`,
    plainText: (a) =>
      `select (select count(*) from data.batches c where c.brand_id = ${lit(a.brand)}::uuid) as total, b.* from data.batches b where b.brand_id = ${lit(a.brand)}::uuid order by b.created_at desc, b.id desc limit 51`,
  },
  {
    name: 'list_product',
    description: `list_product_batches: all ${SHAPE.batchesPerBrand / SHAPE.productsPerBrand} batches of a product, oldest first`,
    api: (tx, a) => tx`select * from api.list_product_batches(_brand_id => ${a.brand}::uuid, _product_id => ${a.product}::uuid)`,
    plain: (tx, a) =>
      tx`select * from data.batches b where b.brand_id = ${a.brand}::uuid and b.product_id = ${a.product}::uuid order by b.created_at, b.id`,
    apiText: (a) => `select * from api.list_product_batches(_brand_id => ${lit(a.brand)}::uuid, _product_id => ${lit(a.product)}::uuid)`,
    plainText: (a) =>
      `select * from data.batches b where b.brand_id = ${lit(a.brand)}::uuid and b.product_id = ${lit(a.product)}::uuid order by b.created_at, b.id`,
  },
];

export interface VariantResult extends LatencySummary {
  query: string;
  form: Form;
  who: Who;
}

export const claimsFor = (n: number) => JSON.stringify({ sub: `viewer-${n}`, role: 'authenticated' });

async function frame(tx: TransactionSql, who: Who, n: number): Promise<void> {
  if (who === 'member') {
    await tx`select set_config('request.jwt.claims', ${claimsFor(n)}, true), set_config('role', 'authenticated', true)`;
  } else {
    await tx`select set_config('request.jwt.claims', ${claimsFor(n)}, true)`;
  }
}

export interface MeasureTarget {
  /** label of the data set (e.g. its size) */
  label: string;
  adminUrl: string;
  /** generated brands in it (numbered 1..brands) */
  brands: number;
}

export interface MeasureOptions {
  /** one data set, or several measured interleaved (cost growth) */
  targets: MeasureTarget[];
  samples: number;
  queries?: string[];
  forms?: Form[];
  whos?: Who[];
  seed?: number;
  /** stop sampling (keep what was measured) after this wall-clock time */
  deadline?: number;
}

export interface TargetResult extends VariantResult {
  target: string;
}

/**
 * Interleaved sampling: every round picks a brand and product (seeded) per data set and runs every
 * selected (data set, query, form, who) once in shuffled order, so background noise falls on all
 * variants alike.
 */
export async function measureQueries(o: MeasureOptions): Promise<TargetResult[]> {
  // one connection per data set and identity: a session that switched between the member's role and the
  // superuser would invalidate the functions' cached plans on every switch (a plan under RLS depends on
  // the role), which no real client sees — the gateway's connections always run as `authenticated`
  const pools = o.targets.map((t) => ({
    member: postgres(t.adminUrl, { max: 1, onnotice: () => {} }),
    owner: postgres(t.adminUrl, { max: 1, onnotice: () => {} }),
  }));
  const rand = rng(o.seed ?? 42);
  const queries = QUERIES.filter((q) => !o.queries || o.queries.includes(q.name));
  const forms = o.forms ?? ['api', 'plain'];
  const whos = o.whos ?? ['member', 'owner'];
  const variants = o.targets.flatMap((target, ti) =>
    queries.flatMap((q) =>
      forms.flatMap((form) =>
        whos.filter((who) => form !== 'plain_sp' || who === 'owner').map((who) => ({ ti, target, q, form, who, key: `${target.label}/${q.name}/${form}/${who}` })),
      ),
    ),
  );
  const samples = new Map<string, number[]>(variants.map((v) => [v.key, []]));
  try {
    // warm-up rounds (not recorded): plans, caches, prepared statements
    const warm = Math.min(20, Math.max(3, Math.ceil(o.samples / 10)));
    for (let round_ = -warm; round_ < o.samples; round_++) {
      if (o.deadline && Date.now() > o.deadline && round_ > 5) break;
      const picks = o.targets.map((t) => {
        const n = 1 + Math.floor(rand() * t.brands);
        const k = 1 + Math.floor(rand() * SHAPE.productsPerBrand);
        return { n, args: { brand: brandId(n), product: productId(n, k) } };
      });
      const order = [...variants].sort(() => rand() - 0.5);
      for (const v of order) {
        const { n, args } = picks[v.ti]!;
        const dt = await pools[v.ti]![v.who].begin(async (tx) => {
          await frame(tx, v.who, n);
          const t = performance.now();
          await (v.form === 'api' ? v.q.api(tx, args) : v.form === 'plain' ? v.q.plain(tx, args) : tx.unsafe(v.q.plainText(args)));
          return performance.now() - t;
        });
        if (round_ >= 0) samples.get(v.key)!.push(dt);
      }
    }
  } finally {
    await Promise.all(pools.flatMap((p) => [p.member.end({ timeout: 5 }), p.owner.end({ timeout: 5 })]));
  }
  return variants.map((v) => {
    const s = summarize(samples.get(v.key)!);
    return {
      target: v.target.label,
      query: v.q.name,
      form: v.form,
      who: v.who,
      ...s,
      mean: round(s.mean, 3),
      p50: round(s.p50, 3),
      p95: round(s.p95, 3),
      p99: round(s.p99, 3),
      max: round(s.max, 3),
    };
  });
}

/**
 * Plans of one query as a member: the plain SELECT under RLS via EXPLAIN (ANALYZE, BUFFERS), the same
 * as the superuser (no RLS), and the statements inside the api function through auto_explain
 * (nested statements, analyze + buffers, sent to this client as NOTICEs).
 */
export async function explainQuery(adminUrl: string, name: string, n: number, k: number): Promise<{ member: string; owner: string; apiNested: string }> {
  const q = QUERIES.find((x) => x.name === name);
  if (!q) throw new Error(`unknown query ${name}`);
  const args = { brand: brandId(n), product: productId(n, k) };
  const notices: string[] = [];
  const sql = postgres(adminUrl, {
    max: 1,
    onnotice: (m) => {
      notices.push(String(m.message));
    },
  });
  const plan = (rows: Record<string, unknown>[]) => rows.map((r) => String(Object.values(r)[0])).join('\n');
  try {
    // warm this connection's caches first: a cold session's plan shows catalog reads, not the query
    for (const who of ['member', 'owner'] as const) {
      await sql.begin(async (tx) => {
        await frame(tx, who, n);
        for (let i = 0; i < 3; i++) {
          await tx.unsafe(q.plainText(args));
          await tx.unsafe(q.apiText(args));
        }
      });
    }
    const member = await sql.begin(async (tx) => {
      await frame(tx, 'member', n);
      return plan(await tx.unsafe(`explain (analyze, buffers, costs off) ${q.plainText(args)}`));
    });
    const owner = await sql.begin(async (tx) => {
      await frame(tx, 'owner', n);
      return plan(await tx.unsafe(`explain (analyze, buffers, costs off) ${q.plainText(args)}`));
    });
    let apiNested = '';
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(`load 'auto_explain'`);
        await tx.unsafe(`set local auto_explain.log_min_duration = 0`);
        await tx.unsafe(`set local auto_explain.log_analyze = on`);
        await tx.unsafe(`set local auto_explain.log_buffers = on`);
        await tx.unsafe(`set local auto_explain.log_timing = on`);
        await tx.unsafe(`set local auto_explain.log_nested_statements = on`);
        await tx.unsafe(`set local auto_explain.log_level = notice`);
        await tx.unsafe(`set local auto_explain.log_format = text`);
        await tx.unsafe(`set local client_min_messages = notice`);
        await frame(tx, 'member', n);
        notices.length = 0;
        await tx.unsafe(q.apiText(args));
      });
      // the statements that touch the tables (the membership helpers' own tiny plans are left out)
      apiNested = notices
        .filter((m) => /data\.(batches|products)/.test(m) && !/brand_members/.test(m))
        .map((m) => m.replace(/^duration: ([\d.]+ ms)\s+plan:\n/, '-- duration $1\n'))
        .join('\n\n');
    } catch (e) {
      apiNested = `(auto_explain unavailable: ${(e as Error).message})`;
    }
    return { member, owner, apiNested };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
