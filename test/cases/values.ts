// One case list for the value bounds, run through both doors (test/sql/values.test.ts, test/http/values.test.ts):
// dates are real calendar days written YYYY-MM-DD between 1900-01-01 and 9999-12-31, quantities are below
// 1e15 with at most 6 decimal places — for typed arguments (the domains data.iso_date and data.quantity:
// 400 with 23514), for JSON fields (400 22023 naming the field, or the sync record's error) — and nothing
// outside is stored.
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door } from '../support/door.ts';
import { errorOf, type SyncResult } from './sync.ts';

const OWNER = { sub: 'values-owner' };
const ERP = { sub: 'values-owner', scope: 'integration:batches:write integration:products:write' };

/** Spellings Postgres' date type accepts that are not a calendar day written YYYY-MM-DD in range. */
export const BAD_DATES = [
  'infinity', '-infinity', 'epoch', 'now', 'today', 'tomorrow', 'allballs', 'J2451545', '0044-03-15 BC', '5874897-12-31',
  '294276-01-01', '10000-01-01', '1899-12-31', '0001-01-01', '2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10',
  '2026-1-5', '20260105', 'Jan 5 2026', '05/01/2026', ' 2026-01-05', '2026-01-05 ', '2026-01-05T00:00:00Z', '',
];
export const GOOD_DATES = ['1900-01-01', '1999-12-31', '2024-02-29', '2000-02-29', '9999-12-31'];
/** Quantities as the text a client sends (typed arguments take them from JSON strings or numbers alike). */
export const BAD_QUANTITIES = ['1e-16383', `0.${'0'.repeat(4999)}1`, `1${'0'.repeat(4999)}`, '0.0000001', '0.1234567', '1e15', 'NaN', 'Infinity'];
export const GOOD_QUANTITIES = ['0', '0.000001', '123456.654321', '999999999999999', '999999999999999.5'];

export function defineValueCases(getDoor: () => Door): void {
  let door: Door;
  let brand: string;
  let product: string;
  let batch: string;
  let location: string;
  let location2: string;

  beforeAll(async () => {
    door = getDoor();
    brand = must<{ id: string }>(await door.call(OWNER, 'create_brand', { _name: 'Values' })).id;
    product = must<{ id: string }>(await door.call(OWNER, 'create_product', { _brand_id: brand, _name: 'Values oil', _external_id: 'V-ITEM' })).id;
    batch = must<{ id: string }>(await door.call(OWNER, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: 'V-1' })).id;
    location = must<{ id: string }>(await door.call(OWNER, 'create_location', { _brand_id: brand, _name: 'Values store' })).id;
    location2 = must<{ id: string }>(await door.call(OWNER, 'create_location', { _brand_id: brand, _name: 'Values shop' })).id;
  });

  describe('dates', () => {
    it('typed date arguments refuse every spelling that is not YYYY-MM-DD in range: 400, 23514 (data.iso_date)', async () => {
      const before = await door.count('batches', brand);
      for (const [i, d] of BAD_DATES.entries()) {
        for (const arg of ['_production_date', '_expiry_date', '_received_date']) {
          const r = await door.call(OWNER, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: `BAD-${i}`, [arg]: d });
          expectError(r, '23514', 400);
          expect(r.error!.message, d).toContain('data.iso_date');
        }
        expectError(await door.call(OWNER, 'search_batches', { _brand_id: brand, _received_from: d }), '23514', 400);
      }
      expect(await door.count('batches', brand)).toBe(before);
    });

    it('accepts the calendar days at the ends of the range and leap days', async () => {
      for (const [i, d] of GOOD_DATES.entries()) {
        const b = must<{ production_date: string; expiry_date: string }>(await door.call(OWNER, 'create_product_batch', {
          _brand_id: brand, _product_id: product, _batch_number: `GOOD-${i}`, _production_date: d, _expiry_date: d }));
        expect([b.production_date, b.expiry_date]).toEqual([d, d]);
        must(await door.call(OWNER, 'search_batches', { _brand_id: brand, _received_from: d, _received_to: d }));
      }
    });

    it('JSON dates (patches, receipt lines) refuse them naming the field: 400, 22023, rule iso_date', async () => {
      for (const d of BAD_DATES) {
        const r = await door.call(OWNER, 'update_product_batch', { _brand_id: brand, _batch_id: batch, _patch: { expiry_date: d } });
        expectError(r, '22023', 400, '_patch.expiry_date');
        expect(details(r).rule).toBe('iso_date');
        const rr = await door.call(OWNER, 'receive_inbound', {
          _brand_id: brand, _location_id: location, _lines: [{ product_id: product, batch_number: 'V-IN', quantity: 1, expiry_date: d }] });
        expectError(rr, '22023', 400, '_lines[0].expiry_date');
      }
      must(await door.call(OWNER, 'update_product_batch', { _brand_id: brand, _batch_id: batch, _patch: { expiry_date: '9999-12-31' } }));
    });

    it('sync records with such dates fail per record; the others are written', async () => {
      must(await door.call(ERP, 'upsert_products', { _brand_id: brand, _products: [{ externalId: 'V-ITEM', name: 'Values oil' }] }));
      // sync records also take an ISO 8601 date-time, its date part as written (docs/sync.md): not bad there
      const records = BAD_DATES.filter((d) => !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(d))
        .map((d, i) => ({ externalId: `VS-${i}`, productExternalId: 'V-ITEM', batchNumber: `VS-${i}`, receivedDate: d }));
      const r = must<SyncResult>(await door.call(ERP, 'upsert_batches', {
        _brand_id: brand, _batches: [...records, { externalId: 'VS-ok', productExternalId: 'V-ITEM', batchNumber: 'VS-ok', receivedDate: '1900-01-01' }] }));
      for (const rec of records) expect(errorOf(r, rec.externalId), rec.receivedDate).toBe('receivedDate must be an ISO date (YYYY-MM-DD) between 1900-01-01 and 9999-12-31');
      expect(r.created).toBe(1);
    });
  });

  describe('quantities', () => {
    it('typed quantity arguments refuse more than 6 decimal places, |q| >= 1e15, NaN and infinities: 400, 23514 (data.quantity)', async () => {
      const before = await door.count('batches', brand);
      for (const [i, q] of BAD_QUANTITIES.entries()) {
        const r = await door.call(OWNER, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: `BQ-${i}`, _quantity: q });
        expectError(r, '23514', 400);
        expect(r.error!.message).toContain('data.quantity');
        expectError(await door.call(OWNER, 'adjust_stock', { _brand_id: brand, _batch_id: batch, _location_id: location, _delta: q, _reason: 'count' }), '23514', 400);
      }
      expect(await door.count('batches', brand)).toBe(before);
      expect(await door.count('stock_movements', brand)).toBe(0);
    });

    it('accepts up to 6 decimal places below 1e15', async () => {
      for (const [i, q] of GOOD_QUANTITIES.entries()) {
        const b = must<{ quantity: number }>(await door.call(OWNER, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: `GQ-${i}`, _quantity: q }));
        expect(b.quantity).toBe(Number(q));
      }
    });

    it('JSON quantities (patches, transfer and receipt lines, sync records) refuse a 7th decimal place naming the field', async () => {
      for (const q of [1e-7, 0.1234567, 2.0000001]) {
        const r = await door.call(OWNER, 'update_product_batch', { _brand_id: brand, _batch_id: batch, _patch: { quantity: q } });
        expectError(r, '22023', 400, '_patch.quantity');
        expect(details(r).rule).toBe('scale');
        expectError(await door.call(OWNER, 'receive_inbound', {
          _brand_id: brand, _location_id: location, _lines: [{ product_id: product, batch_number: 'V-IN', quantity: q }] }), '22023', 400, '_lines[0].quantity');
        expectError(await door.call(OWNER, 'create_transfer', {
          _brand_id: brand, _from_location_id: location, _to_location_id: location2, _lines: [{ batch_id: batch, quantity: q }] }), '22023', 400, '_lines[0].quantity');
        const s = must<SyncResult>(await door.call(ERP, 'upsert_batches', {
          _brand_id: brand, _batches: [{ externalId: 'VQ', productExternalId: 'V-ITEM', batchNumber: 'VQ', quantity: q }] }));
        expect(errorOf(s, 'VQ')).toBe('quantity must have at most 6 decimal places');
      }
      const ok = must<{ quantity: number }>(await door.call(OWNER, 'update_product_batch', { _brand_id: brand, _batch_id: batch, _patch: { quantity: 0.000001 } }));
      expect(ok.quantity).toBe(0.000001);
    });
  });
}
