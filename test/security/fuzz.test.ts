// Bad-input fuzzing with fast-check, over HTTP, for every function of the exposed schema (read from the
// catalog): arguments of every shape — wrong types, huge strings, deep JSON, unicode, lone surrogates,
// NaN/Infinity as strings, negative and huge numbers, far and impossible dates, null bytes, arrays where
// objects are expected, unknown keys, valid payloads with one field broken — sent as the owner of a
// brand that has one of everything (so calls get past the permission check into the function body).
// Every call must end in a catalogued 4xx or a 2xx — never a 5xx, never a hang — and a failed call must
// commit nothing: an AFTER row trigger on every data table logs committed changes (sec.writes), and the
// log must not grow across a failed call.
// Bounded: SEC_FUZZ_RUNS runs per function (default 24), fixed seed SEC_FUZZ_SEED (default below; "random" for a new one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { loadCatalog, type Catalog, type PgFunction } from '../../src/catalog/introspect.ts';
import { buildBrand, type BrandFx } from '../support/brand-fixture.ts';
import { argSpec } from '../support/arguments.ts';
import { installWriteLog, writeCount } from '../support/data-fingerprint.ts';
import { raw } from '../support/http.ts';
import { tally } from '../support/tally.ts';

const RUNS = Number(process.env.SEC_FUZZ_RUNS ?? 24);
const SEED = process.env.SEC_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.SEC_FUZZ_SEED ?? 20261123);
/** statuses a client of a PostgREST-style API is expected to handle */
const CATALOGUED = new Set([200, 201, 204, 206, 400, 401, 403, 404, 405, 406, 409, 412, 413, 416, 429]); // 429: a quota (docs/quotas.md)

let db: TestDb;
let gw: TestGateway;
let catalog: Catalog;
let F: BrandFx;
let ownerToken: string;
let publicFns: Set<string>;

beforeAll(async () => {
  db = await createTestDb();
  gw = await startGateway(db);
  catalog = await loadCatalog(db.admin, ['api']);
  F = await buildBrand((who, fn, args) => sqlCall(db.admin, who, fn, args), 'F', db.admin);
  ownerToken = await gw.token(F.owner);
  await installWriteLog(db.admin); // after the fixture: from here on, every committed row change is logged
  const rows = await db.admin<{ name: string }[]>`
    select p.proname as name from pg_proc p where p.pronamespace = 'api'::regnamespace and has_function_privilege('anon', p.oid, 'execute')`;
  publicFns = new Set(rows.map((r) => r.name));
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

// ---------------------------------------------------------------- arbitraries

const deep = (depth: number, kind: 'array' | 'object'): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
};

/** Nesting too deep for JSON.stringify: placeholders replaced by their JSON text after stringifying. */
const DEEP_TEXT: Record<string, string> = {
  __deep_array_20000__: '['.repeat(20_000) + '1' + ']'.repeat(20_000),
  __deep_object_20000__: '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
  __deep_array_200000__: '['.repeat(200_000) + ']'.repeat(200_000),
};
function stringify(v: unknown): string {
  let text = JSON.stringify(v) ?? 'null';
  for (const [k, deepText] of Object.entries(DEEP_TEXT)) text = text.replaceAll(`"${k}"`, deepText);
  return text;
}

const FAR_DATES = [
  '9999-12-31', '0001-01-01', '294277-01-01', '5874897-12-31', '-infinity', 'infinity', '2026-02-30', '2026-13-01',
  'epoch', 'today', 'now', 'allballs', '1-01-01 BC', '20260101', '2026-01-01T25:00:00Z', '2026-01-01T00:00:00+99:00',
  '0000-00-00', '1970-01-01T00:00:00.000000001Z', '2026-W01', 'yesterday', 'tomorrow',
];
const NUMERIC_STRINGS = ['NaN', 'Infinity', '-Infinity', 'nan', 'inf', '1e309', '-1e309', '-0', '0x10', '1_000', ' 1 ', '١٢٣', '1e-400', '9'.repeat(400), '-'.repeat(3) + '1', '+1', '.5', '5.'];
const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\u0000'.repeat(50), "'; drop table data.batches; --", '\\', '"', "'", '%', '_', '*', '%%', '\\x00',
  '../../etc/passwd', '${jndi:ldap://x}', '<script>alert(1)</script>', '\ud800', 'a\udfffb', '\uffff', '\u202e', '🙂'.repeat(50),
  'Ω'.repeat(1000), 'x'.repeat(100_000), '🙂'.repeat(30_000), '\r\n\r\n', '\t', 'null', 'true', '{}', '[]', '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '{00000000-0000-0000-0000-000000000000}', 'not-a-uuid', '1', '-1',
];
const NUMBERS = [0, -0, 1, -1, 0.1, -0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 63, 1e21, 1e308, -1e308, 5e-324, 1e-320, 123456789.123456789];

const evil: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMERIC_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...FAR_DATES) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom(10, 100, 1000).chain((d) => fc.constantFrom(deep(d, 'array'), deep(d, 'object'))) },
  // nesting deeper than Postgres' parser allows: its own test below; in the property only with SEC_FUZZ_DEEP=1
  ...(process.env.SEC_FUZZ_DEEP ? [{ weight: 1, arbitrary: fc.constantFrom(...Object.keys(DEEP_TEXT)) }] : []),
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom([], {}, [{}], [[]], [null], { '': null }, { __proto__: 1 }, Array(600).fill({})) },
);

/** Around a valid value: keep it, replace it, or (for JSON) keep the shape and break some leaves. */
function around(v: unknown, depth = 0): fc.Arbitrary<unknown> {
  if (Array.isArray(v) && depth < 4) {
    const items = v.length ? fc.tuple(...v.map((x) => around(x, depth + 1))) : fc.constant([] as unknown[]);
    return fc.oneof(
      { weight: 3, arbitrary: items },
      { weight: 1, arbitrary: fc.tuple(items, fc.integer({ min: 2, max: 520 })).map(([xs, n]) => Array.from({ length: n }, () => xs).flat()) },
      { weight: 1, arbitrary: fc.tuple(items, evil).map(([xs, e]) => [...(xs as unknown[]), e]) },
      { weight: 1, arbitrary: evil },
    );
  }
  if (v !== null && typeof v === 'object' && depth < 4) {
    const keys = Object.keys(v);
    const rec = fc.record(Object.fromEntries(keys.map((k) => [k, around((v as Record<string, unknown>)[k], depth + 1)])), { requiredKeys: [] });
    return fc.oneof(
      { weight: 3, arbitrary: rec },
      { weight: 1, arbitrary: fc.tuple(rec, fc.string({ maxLength: 12 }), evil).map(([r, k, e]) => ({ ...(r as object), [k || 'unknown_key']: e })) },
      { weight: 1, arbitrary: rec.map((r) => [r]) },
      { weight: 1, arbitrary: evil },
    );
  }
  return fc.oneof({ weight: 2, arbitrary: fc.constant(v) }, { weight: 3, arbitrary: evil });
}

interface FuzzRequest {
  method: 'POST' | 'GET';
  anon: boolean;
  /** POST body (already a JSON text, or a deliberately broken text) */
  body?: string;
  query?: string;
}

let n = 0;
function requestArb(f: PgFunction): fc.Arbitrary<FuzzRequest> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const a of f.inputs) {
    const spec = argSpec(f.name, a.name);
    const valid = spec ? spec.gen({ fn: f.name, src: F, n: ++n }) : 'x';
    const fresh = spec?.fresh ? spec.fresh({ fn: f.name, src: F, n: ++n }) : valid;
    fields[a.name] = fc.oneof({ weight: 2, arbitrary: around(fresh) }, { weight: 1, arbitrary: around(valid) });
  }
  const required = f.inputs.filter((a) => !a.hasDefault).map((a) => a.name);
  // required arguments are mostly present (a missing one is a cheap 404 PGRST202); optional ones come and go
  const args = fc.record(fields, { requiredKeys: required }).chain((r) =>
    required.length === 0 ? fc.constant(r as Record<string, unknown>)
      : fc.oneof({ weight: 14, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...required) }).map((drop) => {
        const out = { ...(r as Record<string, unknown>) };
        if (drop !== null) delete out[drop];
        return out;
      }),
  );
  const extra = fc.oneof(
    { weight: 12, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('_evil', 'brand_id', '_brand_id ', '__proto__', 'select', ''), evil) },
  );
  const post = fc.tuple(args, extra, fc.constantFrom('object', 'object', 'object', 'object', 'object', 'object', 'array', 'raw')).chain(([a, x, form]) => {
    const withExtra = x ? { ...(a as object), [x[0]]: x[1] } : (a as object);
    if (form === 'array') return fc.constant(stringify([withExtra]));
    if (form === 'raw') return fc.oneof(evil.map((e) => stringify(e)), fc.constantFrom('{', '{"_brand_id": }', '\u0000', '[1,', 'nul', '{"a":1}{"b":2}', '\ufeff{}'));
    return fc.constant(stringify(withExtra));
  });
  const anon = publicFns.has(f.name) ? fc.boolean() : fc.constant(false);
  const postReq = fc.tuple(post, anon).map(([body, a]) => ({ method: 'POST' as const, anon: a, body }));
  if (f.volatility === 'volatile') return postReq;
  const getReq = fc.tuple(args, anon).map(([a, an]) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(a as Record<string, unknown>)) qs.append(k, typeof v === 'string' ? v : stringify(v));
    return { method: 'GET' as const, anon: an, query: qs.toString() };
  });
  return fc.oneof({ weight: 3, arbitrary: postReq }, { weight: 1, arbitrary: getReq });
}

// ---------------------------------------------------------------- the property

interface Bad {
  fn: string;
  request: string;
  status: number;
  body: string;
  problem: string;
}

async function fire(f: PgFunction, r: FuzzRequest): Promise<{ status: number; text: string; json: unknown; ms: number; wrote: number }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (!r.anon) headers.Authorization = `Bearer ${ownerToken}`;
  if (r.method === 'POST') headers['Content-Type'] = 'application/json';
  const before = await writeCount(db.admin);
  const res = await raw(gw.url, {
    method: r.method,
    path: `/rpc/${f.name}${r.query ? `?${r.query}` : ''}`,
    headers,
    body: r.method === 'POST' ? Buffer.from(r.body ?? '', 'utf8') : undefined,
    timeoutMs: 15_000,
  });
  const after = await writeCount(db.admin);
  return { status: res.status, text: res.text, json: res.json, ms: res.ms, wrote: after - before };
}

const stats = { cases: 0, byStatus: {} as Record<string, number>, failedCalls: 0, functions: 0 };

function check(f: PgFunction, r: FuzzRequest, res: Awaited<ReturnType<typeof fire>>): string | null {
  if (res.status >= 500) return `server error ${res.status}`;
  // a request line or headers over Node's 16 KB limit: refused by the HTTP parser before the gateway runs
  if ((res.status === 431 || res.status === 414) && r.method === 'GET') return res.wrote === 0 ? null : 'a refused request wrote';
  if (!CATALOGUED.has(res.status)) return `uncatalogued status ${res.status}`;
  if (res.ms > 10_000) return `slow: ${Math.round(res.ms)} ms`;
  if (res.status >= 400) {
    const b = res.json as Record<string, unknown> | undefined;
    if (!b || Object.keys(b).sort().join() !== 'code,details,hint,message') return 'error body is not PostgREST-shaped';
    if (res.wrote !== 0) return `a failed call committed ${res.wrote} row change(s)`;
  }
  return null;
}

describe('bad-input fuzzing over HTTP', () => {
  it(`every function, ${RUNS} generated requests each: a catalogued 4xx or a 2xx, never a 5xx; failures write nothing (seed ${SEED})`, async () => {
    const bad: Bad[] = [];
    const started = performance.now();
    for (const f of catalog.functions) {
      stats.functions++;
      let found: Bad | null = null;
      const result = await fc.check(fc.asyncProperty(requestArb(f), async (r) => {
        const res = await fire(f, r);
        stats.cases++;
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
        if (process.env.SEC_DEBUG && res.status === 404 && Math.random() < 0.02) process.stdout.write(`[debug] ${f.name} ${(r.body ?? r.query ?? '').slice(0, 300)} → ${res.text.slice(0, 300)}\n`);
        if (res.status >= 400) stats.failedCalls++;
        const problem = check(f, r, res);
        if (problem) {
          found ??= { fn: f.name, request: `${r.method}${r.anon ? ' (anon)' : ''} ${(r.body ?? r.query ?? '').slice(0, 400)}`, status: res.status, body: res.text.slice(0, 400), problem };
          return false;
        }
        return true;
      }), { numRuns: RUNS, seed: SEED, endOnFailure: true });
      if (result.failed && found) bad.push(found);
      else if (result.failed) bad.push({ fn: f.name, request: '', status: 0, body: String(result.errorInstance), problem: 'property threw' });
    }
    tally('fuzz: functions', stats.functions);
    tally('fuzz: generated requests', stats.cases);
    tally('fuzz: requests refused with a 4xx (each checked to write nothing)', stats.failedCalls);
    process.stdout.write(`[security] fuzz statuses: ${JSON.stringify(stats.byStatus)}; ${Math.round(performance.now() - started)} ms\n`);
    expect(bad, `fuzz findings (seed ${SEED}); reproduce with SEC_FUZZ_SEED=${SEED}`).toEqual([]);
  }, 110_000);

  it('query-string shaping (select, order, filters, limit, offset, Range) with hostile values: never a 5xx, never another brand', async () => {
    const names = ['id', 'brand_id', 'name', 'gtin', 'sku', 'attributes', 'attributes->secret', 'attributes->>secret', 'nope', 'name::text', 'id::int', '*', ''];
    const ops = ['eq', 'neq', 'gt', 'lt', 'like', 'ilike', 'in', 'is', 'cs', 'cd', 'ov', 'fts', 'match', 'imatch', 'not.eq', 'eq(any)', 'like(all)', 'bogus'];
    const value = fc.oneof(fc.constantFrom(...NASTY_STRINGS.filter((x) => x.length < 200)), fc.string({ maxLength: 30 }), fc.constantFrom("(a,b)", '{1,2}', '("x","y")', 'null', 'true', "x') or (1=1", "x'::text; select 1; --"));
    const param = fc.oneof(
      fc.tuple(fc.constantFrom(...names), fc.constantFrom(...ops), value).map(([n2, o, v]) => [n2, `${o}.${v}`] as [string, string]),
      fc.tuple(fc.constant('select'), fc.oneof(fc.constantFrom(...names), value)).map(([k2, v]) => [k2, v] as [string, string]),
      fc.tuple(fc.constant('order'), fc.oneof(fc.constantFrom('name.desc', 'id.asc.nullslast', 'name.desc,id', 'gtin.nullsfirst'), value)).map(([k2, v]) => [k2, v] as [string, string]),
      fc.tuple(fc.constantFrom('limit', 'offset'), fc.oneof(fc.constantFrom('-1', '0', '1e3', '99999999999999999999', '1;'), value)).map(([k2, v]) => [k2, v] as [string, string]),
      fc.tuple(fc.constantFrom('or', 'and', 'not.or'), fc.oneof(fc.constantFrom('(name.eq.a,id.eq.b)', '(name.eq.a,or(id.eq.b))', '(', '()'), value.map((v) => `(${v})`))).map(([k2, v]) => [k2, v] as [string, string]),
    );
    let cases = 0;
    const statuses: Record<number, number> = {};
    const result = await fc.check(fc.asyncProperty(fc.array(param, { minLength: 1, maxLength: 4 }), fc.option(fc.constantFrom('0-0', '5-1', '0-', 'items=0-9', '-1-5', 'bytes=0-1', '99999999999999999999-'), { nil: undefined }), async (params, range) => {
      cases++;
      const qs = new URLSearchParams([['_brand_id', F.brand], ...params]);
      const res = await raw(gw.url, { method: 'GET', path: `/rpc/list_products?${qs}`, headers: { Authorization: `Bearer ${ownerToken}`, ...(range ? { Range: range } : {}) }, timeoutMs: 10_000 });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status >= 500 || !CATALOGUED.has(res.status)) return false;
      if (res.status < 300 && Array.isArray(res.json)) return (res.json as { brand_id?: string }[]).every((x) => x.brand_id === undefined || x.brand_id === F.brand);
      return true;
    }), { numRuns: RUNS * 4, seed: SEED, endOnFailure: true });
    tally('fuzz: shaping requests', cases);
    process.stdout.write(`[security] fuzz shaping statuses: ${JSON.stringify(statuses)}\n`);
    expect(result.failed, result.failed ? `counterexample: ${JSON.stringify(result.counterexample)}` : '').toBe(false);
  }, 60_000);

  it('a JSON body nested deeper than Postgres\' parser allows is a 4xx, not 500 (54001)', async () => {
    const bad: string[] = [];
    for (const key of Object.keys(DEEP_TEXT)) {
      for (const [fn, body] of [
        ['create_product', `{"_brand_id": "${F.brand}", "_name": "deep", "_attributes": ${DEEP_TEXT[key]}}`],
        ['list_products', `{"_brand_id": ${DEEP_TEXT[key]}}`],
        ['update_product_batch', `{"_brand_id": "${F.brand}", "_batch_id": "${F.batch}", "_patch": ${DEEP_TEXT[key]}}`],
      ] as const) {
        const before = await writeCount(db.admin);
        const res = await raw(gw.url, { path: `/rpc/${fn}`, headers: { Authorization: `Bearer ${ownerToken}`, 'Content-Type': 'application/json' }, body, timeoutMs: 15_000 });
        if (res.status >= 500 || !CATALOGUED.has(res.status)) bad.push(`${fn} with ${key}: ${res.status} ${res.text.slice(0, 160)}`);
        if ((await writeCount(db.admin)) !== before) bad.push(`${fn} with ${key}: wrote`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('nothing the fuzzer sent was stored as NaN, Infinity or an infinite date', async () => {
    const cols = await db.admin<{ t: string; c: string; type: string }[]>`
      select c.relname as t, a.attname as c, format_type(a.atttypid, a.atttypmod) as type
        from pg_attribute a join pg_class c on c.oid = a.attrelid
       where c.relnamespace = 'data'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
         and a.atttypid in ('numeric'::regtype, 'float8'::regtype, 'float4'::regtype, 'date'::regtype, 'timestamptz'::regtype, 'timestamp'::regtype)`;
    const bad: string[] = [];
    for (const col of cols) {
      const cond = /numeric|double|real/.test(col.type)
        ? `x."${col.c}" in ('NaN', 'Infinity', '-Infinity')`
        : `not isfinite(x."${col.c}")`;
      const [r] = await db.admin.unsafe<{ n: number }[]>(`select count(*)::int as n from data."${col.t}" x where ${cond}`);
      if (r!.n > 0) bad.push(`data.${col.t}.${col.c} (${col.type}): ${r!.n} row(s)`);
    }
    expect(bad).toEqual([]);
  });
});
