// Isolation by construction. Every function of the exposed schema is read from the catalog and called as
// the OWNER of brand A (the strongest member) with brand B's ids — real rows of B, one of everything —
// in every id-like argument: all of B's ids at once (B's brand too → 403), and, with A's brand, each
// id-like argument in turn from B while the others come from A, and all of them from B. Nothing of B
// may come back (no id, name, code, number or external id of B that the caller did not send itself)
// and nothing of B may change (md5 of every data table's rows of B before and after). Anonymous callers
// may execute exactly the public functions, which answer only the consumer view. Both doors: SQL
// (app.act_as, as in psql) and HTTP (the gateway). A function added later is covered without anyone
// writing a test; an argument name the generator does not know fails the suite, naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { httpCall } from '../support/httpdoor.ts';
import { loadCatalog, type Catalog, type PgFunction } from '../../src/catalog/introspect.ts';
import { CONSUMER_KEYS } from '../cases/serials.ts';
import type { DoorResult } from '../support/door.ts';
import { brandSnapshot } from '../support/data-fingerprint.ts';
import { tally } from '../support/tally.ts';
import { brandSecrets, buildBrand, leakedSecrets, type BrandFx, type Call, type Secret } from '../support/brand-fixture.ts';
import { buildArgs, idLikeArgs, unknownArguments } from '../support/arguments.ts';

let db: TestDb;
let gw: TestGateway;
let catalog: Catalog;
let A: BrandFx;
let B: BrandFx;
let secretsB: Secret[];
let publicFns: Set<string>;
let sqlDoor: Call;
let httpDoor: Call;

beforeAll(async () => {
  db = await createTestDb();
  gw = await startGateway(db);
  catalog = await loadCatalog(db.admin, ['api']);
  sqlDoor = (who, fn, args) => sqlCall(db.admin, who, fn, args);
  httpDoor = (who, fn, args) => httpCall(gw.url, who, fn, args);
  [A, B] = await Promise.all([buildBrand(sqlDoor, 'A', db.admin), buildBrand(sqlDoor, 'B', db.admin)]);
  secretsB = await brandSecrets(db.admin, B);
  const rows = await db.admin<{ name: string }[]>`
    select p.proname as name from pg_proc p where p.pronamespace = 'api'::regnamespace and has_function_privilege('anon', p.oid, 'execute')`;
  publicFns = new Set(rows.map((r) => r.name));
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

/** unique free-text values across both doors and all tests */
let counter = 0;

interface Variant {
  name: string;
  args: Record<string, unknown>;
  /** B's brand is the brand argument: the caller is not a member → 403 */
  foreignBrand: boolean;
}

function variants(f: PgFunction, n: () => number): Variant[] {
  const ids = idLikeArgs(f);
  const hasBrand = f.inputs.some((a) => a.name === '_brand_id');
  const out: Variant[] = [];
  if (ids.length === 0) return [{ name: 'no id-like arguments', args: buildArgs(f, () => A, n(), () => true), foreignBrand: false }];
  out.push({ name: 'every id-like argument from B', args: buildArgs(f, () => B, n()), foreignBrand: hasBrand });
  const others = ids.filter((a) => a !== '_brand_id');
  if (hasBrand) {
    for (const arg of others) {
      out.push({ name: `brand A, ${arg} from B`, args: buildArgs(f, (a) => (a === arg ? B : A), n(), (a) => a !== arg), foreignBrand: false });
    }
    if (others.length > 1) {
      out.push({ name: 'brand A, every other id-like argument from B', args: buildArgs(f, (a) => (a === '_brand_id' ? A : B), n()), foreignBrand: false });
    }
  } else if (others.length > 1) {
    for (const arg of others) out.push({ name: `${arg} from B`, args: buildArgs(f, (a) => (a === arg ? B : A), n(), (a) => a !== arg), foreignBrand: false });
  }
  return out;
}

/**
 * Earlier calls may legitimately copy B's strings into other brands (A's owner sent them: a batch renamed
 * to B's batch number, a new brand named like B). Such a value in a later response is not B's: a value
 * counts as leaked only when no brand other than B holds it.
 */
async function notCopiedElsewhere(leaks: Secret[]): Promise<Secret[]> {
  if (leaks.length === 0) return leaks;
  const tables = await db.admin<{ name: string; has_brand: boolean }[]>`
    select c.relname as name, exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'brand_id') as has_brand
      from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p')`;
  const out: Secret[] = [];
  for (const l of leaks) {
    const q = tables.map((t) => `select 1 from data."${t.name}" x where x."${t.has_brand ? 'brand_id' : 'id'}" <> $1 and strpos(lower(to_jsonb(x)::text), lower($2)) > 0`).join(' union all ');
    const rows = await db.admin.unsafe<{ copied: boolean }[]>(`select exists (${q}) as copied`, [B.brand, l.value]);
    if (!rows[0]!.copied) out.push(l);
  }
  return out;
}

interface Finding {
  door: string;
  fn: string;
  variant: string;
  problem: string;
}

async function runIsolation(
  doorName: 'sql' | 'http', call: Call, fns: PgFunction[] = catalog.functions,
): Promise<{ calls: number; ok2xx: number; findings: Finding[]; fns: number; outcomes: Record<string, number> }> {
  const findings: Finding[] = [];
  const outcomes: Record<string, number> = {};
  let calls = 0;
  let ok2xx = 0;
  const n = () => ++counter;
  for (const f of fns) {
    const isPublic = publicFns.has(f.name);
    const before = await brandSnapshot(db.admin, B.brand);
    for (const v of variants(f, n)) {
      calls++;
      let r: DoorResult;
      try {
        r = await call({ sub: A.owner }, f.name, v.args);
      } catch (e) {
        findings.push({ door: doorName, fn: f.name, variant: v.name, problem: `threw: ${(e as Error).message}` });
        continue;
      }
      const sent = JSON.stringify(v.args);
      const text = JSON.stringify(r.ok ? r.data : r.error);
      const report = (problem: string) => findings.push({ door: doorName, fn: f.name, variant: v.name, problem: `${problem} — args ${sent.slice(0, 300)} → ${r.status ?? ''} ${text.slice(0, 300)}` });
      if (r.ok) ok2xx++;
      if (process.env.SEC_DEBUG && !r.ok && r.error?.code === '23505') process.stdout.write(`[debug] ${doorName} ${f.name} ${v.name}: ${r.error?.message}\n`);
      const outcome = r.ok ? `${r.status ?? 'ok'}` : `${r.status ?? ''} ${r.error?.code}`.trim();
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (r.status !== undefined && r.status >= 500) report(`server error ${r.status}`);
      if (!r.ok && !r.error?.code) report('error without a code');
      if (v.foreignBrand && (r.ok || r.error?.code !== '42501' || (r.status !== undefined && r.status !== 403))) {
        report('a non-member call on B must be 403 42501');
      }
      // public functions answer the consumer view of B's public codes by design; nothing internal may show
      const leaks = await notCopiedElsewhere(leakedSecrets(text, sent, secretsB, isPublic ? ['internal'] : ['internal', 'consumer']));
      if (leaks.length) report(`B data in the response: ${leaks.map((l) => `${l.where}=${l.value}`).join(', ')}`);
    }
    const after = await brandSnapshot(db.admin, B.brand);
    const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
    if (changed.length) findings.push({ door: doorName, fn: f.name, variant: '*', problem: `B's rows changed in ${changed.join(', ')}` });
  }
  return { calls, ok2xx, findings, fns: fns.length, outcomes };
}

describe('isolation by construction', () => {
  it('the generator knows every argument of every exposed function (map a new name in test/support/arguments.ts)', () => {
    const unknown = unknownArguments(catalog);
    expect(unknown, `argument names without a generator — add them to BY_NAME or BY_FUNCTION in test/support/arguments.ts, ` +
      `saying whether they identify brand data (id-like): ${unknown.join(', ')}`).toEqual([]);
  });

  it('the fixture is real: B has a row in every data table, and the leak detector sees B through B\'s own owner', async () => {
    const snap = await brandSnapshot(db.admin, B.brand);
    const empty = Object.entries(snap).filter(([, v]) => v.startsWith('0:')).map(([t]) => t);
    expect(empty, 'data tables with no row of B: extend buildBrand in test/support/brand-fixture.ts').toEqual([]);
    expect(secretsB.length).toBeGreaterThan(30);
    const own = await sqlDoor({ sub: B.owner }, 'list_products', { _brand_id: B.brand });
    expect(leakedSecrets(JSON.stringify(own.data), '{}', secretsB).length).toBeGreaterThan(0);
  });

  it('SQL door: a member of A gets nothing of B and changes nothing of B, through every api function', async () => {
    const r = await runIsolation('sql', sqlDoor);
    expect(r.findings).toEqual([]);
    expect(r.ok2xx, 'some calls must succeed, or the test proves little').toBeGreaterThan(5);
    process.stdout.write(`[security] isolation outcomes (SQL door): ${JSON.stringify(r.outcomes)}\n`);
    tally('isolation: functions covered (SQL door)', r.fns);
    tally('isolation: calls (SQL door)', r.calls);
  }, 60_000);

  it('HTTP door: the same through the gateway', async () => {
    const r = await runIsolation('http', httpDoor);
    expect(r.findings).toEqual([]);
    expect(r.ok2xx).toBeGreaterThan(5);
    process.stdout.write(`[security] isolation outcomes (HTTP door): ${JSON.stringify(r.outcomes)}\n`);
    tally('isolation: functions covered (HTTP door)', r.fns);
    tally('isolation: calls (HTTP door)', r.calls);
  }, 60_000);

  it('the detector catches a deliberately leaky function (canary: a definer that ignores the brand)', async () => {
    await db.admin.unsafe(`
      create function api.zz_canary_leak(_brand_id uuid, _batch_id uuid) returns setof text
      language sql stable security definer set search_path = '' as $$
        select b.batch_number from data.batches b where b.id = _batch_id or b.brand_id <> _brand_id $$;
      create function api.zz_canary_write(_brand_id uuid, _batch_id uuid) returns void
      language sql volatile security definer set search_path = '' as $$
        update data.batches set facility_ref = 'canary' where id = _batch_id $$;
      grant execute on function api.zz_canary_leak(uuid, uuid), api.zz_canary_write(uuid, uuid) to authenticated;`);
    try {
      const cat = await loadCatalog(db.admin, ['api']);
      const canaries = cat.functions.filter((f) => f.name.startsWith('zz_canary_'));
      expect(canaries.length).toBe(2);
      // sqlCall caches the catalog per pool: use a second pool on the same database
      const pool = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
      try {
        const r = await runIsolation('sql', (who, fn, args) => sqlCall(pool, who, fn, args), canaries);
        const problems = r.findings.map((f) => `${f.fn}: ${f.problem}`).join('\n');
        expect(problems).toMatch(/zz_canary_leak: B data in the response/);
        expect(problems).toMatch(/zz_canary_write: B's rows changed in [^\n]*\bbatches\b/); // (and in the audit trail and the feed)
      } finally {
        await pool.end();
      }
    } finally {
      await db.admin.unsafe('drop function api.zz_canary_leak(uuid, uuid); drop function api.zz_canary_write(uuid, uuid)');
    }
  });

  it('list_my_brands and list_brand_members of A never mention B or its members', async () => {
    for (const call of [sqlDoor, httpDoor]) {
      const mine = await call({ sub: A.owner }, 'list_my_brands', {});
      expect(mine.ok).toBe(true);
      expect(await notCopiedElsewhere(leakedSecrets(JSON.stringify(mine.data), '', secretsB))).toEqual([]);
      const members = await call({ sub: A.owner }, 'list_brand_members', { _brand_id: A.brand });
      expect(await notCopiedElsewhere(leakedSecrets(JSON.stringify(members.data), '', secretsB))).toEqual([]);
    }
  });
});

describe('anonymous callers', () => {
  it('anon may execute exactly the public functions, and those are the consumer-facing ones', async () => {
    // the catalog lint checks anon ⊆ public list; this checks the other way round and the result type
    expect([...publicFns].sort()).toEqual(['get_public_batch', 'resolve_digital_link', 'resolve_serial']);
    for (const name of publicFns) {
      const f = catalog.functions.find((x) => x.name === name)!;
      expect(catalog.types.get(f.returnTypeOid)?.formatted, name).toBe('api.consumer_view');
      expect(f.volatility, name).not.toBe('volatile');
    }
  });

  it('every other function refuses anon before running (401 42501 with a challenge), with B\'s ids, and changes nothing', async () => {
    const before = await brandSnapshot(db.admin, B.brand);
    const bad: string[] = [];
    let n = 0;
    for (const f of catalog.functions.filter((x) => !publicFns.has(x.name))) {
      const args = buildArgs(f, () => B, ++n);
      for (const [door, call] of [['sql', sqlDoor], ['http', httpDoor]] as const) {
        const r = await call(null, f.name, args);
        if (r.ok || r.error?.code !== '42501' || (door === 'http' && r.status !== 401)) bad.push(`${door} ${f.name}: ${r.status ?? ''} ${JSON.stringify(r.error ?? r.data).slice(0, 200)}`);
        if (leakedSecrets(JSON.stringify(r.error ?? r.data), JSON.stringify(args), secretsB).length) bad.push(`${door} ${f.name}: leaks B`);
      }
    }
    expect(bad).toEqual([]);
    expect(await brandSnapshot(db.admin, B.brand)).toEqual(before);
    // the HTTP 401 carries the challenge
    const res = await fetch(`${gw.url}/rpc/list_products`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ _brand_id: B.brand }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('public functions answer B\'s public codes with the consumer view only: whitelisted keys, no internal id', async () => {
    let n = 0;
    for (const name of publicFns) {
      const f = catalog.functions.find((x) => x.name === name)!;
      for (const [door, call] of [['sql', sqlDoor], ['http', httpDoor]] as const) {
        const args = buildArgs(f, () => B, ++n);
        const r = await call(null, name, args);
        expect(r.ok, `${door} ${name}(${JSON.stringify(args)}): ${JSON.stringify(r.error)}`).toBe(true);
        const view = r.data as Record<string, unknown>;
        expect(Object.keys(view).sort(), `${door} ${name}`).toEqual(CONSUMER_KEYS);
        expect(view.valid, `${door} ${name}`).toBe(true);
        expect(view.brand_name, `${door} ${name}`).toBe(`${B.marker} brand`);
        expect(leakedSecrets(JSON.stringify(view), JSON.stringify(args), secretsB, ['internal']), `${door} ${name}`).toEqual([]);
        expect(JSON.stringify(view), `${door} ${name}: no uuid in a consumer view`).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      }
    }
  });

  it('public functions given any of B\'s internal identifiers answer nothing of B', async () => {
    const internal = secretsB.filter((s) => s.kind === 'internal' && !/^serials\.code$/.test(s.where));
    expect(internal.length).toBeGreaterThan(20);
    const bad: string[] = [];
    let calls = 0;
    for (const name of publicFns) {
      const f = catalog.functions.find((x) => x.name === name)!;
      const arg = f.inputs[0]!.name;
      for (const s of internal) {
        const inputs = name === 'resolve_digital_link'
          ? [s.value, `https://id.example.test/01/${B.gtin}/10/${encodeURIComponent(s.value)}`]
          : [s.value];
        for (const value of inputs) {
          calls++;
          const r = await httpDoor(null, name, { [arg]: value });
          const text = JSON.stringify(r.ok ? r.data : r.error);
          if (r.status !== undefined && r.status >= 500) bad.push(`${name}(${value}) → ${r.status}`);
          // the GTIN path legitimately names B's product (consumer fields); nothing internal, and no batch for an internal id
          { const l = leakedSecrets(text, value, secretsB, ["internal"]); if (l.length) bad.push(`${name}(${value}) leaks ${l.map((x) => x.where).join(",")}: ${text.slice(0, 200)}`); }
          if (r.ok && (r.data as { level?: string }).level !== undefined && ['serial', 'batch'].includes((r.data as { level: string }).level) &&
              (r.data as { valid?: boolean }).valid === true) {
            bad.push(`${name}(${value}) resolved an internal identifier to a ${(r.data as { level: string }).level}`);
          }
        }
      }
    }
    expect(bad).toEqual([]);
    tally('isolation: anon calls with B\'s internal identifiers', calls);
  }, 60_000);
});
