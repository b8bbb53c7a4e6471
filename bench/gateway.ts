// Section "gateway": the same RPCs at 1, 8 and 32 concurrent clients, once over HTTP through the
// gateway (its own process) with a JWT, driven by autocannon (another process), and once as the
// identical transaction issued directly with postgres.js from this process:
//   BEGIN [READ ONLY]; select set_config('role', …), set_config('request.jwt.claims', …); select * from api.<fn>(…); COMMIT
// (postgres.js sql.begin with the two statements pipelined, prepared statements on; the call's rows are
// fetched raw — not decoded into JS values — so "direct" is the floor: database work and protocol only,
// while the gateway also renders JSON, which is part of its overhead).
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { randomBytes } from 'node:crypto';
import type { BenchOptions } from './lib/context.ts';
import { brandId, generateStep, productId } from './data.ts';
import { directLoad } from './lib/direct.ts';
import { startLoadGenerator } from './lib/http.ts';
import { round, type LoadResult } from './lib/stats.ts';

const SUB = 'owner-1';
const BRAND = brandId(1);
const LIST_PRODUCT = productId(1, 1);
const SINK_PRODUCT = productId(1, 20);
// batch j of brand n has id md5('batch:n:j'); batch 1 belongs to product 1
const BATCH_SQL = `select md5('batch:1:1')::uuid as id`;

interface Rpc {
  name: 'get_product_batch' | 'list_product_batches' | 'create_product_batch';
  readOnly: boolean;
  /** JSON body for POST /rpc/<name>; `[<id>]` is replaced per request by autocannon */
  body: (batchId: string) => Record<string, unknown>;
  direct: (tx: TransactionSql, batchId: string, i: number, tag: string) => postgres.PendingQuery<postgres.Row[]>;
  /** the call as SQL text with literals (for the one-round-trip variant) */
  text: (batchId: string, i: number, tag: string) => string;
}

const RPCS: Rpc[] = [
  {
    name: 'get_product_batch',
    readOnly: true,
    body: (batchId) => ({ _brand_id: BRAND, _product_id: LIST_PRODUCT, _batch_id: batchId }),
    direct: (tx, batchId) =>
      tx`select * from api.get_product_batch(_brand_id => ${BRAND}::uuid, _product_id => ${LIST_PRODUCT}::uuid, _batch_id => ${batchId}::uuid)`,
    text: (batchId) => `select * from api.get_product_batch(_brand_id => '${BRAND}', _product_id => '${LIST_PRODUCT}', _batch_id => '${batchId}')`,
  },
  {
    name: 'list_product_batches',
    readOnly: true,
    body: () => ({ _brand_id: BRAND, _product_id: LIST_PRODUCT }),
    direct: (tx) => tx`select * from api.list_product_batches(_brand_id => ${BRAND}::uuid, _product_id => ${LIST_PRODUCT}::uuid)`,
    text: () => `select * from api.list_product_batches(_brand_id => '${BRAND}', _product_id => '${LIST_PRODUCT}')`,
  },
  {
    name: 'create_product_batch',
    readOnly: false,
    body: () => ({ _brand_id: BRAND, _product_id: SINK_PRODUCT, _batch_number: 'H-[<id>]', _quantity: 10 }),
    direct: (tx, _b, i, tag) =>
      tx`select * from api.create_product_batch(_brand_id => ${BRAND}::uuid, _product_id => ${SINK_PRODUCT}::uuid, _batch_number => ${`D-${tag}-${i}`}, _quantity => 10)`,
    text: (_b, i, tag) =>
      `select * from api.create_product_batch(_brand_id => '${BRAND}', _product_id => '${SINK_PRODUCT}', _batch_number => 'S-${tag}-${i}', _quantity => 10)`,
  },
];

export interface GatewayRow {
  rpc: string;
  clients: number;
  http: LoadResult;
  direct: LoadResult;
  /** http.rps / direct.rps */
  ratio: number;
  /** the same transaction as ONE simple-query round trip (what the gateway itself sends), where measured */
  direct1?: LoadResult;
  /** http.rps / direct1.rps */
  ratio1?: number;
}

function directCall(rpc: Rpc, batchId: string, tag: string) {
  const claims = JSON.stringify({ sub: SUB, role: 'authenticated' });
  return (sql: Sql, i: number) =>
    sql.begin(rpc.readOnly ? 'read only' : '', (tx) => [
      tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`,
      rpc.direct(tx, batchId, i, tag).raw(),
    ]);
}

/**
 * The same transaction as one round trip: a multi-statement simple query, which PostgreSQL runs as one
 * implicit transaction — the way the gateway sends it (no HTTP, no JSON rendering).
 */
function directCallOneTrip(rpc: Rpc, batchId: string, tag: string) {
  const claims = JSON.stringify({ sub: SUB, role: 'authenticated' }).replace(/'/g, "''");
  const head = `${rpc.readOnly ? 'set transaction read only; ' : ''}select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '${claims}', true); `;
  return (sql: Sql, i: number) => sql.unsafe(head + rpc.text(batchId, i, tag)).raw();
}

export async function run(opts: BenchOptions) {
  const clients = [1, 8, 32];
  const durationSec = Number(process.env.BENCH_GATEWAY_SECONDS ?? (opts.quick ? 0.4 : 5));
  const warmupSec = opts.quick ? 0.2 : 1;
  // the one-round-trip direct variant is measured at these client counts
  const oneTripAt = new Set(opts.quick ? [32] : [1, 32]);
  const cellMs = 3 * (durationSec + warmupSec) * 1000 + 1500;
  const poolSize = Number(process.env.BENCH_GATEWAY_POOL ?? 10);

  // data: one brand of the scale generator (1,000 batches, 20 products; list returns 50 rows)
  const admin = postgres(opts.adminUrl, { max: 1, onnotice: () => {} });
  let batchId: string;
  try {
    await generateStep(admin, 0, 1);
    const [b] = await admin.unsafe<{ id: string }[]>(BATCH_SQL);
    batchId = b!.id;
  } finally {
    await admin.end();
  }

  const gw = await opts.startGateway({ poolSize });
  const load = await startLoadGenerator(opts.log);
  const rows: GatewayRow[] = [];
  const probes: Record<string, { status: number; bytes: number; sample: string }> = {};
  try {
    const token = await gw.token(SUB);
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    // every request must succeed before it is measured
    for (const rpc of RPCS) {
      const body = JSON.stringify(rpc.body(batchId)).replace('[<id>]', `probe-${randomBytes(4).toString('hex')}`);
      const res = await fetch(`${gw.url}/rpc/${rpc.name}`, { method: 'POST', headers, body });
      const text = await res.text();
      probes[rpc.name] = { status: res.status, bytes: text.length, sample: text.slice(0, 300) };
      if (!res.ok) throw new Error(`probe POST /rpc/${rpc.name} → ${res.status}: ${text.slice(0, 500)}`);
    }
    const tag = randomBytes(3).toString('hex');
    for (const n of clients) {
      for (const rpc of RPCS) {
        if (Date.now() + cellMs > opts.deadline - 5_000) {
          opts.log('out of time, skipping the remaining runs');
          break;
        }
        const http = await load.run({
          url: `${gw.url}/rpc/${rpc.name}`,
          method: 'POST',
          headers,
          body: JSON.stringify(rpc.body(batchId)),
          idReplacement: rpc.name === 'create_product_batch',
          connections: n,
          durationSec,
          warmupSec,
        });
        const direct = await directLoad({
          url: opts.databaseUrl,
          connections: n,
          durationSec,
          warmupSec,
          call: directCall(rpc, batchId, `${tag}-${n}`),
        });
        const row: GatewayRow = { rpc: rpc.name, clients: n, http: roundLoad(http), direct: roundLoad(direct), ratio: round(http.rps / direct.rps, 2) };
        if (oneTripAt.has(n)) {
          const direct1 = await directLoad({
            url: opts.databaseUrl,
            connections: n,
            durationSec,
            warmupSec,
            call: directCallOneTrip(rpc, batchId, `${tag}-${n}`),
          });
          row.direct1 = roundLoad(direct1);
          row.ratio1 = round(http.rps / direct1.rps, 2);
        }
        opts.log(
          `${rpc.name} x${n}: http ${row.http.rps} req/s p50 ${row.http.p50} ms, direct ${row.direct.rps} req/s p50 ${row.direct.p50} ms, ratio ${row.ratio}` +
            (row.direct1 ? `; one-trip direct ${row.direct1.rps} req/s, ratio ${row.ratio1}` : ''),
        );
        rows.push(row);
      }
    }
  } finally {
    await load.close();
    await gw.close();
  }
  const at32 = rows.filter((r) => r.clients === 32);
  return {
    durationSec,
    warmupSec,
    gatewayPoolSize: poolSize,
    directConnections: 'one per client',
    probes,
    rows,
    min_ratio_at_32: at32.length ? Math.min(...at32.map((r) => r.ratio)) : null,
  };
}

function roundLoad(r: LoadResult): LoadResult {
  return { ...r, rps: round(r.rps, 0), mean: round(r.mean, 3), p50: round(r.p50, 3), p95: round(r.p95, 3), p99: round(r.p99, 3), max: round(r.max, 2), durationSec: round(r.durationSec, 2) };
}
