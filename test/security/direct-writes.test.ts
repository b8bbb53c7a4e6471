// Rules hold for every write that reaches the tables, not only for the api functions: a DBA (or anyone)
// at the SQL door who writes data.* directly as a member meets the same refusal as the RPC would give.
// 1. Which tables accept direct DML, for which role, is written down (docs/security.md, "Direct writes");
//    the grants and policies in the catalog must say the same, and every other table refuses every role.
// 2. Each rule an api function enforces is tried directly, as each role of the brand (viewer, editor,
//    admin, owner): a role the RPC lets past its role check gets the RPC's code from the table; a lower
//    role is refused by the grants or RLS (42501, or a statement that changes nothing); the row is unchanged.
// 3. The batch state machine as a property: random legal walks, then a random direct status change,
//    which succeeds exactly when set_batch_status would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { asUser, createTestDb, type TestDb } from '../support/db.ts';
import type { Who } from '../support/door.ts';
import { sqlCall } from '../support/sqldoor.ts';

let db: TestDb;
const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
type Role = (typeof ROLES)[number];
const WHO: Record<Role, Who> = { viewer: { sub: 'dw-viewer' }, editor: { sub: 'dw-editor' }, admin: { sub: 'dw-admin' }, owner: { sub: 'dw-owner' } };
const rank = (r: Role) => ROLES.indexOf(r);
let brand: string;
let product: string;
let n = 0;
const uniq = (p: string) => `${p}-${++n}`;

async function ok<T = Record<string, unknown>>(who: Who, fn: string, args: Record<string, unknown>): Promise<T> {
  const r = await sqlCall(db.admin, who, fn, args);
  if (!r.ok) throw new Error(`${fn}: ${JSON.stringify(r.error)}`);
  return r.data as T;
}

/** A direct statement as `who` (committed when it succeeds): the SQLSTATE, or the number of rows it changed. */
async function direct(who: Who, text: string, params: unknown[] = []): Promise<{ code?: string; rows?: number }> {
  try {
    const r = await asUser(db.admin, who, (tx) => tx.unsafe(text, params as never[]));
    return { rows: r.count };
  } catch (e) {
    return { code: (e as { code?: string }).code ?? String(e) };
  }
}

beforeAll(async () => {
  db = await createTestDb();
  brand = (await ok<{ id: string }>(WHO.owner, 'create_brand', { _name: 'Direct writes' })).id;
  for (const r of ['viewer', 'editor', 'admin'] as const) await ok(WHO.owner, 'add_brand_member', { _brand_id: brand, _user_id: WHO[r].sub, _role: r });
  product = (await ok<{ id: string }>(WHO.editor, 'create_product', { _brand_id: brand, _name: 'Direct oil' })).id;
});
afterAll(async () => {
  await db?.drop();
});

// ---------------------------------------------------------------------------------------- 1. the grants

/** Direct DML a member may do, by table: the least role for each statement (RLS), and the columns granted. */
const DIRECT_DML: Record<string, { insert?: Role; update?: Role | 'platform admin'; delete?: Role }> = {
  brand_members: { insert: 'admin', update: 'admin', delete: 'admin' },
  products: { insert: 'editor', update: 'editor', delete: 'admin' },
  suppliers: { insert: 'editor', update: 'editor', delete: 'admin' },
  batches: { insert: 'editor', update: 'editor', delete: 'admin' },
  locations: { insert: 'editor', update: 'editor' },
  // a claim is filed by a brand admin (always pending); only a platform administrator decides (no brand role does)
  gtin_claims: { insert: 'admin', update: 'platform admin' },
  serial_formats: { insert: 'admin', update: 'admin' },
  release_rules: { insert: 'admin', update: 'admin' },
  // webhook endpoints; create_webhook starts an endpoint's feed cursor, redeliver_webhook queues a new delivery
  webhooks: { insert: 'admin', update: 'admin', delete: 'admin' },
  webhook_cursors: { insert: 'admin' },
  webhook_deliveries: { insert: 'admin' },
};

describe('which tables accept direct writes', () => {
  it('the grants to authenticated are exactly the documented ones; every other data table is read-only', async () => {
    const rows = await db.admin<{ t: string; p: string }[]>`
      select c.relname as t, p.p from pg_class c
       cross join (values ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) p (p)
       where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p')
         and (has_table_privilege('authenticated', c.oid, p.p)
              or (p.p in ('INSERT', 'UPDATE') and has_any_column_privilege('authenticated', c.oid, p.p)))`;
    const granted: Record<string, string[]> = {};
    for (const r of rows) (granted[r.t] ??= []).push(r.p.toLowerCase());
    const documented = Object.fromEntries(Object.entries(DIRECT_DML).map(([t, ops]) => [t, Object.keys(ops).sort()]));
    expect(Object.fromEntries(Object.entries(granted).map(([t, ops]) => [t, ops.sort()]))).toEqual(documented);
  });

  it('every read-only table refuses insert, update and delete to every role with 42501', async () => {
    const tables = await db.admin<{ t: string }[]>`
      select c.relname as t from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p') order by 1`;
    for (const { t } of tables.filter((x) => !(x.t in DIRECT_DML))) {
      const key = t === 'brands' ? 'id' : 'brand_id';
      for (const role of ROLES) {
        for (const stmt of [`insert into data.${t} (${key}) values ($1)`, `update data.${t} set ${key} = ${key} where ${key} = $1`,
                            `delete from data.${t} where ${key} = $1`]) {
          expect(await direct(WHO[role], stmt, [brand]), `${role}: ${stmt}`).toEqual({ code: '42501' });
        }
      }
    }
  });

  it('below the least role, RLS refuses an insert (42501) and an update or delete changes nothing', async () => {
    const batch = (await ok<{ id: string }>(WHO.editor, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: uniq('RLS') })).id;
    const probes: Record<string, { update: string; delete: string; id: string }> = {
      batches: { update: `update data.batches set unit = 'kg' where id = $1`, delete: `delete from data.batches where id = $1`, id: batch },
      products: { update: `update data.products set unit = 'kg' where id = $1`, delete: `delete from data.products where id = $1`, id: product },
    };
    for (const [t, p] of Object.entries(probes)) {
      const least = DIRECT_DML[t]!;
      for (const role of ROLES) {
        if (rank(role) < rank(least.update as Role)) expect(await direct(WHO[role], p.update, [p.id]), `${role} ${t} update`).toEqual({ rows: 0 });
        if (rank(role) < rank(least.delete!)) expect(await direct(WHO[role], p.delete, [p.id]), `${role} ${t} delete`).toEqual({ rows: 0 });
      }
    }
    expect(await direct(WHO.viewer, `insert into data.batches (brand_id, product_id, batch_number) values ($1, $2, 'V')`, [brand, product]))
      .toEqual({ code: '42501' });
    expect(await direct(WHO.editor, `insert into data.brand_members (brand_id, user_id, role) values ($1, 'x', 'viewer')`, [brand]))
      .toEqual({ code: '42501' });
  });
});

// ------------------------------------------------------------------------------------- 2. rule by rule

interface Bypass {
  /** a fresh target */
  setup(): Promise<Record<string, string>>;
  /** the direct statement and its parameters */
  direct(c: Record<string, string>): [string, unknown[]];
  /** the RPC refused for the same reason */
  rpc(c: Record<string, string>): [string, Record<string, unknown>];
  /** least role the RPC lets past its role check */
  role: Role;
  /** the refusal for roles at or above it: the same SQLSTATE, or (constraint vs. validation) the same 400 */
  code: string | { rpc: string; table: string };
  /** true while the target is as it was */
  unchanged(c: Record<string, string>): Promise<boolean>;
}

const batchIn = async (path: string[]) => {
  const id = (await ok<{ id: string }>(WHO.editor, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: uniq('DW') })).id;
  for (const s of path) await ok(WHO.editor, 'set_batch_status', { _brand_id: brand, _batch_id: id, _status: s, _reason: 'test' });
  return id;
};
const batchIs = async (id: string, cond: string) =>
  (await db.admin.unsafe<{ v: boolean }[]>(`select ${cond} as v from data.batches where id = $1`, [id]))[0]!.v;

const BYPASSES: Record<string, Bypass> = {
  'un-recall a batch (recalled → active, recall message cleared)': {
    setup: async () => ({ b: await batchIn(['recalled']) }),
    direct: (c) => [`update data.batches set status = 'active', recall_message = null where id = $1`, [c.b!]],
    rpc: (c) => ['set_batch_status', { _brand_id: brand, _batch_id: c.b!, _status: 'active' }],
    role: 'editor',
    code: 'PT409',
    unchanged: (c) => batchIs(c.b!, `status = 'recalled' and recall_message = 'test'`),
  },
  'change an archived batch': {
    setup: async () => ({ b: await batchIn(['archived']) }),
    direct: (c) => [`update data.batches set quantity = 42 where id = $1`, [c.b!]],
    rpc: (c) => ['update_product_batch', { _brand_id: brand, _batch_id: c.b!, _patch: { quantity: 42 } }],
    role: 'editor',
    code: 'PT409',
    unchanged: (c) => batchIs(c.b!, `quantity = 0 and status = 'archived'`),
  },
  'archive a live batch by setting archived_at alone': {
    setup: async () => ({ b: await batchIn([]) }),
    direct: (c) => [`update data.batches set archived_at = now() where id = $1`, [c.b!]],
    rpc: (c) => ['update_product_batch', { _brand_id: brand, _batch_id: c.b!, _patch: { archived_at: '2026-01-01T00:00:00Z' } }],
    role: 'editor',
    code: { rpc: '22023', table: '23514' },
    unchanged: (c) => batchIs(c.b!, `archived_at is null and status = 'active'`),
  },
  'expiry date before the production date': {
    setup: async () => ({ b: await batchIn([]) }),
    direct: (c) => [`update data.batches set production_date = '2026-05-01', expiry_date = '2026-01-01' where id = $1`, [c.b!]],
    rpc: (c) => ['update_product_batch', { _brand_id: brand, _batch_id: c.b!, _patch: { production_date: '2026-05-01', expiry_date: '2026-01-01' } }],
    role: 'editor',
    code: { rpc: '22023', table: '23514' },
    unchanged: (c) => batchIs(c.b!, `production_date is null and expiry_date is null`),
  },
  'remove the last owner': {
    setup: async () => ({}),
    direct: () => [`delete from data.brand_members where brand_id = $1 and user_id = $2`, [brand, WHO.owner.sub]],
    rpc: () => ['remove_brand_member', { _brand_id: brand, _user_id: WHO.owner.sub }],
    role: 'owner',
    code: 'PT409',
    unchanged: async () => (await db.admin`select 1 from data.brand_members where brand_id = ${brand} and role = 'owner'`).length === 1,
  },
  'demote the last owner': {
    setup: async () => ({}),
    direct: () => [`update data.brand_members set role = 'admin' where brand_id = $1 and user_id = $2`, [brand, WHO.owner.sub]],
    rpc: () => ['remove_brand_member', { _brand_id: brand, _user_id: WHO.owner.sub }],
    role: 'owner',
    code: 'PT409',
    unchanged: async () => (await db.admin`select 1 from data.brand_members where brand_id = ${brand} and role = 'owner'`).length === 1,
  },
  'a member id with control characters': {
    setup: async () => ({ u: `evil\n${uniq('id')}` }),
    direct: (c) => [`insert into data.brand_members (brand_id, user_id, role) values ($1, $2, 'viewer')`, [brand, c.u!]],
    rpc: (c) => ['add_brand_member', { _brand_id: brand, _user_id: c.u! }],
    role: 'admin',
    code: { rpc: '22023', table: '23514' },
    unchanged: async (c) => (await db.admin`select 1 from data.brand_members where user_id = ${c.u!}`).length === 0,
  },
  'a GTIN with a wrong check digit': {
    setup: async () => ({}),
    direct: () => [`update data.products set gtin = '04006381333932' where id = $1`, [product]],
    rpc: () => ['create_product', { _brand_id: brand, _name: 'Bad GTIN', _gtin: '4006381333932' }],
    role: 'editor',
    code: { rpc: '22023', table: '23514' },
    unchanged: async () => (await db.admin`select 1 from data.products where id = ${product} and gtin is null`).length === 1,
  },
  'rename an archived location': {
    setup: async () => {
      const l = (await ok<{ id: string }>(WHO.editor, 'create_location', { _brand_id: brand, _name: uniq('Old store') })).id;
      await ok(WHO.admin, 'archive_location', { _brand_id: brand, _location_id: l });
      return { l };
    },
    direct: (c) => [`update data.locations set name = 'Reborn' where id = $1`, [c.l!]],
    rpc: (c) => ['rename_location', { _brand_id: brand, _location_id: c.l!, _name: 'Reborn' }],
    role: 'editor',
    code: 'PT409',
    unchanged: async (c) => (await db.admin`select 1 from data.locations where id = ${c.l!} and name like 'Old store%'`).length === 1,
  },
};

const codeOf = (b: Bypass, side: 'rpc' | 'table') => (typeof b.code === 'string' ? b.code : b.code[side]);

describe('rules an api function enforces hold for direct writes too, for every role', () => {
  for (const [name, b] of Object.entries(BYPASSES)) {
    it(name, async () => {
      for (const role of ROLES) {
        const c = await b.setup();
        const [fn, args] = b.rpc(c);
        const rpc = await sqlCall(db.admin, WHO[role], fn, args);
        const [text, params] = b.direct(c);
        const d = await direct(WHO[role], text, params);
        expect(rpc.ok, `${role}: the RPC is refused`).toBe(false);
        if (rank(role) >= rank(b.role)) {
          expect(rpc.error!.code, `${role}: RPC`).toBe(codeOf(b, 'rpc'));
          expect(d, `${role}: direct write`).toEqual({ code: codeOf(b, 'table') });
        } else {
          expect(rpc.error!.code, `${role}: RPC role check`).toBe('42501');
          expect(d.code === '42501' || d.rows === 0, `${role}: direct write refused or without effect: ${JSON.stringify(d)}`).toBe(true);
        }
        expect(await b.unchanged(c), `${role}: unchanged`).toBe(true);
      }
    });
  }

  it('created_by is the acting user, whatever a direct insert claims', async () => {
    const rows = await asUser(db.admin, WHO.editor, (tx) => tx.unsafe(
      `insert into data.batches (brand_id, product_id, batch_number, created_by) values ($1, $2, $3, 'someone-else') returning created_by`,
      [brand, product, uniq('CB')]));
    expect(rows[0]!.created_by).toBe(WHO.editor.sub);
    const loc = await asUser(db.admin, WHO.editor, (tx) => tx.unsafe(
      `insert into data.locations (brand_id, name, created_by) values ($1, $2, 'someone-else') returning created_by`, [brand, uniq('CB room')]));
    expect(loc[0]!.created_by).toBe(WHO.editor.sub);
  });

  it('a batch inserted directly starts where the state machine allows, and archiving stamps archived_at', async () => {
    const rows = await asUser(db.admin, WHO.editor, (tx) => tx.unsafe(
      `insert into data.batches (brand_id, product_id, batch_number, status) values ($1, $2, $3, 'archived') returning archived_at is not null as stamped`,
      [brand, product, uniq('AR')]));
    expect(rows[0]!.stamped).toBe(true);
    expect(await direct(WHO.editor, `insert into data.batches (brand_id, product_id, batch_number, status) values ($1, $2, $3, 'nonsense')`,
      [brand, product, uniq('NS')])).toEqual({ code: '22023' });
  });
});

// ----------------------------------------------------------------------- 3. the state machine, property

describe('the batch state machine holds for direct writes (property)', () => {
  it('a direct status change succeeds exactly when set_batch_status allows it (writing the same status is a no-op, except on an archived batch)', async () => {
    const statuses = (await db.admin<{ statuses: string[] }[]>`select app.batch_statuses() as statuses`)[0]!.statuses;
    const next = async (s: string) => (await db.admin<{ n: string[] }[]>`select app.batch_status_next(${s}) as n`)[0]!.n;
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 4 }), fc.constantFrom(...statuses), async (walk, target) => {
      const b = await batchIn([]);
      let at = 'active';
      for (const step of walk) {
        const options = await next(at);
        if (!options.length) break;
        at = options[step % options.length]!;
        await ok(WHO.editor, 'set_batch_status', { _brand_id: brand, _batch_id: b, _status: at, _reason: 'walk' });
      }
      const legal = target === at ? at !== 'archived' : (await next(at)).includes(target);
      const d = await direct(WHO.editor, `update data.batches set status = $2 where id = $1`, [b, target]);
      if (legal) expect(d, `${at} → ${target}`).toEqual({ rows: 1 });
      else expect(d, `${at} → ${target}`).toEqual({ code: 'PT409' });
    }), { numRuns: 40, seed: 13 });
  });
});
