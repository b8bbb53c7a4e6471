// One case list for the foundation RPCs, run through two doors: SQL (app.act_as) and HTTP.
// Each door implements `Door` (test/support/door.ts); test/sql/core.test.ts and test/http/core.test.ts
// run `defineCoreCases`.
import { describe, expect, it, beforeAll } from 'vitest';
import { expectError, must, type Door } from '../support/door.ts';

export const USERS = {
  alice: { sub: 'alice' }, // owner of A
  adam: { sub: 'adam' }, // admin of A
  eve: { sub: 'eve' }, // editor of A
  vic: { sub: 'vic' }, // viewer of A
  bob: { sub: 'bob' }, // owner of B
  oscar: { sub: 'oscar' }, // member of nothing
} as const;

export interface Fixture {
  brandA: string;
  brandB: string;
  productA: string;
  productA2: string;
  productB: string;
  batchA: string;
  batchB: string;
}

async function setup(door: Door): Promise<Fixture> {
  const tag = Math.random().toString(36).slice(2, 8);
  const brandA = must<{ id: string; role: string }>(await door.call(USERS.alice, 'create_brand', { _name: `Acme ${tag}` }));
  expect(brandA.role).toBe('owner');
  const brandB = must<{ id: string }>(await door.call(USERS.bob, 'create_brand', { _name: `Bolt ${tag}`, _slug: `bolt-${tag}` }));
  for (const [user, role] of [['adam', 'admin'], ['eve', 'editor'], ['vic', 'viewer']] as const) {
    must(await door.call(USERS.alice, 'add_brand_member', { _brand_id: brandA.id, _user_id: user, _role: role }));
  }
  const productA = must<{ id: string }>(await door.call(USERS.eve, 'create_product', {
    _brand_id: brandA.id, _name: 'Olive oil 1L', _gtin: '4006381333931', _sku: 'OO-1L', _ean: '4006381333931', _article_code: 'ART-OO1',
  }));
  const productA2 = must<{ id: string }>(await door.call(USERS.eve, 'create_product', { _brand_id: brandA.id, _name: 'Vinegar', _sku: 'VIN-05' }));
  const productB = must<{ id: string }>(await door.call(USERS.bob, 'create_product', { _brand_id: brandB.id, _name: 'Secret sauce' }));
  const batchA = must<{ id: string }>(await door.call(USERS.eve, 'create_product_batch', {
    _brand_id: brandA.id, _product_id: productA.id, _batch_number: 'LOT-A-1', _quantity: 10,
  }));
  const batchB = must<{ id: string }>(await door.call(USERS.bob, 'create_product_batch', {
    _brand_id: brandB.id, _product_id: productB.id, _batch_number: 'LOT-B-1', _quantity: 99,
  }));
  return { brandA: brandA.id, brandB: brandB.id, productA: productA.id, productA2: productA2.id, productB: productB.id, batchA: batchA.id, batchB: batchB.id };
}

export function defineCoreCases(getDoor: () => Door): void {
  let door: Door;
  let fx: Fixture;

  beforeAll(async () => {
    door = getDoor();
    fx = await setup(door);
  });

  describe('batch RPCs: create → list → update', () => {
    it('returns the batch fields and values', async () => {
      const created = must<Record<string, unknown>>(await door.call(USERS.eve, 'create_product_batch', {
        _brand_id: fx.brandA, _product_id: fx.productA, _batch_number: 'BATCH-2026-001', _production_date: '2026-01-15',
        _quantity: 500, _facility_ref: 'FAC-EU-01', _attributes: {},
      }));
      expect(created).toMatchObject({
        product_id: fx.productA, batch_number: 'BATCH-2026-001', status: 'active', production_date: '2026-01-15',
        quantity: 500, facility_ref: 'FAC-EU-01',
      });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof created.created_at).toBe('string');

      const list = must<Record<string, unknown>[]>(await door.call(USERS.vic, 'list_product_batches', { _brand_id: fx.brandA, _product_id: fx.productA }));
      const row = list.find((b) => b.id === created.id)!;
      expect(row).toMatchObject({ batch_number: 'BATCH-2026-001', status: 'active', production_date: '2026-01-15', quantity: 500, facility_ref: 'FAC-EU-01', attributes: {} });
      for (const k of ['id', 'batch_number', 'status', 'production_date', 'quantity', 'facility_ref', 'attributes', 'created_at', 'updated_at']) expect(row).toHaveProperty(k);
      expect(list.every((b) => b.product_id === fx.productA)).toBe(true);

      const updated = must<Record<string, unknown>>(await door.call(USERS.eve, 'update_product_batch', {
        _brand_id: fx.brandA, _batch_id: created.id, _patch: { quantity: 600, facility_ref: 'FAC-EU-02' },
      }));
      expect(updated).toMatchObject({ id: created.id, batch_number: 'BATCH-2026-001', status: 'active', quantity: 600, facility_ref: 'FAC-EU-02', version: 2 });
      expect(Date.parse(updated.updated_at as string)).toBeGreaterThanOrEqual(Date.parse(created.created_at as string));
    });

    it('keeps the optional fields optional and stores the extras', async () => {
      const b = must<Record<string, unknown>>(await door.call(USERS.eve, 'create_product_batch', {
        _brand_id: fx.brandA, _product_id: fx.productA, _batch_number: 'MIN-1',
      }));
      expect(b).toMatchObject({ status: 'active', quantity: 0, production_date: null, facility_ref: null, attributes: {} });
      const c = must<Record<string, unknown>>(await door.call(USERS.eve, 'create_product_batch', {
        _brand_id: fx.brandA, _product_id: fx.productA, _batch_number: 'EXT-1', _expiry_date: '2027-06-30', _unit: 'pcs', _external_id: 'ERP-1', _attributes: { colour: 'green' },
      }));
      expect(c).toMatchObject({ expiry_date: '2027-06-30', unit: 'pcs', external_id: 'ERP-1', attributes: { colour: 'green' } });
    });
  });

  describe('tenant isolation', () => {
    it("a member of A gets none of B's data through any RPC, even with B's ids", async () => {
      const attempts: [string, Record<string, unknown>][] = [
        ['list_product_batches', { _brand_id: fx.brandB, _product_id: fx.productB }],
        ['get_product_batch', { _brand_id: fx.brandB, _product_id: fx.productB, _batch_id: fx.batchB }],
        ['find_batch', { _brand_id: fx.brandB, _batch_id: fx.batchB }],
        ['search_batches', { _brand_id: fx.brandB }],
        ['list_products', { _brand_id: fx.brandB }],
        ['list_brand_members', { _brand_id: fx.brandB }],
        ['create_product_batch', { _brand_id: fx.brandB, _product_id: fx.productB, _batch_number: 'X' }],
        ['update_product_batch', { _brand_id: fx.brandB, _batch_id: fx.batchB, _patch: { quantity: 1 } }],
        ['set_batch_status', { _brand_id: fx.brandB, _batch_id: fx.batchB, _status: 'recalled' }],
        ['delete_product_batch', { _brand_id: fx.brandB, _batch_id: fx.batchB }],
        ['create_product', { _brand_id: fx.brandB, _name: 'intruder' }],
        ['add_brand_member', { _brand_id: fx.brandB, _user_id: 'alice', _role: 'owner' }],
      ];
      for (const [fn, args] of attempts) {
        for (const who of [USERS.alice, USERS.eve, USERS.oscar]) {
          const r = await door.call(who, fn, args);
          expectError(r, '42501', 403);
          expect(JSON.stringify(r)).not.toContain('LOT-B-1');
        }
      }
      // A's brand with B's row ids: not found, never B's row
      for (const [fn, args] of [
        ['find_batch', { _brand_id: fx.brandA, _batch_id: fx.batchB }],
        ['get_product_batch', { _brand_id: fx.brandA, _product_id: fx.productB, _batch_id: fx.batchB }],
        ['update_product_batch', { _brand_id: fx.brandA, _batch_id: fx.batchB, _patch: { quantity: 1 } }],
        ['set_batch_status', { _brand_id: fx.brandA, _batch_id: fx.batchB, _status: 'recalled' }],
        ['delete_product_batch', { _brand_id: fx.brandA, _batch_id: fx.batchB }],
        ['list_product_batches', { _brand_id: fx.brandA, _product_id: fx.productB }],
        ['create_product_batch', { _brand_id: fx.brandA, _product_id: fx.productB, _batch_number: 'X' }],
      ] as const) {
        const r = await door.call(USERS.alice, fn, args);
        expectError(r, 'PT404', 404);
      }
      const search = must<{ items: { id: string }[] }>(await door.call(USERS.alice, 'search_batches', { _brand_id: fx.brandA, _term: 'LOT-B' }));
      expect(search.items).toEqual([]);
      const brands = must<{ id: string }[]>(await door.call(USERS.alice, 'list_my_brands'));
      expect(brands.map((b) => b.id)).toEqual([fx.brandA]);
      expect(must<unknown[]>(await door.call(USERS.oscar, 'list_my_brands'))).toEqual([]);
      // B is unchanged
      const b = must<Record<string, unknown>>(await door.call(USERS.bob, 'find_batch', { _brand_id: fx.brandB, _batch_id: fx.batchB }));
      expect(b).toMatchObject({ quantity: 99, status: 'active', version: 1 });
    });

    it('anonymous callers and authenticated callers without a subject see nothing', async () => {
      const anon = await door.call(null, 'list_product_batches', { _brand_id: fx.brandA, _product_id: fx.productA });
      expectError(anon, '42501', 401);
      const anonBrands = await door.call(null, 'list_my_brands');
      expectError(anonBrands, '42501', 401);
      const nosub = await door.call({ sub: null }, 'list_product_batches', { _brand_id: fx.brandA, _product_id: fx.productA });
      expectError(nosub, 'PT401', 401);
      const nosubBrands = await door.call({ sub: null }, 'list_my_brands');
      expectError(nosubBrands, 'PT401', 401);
    });
  });

  describe('role matrix', () => {
    it('viewers read but cannot write; editors cannot delete; admins can', async () => {
      expect(must<unknown[]>(await door.call(USERS.vic, 'list_product_batches', { _brand_id: fx.brandA, _product_id: fx.productA })).length).toBeGreaterThan(0);
      const before = await door.count('batches', fx.brandA);
      expectError(await door.call(USERS.vic, 'create_product_batch', { _brand_id: fx.brandA, _product_id: fx.productA, _batch_number: 'V-1' }), '42501', 403);
      expectError(await door.call(USERS.vic, 'update_product_batch', { _brand_id: fx.brandA, _batch_id: fx.batchA, _patch: { quantity: 1 } }), '42501', 403);
      expectError(await door.call(USERS.vic, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: fx.batchA, _status: 'recalled' }), '42501', 403);
      expectError(await door.call(USERS.vic, 'delete_product_batch', { _brand_id: fx.brandA, _batch_id: fx.batchA }), '42501', 403);
      expectError(await door.call(USERS.vic, 'create_product', { _brand_id: fx.brandA, _name: 'nope' }), '42501', 403);
      expectError(await door.call(USERS.eve, 'delete_product_batch', { _brand_id: fx.brandA, _batch_id: fx.batchA }), '42501', 403);
      expectError(await door.call(USERS.eve, 'add_brand_member', { _brand_id: fx.brandA, _user_id: 'zed', _role: 'viewer' }), '42501', 403);
      expectError(await door.call(USERS.adam, 'add_brand_member', { _brand_id: fx.brandA, _user_id: 'zed', _role: 'owner' }), '42501', 403, '_role');
      expect(await door.count('batches', fx.brandA)).toBe(before);

      const doomed = must<{ id: string }>(await door.call(USERS.eve, 'create_product_batch', { _brand_id: fx.brandA, _product_id: fx.productA2, _batch_number: 'DOOMED' }));
      const deleted = must<{ id: string }>(await door.call(USERS.adam, 'delete_product_batch', { _brand_id: fx.brandA, _batch_id: doomed.id }));
      expect(deleted.id).toBe(doomed.id);
      expectError(await door.call(USERS.adam, 'find_batch', { _brand_id: fx.brandA, _batch_id: doomed.id }), 'PT404', 404, '_batch_id');
    });

    it('members are managed by admins and owners', async () => {
      must(await door.call(USERS.adam, 'add_brand_member', { _brand_id: fx.brandA, _user_id: 'zoe', _role: 'editor' }));
      expectError(await door.call(USERS.adam, 'add_brand_member', { _brand_id: fx.brandA, _user_id: 'zoe', _role: 'viewer' }), '23505', 409, '_user_id');
      const members = must<{ user_id: string; role: string }[]>(await door.call(USERS.vic, 'list_brand_members', { _brand_id: fx.brandA }));
      expect(members.find((m) => m.user_id === 'zoe')?.role).toBe('editor');
      expectError(await door.call(USERS.adam, 'remove_brand_member', { _brand_id: fx.brandA, _user_id: 'alice' }), '42501', 403);
      expectError(await door.call(USERS.alice, 'remove_brand_member', { _brand_id: fx.brandA, _user_id: 'alice' }), 'PT409', 409);
      must(await door.call(USERS.adam, 'remove_brand_member', { _brand_id: fx.brandA, _user_id: 'zoe' }));
      expectError(await door.call({ sub: 'zoe' }, 'list_products', { _brand_id: fx.brandA }), '42501', 403);
      expectError(await door.call(USERS.adam, 'add_brand_member', { _brand_id: fx.brandA, _user_id: 'zoe', _role: 'boss' }), '22023', 400, '_role');
    });
  });

  describe('invalid input: a clear 4xx and nothing written', () => {
    it('rejects bad values naming the field', async () => {
      const before = await door.count('batches', fx.brandA);
      const base = { _brand_id: fx.brandA, _product_id: fx.productA };
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'NEG', _quantity: -1 }), '22023', 400, '_quantity');
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: null }), '22023', 400, '_batch_number');
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: '   ' }), '22023', 400, '_batch_number');
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'x'.repeat(101) }), '22023', 400, '_batch_number');
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'ATTR', _attributes: [1, 2] }), '22023', 400, '_attributes');
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'EXP', _production_date: '2026-05-01', _expiry_date: '2026-01-01' }), '22023', 400, '_expiry_date');
      // wrong types and malformed dates are Postgres cast errors: 400 with the SQLSTATE
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'T', _quantity: 'lots' }), '22P02', 400);
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'D', _production_date: '2026-13-45' }), '22008', 400);
      expectError(await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'D', _production_date: 'yesterday-ish' }), '22007', 400);
      expectError(await door.call(USERS.eve, 'create_product_batch', { _brand_id: 'not-a-uuid', _product_id: fx.productA, _batch_number: 'U' }), '22P02', 400);
      // duplicate batch number within the product: 409 naming it; same number on another product is fine
      const dup = await door.call(USERS.eve, 'create_product_batch', { ...base, _batch_number: 'LOT-A-1' });
      expectError(dup, '23505', 409, '_batch_number');
      expect(dup.error?.message).toContain('LOT-A-1');
      expect(await door.count('batches', fx.brandA)).toBe(before);
      must(await door.call(USERS.eve, 'create_product_batch', { _brand_id: fx.brandA, _product_id: fx.productA2, _batch_number: 'LOT-A-1' }));
      expect(await door.count('batches', fx.brandA)).toBe(before + 1);
    });

    it('update_product_batch rejects unknown and read-only patch keys, naming the key', async () => {
      const args = (patch: unknown) => ({ _brand_id: fx.brandA, _batch_id: fx.batchA, _patch: patch });
      expectError(await door.call(USERS.eve, 'update_product_batch', args({ quantity: 5, colour: 'red' })), '22023', 400, '_patch.colour');
      for (const key of ['id', 'brand_id', 'product_id', 'created_at', 'updated_at']) {
        expectError(await door.call(USERS.eve, 'update_product_batch', args({ [key]: 'x' })), '22023', 400, `_patch.${key}`);
      }
      expectError(await door.call(USERS.eve, 'update_product_batch', args({ status: 'recalled' })), '22023', 400, '_patch.status');
      expectError(await door.call(USERS.eve, 'update_product_batch', args({ quantity: -3 })), '22023', 400, '_patch.quantity');
      expectError(await door.call(USERS.eve, 'update_product_batch', args({ quantity: '3' })), '22023', 400, '_patch.quantity');
      expectError(await door.call(USERS.eve, 'update_product_batch', args({ expiry_date: '31/12/2026' })), '22023', 400, '_patch.expiry_date');
      expectError(await door.call(USERS.eve, 'update_product_batch', args({ production_date: '2026-02-30' })), '22023', 400, '_patch.production_date');
      expectError(await door.call(USERS.eve, 'update_product_batch', args([1])), '22023', 400, '_patch');
      const b = must<Record<string, unknown>>(await door.call(USERS.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: fx.batchA }));
      expect(b).toMatchObject({ quantity: 10, version: 1 });
    });

    it('optimistic concurrency: a stale _expected_version is 412', async () => {
      const b = must<{ id: string; version: number }>(await door.call(USERS.eve, 'create_product_batch', { _brand_id: fx.brandA, _product_id: fx.productA2, _batch_number: 'OCC' }));
      const u1 = must<{ version: number }>(await door.call(USERS.eve, 'update_product_batch', { _brand_id: fx.brandA, _batch_id: b.id, _patch: { unit: 'kg' }, _expected_version: b.version }));
      expect(u1.version).toBe(b.version + 1);
      expectError(await door.call(USERS.eve, 'update_product_batch', { _brand_id: fx.brandA, _batch_id: b.id, _patch: { unit: 'g' }, _expected_version: b.version }), 'PT412', 412, '_expected_version');
      // an identical patch changes nothing: same version
      const same = must<{ version: number }>(await door.call(USERS.eve, 'update_product_batch', { _brand_id: fx.brandA, _batch_id: b.id, _patch: { unit: 'kg' } }));
      expect(same.version).toBe(u1.version);
    });
  });

  describe('status state machine', () => {
    it('allows documented transitions and answers 409 naming both states otherwise', async () => {
      const b = must<{ id: string }>(await door.call(USERS.eve, 'create_product_batch', { _brand_id: fx.brandA, _product_id: fx.productA2, _batch_number: 'SM-1' }));
      const args = (s: string, extra: Record<string, unknown> = {}) => ({ _brand_id: fx.brandA, _batch_id: b.id, _status: s, ...extra });
      expect(must<{ status: string }>(await door.call(USERS.eve, 'set_batch_status', args('in_testing'))).status).toBe('in_testing');
      expect(must<{ status: string }>(await door.call(USERS.eve, 'set_batch_status', args('ready_for_sale'))).status).toBe('ready_for_sale');
      const recalled = must<Record<string, unknown>>(await door.call(USERS.eve, 'set_batch_status', args('recalled', { _reason: 'Contamination risk' })));
      expect(recalled).toMatchObject({ status: 'recalled', recall_message: 'Contamination risk' });
      const illegal = await door.call(USERS.eve, 'set_batch_status', args('active'));
      expectError(illegal, 'PT409', 409, '_status');
      expect(illegal.error?.message).toContain('recalled');
      expect(illegal.error?.message).toContain('active');
      expectError(await door.call(USERS.eve, 'set_batch_status', args('sold_out')), '22023', 400, '_status');
      const archived = must<Record<string, unknown>>(await door.call(USERS.eve, 'set_batch_status', args('archived')));
      expect(archived.archived_at).not.toBeNull();
      expectError(await door.call(USERS.eve, 'update_product_batch', { _brand_id: fx.brandA, _batch_id: b.id, _patch: { unit: 'kg' } }), 'PT409', 409);
    });
  });

  describe('search_batches', () => {
    it('filters, sorts and pages stably', async () => {
      const made: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = must<{ id: string }>(await door.call(USERS.eve, 'create_product_batch', { _brand_id: fx.brandA, _product_id: fx.productA2, _batch_number: `SRCH-${i}` }));
        made.push(r.id);
      }
      must(await door.call(USERS.eve, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: made[0], _status: 'in_testing' }));
      const byTerm = must<{ items: { batch_number: string }[]; total: number | null }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _term: 'srch-', _include_total: true }));
      expect(byTerm.items.map((b) => b.batch_number).sort()).toEqual(['SRCH-0', 'SRCH-1', 'SRCH-2', 'SRCH-3', 'SRCH-4', 'SRCH-5', 'SRCH-6']);
      expect(byTerm.total).toBe(7);
      const bySku = must<{ items: { product_id: string }[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _sku: 'VIN-05' }));
      expect(bySku.items.length).toBeGreaterThanOrEqual(7);
      expect(bySku.items.every((b) => b.product_id === fx.productA2)).toBe(true);
      const byTermOnProduct = must<{ items: { product_id: string }[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _term: 'olive' }));
      expect(byTermOnProduct.items.length).toBeGreaterThan(0);
      expect(byTermOnProduct.items.every((b) => b.product_id === fx.productA)).toBe(true);
      const byArticle = must<{ items: { product_id: string }[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _article_code: 'ART-OO1' }));
      expect(byArticle.items.every((b) => b.product_id === fx.productA)).toBe(true);
      const byEan = must<{ items: unknown[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _ean: '4006381333931' }));
      expect(byEan.items.length).toBe(byArticle.items.length);
      const byStatus = must<{ items: { id: string }[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _status: 'in_testing', _product_id: fx.productA2 }));
      expect(byStatus.items.map((b) => b.id)).toEqual([made[0]]);

      // keyset paging by created_at asc: pages concatenate to the full ordered list, no overlap
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const args: Record<string, unknown> = { _brand_id: fx.brandA, _term: 'SRCH', _sort: 'created_at', _direction: 'asc', _limit: 3 };
        if (cursor) args._cursor = cursor;
        const p = must<{ items: { id: string }[]; next_cursor: string | null }>(await door.call(USERS.vic, 'search_batches', args));
        seen.push(...p.items.map((b) => b.id));
        cursor = p.next_cursor;
        if (!cursor) break;
      }
      expect(seen).toEqual(made);
      // by id desc with page paging
      const all = must<{ items: { id: string }[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _term: 'SRCH', _sort: 'id', _direction: 'desc', _limit: 100 }));
      expect(all.items.map((b) => b.id)).toEqual([...made].sort().reverse());
      const p2 = must<{ items: { id: string }[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _term: 'SRCH', _sort: 'id', _direction: 'desc', _limit: 3, _page: 2 }));
      expect(p2.items.map((b) => b.id)).toEqual(all.items.slice(3, 6).map((b) => b.id));
      // created range
      const future = must<{ items: unknown[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _created_from: '2999-01-01T00:00:00Z' }));
      expect(future.items).toEqual([]);
      const updatedRange = must<{ items: unknown[] }>(await door.call(USERS.vic, 'search_batches', { _brand_id: fx.brandA, _updated_from: '2000-01-01T00:00:00Z', _updated_to: '2999-01-01T00:00:00Z', _term: 'SRCH' }));
      expect(updatedRange.items.length).toBe(7);
    });

    it('validates limit, sort, direction, status and cursor', async () => {
      const base = { _brand_id: fx.brandA };
      expectError(await door.call(USERS.vic, 'search_batches', { ...base, _limit: 101 }), '22023', 400, '_limit');
      expectError(await door.call(USERS.vic, 'search_batches', { ...base, _limit: 0 }), '22023', 400, '_limit');
      expectError(await door.call(USERS.vic, 'search_batches', { ...base, _sort: 'quantity' }), '22023', 400, '_sort');
      expectError(await door.call(USERS.vic, 'search_batches', { ...base, _direction: 'sideways' }), '22023', 400, '_direction');
      expectError(await door.call(USERS.vic, 'search_batches', { ...base, _status: 'lost' }), '22023', 400, '_status');
      expectError(await door.call(USERS.vic, 'search_batches', { ...base, _cursor: 'bm90IGEgY3Vyc29y' }), '22023', 400, '_cursor');
      const page = must<{ limit: number; items: unknown[] }>(await door.call(USERS.vic, 'search_batches', base));
      expect(page.limit).toBe(50);
    });
  });
}
