// Products: read one, patch, archive — and what archiving means for new batches through every door that
// creates batches (create_product_batch, upsert_batches, receive_inbound). Run by test/sql/products.test.ts
// and test/http/products.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, must, type Door } from '../support/door.ts';

interface Product { id: string; name: string; external_id: string | null; gtin: string | null; sku: string | null; version: number; archived_at: string | null; [k: string]: unknown }

export function defineProductCases(getDoor: () => Door): void {
  let door: Door;
  const tag = Math.random().toString(36).slice(2, 8);
  const owner = { sub: `po-${tag}` };
  const admin = { sub: `pa-${tag}` };
  const editor = { sub: `pe-${tag}` };
  const viewer = { sub: `pv-${tag}` };
  const outsider = { sub: `px-${tag}` };
  const erp = { sub: `perp-${tag}`, scope: 'integration:products:write integration:batches:write' };
  let brand: string;
  let other: string;

  const create = async (name: string, extra: Record<string, unknown> = {}) =>
    must<Product>(await door.call(editor, 'create_product', { _brand_id: brand, _name: name, ...extra }), 'create_product');

  beforeAll(async () => {
    door = getDoor();
    brand = must<{ id: string }>(await door.call(owner, 'create_brand', { _name: `Products ${tag}` })).id;
    other = must<{ id: string }>(await door.call(outsider, 'create_brand', { _name: `Other ${tag}` })).id;
    for (const [who, role] of [[admin, 'admin'], [editor, 'editor'], [viewer, 'viewer'], [erp, 'editor']] as const) {
      must(await door.call(owner, 'add_brand_member', { _brand_id: brand, _user_id: who.sub, _role: role }));
    }
  });

  describe('get_product', () => {
    it('reads one product; another brand\'s id is 404, a non-member 403', async () => {
      const p = await create('Honey 500 g', { _sku: 'HON-500' });
      expect(must<Product>(await door.call(viewer, 'get_product', { _brand_id: brand, _product_id: p.id }))).toEqual(p);
      const foreign = must<Product>(await door.call(outsider, 'create_product', { _brand_id: other, _name: 'Secret' }));
      expectError(await door.call(viewer, 'get_product', { _brand_id: brand, _product_id: foreign.id }), 'PT404', 404, '_product_id');
      expectError(await door.call(outsider, 'get_product', { _brand_id: brand, _product_id: p.id }), '42501', 403);
    });
  });

  describe('update_product', () => {
    it('patches fields, gives a product created without an external id one, and bumps the version', async () => {
      const p = await create('Oat drink');
      expect(p.external_id).toBeNull();
      const u = must<Product>(await door.call(editor, 'update_product', {
        _brand_id: brand, _product_id: p.id, _expected_version: 1,
        _patch: { external_id: `ITEM-${tag}`, gtin: '4006381333931', sku: ' OAT-1 ', expirable: true, attributes: { fat: '1.5%' } },
      }));
      expect(u).toMatchObject({ id: p.id, name: 'Oat drink', external_id: `ITEM-${tag}`, gtin: '04006381333931', sku: 'OAT-1', expirable: true, attributes: { fat: '1.5%' }, version: 2 });
      // null clears; an identical patch changes nothing
      const c = must<Product>(await door.call(editor, 'update_product', { _brand_id: brand, _product_id: p.id, _patch: { sku: null, attributes: null } }));
      expect(c).toMatchObject({ sku: null, attributes: {}, version: 3 });
      const same = must<Product>(await door.call(editor, 'update_product', { _brand_id: brand, _product_id: p.id, _patch: { sku: null } }));
      expect(same.version).toBe(3);
      // the sync now sees it under its external id
      const synced = must<{ records: { status: string; internalId: string }[] }>(await door.call(erp, 'upsert_products', {
        _brand_id: brand, _products: [{ externalId: `ITEM-${tag}`, name: 'Oat drink' }],
      }));
      expect(synced.records[0]).toMatchObject({ status: 'UNCHANGED', internalId: p.id });
    });

    it('rejects unknown and read-only keys and bad values naming the field; 412 when stale; 409 on a taken external id', async () => {
      const p = await create('Rye bread');
      const patch = (x: unknown, v?: number) => door.call(editor, 'update_product', { _brand_id: brand, _product_id: p.id, _patch: x, ...(v ? { _expected_version: v } : {}) });
      expectError(await patch({ colour: 'brown' }), '22023', 400, '_patch.colour');
      for (const k of ['id', 'brand_id', 'version', 'archived_at', 'created_at']) expectError(await patch({ [k]: 'x' }), '22023', 400, `_patch.${k}`);
      expectError(await patch([1]), '22023', 400, '_patch');
      expectError(await patch({ name: null }), '22023', 400, '_patch.name');
      expectError(await patch({ name: 7 }), '22023', 400, '_patch.name');
      expectError(await patch({ gtin: '4006381333932' }), '22023', 400, '_patch.gtin');
      expectError(await patch({ expirable: 'yes' }), '22023', 400, '_patch.expirable');
      expectError(await patch({ attributes: [1] }), '22023', 400, '_patch.attributes');
      expectError(await patch({ supplier_id: 'nope' }), '22023', 400, '_patch.supplier_id');
      expectError(await patch({ supplier_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_patch.supplier_id');
      expectError(await patch({ sku: 'RYE' }, 9), 'PT412', 412, '_expected_version');
      await create('Taken', { _external_id: `TAKEN-${tag}` });
      expectError(await patch({ external_id: `TAKEN-${tag}` }), '23505', 409, '_patch.external_id');
      expectError(await door.call(viewer, 'update_product', { _brand_id: brand, _product_id: p.id, _patch: { sku: 'V' } }), '42501', 403);
      expectError(await door.call(editor, 'update_product', { _brand_id: brand, _product_id: '00000000-0000-4000-8000-000000000000', _patch: {} }), 'PT404', 404, '_product_id');
      expect(must<Product>(await door.call(viewer, 'get_product', { _brand_id: brand, _product_id: p.id })).version).toBe(1);
    });
  });

  describe('archive_product', () => {
    it('archives once (admin); the product is then final and takes no new batch through any door', async () => {
      const p = await create('Cider', { _external_id: `CIDER-${tag}` });
      const kept = must<{ id: string }>(await door.call(editor, 'create_product_batch', { _brand_id: brand, _product_id: p.id, _batch_number: 'C-1', _external_id: `CB-1-${tag}` }));
      expectError(await door.call(editor, 'archive_product', { _brand_id: brand, _product_id: p.id }), '42501', 403);
      expectError(await door.call(admin, 'archive_product', { _brand_id: brand, _product_id: p.id, _expected_version: 5 }), 'PT412', 412, '_expected_version');
      const a = must<Product>(await door.call(admin, 'archive_product', { _brand_id: brand, _product_id: p.id }));
      expect(a.archived_at).not.toBeNull();
      expectError(await door.call(admin, 'archive_product', { _brand_id: brand, _product_id: p.id }), 'PT409', 409, '_product_id');
      expectError(await door.call(editor, 'update_product', { _brand_id: brand, _product_id: p.id, _patch: { sku: 'X' } }), 'PT409', 409, '_product_id');
      // no new batch: create_product_batch, the sync (per record), receive_inbound
      const before = await door.count('batches', brand);
      expectError(await door.call(editor, 'create_product_batch', { _brand_id: brand, _product_id: p.id, _batch_number: 'C-2' }), 'PT409', 409, '_product_id');
      const pushed = must<{ success: boolean; errors: { externalId: string; error: string }[]; records: { status: string }[] }>(await door.call(erp, 'upsert_batches', {
        _brand_id: brand, _batches: [
          { externalId: `CB-2-${tag}`, productExternalId: `CIDER-${tag}`, batchNumber: 'C-3' },
          { externalId: `CB-1-${tag}`, productExternalId: `CIDER-${tag}`, batchNumber: 'C-1', quantity: 4 },
        ],
      }));
      expect(pushed.records.map((r) => r.status)).toEqual(['ERROR', 'UPDATED']);
      expect(pushed.errors).toEqual([{ externalId: `CB-2-${tag}`, error: `Product with externalId "CIDER-${tag}" is archived: it takes no new batches` }]);
      const loc = must<{ id: string }>(await door.call(editor, 'create_location', { _brand_id: brand, _name: `Cellar ${tag}` }));
      expectError(await door.call(editor, 'receive_inbound', {
        _brand_id: brand, _location_id: loc.id, _lines: [{ product_id: p.id, batch_number: 'C-4', quantity: 1 }],
      }), 'PT409', 409, '_product_id');
      expect(await door.count('batches', brand)).toBe(before);
      // its existing batch lives on: readable, patchable, receivable
      must(await door.call(editor, 'update_product_batch', { _brand_id: brand, _batch_id: kept.id, _patch: { unit: 'l' } }));
      must(await door.call(editor, 'receive_inbound', { _brand_id: brand, _location_id: loc.id, _lines: [{ product_id: p.id, batch_number: 'C-1', quantity: 2 }] }));
      // a sync push that would change the archived product is a per-record error; an identical one is UNCHANGED
      const prod = must<{ records: { status: string }[]; errors: { error: string }[] }>(await door.call(erp, 'upsert_products', {
        _brand_id: brand, _products: [{ externalId: `CIDER-${tag}`, name: 'Cider' }, { externalId: `CIDER-${tag}`.toLowerCase() + 'x', name: 'Perry' }],
      }));
      expect(prod.records.map((r) => r.status)).toEqual(['UNCHANGED', 'CREATED']);
      const changed = must<{ records: { status: string }[]; errors: { error: string }[] }>(await door.call(erp, 'upsert_products', {
        _brand_id: brand, _products: [{ externalId: `CIDER-${tag}`, name: 'Dry cider' }],
      }));
      expect(changed.errors.map((e) => e.error)).toEqual([`Product with externalId "CIDER-${tag}" is archived and cannot be changed`]);
    });
  });
}
