// Integration sync: one case list run through the SQL door (test/sql/sync.test.ts)
// and the HTTP door (test/http/sync.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door, type DoorResult } from '../support/door.ts';

export interface SyncDoor extends Door {
  /** superuser query on the test database (to look behind the API) */
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

type Who = { sub: string | null; scope?: string };

export interface SyncRecord {
  externalId: string | null;
  internalId: string | null;
  status: 'CREATED' | 'UPDATED' | 'UNCHANGED' | 'ERROR';
}
export interface SyncResult {
  success: boolean;
  created: number;
  updated: number;
  errors: { externalId: string | null; error: string }[];
  records: SyncRecord[];
  ddsCreated: { ddsId: string; batchId: string; externalId: string; status: string }[];
}
export interface Page<T = Record<string, unknown>> {
  page: number;
  limit: number;
  total: number;
  records: T[];
}

const W = {
  batches: 'integration:batches:write',
  products: 'integration:products:write',
  suppliers: 'integration:suppliers:write',
};

export function statuses(r: SyncResult): Record<string, string> {
  return Object.fromEntries(r.records.map((x) => [x.externalId ?? '?', x.status]));
}

export function errorOf(r: SyncResult, externalId: string | null): string | undefined {
  return r.errors.find((e) => e.externalId === externalId)?.error;
}

export interface SyncFixture {
  tag: string;
  brandA: string;
  brandB: string;
  /** editor of A */
  eve: Who;
  /** viewer of A */
  vic: Who;
  /** owner of B */
  bob: Who;
  /** ERP integration of A (editor) with all integration scopes */
  erp: Who;
}

async function setup(door: SyncDoor): Promise<SyncFixture> {
  const tag = Math.random().toString(36).slice(2, 8);
  const alice = { sub: `alice-${tag}` };
  const bob = { sub: `bob-${tag}` };
  const brandA = must<{ id: string }>(await door.call(alice, 'create_brand', { _name: `Sync A ${tag}` })).id;
  const brandB = must<{ id: string }>(await door.call(bob, 'create_brand', { _name: `Sync B ${tag}` })).id;
  for (const [user, role] of [[`eve-${tag}`, 'editor'], [`vic-${tag}`, 'viewer'], [`erp-${tag}`, 'editor']] as const) {
    must(await door.call(alice, 'add_brand_member', { _brand_id: brandA, _user_id: user, _role: role }));
  }
  const scopes = ['suppliers', 'products', 'batches'].flatMap((t) => [`integration:${t}:read`, `integration:${t}:write`]).join(' ');
  return {
    tag, brandA, brandB, bob,
    eve: { sub: `eve-${tag}` },
    vic: { sub: `vic-${tag}` },
    erp: { sub: `erp-${tag}`, scope: scopes },
  };
}

export function defineSyncCases(getDoor: () => SyncDoor): void {
  let door: SyncDoor;
  let fx: SyncFixture;

  const push = async (who: Who, fn: 'upsert_batches' | 'upsert_products' | 'upsert_suppliers', brand: string, recs: unknown, extra: Record<string, unknown> = {}): Promise<DoorResult> => {
    const key = fn === 'upsert_batches' ? '_batches' : fn === 'upsert_products' ? '_products' : '_suppliers';
    return door.call(who, fn, { _brand_id: brand, [key]: recs, ...extra });
  };
  const ok = async (...a: Parameters<typeof push>): Promise<SyncResult> => must<SyncResult>(await push(...a));
  const batchRows = (brand: string, exts: string[]) =>
    door.query<{ external_id: string; id: string; batch_number: string; quantity: string; unit: string | null; received_date: string | null; expiry_date: string | null; version: number; updated_at: string }>(
      `select external_id, id::text, batch_number, quantity::text, unit, received_date::text, expiry_date::text, version, updated_at::text
         from data.batches where brand_id = $1 and external_id = any ($2::text[]) order by external_id`, [brand, exts]);

  beforeAll(async () => {
    door = getDoor();
    fx = await setup(door);
    // the push API's sync order: suppliers → products → batches
    must(await push(fx.erp, 'upsert_suppliers', fx.brandA, [{ externalId: 'SUP-1', name: 'Olive Farm', country: 'it' }]));
    must(await push(fx.erp, 'upsert_products', fx.brandA, [
      { externalId: 'ITEM-1', name: 'Olive oil 1L', supplierExternalId: 'SUP-1', gtin: '4006381333931' },
      { externalId: 'ITEM-2', name: 'Vinegar' },
    ]));
  });

  describe('upsert_batches: the push API response', () => {
    it('creates, then reports UNCHANGED on an identical push without touching updated_at/version, then UPDATED', async () => {
      const recs = [
        { externalId: 'C-1', productExternalId: 'ITEM-1', batchNumber: 'L-C1', quantity: 10, unit: 'kg', receivedDate: '2026-01-15', expiryDate: '2027-01-15' },
        { externalId: 'C-2', productExternalId: 'ITEM-1', batchNumber: 'L-C2', quantity: 0.5 },
        { externalId: 'C-3', productExternalId: 'ITEM-2', batchNumber: 'L-C3' },
      ];
      const first = await ok(fx.erp, 'upsert_batches', fx.brandA, recs);
      expect(Object.keys(first).sort()).toEqual(['created', 'ddsCreated', 'errors', 'records', 'success', 'updated']);
      expect(first).toMatchObject({ success: true, created: 3, updated: 0, errors: [], ddsCreated: [] });
      expect(first.records.map((r) => [r.externalId, r.status])).toEqual([['C-1', 'CREATED'], ['C-2', 'CREATED'], ['C-3', 'CREATED']]);
      for (const r of first.records) {
        expect(Object.keys(r).sort()).toEqual(['externalId', 'internalId', 'status']);
        expect(r.internalId).toMatch(/^[0-9a-f-]{36}$/);
      }
      const before = await batchRows(fx.brandA, ['C-1', 'C-2', 'C-3']);
      expect(before.map((b) => [b.external_id, b.batch_number, b.quantity, b.unit, b.received_date, b.expiry_date, b.version])).toEqual([
        ['C-1', 'L-C1', '10', 'kg', '2026-01-15', '2027-01-15', 1],
        ['C-2', 'L-C2', '0.5', null, null, null, 1],
        ['C-3', 'L-C3', '0', null, null, null, 1],
      ]);
      expect(before.map((b) => b.id)).toEqual(first.records.map((r) => r.internalId));

      const again = await ok(fx.erp, 'upsert_batches', fx.brandA, recs);
      expect(again).toMatchObject({ success: true, created: 0, updated: 0, errors: [] });
      expect(again.records).toEqual(first.records.map((r) => ({ ...r, status: 'UNCHANGED' })));
      const after = await batchRows(fx.brandA, ['C-1', 'C-2', 'C-3']);
      expect(after).toEqual(before); // updated_at and version untouched

      const changed = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { ...recs[0], quantity: 12 },
        recs[1],
        { ...recs[2], expiryDate: '2028-02-29' },
      ]);
      expect(changed).toMatchObject({ success: true, created: 0, updated: 2 });
      expect(statuses(changed)).toEqual({ 'C-1': 'UPDATED', 'C-2': 'UNCHANGED', 'C-3': 'UPDATED' });
      const rows = await batchRows(fx.brandA, ['C-1', 'C-2', 'C-3']);
      expect(rows.map((b) => [b.quantity, b.expiry_date, b.version])).toEqual([['12', '2027-01-15', 2], ['0.5', null, 1], ['0', '2028-02-29', 2]]);
      expect(rows[1]!.updated_at).toBe(before[1]!.updated_at);
      expect(rows[0]!.updated_at > before[0]!.updated_at).toBe(true);
    });

    it('an absent key keeps the stored value, null clears it', async () => {
      must(await push(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'K-1', productExternalId: 'ITEM-1', batchNumber: 'L-K1', quantity: 7, unit: 'pcs', receivedDate: '2026-03-01', expiryDate: '2026-09-01' },
      ]));
      const r = await ok(fx.erp, 'upsert_batches', fx.brandA, [{ externalId: 'K-1', productExternalId: 'ITEM-1', batchNumber: 'L-K1' }]);
      expect(statuses(r)).toEqual({ 'K-1': 'UNCHANGED' });
      const r2 = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'K-1', productExternalId: 'ITEM-1', batchNumber: 'L-K1', unit: null, expiryDate: null, quantity: null },
      ]);
      expect(statuses(r2)).toEqual({ 'K-1': 'UPDATED' });
      const [row] = await batchRows(fx.brandA, ['K-1']);
      expect([row!.quantity, row!.unit, row!.received_date, row!.expiry_date]).toEqual(['0', null, '2026-03-01', null]);
    });

    it('mixed good and bad records: the good ones are written, each bad one is reported naming field and rule', async () => {
      const r = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'M-ok', productExternalId: 'ITEM-1', batchNumber: 'L-M1', quantity: 3 },
        { externalId: 'M-nobn', productExternalId: 'ITEM-1' },
        { externalId: 'M-date', productExternalId: 'ITEM-1', batchNumber: 'L-M3', receivedDate: '2026-02-30' },
        { externalId: 'M-date2', productExternalId: 'ITEM-1', batchNumber: 'L-M4', expiryDate: '15.01.2026' },
        { externalId: 'M-neg', productExternalId: 'ITEM-1', batchNumber: 'L-M5', quantity: -1 },
        { externalId: 'M-type', productExternalId: 'ITEM-1', batchNumber: 42, quantity: '5' },
        { externalId: 'M-dup', productExternalId: 'ITEM-1', batchNumber: 'L-M7' },
        { externalId: 'M-dup', productExternalId: 'ITEM-1', batchNumber: 'L-M7' },
        { externalId: 'M-extra', productExternalId: 'ITEM-1', batchNumber: 'L-M8', expiry_date: '2026-01-01' },
        { productExternalId: 'ITEM-1', batchNumber: 'L-M9' },
        'not an object',
        { externalId: 'M-ok2', productExternalId: 'ITEM-2', batchNumber: 'L-M10', receivedDate: '2024-02-29' },
      ]);
      expect(r.success).toBe(false);
      expect(r.created).toBe(2);
      expect(r.updated).toBe(0);
      expect(r.records.map((x) => x.status)).toEqual([
        'CREATED', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'CREATED',
      ]);
      expect(r.errors).toHaveLength(10);
      for (const e of r.errors) expect(Object.keys(e).sort()).toEqual(['error', 'externalId']);
      expect(errorOf(r, 'M-nobn')).toBe('batchNumber is required');
      expect(errorOf(r, 'M-date')).toBe('receivedDate must be an ISO date (YYYY-MM-DD)');
      expect(errorOf(r, 'M-date2')).toBe('expiryDate must be an ISO date (YYYY-MM-DD)');
      expect(errorOf(r, 'M-neg')).toBe('quantity must be >= 0');
      expect(errorOf(r, 'M-type')).toBe('batchNumber must be a string; quantity must be a number');
      expect(r.errors.filter((e) => e.externalId === 'M-dup').map((e) => e.error)).toEqual([
        'externalId "M-dup" appears 2 times in this payload', 'externalId "M-dup" appears 2 times in this payload',
      ]);
      expect(errorOf(r, 'M-extra')).toMatch(/^unknown field "expiry_date" \(allowed: externalId, productExternalId, batchNumber, /);
      expect(r.errors.filter((e) => e.externalId === null).map((e) => e.error)).toEqual([
        'externalId is required (record #10)', 'record #11 must be a JSON object',
      ]);
      // errors come in input order
      expect(r.errors.map((e) => e.externalId)).toEqual(['M-nobn', 'M-date', 'M-date2', 'M-neg', 'M-type', 'M-dup', 'M-dup', 'M-extra', null, null]);
      const rows = await door.query<{ external_id: string }>(
        `select external_id from data.batches where brand_id = $1 and external_id like 'M-%' order by 1`, [fx.brandA]);
      expect(rows.map((x) => x.external_id)).toEqual(['M-ok', 'M-ok2']);
    });

    it('a batch of an unknown product gets the push API message verbatim', async () => {
      const r = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'BATCH-001', productExternalId: 'ITEM-999', batchNumber: 'L-001' },
      ]);
      expect(r).toMatchObject({ success: false, created: 0, updated: 0 });
      expect(r.errors).toEqual([{ externalId: 'BATCH-001', error: 'Product with externalId "ITEM-999" not found. Sync products first.' }]);
      expect(r.records).toEqual([{ externalId: 'BATCH-001', internalId: null, status: 'ERROR' }]);
    });

    it('batch numbers stay unique per product; a batch cannot move to another product', async () => {
      must(await push(fx.erp, 'upsert_batches', fx.brandA, [{ externalId: 'U-1', productExternalId: 'ITEM-1', batchNumber: 'L-U' }]));
      const r = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'U-1', productExternalId: 'ITEM-1', batchNumber: 'L-U' },
        { externalId: 'U-2', productExternalId: 'ITEM-1', batchNumber: 'L-U' },
        { externalId: 'U-3', productExternalId: 'ITEM-2', batchNumber: 'L-X' },
        { externalId: 'U-4', productExternalId: 'ITEM-2', batchNumber: 'L-X' },
      ]);
      expect(statuses(r)).toEqual({ 'U-1': 'UNCHANGED', 'U-2': 'ERROR', 'U-3': 'ERROR', 'U-4': 'ERROR' });
      expect(errorOf(r, 'U-2')).toContain('batchNumber "L-U" is already used by another batch of product "ITEM-1"');
      expect(errorOf(r, 'U-3')).toBe('batchNumber "L-X" is used by more than one record of product "ITEM-2" in this payload');
      // a batch created in lotline itself (no external id) holds its number too: a per-record error, not a 409
      const [item1] = await door.query<{ id: string }>(`select id::text from data.products where brand_id = $1 and external_id = 'ITEM-1'`, [fx.brandA]);
      must(await door.call(fx.eve, 'create_product_batch', { _brand_id: fx.brandA, _product_id: item1!.id, _batch_number: 'L-NATIVE' }));
      const nat = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'U-5', productExternalId: 'ITEM-1', batchNumber: 'L-NATIVE' },
        { externalId: 'U-6', productExternalId: 'ITEM-2', batchNumber: 'L-NATIVE' }, // another product: fine
      ]);
      expect(statuses(nat)).toEqual({ 'U-5': 'ERROR', 'U-6': 'CREATED' });
      expect(errorOf(nat, 'U-5')).toBe('batchNumber "L-NATIVE" is already used by another batch of product "ITEM-1"');
      const moved = await ok(fx.erp, 'upsert_batches', fx.brandA, [{ externalId: 'U-1', productExternalId: 'ITEM-2', batchNumber: 'L-U' }]);
      expect(errorOf(moved, 'U-1')).toBe('productExternalId cannot change: batch "U-1" already belongs to another product');
    });

    it('an archived batch is not changed by a push; re-pushing it unchanged is fine', async () => {
      const rec = { externalId: 'AR-1', productExternalId: 'ITEM-1', batchNumber: 'L-AR1', quantity: 1 };
      const c = await ok(fx.erp, 'upsert_batches', fx.brandA, [rec]);
      must(await door.call(fx.eve, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: c.records[0]!.internalId, _status: 'archived' }));
      const same = await ok(fx.erp, 'upsert_batches', fx.brandA, [rec]);
      expect(statuses(same)).toEqual({ 'AR-1': 'UNCHANGED' });
      const changed = await ok(fx.erp, 'upsert_batches', fx.brandA, [{ ...rec, quantity: 2 }]);
      expect(changed.records).toEqual([{ externalId: 'AR-1', internalId: c.records[0]!.internalId, status: 'ERROR' }]);
      expect(errorOf(changed, 'AR-1')).toBe('Batch with externalId "AR-1" is archived and cannot be changed');
      const [row] = await batchRows(fx.brandA, ['AR-1']);
      expect(row!.quantity).toBe('1');
    });

    it('an empty array is a successful no-op', async () => {
      expect(await ok(fx.erp, 'upsert_batches', fx.brandA, [])).toEqual({
        success: true, created: 0, updated: 0, errors: [], records: [], ddsCreated: [],
      });
    });
  });

  describe('payload limits: 400 before anything is written', () => {
    it('rejects 501 records (rule max_items) and accepts 500', async () => {
      const mk = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ externalId: `${p}-${i}`, productExternalId: 'ITEM-1', batchNumber: `${p}-${i}` }));
      const before = await door.count('batches', fx.brandA);
      const r = await push(fx.erp, 'upsert_batches', fx.brandA, mk(501, 'BIG'));
      expectError(r, '22023', 400, '_batches');
      expect(details(r).rule).toBe('max_items');
      expect(await door.count('batches', fx.brandA)).toBe(before);
      for (const [fn, field] of [['upsert_products', '_products'], ['upsert_suppliers', '_suppliers']] as const) {
        const x = await push(fx.erp, fn, fx.brandA, Array.from({ length: 501 }, (_, i) => ({ externalId: `X-${i}`, name: 'n' })));
        expectError(x, '22023', 400, field);
        expect(details(x).rule).toBe('max_items');
      }
      const ok500 = await ok(fx.erp, 'upsert_batches', fx.brandA, mk(500, 'MAX'));
      expect(ok500).toMatchObject({ success: true, created: 500 });
      expect(await door.count('batches', fx.brandA)).toBe(before + 500);
    });

    it('rejects a payload that is not an array', async () => {
      for (const bad of [{ externalId: 'X' }, 'x', 5]) {
        const r = await push(fx.erp, 'upsert_batches', fx.brandA, bad);
        expectError(r, '22023', 400, '_batches');
        expect(details(r).rule).toBe('array');
      }
      const r = await door.call(fx.erp, 'upsert_products', { _brand_id: fx.brandA, _products: null });
      expectError(r, '22023', 400, '_products');
      expect(details(r).rule).toBe('required');
    });
  });

  describe('due-diligence statements', () => {
    it('drafts one statement per created batch when _auto_create_dds, and lists them in ddsCreated', async () => {
      must(await push(fx.erp, 'upsert_batches', fx.brandA, [{ externalId: 'D-0', productExternalId: 'ITEM-1', batchNumber: 'L-D0' }]));
      const r = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'D-0', productExternalId: 'ITEM-1', batchNumber: 'L-D0', quantity: 1 }, // updated: no statement
        { externalId: 'D-1', productExternalId: 'ITEM-1', batchNumber: 'L-D1' },
        { externalId: 'D-bad', productExternalId: 'ITEM-999', batchNumber: 'L-D9' },
        { externalId: 'D-2', productExternalId: 'ITEM-2', batchNumber: 'L-D2' },
      ], { _auto_create_dds: true });
      expect(statuses(r)).toEqual({ 'D-0': 'UPDATED', 'D-1': 'CREATED', 'D-bad': 'ERROR', 'D-2': 'CREATED' });
      expect(r.ddsCreated.map((d) => [d.externalId, d.batchId, d.status])).toEqual([
        ['D-1', r.records[1]!.internalId, 'draft'],
        ['D-2', r.records[3]!.internalId, 'draft'],
      ]);
      const rows = await door.query<{ id: string; batch_id: string; status: string; source: string }>(
        `select id::text, batch_id::text, status, source from data.due_diligence_statements where brand_id = $1 order by created_at, id`, [fx.brandA]);
      expect(rows.map((x) => x.id).sort()).toEqual(r.ddsCreated.map((d) => d.ddsId).sort());
      expect(rows.every((x) => x.status === 'draft' && x.source === 'sync')).toBe(true);
      // a re-push creates nothing, so drafts nothing
      const again = await ok(fx.erp, 'upsert_batches', fx.brandA, [
        { externalId: 'D-1', productExternalId: 'ITEM-1', batchNumber: 'L-D1' },
      ], { _auto_create_dds: true });
      expect(again.ddsCreated).toEqual([]);
      // without the flag: none
      const none = await ok(fx.erp, 'upsert_batches', fx.brandA, [{ externalId: 'D-3', productExternalId: 'ITEM-1', batchNumber: 'L-D3' }]);
      expect(none.ddsCreated).toEqual([]);
      const [n] = await door.query<{ n: number }>(`select count(*)::int as n from data.due_diligence_statements where brand_id = $1`, [fx.brandA]);
      expect(n!.n).toBe(2);
    });
  });

  describe('products and suppliers', () => {
    it('upsert_suppliers and upsert_products count, validate and resolve supplierExternalId', async () => {
      const s = await ok(fx.erp, 'upsert_suppliers', fx.brandA, [
        { externalId: 'SUP-2', name: 'Vineyard', country: 'fr', email: 'sales@vineyard.example', attributes: { tier: 1 } },
        { externalId: 'SUP-bad', name: '', country: 'FRA', email: 'nope' },
        { externalId: 'SUP-1', name: 'Olive Farm', country: 'IT' },
      ]);
      expect(s).toMatchObject({ success: false, created: 1, updated: 0 });
      expect(statuses(s)).toEqual({ 'SUP-2': 'CREATED', 'SUP-bad': 'ERROR', 'SUP-1': 'UNCHANGED' });
      expect(errorOf(s, 'SUP-bad')).toBe('name is required; country must be an ISO 3166-1 alpha-2 code (2 letters); email must be an email address (name@domain)');

      const p = await ok(fx.erp, 'upsert_products', fx.brandA, [
        { externalId: 'ITEM-3', name: 'Wine', supplierExternalId: 'SUP-2', gtin: '96385074', expirable: true },
        { externalId: 'ITEM-4', name: 'Cheese', supplierExternalId: 'SUP-404' },
        { externalId: 'ITEM-5', name: 'Bread', gtin: '4006381333932', serialized: 'yes' },
        { externalId: 'ITEM-1', name: 'Olive oil 1L', supplierExternalId: 'SUP-1', gtin: '4006381333931' },
        { externalId: 'ITEM-2', name: 'Vinegar 0.5L' },
      ]);
      expect(p).toMatchObject({ success: false, created: 1, updated: 1 });
      expect(statuses(p)).toEqual({ 'ITEM-3': 'CREATED', 'ITEM-4': 'ERROR', 'ITEM-5': 'ERROR', 'ITEM-1': 'UNCHANGED', 'ITEM-2': 'UPDATED' });
      expect(errorOf(p, 'ITEM-4')).toBe('Supplier with externalId "SUP-404" not found. Sync suppliers first.');
      expect(errorOf(p, 'ITEM-5')).toBe('gtin has an invalid check digit; serialized must be a boolean');

      const [row] = await door.query<{ gtin: string; supplier: string; expirable: boolean }>(
        `select p.gtin, s.external_id as supplier, p.expirable from data.products p join data.suppliers s on s.brand_id = p.brand_id and s.id = p.supplier_id
          where p.brand_id = $1 and p.external_id = 'ITEM-3'`, [fx.brandA]);
      expect(row).toEqual({ gtin: '00000096385074', supplier: 'SUP-2', expirable: true });
      // detach the supplier with null
      const d = await ok(fx.erp, 'upsert_products', fx.brandA, [{ externalId: 'ITEM-3', name: 'Wine', supplierExternalId: null }]);
      expect(statuses(d)).toEqual({ 'ITEM-3': 'UPDATED' });
      const prods = must<Page>(await door.call(fx.erp, 'list_synced_products', { _brand_id: fx.brandA, _limit: 100 }));
      expect(prods.records.find((x) => x.externalId === 'ITEM-3')).toMatchObject({ supplierExternalId: null, gtin: '00000096385074', expirable: true, version: 2 });
      const sups = must<Page>(await door.call(fx.erp, 'list_synced_suppliers', { _brand_id: fx.brandA }));
      expect(sups.records.find((x) => x.externalId === 'SUP-2')).toMatchObject({ name: 'Vineyard', country: 'FR', email: 'sales@vineyard.example', attributes: { tier: 1 } });
    });
  });

  describe('scopes and roles', () => {
    it('a scoped token needs the integration scope of the entity; the 403 names it', async () => {
      const readOnly = { sub: fx.erp.sub, scope: 'integration:batches:read integration:products:read' };
      const r = await push(readOnly, 'upsert_batches', fx.brandA, [{ externalId: 'S-1', productExternalId: 'ITEM-1', batchNumber: 'L-S1' }]);
      expectError(r, '42501', 403);
      expect(details(r).scope).toBe('integration:batches:write');
      expect(r.error!.message).toContain('integration:batches:write');
      const rp = await push({ sub: fx.erp.sub, scope: 'integration:batches:write' }, 'upsert_products', fx.brandA, []);
      expectError(rp, '42501', 403);
      expect(details(rp).scope).toBe('integration:products:write');
      const rs = await push({ sub: fx.erp.sub, scope: 'integration:batches:write' }, 'upsert_suppliers', fx.brandA, []);
      expect(details(rs).scope).toBe('integration:suppliers:write');
      // the generic batches:write scope is not the integration scope
      const generic = await push({ sub: fx.erp.sub, scope: 'batches:write' }, 'upsert_batches', fx.brandA, []);
      expect(details(generic).scope).toBe('integration:batches:write');
      const list = await door.call({ sub: fx.erp.sub, scope: 'integration:batches:write' }, 'list_synced_batches', { _brand_id: fx.brandA });
      expectError(list, '42501', 403);
      expect(details(list).scope).toBe('integration:batches:read');
      for (const [fn, scope] of [['list_synced_products', 'integration:products:read'], ['list_synced_suppliers', 'integration:suppliers:read']] as const) {
        const x = await door.call({ sub: fx.erp.sub, scope: 'integration:batches:read' }, fn, { _brand_id: fx.brandA });
        expect(details(x).scope).toBe(scope);
      }
      // the right scopes
      must(await push({ sub: fx.erp.sub, scope: W.batches }, 'upsert_batches', fx.brandA, [{ externalId: 'S-1', productExternalId: 'ITEM-1', batchNumber: 'L-S1' }]));
      must(await door.call(readOnly, 'list_synced_batches', { _brand_id: fx.brandA }));
      must(await push({ sub: fx.erp.sub, scope: `${W.products} ${W.suppliers}` }, 'upsert_products', fx.brandA, []));
    });

    it('without a scope claim the membership role governs: editors push, viewers list but cannot push', async () => {
      must(await push(fx.eve, 'upsert_batches', fx.brandA, [{ externalId: 'R-1', productExternalId: 'ITEM-1', batchNumber: 'L-R1' }]));
      const v = await push(fx.vic, 'upsert_batches', fx.brandA, [{ externalId: 'R-2', productExternalId: 'ITEM-1', batchNumber: 'L-R2' }]);
      expectError(v, '42501', 403);
      expect(details(v).required_role).toBe('editor');
      expectError(await push(fx.vic, 'upsert_products', fx.brandA, []), '42501', 403);
      expectError(await push(fx.vic, 'upsert_suppliers', fx.brandA, []), '42501', 403);
      for (const fn of ['list_synced_batches', 'list_synced_products', 'list_synced_suppliers']) {
        const page = must<Page>(await door.call(fx.vic, fn, { _brand_id: fx.brandA }));
        expect(page.total).toBeGreaterThan(0);
      }
      // viewer with the write scope is still a viewer
      expectError(await push({ sub: fx.vic.sub, scope: W.batches }, 'upsert_batches', fx.brandA, []), '42501', 403);
      // no subject → 401; not a member → 403
      expectError(await push({ sub: null }, 'upsert_batches', fx.brandA, []), 'PT401', 401);
      expectError(await door.call({ sub: null }, 'list_synced_batches', { _brand_id: fx.brandA }), 'PT401', 401);
      expectError(await push({ sub: `stranger-${fx.tag}` }, 'upsert_batches', fx.brandA, []), '42501', 403);
      expectError(await door.call({ sub: `stranger-${fx.tag}` }, 'list_synced_batches', { _brand_id: fx.brandA }), '42501', 403);
    });
  });

  describe('list_synced_*: since and paging', () => {
    it('pages stably with total, default limit 50, limit max 100 (101 is a 400), since filters on last change', async () => {
      // a brand of its own so the counts are exact
      const owner = { sub: `lister-${fx.tag}` };
      const brand = must<{ id: string }>(await door.call(owner, 'create_brand', { _name: `Lister ${fx.tag}` })).id;
      must(await push(owner, 'upsert_products', brand, [{ externalId: 'P', name: 'P' }]));
      must(await push(owner, 'upsert_batches', brand, Array.from({ length: 7 }, (_, i) => ({ externalId: `L-${i}`, productExternalId: 'P', batchNumber: `N-${i}` }))));
      const seen: string[] = [];
      for (const page of [1, 2, 3, 4]) {
        const p = must<Page>(await door.call(owner, 'list_synced_batches', { _brand_id: brand, _page: page, _limit: 3 }));
        expect([p.page, p.limit, p.total]).toEqual([page, 3, 7]);
        expect(p.records.length).toBe([3, 3, 1, 0][page - 1]);
        seen.push(...p.records.map((r) => r.externalId as string));
      }
      expect(new Set(seen).size).toBe(7);
      const all = must<Page>(await door.call(owner, 'list_synced_batches', { _brand_id: brand }));
      expect([all.page, all.limit, all.total]).toEqual([1, 50, 7]);
      expect(all.records.map((r) => r.externalId)).toEqual(seen); // same order every time
      expect(all.records[0]).toMatchObject({ productExternalId: 'P', batchNumber: expect.stringMatching(/^N-/), quantity: 0, status: 'active', version: 1 });
      expect(Object.keys(all.records[0]!).sort()).toEqual([
        'batchNumber', 'createdAt', 'expiryDate', 'externalId', 'internalId', 'productExternalId', 'quantity', 'receivedDate', 'status', 'unit', 'updatedAt', 'version',
      ]);

      // since: only what changed at or after the given instant, oldest change first
      const t1 = all.records[6]!.updatedAt as string;
      must(await push(owner, 'upsert_batches', brand, [{ externalId: 'L-2', productExternalId: 'P', batchNumber: 'N-2', quantity: 5 }]));
      const since = must<Page>(await door.call(owner, 'list_synced_batches', { _brand_id: brand, _since: t1 }));
      const changed = since.records.filter((r) => (r.updatedAt as string) > t1).map((r) => r.externalId);
      expect(changed).toEqual(['L-2']);
      expect(since.records.at(-1)!.externalId).toBe('L-2');
      expect(since.total).toBe(since.records.length);
      const later = must<Page>(await door.call(owner, 'list_synced_batches', { _brand_id: brand, _since: since.records.at(-1)!.updatedAt }));
      expect(later.records.map((r) => r.externalId)).toEqual(['L-2']);
      const future = must<Page>(await door.call(owner, 'list_synced_batches', { _brand_id: brand, _since: '2999-01-01T00:00:00Z' }));
      expect([future.total, future.records]).toEqual([0, []]);

      // limits
      const hundred = must<Page>(await door.call(owner, 'list_synced_batches', { _brand_id: brand, _limit: 100 }));
      expect(hundred.limit).toBe(100);
      for (const fn of ['list_synced_batches', 'list_synced_products', 'list_synced_suppliers']) {
        const r = await door.call(owner, fn, { _brand_id: brand, _limit: 101 });
        expectError(r, '22023', 400, '_limit');
        expect(details(r).rule).toBe('max');
      }
      expectError(await door.call(owner, 'list_synced_batches', { _brand_id: brand, _limit: 0 }), '22023', 400, '_limit');
      expectError(await door.call(owner, 'list_synced_batches', { _brand_id: brand, _page: 0 }), '22023', 400, '_page');
    });
  });

  describe('tenant isolation', () => {
    it("brand B's external ids are invisible to and unaffected by brand A's identical pushes", async () => {
      const same = [{ externalId: 'T-1', productExternalId: 'T-ITEM', batchNumber: 'L-T1', quantity: 1 }];
      must(await push(fx.bob, 'upsert_products', fx.brandB, [{ externalId: 'T-ITEM', name: 'B product' }]));
      const b1 = await ok(fx.bob, 'upsert_batches', fx.brandB, same);
      expect(statuses(b1)).toEqual({ 'T-1': 'CREATED' });
      const bBefore = await batchRows(fx.brandB, ['T-1']);

      // A does not see B's product
      const a0 = await ok(fx.erp, 'upsert_batches', fx.brandA, same);
      expect(a0.errors).toEqual([{ externalId: 'T-1', error: 'Product with externalId "T-ITEM" not found. Sync products first.' }]);
      // with its own product of the same external id, A creates its own batch
      must(await push(fx.erp, 'upsert_products', fx.brandA, [{ externalId: 'T-ITEM', name: 'A product' }]));
      const a1 = await ok(fx.erp, 'upsert_batches', fx.brandA, [{ ...same[0]!, quantity: 2 }]);
      expect(statuses(a1)).toEqual({ 'T-1': 'CREATED' });
      expect(a1.records[0]!.internalId).not.toBe(b1.records[0]!.internalId);
      expect(await batchRows(fx.brandB, ['T-1'])).toEqual(bBefore);
      const aList = must<Page>(await door.call(fx.erp, 'list_synced_batches', { _brand_id: fx.brandA, _limit: 100, _since: bBefore[0]!.updated_at }));
      expect(aList.records.filter((r) => r.externalId === 'T-1').map((r) => [r.internalId, r.quantity])).toEqual([[a1.records[0]!.internalId, 2]]);

      // A's members cannot push into or list B
      expectError(await push(fx.erp, 'upsert_batches', fx.brandB, same), '42501', 403);
      expectError(await door.call(fx.erp, 'list_synced_batches', { _brand_id: fx.brandB }), '42501', 403);
      expect(await batchRows(fx.brandB, ['T-1'])).toEqual(bBefore);
    });
  });

  describe('concurrency', () => {
    it('identical pushes from parallel connections end with one row each, and every call succeeds', async () => {
      const recs = Array.from({ length: 200 }, (_, i) => ({ externalId: `P-${i}`, productExternalId: 'ITEM-1', batchNumber: `L-P-${i}`, quantity: i }));
      const results = await Promise.all(Array.from({ length: 4 }, () => push(fx.erp, 'upsert_batches', fx.brandA, recs, { _auto_create_dds: true })));
      for (const r of results) expect(r.ok, JSON.stringify(r.error)).toBe(true);
      const data = results.map((r) => r.data as SyncResult);
      expect(data.every((d) => d.success && d.errors.length === 0)).toBe(true);
      expect(data.map((d) => d.created).reduce((a, b) => a + b, 0)).toBe(200); // each row created exactly once
      expect(data.map((d) => d.ddsCreated.length).reduce((a, b) => a + b, 0)).toBe(200);
      for (const d of data) expect(d.records.every((r) => r.status === 'CREATED' || r.status === 'UNCHANGED')).toBe(true);
      const [c] = await door.query<{ n: number; d: number }>(
        `select count(*)::int as n, count(distinct external_id)::int as d from data.batches where brand_id = $1 and external_id like 'P-%'`, [fx.brandA]);
      expect(c).toEqual({ n: 200, d: 200 });
      const [dds] = await door.query<{ n: number }>(
        `select count(*)::int as n from data.due_diligence_statements s join data.batches b on b.brand_id = s.brand_id and b.id = s.batch_id
          where s.brand_id = $1 and b.external_id like 'P-%'`, [fx.brandA]);
      expect(dds!.n).toBe(200);

      // parallel suppliers and products too
      const sups = Array.from({ length: 50 }, (_, i) => ({ externalId: `PS-${i}`, name: `Supplier ${i}` }));
      const prods = Array.from({ length: 50 }, (_, i) => ({ externalId: `PP-${i}`, name: `Product ${i}` }));
      const rs = await Promise.all([
        push(fx.erp, 'upsert_suppliers', fx.brandA, sups), push(fx.erp, 'upsert_suppliers', fx.brandA, sups),
        push(fx.erp, 'upsert_products', fx.brandA, prods), push(fx.erp, 'upsert_products', fx.brandA, prods),
      ]);
      for (const r of rs) expect(r.ok, JSON.stringify(r.error)).toBe(true);
      expect((rs[0]!.data as SyncResult).created + (rs[1]!.data as SyncResult).created).toBe(50);
      expect((rs[2]!.data as SyncResult).created + (rs[3]!.data as SyncResult).created).toBe(50);
    });
  });
}
