// One case list for inventory (locations, inbound receipts, stock, the ledger, transfers), run through
// two doors: test/sql/inventory.test.ts (app.act_as) and test/http/inventory.test.ts (the gateway).
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door } from '../support/door.ts';

export const INV_USERS = {
  olga: { sub: 'inv-olga' }, // owner of A
  adam: { sub: 'inv-adam' }, // admin of A
  eve: { sub: 'inv-eve' }, // editor of A
  erin: { sub: 'inv-erin' }, // another editor of A
  vic: { sub: 'inv-vic' }, // viewer of A
  bob: { sub: 'inv-bob' }, // owner of B
  oscar: { sub: 'inv-oscar' }, // member of nothing
} as const;
const U = INV_USERS;

export interface InvFixture {
  brandA: string;
  brandB: string;
  oil: string; // product, not expirable
  milk: string; // product, expirable
  productB: string;
  main: string; // location "Main warehouse"
  shop: string; // location "Shop"
  back: string; // location "Back room"
  locB: string; // location of brand B
}

export interface Quantity {
  batch_id: string;
  batch_number: string;
  location_id: string;
  location_name: string;
  quantity: number;
  committed: number;
  available: number;
  in_transfer: number;
  incoming: number;
}

export interface Transfer {
  id: string;
  number: string;
  status: string;
  from_location_id: string;
  to_location_id: string;
  note: string | null;
  created_by: string;
  version: number;
  accepted_by: string | null;
  accepted_at: string | null;
  declined_by: string | null;
  declined_at: string | null;
  decline_reason: string | null;
  cancelled_by: string | null;
  cancelled_at: string | null;
  total_quantity: number;
  lines: { batch_id: string; batch_number: string; quantity: number }[];
}

export interface Inbound {
  id: string;
  number: string;
  location_id: string;
  reference: string | null;
  external_reference: string | null;
  total_quantity: number;
  lines: { line_no: number; product_id: string; batch_id: string; batch_number: string; quantity: number; expiry_date: string | null; batch_created: boolean }[];
}

async function setup(door: Door): Promise<InvFixture> {
  const tag = Math.random().toString(36).slice(2, 8);
  const brandA = must<{ id: string }>(await door.call(U.olga, 'create_brand', { _name: `Stockists ${tag}` })).id;
  const brandB = must<{ id: string }>(await door.call(U.bob, 'create_brand', { _name: `Other ${tag}` })).id;
  for (const [who, role] of [[U.adam, 'admin'], [U.eve, 'editor'], [U.erin, 'editor'], [U.vic, 'viewer']] as const) {
    must(await door.call(U.olga, 'add_brand_member', { _brand_id: brandA, _user_id: who.sub, _role: role }));
  }
  const oil = must<{ id: string }>(await door.call(U.eve, 'create_product', { _brand_id: brandA, _name: 'Olive oil', _sku: 'OIL' })).id;
  const milk = must<{ id: string }>(await door.call(U.eve, 'create_product', { _brand_id: brandA, _name: 'Milk', _expirable: true })).id;
  const productB = must<{ id: string }>(await door.call(U.bob, 'create_product', { _brand_id: brandB, _name: 'B goods' })).id;
  const loc = async (who: { sub: string }, brand: string, name: string, kind = 'warehouse') =>
    must<{ id: string }>(await door.call(who, 'create_location', { _brand_id: brand, _name: name, _kind: kind })).id;
  return {
    brandA, brandB, oil, milk, productB,
    main: await loc(U.eve, brandA, 'Main warehouse'),
    shop: await loc(U.eve, brandA, 'Shop', 'shop'),
    back: await loc(U.eve, brandA, 'Back room', 'room'),
    locB: await loc(U.bob, brandB, 'B warehouse'),
  };
}

export function defineInventoryCases(getDoor: () => Door): void {
  let door: Door;
  let fx: InvFixture;
  let seq = 0;
  const uniq = (p: string) => `${p}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;

  /** Receive `qty` of a fresh batch of oil at `location`; returns the batch id. */
  async function stockUp(location: string, qty: number, batchNumber = uniq('LOT')): Promise<string> {
    const inbound = must<Inbound>(await door.call(U.eve, 'receive_inbound', {
      _brand_id: fx.brandA, _location_id: location, _lines: [{ product_id: fx.oil, batch_number: batchNumber, quantity: qty }],
    }));
    return inbound.lines[0]!.batch_id;
  }

  async function qty(batchId: string, location: string): Promise<Quantity | undefined> {
    const rows = must<Quantity[]>(await door.call(U.vic, 'batch_quantities_by_product', { _brand_id: fx.brandA, _product_id: fx.oil }));
    return rows.find((r) => r.batch_id === batchId && r.location_id === location);
  }

  async function newTransfer(batch: string, quantity: number, from = fx.main, to = fx.shop, who: { sub: string } = U.eve): Promise<Transfer> {
    return must<Transfer>(await door.call(who, 'create_transfer', {
      _brand_id: fx.brandA, _from_location_id: from, _to_location_id: to, _lines: [{ batch_id: batch, quantity }],
    }));
  }

  beforeAll(async () => {
    door = getDoor();
    fx = await setup(door);
  });

  describe('locations', () => {
    it('create, list, rename, archive — with names unique among live locations', async () => {
      const l = must<{ id: string; name: string; kind: string; archived_at: string | null; version: number }>(
        await door.call(U.eve, 'create_location', { _brand_id: fx.brandA, _name: 'Cold store', _kind: 'room', _note: 'fridge 2' }));
      expect(l).toMatchObject({ name: 'Cold store', kind: 'room', archived_at: null, version: 1 });
      const dup = await door.call(U.eve, 'create_location', { _brand_id: fx.brandA, _name: 'cold STORE' });
      expectError(dup, '23505', 409, '_name');
      expect(dup.error?.message).toContain('cold STORE');
      expectError(await door.call(U.eve, 'create_location', { _brand_id: fx.brandA, _name: '  ' }), '22023', 400, '_name');
      expectError(await door.call(U.eve, 'create_location', { _brand_id: fx.brandA, _name: 'X', _kind: 'castle' }), '22023', 400, '_kind');
      expectError(await door.call(U.vic, 'create_location', { _brand_id: fx.brandA, _name: 'Viewer place' }), '42501', 403);

      const renamed = must<{ name: string; version: number }>(await door.call(U.eve, 'rename_location', { _brand_id: fx.brandA, _location_id: l.id, _name: 'Cold room' }));
      expect(renamed).toMatchObject({ name: 'Cold room', version: 2 });
      expectError(await door.call(U.eve, 'rename_location', { _brand_id: fx.brandA, _location_id: l.id, _name: 'Shop' }), '23505', 409, '_name');
      expectError(await door.call(U.eve, 'rename_location', { _brand_id: fx.brandA, _location_id: fx.locB, _name: 'Mine' }), 'PT404', 404, '_location_id');

      const list = must<{ id: string; name: string }[]>(await door.call(U.vic, 'list_locations', { _brand_id: fx.brandA }));
      expect(list.map((x) => x.name)).toEqual([...list.map((x) => x.name)].sort());
      expect(list.map((x) => x.id)).toContain(l.id);
      expect(list.map((x) => x.id)).not.toContain(fx.locB);

      // archiving is an admin's call
      expectError(await door.call(U.eve, 'archive_location', { _brand_id: fx.brandA, _location_id: l.id }), '42501', 403);
      const archived = must<{ archived_at: string | null }>(await door.call(U.adam, 'archive_location', { _brand_id: fx.brandA, _location_id: l.id }));
      expect(archived.archived_at).not.toBeNull();
      const again = await door.call(U.adam, 'archive_location', { _brand_id: fx.brandA, _location_id: l.id });
      expectError(again, 'PT409', 409, '_location_id');
      expect(details(again).state).toBe('archived');
      expect(must<{ id: string }[]>(await door.call(U.vic, 'list_locations', { _brand_id: fx.brandA })).map((x) => x.id)).not.toContain(l.id);
      expect(must<{ id: string }[]>(await door.call(U.vic, 'list_locations', { _brand_id: fx.brandA, _include_archived: true })).map((x) => x.id)).toContain(l.id);
      expectError(await door.call(U.eve, 'rename_location', { _brand_id: fx.brandA, _location_id: l.id, _name: 'Zombie' }), 'PT409', 409, '_location_id');
      // an archived location takes no stock and no transfers; its name is free again
      const into = await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: l.id, _lines: [{ product_id: fx.oil, batch_number: uniq('ARCH'), quantity: 1 }],
      });
      expectError(into, 'PT409', 409, '_location_id');
      expect(details(into).state).toBe('archived');
      must(await door.call(U.eve, 'create_location', { _brand_id: fx.brandA, _name: 'Cold room' }));
    });

    it('refuses to archive a location that holds stock or has pending transfers', async () => {
      const depot = must<{ id: string }>(await door.call(U.eve, 'create_location', { _brand_id: fx.brandA, _name: uniq('Depot') })).id;
      const batch = await stockUp(depot, 5);
      const full = await door.call(U.adam, 'archive_location', { _brand_id: fx.brandA, _location_id: depot });
      expectError(full, 'PT409', 409, '_location_id');
      expect(details(full).rule).toBe('empty');
      // move everything out, pending: still refused (pending transfer)
      const t = await newTransfer(batch, 5, depot, fx.main);
      const pending = await door.call(U.adam, 'archive_location', { _brand_id: fx.brandA, _location_id: depot });
      expectError(pending, 'PT409', 409, '_location_id');
      must(await door.call(U.adam, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }));
      // the destination of a pending transfer cannot be archived either
      const t2 = await newTransfer(batch, 1, fx.main, depot);
      expectError(await door.call(U.adam, 'archive_location', { _brand_id: fx.brandA, _location_id: depot }), 'PT409', 409, '_location_id');
      must(await door.call(U.eve, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: t2.id }));
      must(await door.call(U.adam, 'archive_location', { _brand_id: fx.brandA, _location_id: depot }));
    });
  });

  describe('inbound receipts', () => {
    it('creates batches, books stock and lists the receipt with its lines', async () => {
      const n1 = uniq('INB');
      const r = must<Inbound>(await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: fx.main, _reference: 'INB00000000179', _external_reference: n1,
        _lines: [
          { product_id: fx.oil, batch_number: 'OIL-2026-01', quantity: 10 },
          { product_id: fx.milk, batch_number: 'MILK-7', quantity: 4, expiry_date: '2026-12-31' },
          { product_id: fx.oil.toUpperCase(), batch_number: ' OIL-2026-01 ', quantity: 5 },
        ],
      }));
      expect(r.number).toMatch(/^IN-\d{6}$/);
      expect(r).toMatchObject({ location_id: fx.main, reference: 'INB00000000179', external_reference: n1, total_quantity: 19 });
      expect(r.lines.map((l) => [l.line_no, l.batch_number, l.quantity, l.batch_created])).toEqual([
        [1, 'OIL-2026-01', 10, true], [2, 'MILK-7', 4, true], [3, 'OIL-2026-01', 5, true],
      ]);
      expect(r.lines[1]!.expiry_date).toBe('2026-12-31');
      const oilBatch = r.lines[0]!.batch_id;
      expect(r.lines[2]!.batch_id).toBe(oilBatch);
      const batch = must<{ status: string; quantity: number; received_date: string | null }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: oilBatch }));
      expect(batch).toMatchObject({ status: 'received', quantity: 15 });
      expect(await qty(oilBatch, fx.main)).toMatchObject({ quantity: 15, committed: 0, available: 15, in_transfer: 0, incoming: 0 });

      // a second receipt of the same batch number reuses the batch and adds to its stock
      const r2 = must<Inbound>(await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: fx.main, _lines: [{ product_id: fx.oil, batch_number: 'OIL-2026-01', quantity: 3 }],
      }));
      expect(r2.lines[0]).toMatchObject({ batch_id: oilBatch, batch_created: false });
      expect(Number(r2.number.slice(3))).toBeGreaterThan(Number(r.number.slice(3)));
      expect(await qty(oilBatch, fx.main)).toMatchObject({ quantity: 18, available: 18 });

      const got = must<Inbound>(await door.call(U.vic, 'get_inbound', { _brand_id: fx.brandA, _inbound_id: r.id }));
      expect(got).toEqual(r);
      const list = must<Inbound[]>(await door.call(U.vic, 'list_inbounds', { _brand_id: fx.brandA, _location_id: fx.main, _limit: 100 }));
      expect(list.map((i) => i.id)).toEqual(expect.arrayContaining([r.id, r2.id]));
      expect(list.findIndex((i) => i.id === r2.id)).toBeLessThan(list.findIndex((i) => i.id === r.id));
      expectError(await door.call(U.vic, 'get_inbound', { _brand_id: fx.brandA, _inbound_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_inbound_id');

      // the ledger holds one receipt per line, linked to the inbound, with who
      const moves = must<{ kind: string; quantity_delta: number; inbound_id: string; actor: string }[]>(
        await door.call(U.vic, 'list_stock_movements', { _brand_id: fx.brandA, _inbound_id: r.id }));
      expect(moves.map((m) => [m.kind, m.quantity_delta]).sort()).toEqual([['receipt', 10], ['receipt', 4], ['receipt', 5]].sort());
      expect(moves.every((m) => m.actor === U.eve.sub && m.inbound_id === r.id)).toBe(true);

      // the sender's external reference is an idempotency key
      const dup = await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: fx.main, _external_reference: n1, _lines: [{ product_id: fx.oil, batch_number: 'OIL-2026-01', quantity: 1 }],
      });
      expectError(dup, '23505', 409, '_external_reference');
      expect(details(dup).inbound_id).toBe(r.id);
      expect(await qty(oilBatch, fx.main)).toMatchObject({ quantity: 18 });
    });

    it('rejects bad lines naming the field, and writes nothing', async () => {
      const before = await door.count('stock_movements', fx.brandA);
      const batchesBefore = await door.count('batches', fx.brandA);
      const call = (lines: unknown, extra: Record<string, unknown> = {}) =>
        door.call(U.eve, 'receive_inbound', { _brand_id: fx.brandA, _location_id: fx.main, _lines: lines, ...extra });
      const ok = { product_id: fx.oil, batch_number: 'BAD-OK', quantity: 1 };
      expectError(await call([]), '22023', 400, '_lines');
      expectError(await call({ a: 1 }), '22023', 400, '_lines');
      expectError(await call(null), '22023', 400, '_lines');
      expectError(await call([ok, { ...ok, quantity: 0 }]), '22023', 400, '_lines[1].quantity');
      expectError(await call([{ ...ok, quantity: -2 }]), '22023', 400, '_lines[0].quantity');
      expectError(await call([{ ...ok, quantity: '2' }]), '22023', 400, '_lines[0].quantity');
      expectError(await call([{ ...ok, colour: 'red' }]), '22023', 400, '_lines[0].colour');
      expectError(await call([{ ...ok, product_id: 'nope' }]), '22023', 400, '_lines[0].product_id');
      expectError(await call([{ ...ok, batch_number: '' }]), '22023', 400, '_lines[0].batch_number');
      expectError(await call([{ ...ok, expiry_date: '31/12/2026' }]), '22023', 400, '_lines[0].expiry_date');
      expectError(await call([ok, { ...ok, expiry_date: '2027-01-01' }, { ...ok, expiry_date: '2027-02-01' }]), '22023', 400, '_lines[2].expiry_date');
      expectError(await call([{ ...ok, product_id: fx.productB }]), 'PT404', 404, '_lines[0].product_id');
      // an expirable product needs an expiry date for a new batch
      expectError(await call([{ product_id: fx.milk, batch_number: uniq('M'), quantity: 1 }]), '22023', 400, '_lines[0].expiry_date');
      expectError(await call([ok], { _location_id: fx.locB }), 'PT404', 404, '_location_id');
      expectError(await call([ok], { _location_id: null }), '22023', 400, '_location_id');
      expectError(await call([ok], { _reference: 'r'.repeat(201) }), '22023', 400, '_reference');
      expect(await door.count('stock_movements', fx.brandA)).toBe(before);
      expect(await door.count('batches', fx.brandA)).toBe(batchesBefore);
    });

    it('keeps a batch to one expiry date and refuses archived batches', async () => {
      const bn = uniq('MILK');
      must(await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: fx.main, _lines: [{ product_id: fx.milk, batch_number: bn, quantity: 2, expiry_date: '2026-10-01' }],
      }));
      const clash = await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: fx.main, _lines: [{ product_id: fx.milk, batch_number: bn, quantity: 2, expiry_date: '2026-11-01' }],
      });
      expectError(clash, 'PT409', 409, '_lines[0].expiry_date');
      // same date or no date: reused
      must(await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: fx.main, _lines: [{ product_id: fx.milk, batch_number: bn, quantity: 1 }],
      }));
      const b = must<{ id: string }>(await door.call(U.eve, 'create_product_batch', { _brand_id: fx.brandA, _product_id: fx.oil, _batch_number: uniq('OLD') }));
      must(await door.call(U.adam, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: b.id, _status: 'archived' }));
      const num = must<{ batch_number: string }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: b.id })).batch_number;
      const archived = await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: fx.main, _lines: [{ product_id: fx.oil, batch_number: num, quantity: 1 }],
      });
      expectError(archived, 'PT409', 409, '_lines[0].batch_number');
    });
  });

  describe('adjust_stock', () => {
    it('adjusts with a reason and never below committed', async () => {
      const batch = await stockUp(fx.back, 10);
      const up = must<Quantity>(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.back, _delta: 2.5, _reason: 'found on shelf' }));
      expect(up).toMatchObject({ batch_id: batch, location_id: fx.back, quantity: 12.5, committed: 0, available: 12.5 });
      const t = await newTransfer(batch, 8, fx.back, fx.shop);
      expect(await qty(batch, fx.back)).toMatchObject({ quantity: 12.5, committed: 8, available: 4.5, in_transfer: 8 });
      const below = await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.back, _delta: -5, _reason: 'damaged' });
      expectError(below, 'PT409', 409, '_delta');
      expect(details(below)).toMatchObject({ rule: 'available', quantity: 12.5, committed: 8, available: 4.5, shortfall: 0.5 });
      expect(below.error?.message).toContain('short by 0.5');
      const down = must<Quantity>(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.back, _delta: -4.5, _reason: 'damaged' }));
      expect(down).toMatchObject({ quantity: 8, committed: 8, available: 0 });
      // a batch with no stock at a location cannot go negative either
      expectError(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.main, _delta: -1, _reason: 'x' }), 'PT409', 409, '_delta');

      expectError(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.back, _delta: 1, _reason: ' ' }), '22023', 400, '_reason');
      expectError(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.back, _delta: 0, _reason: 'x' }), '22023', 400, '_delta');
      expectError(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: fx.oil, _location_id: fx.back, _delta: 1, _reason: 'x' }), 'PT404', 404, '_batch_id');
      expectError(await door.call(U.vic, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.back, _delta: 1, _reason: 'x' }), '42501', 403);
      const moves = must<{ kind: string; quantity_delta: number; reason: string; actor: string; quantity_after: number }[]>(
        await door.call(U.vic, 'list_stock_movements', { _brand_id: fx.brandA, _batch_id: batch, _location_id: fx.back }));
      expect(moves.filter((m) => m.kind === 'adjustment').map((m) => [m.quantity_delta, m.reason, m.quantity_after])).toEqual([
        [-4.5, 'damaged', 8], [2.5, 'found on shelf', 12.5],
      ]);
      must(await door.call(U.adam, 'decline_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _reason: 'not needed' }));
    });
  });

  describe('transfers', () => {
    it('full workflow: create reserves, quantities show the transit, accept moves the stock once', async () => {
      const b1 = await stockUp(fx.main, 10);
      const b2 = await stockUp(fx.main, 7);
      const t = must<Transfer>(await door.call(U.eve, 'create_transfer', {
        _brand_id: fx.brandA, _from_location_id: fx.main, _to_location_id: fx.shop, _note: 'restock',
        _lines: [{ batch_id: b1, quantity: 4 }, { batch_id: b2, quantity: 7 }],
      }));
      expect(t.number).toMatch(/^TR-\d{6}$/);
      expect(t).toMatchObject({ status: 'pending', from_location_id: fx.main, to_location_id: fx.shop, note: 'restock', created_by: U.eve.sub, version: 1, total_quantity: 11, accepted_by: null });
      expect(t.lines.map((l) => [l.batch_id, l.quantity]).sort()).toEqual([[b1, 4], [b2, 7]].sort());
      expect(await qty(b1, fx.main)).toMatchObject({ quantity: 10, committed: 4, available: 6, in_transfer: 4, incoming: 0 });
      expect(await qty(b2, fx.main)).toMatchObject({ quantity: 7, committed: 7, available: 0, in_transfer: 7 });
      // the destination shows what is on its way, before any stock arrived
      expect(await qty(b1, fx.shop)).toMatchObject({ quantity: 0, committed: 0, available: 0, in_transfer: 0, incoming: 4 });
      const atShop = must<Quantity[]>(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: fx.shop, _limit: 100 }));
      expect(atShop.find((q) => q.batch_id === b2)).toMatchObject({ quantity: 0, incoming: 7 });

      const got = must<Transfer>(await door.call(U.vic, 'get_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }));
      expect(got).toEqual(t);

      const accepted = must<Transfer>(await door.call(U.adam, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }));
      expect(accepted).toMatchObject({ status: 'accepted', accepted_by: U.adam.sub, version: 2 });
      expect(Date.parse(accepted.accepted_at!)).toBeGreaterThan(0);
      expect(await qty(b1, fx.main)).toMatchObject({ quantity: 6, committed: 0, available: 6, in_transfer: 0 });
      expect(await qty(b2, fx.main)).toMatchObject({ quantity: 0, committed: 0, available: 0 });
      expect(await qty(b1, fx.shop)).toMatchObject({ quantity: 4, committed: 0, available: 4, incoming: 0 });
      expect(await qty(b2, fx.shop)).toMatchObject({ quantity: 7, available: 7, incoming: 0 });
      // by location: empty rows are left out unless asked for
      const atMain = must<Quantity[]>(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: fx.main, _limit: 100 }));
      expect(atMain.map((q) => q.batch_id)).toContain(b1);
      expect(atMain.map((q) => q.batch_id)).not.toContain(b2);
      const atMainAll = must<Quantity[]>(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: fx.main, _limit: 100, _include_empty: true }));
      expect(atMainAll.map((q) => q.batch_id)).toContain(b2);

      const moves = must<{ kind: string; batch_id: string; location_id: string; quantity_delta: number; committed_delta: number; actor: string }[]>(
        await door.call(U.vic, 'list_stock_movements', { _brand_id: fx.brandA, _transfer_id: t.id }));
      const summary = moves.map((m) => `${m.kind}:${m.batch_id === b1 ? 'b1' : 'b2'}@${m.location_id === fx.main ? 'main' : 'shop'}:${m.quantity_delta}/${m.committed_delta}:${m.actor}`).sort();
      expect(summary).toEqual([
        `release:b1@main:0/-4:${U.adam.sub}`, `release:b2@main:0/-7:${U.adam.sub}`,
        `reservation:b1@main:0/4:${U.eve.sub}`, `reservation:b2@main:0/7:${U.eve.sub}`,
        `transfer_in:b1@shop:4/0:${U.adam.sub}`, `transfer_in:b2@shop:7/0:${U.adam.sub}`,
        `transfer_out:b1@main:-4/0:${U.adam.sub}`, `transfer_out:b2@main:-7/0:${U.adam.sub}`,
      ]);

      // no action on a transfer that is no longer pending: 409 naming its state
      for (const [who, fn, extra] of [
        [U.adam, 'accept_transfer', {}], [U.adam, 'decline_transfer', { _reason: 'late' }],
        [U.eve, 'cancel_transfer', {}], [U.eve, 'update_transfer', { _note: 'too late' }],
      ] as const) {
        const r = await door.call(who, fn, { _brand_id: fx.brandA, _transfer_id: t.id, ...extra });
        expectError(r, 'PT409', 409, '_transfer_id');
        expect(details(r).state).toBe('accepted');
        expect(r.error?.message).toContain(t.number);
        expect(r.error?.message).toContain('accepted');
      }
      expect(await qty(b1, fx.shop)).toMatchObject({ quantity: 4 });
    });

    it('shortfall: asking for more than is available is a 409 naming the batch and the shortfall', async () => {
      const bn = uniq('SHORT');
      const b = await stockUp(fx.main, 5, bn);
      const ok = await stockUp(fx.main, 5);
      const hold = await newTransfer(b, 2);
      const before = await door.count('transfers', fx.brandA);
      const r = await door.call(U.eve, 'create_transfer', {
        _brand_id: fx.brandA, _from_location_id: fx.main, _to_location_id: fx.shop,
        _lines: [{ batch_id: ok, quantity: 1 }, { batch_id: b, quantity: 4 }],
      });
      expectError(r, 'PT409', 409, '_lines[1].quantity');
      expect(details(r)).toMatchObject({ rule: 'available', batch_id: b, batch_number: bn, requested: 4, available: 3, shortfall: 1, location_id: fx.main });
      expect(r.error?.message).toContain(bn);
      expect(r.error?.message).toContain('short by 1');
      expect((details(r).shortfalls as unknown[]).length).toBe(1);
      expect(await door.count('transfers', fx.brandA)).toBe(before);
      expect(await qty(ok, fx.main)).toMatchObject({ committed: 0, available: 5 });
      expect(await qty(b, fx.main)).toMatchObject({ committed: 2, available: 3 });
      // a batch never received at the source: short by everything
      const none = await door.call(U.eve, 'create_transfer', {
        _brand_id: fx.brandA, _from_location_id: fx.shop, _to_location_id: fx.back, _lines: [{ batch_id: b, quantity: 1 }],
      });
      expectError(none, 'PT409', 409, '_lines[0].quantity');
      expect(details(none)).toMatchObject({ available: 0, shortfall: 1 });
      must(await door.call(U.eve, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: hold.id }));
    });

    it('edit while pending re-reserves by the difference; after a decision it is 409', async () => {
      const b1 = await stockUp(fx.main, 10);
      const b2 = await stockUp(fx.main, 10);
      const t = await newTransfer(b1, 3);
      // raise b1 to 8 and add b2: reservations follow
      let u = must<Transfer>(await door.call(U.eve, 'update_transfer', {
        _brand_id: fx.brandA, _transfer_id: t.id, _lines: [{ batch_id: b1, quantity: 8 }, { batch_id: b2, quantity: 2 }],
      }));
      expect(u).toMatchObject({ status: 'pending', version: 2, total_quantity: 10, updated_by: U.eve.sub } as Partial<Transfer>);
      expect(await qty(b1, fx.main)).toMatchObject({ committed: 8, available: 2 });
      expect(await qty(b2, fx.main)).toMatchObject({ committed: 2, available: 8 });
      // more than available (counting what the transfer already holds): 409 and nothing changes
      const over = await door.call(U.eve, 'update_transfer', {
        _brand_id: fx.brandA, _transfer_id: t.id, _lines: [{ batch_id: b1, quantity: 11 }],
      });
      expectError(over, 'PT409', 409, '_lines[0].quantity');
      expect(details(over)).toMatchObject({ batch_id: b1, requested: 11, available: 10, shortfall: 1 });
      expect(await qty(b1, fx.main)).toMatchObject({ committed: 8 });
      // drop b2, lower b1, change destination and note
      u = must<Transfer>(await door.call(U.eve, 'update_transfer', {
        _brand_id: fx.brandA, _transfer_id: t.id, _lines: [{ batch_id: b1, quantity: 1 }], _to_location_id: fx.back, _note: 'to the back',
      }));
      expect(u).toMatchObject({ to_location_id: fx.back, note: 'to the back', version: 3, total_quantity: 1 });
      expect(u.lines.map((l) => [l.batch_id, l.quantity])).toEqual([[b1, 1]]);
      expect(await qty(b1, fx.main)).toMatchObject({ committed: 1, available: 9 });
      expect(await qty(b2, fx.main)).toMatchObject({ committed: 0, available: 10 });
      expect(await qty(b1, fx.back)).toMatchObject({ incoming: 1 });
      expect(await qty(b1, fx.shop)).toBeUndefined();
      // nothing changed → same version; a stale version → 412; '' clears the note
      expect(must<Transfer>(await door.call(U.eve, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _note: 'to the back' })).version).toBe(3);
      expectError(await door.call(U.eve, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _note: 'x', _expected_version: 2 }), 'PT412', 412, '_expected_version');
      expect(must<Transfer>(await door.call(U.eve, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _note: '  ', _expected_version: 3 }))).toMatchObject({ note: null, version: 4 });
      // bad edits
      expectError(await door.call(U.eve, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _to_location_id: fx.main }), '22023', 400, '_to_location_id');
      expectError(await door.call(U.eve, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _lines: [] }), '22023', 400, '_lines');
      expectError(await door.call(U.eve, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _to_location_id: fx.locB }), 'PT404', 404, '_to_location_id');
      // only the creator or an admin edits
      expectError(await door.call(U.erin, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _note: 'mine now' }), '42501', 403, '_transfer_id');
      expect(must<Transfer>(await door.call(U.adam, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _note: 'admin note' })).note).toBe('admin note');

      must(await door.call(U.adam, 'decline_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _reason: 'wrong room' }));
      const late = await door.call(U.eve, 'update_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _lines: [{ batch_id: b1, quantity: 2 }] });
      expectError(late, 'PT409', 409, '_transfer_id');
      expect(details(late).state).toBe('declined');
      expect(await qty(b1, fx.main)).toMatchObject({ quantity: 10, committed: 0 });
    });

    it('decline releases the reservation and records who, when and why', async () => {
      const b = await stockUp(fx.main, 6);
      const t = await newTransfer(b, 6);
      expect(await qty(b, fx.main)).toMatchObject({ committed: 6, available: 0 });
      expectError(await door.call(U.adam, 'decline_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _reason: '' }), '22023', 400, '_reason');
      expectError(await door.call(U.eve, 'decline_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _reason: 'no' }), '42501', 403);
      const d = must<Transfer>(await door.call(U.adam, 'decline_transfer', { _brand_id: fx.brandA, _transfer_id: t.id, _reason: 'no room' }));
      expect(d).toMatchObject({ status: 'declined', declined_by: U.adam.sub, decline_reason: 'no room', accepted_by: null });
      expect(Date.parse(d.declined_at!)).toBeGreaterThan(0);
      expect(await qty(b, fx.main)).toMatchObject({ quantity: 6, committed: 0, available: 6, in_transfer: 0 });
      expect(await qty(b, fx.shop)).toBeUndefined();
      const r = await door.call(U.adam, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id });
      expectError(r, 'PT409', 409, '_transfer_id');
      expect(details(r).state).toBe('declined');
    });

    it('cancel: by its creator or an admin; releases', async () => {
      const b = await stockUp(fx.main, 4);
      const t1 = await newTransfer(b, 2);
      const t2 = await newTransfer(b, 2);
      expectError(await door.call(U.erin, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: t1.id }), '42501', 403, '_transfer_id');
      expectError(await door.call(U.vic, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: t1.id }), '42501', 403);
      const c1 = must<Transfer>(await door.call(U.eve, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: t1.id, _reason: 'typo' }));
      expect(c1).toMatchObject({ status: 'cancelled', cancelled_by: U.eve.sub });
      const c2 = must<Transfer>(await door.call(U.adam, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: t2.id }));
      expect(c2).toMatchObject({ status: 'cancelled', cancelled_by: U.adam.sub });
      expect(await qty(b, fx.main)).toMatchObject({ quantity: 4, committed: 0, available: 4 });
      const again = await door.call(U.eve, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: t1.id });
      expectError(again, 'PT409', 409, '_transfer_id');
      expect(details(again).state).toBe('cancelled');
    });

    it('role rules: viewers read, editors create, only admins accept or decline; scopes and brands are enforced', async () => {
      const b = await stockUp(fx.main, 3);
      expectError(await door.call(U.vic, 'create_transfer', {
        _brand_id: fx.brandA, _from_location_id: fx.main, _to_location_id: fx.shop, _lines: [{ batch_id: b, quantity: 1 }],
      }), '42501', 403);
      const t = await newTransfer(b, 1);
      expectError(await door.call(U.eve, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }), '42501', 403);
      expectError(await door.call(U.vic, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }), '42501', 403);
      expectError(await door.call(U.oscar, 'get_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }), '42501', 403);
      expectError(await door.call(U.bob, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }), '42501', 403);
      expectError(await door.call(U.bob, 'accept_transfer', { _brand_id: fx.brandB, _transfer_id: t.id }), 'PT404', 404, '_transfer_id');
      expectError(await door.call(U.bob, 'batch_quantities_by_product', { _brand_id: fx.brandA, _product_id: fx.oil }), '42501', 403);
      expectError(await door.call(U.bob, 'list_stock_movements', { _brand_id: fx.brandA }), '42501', 403);
      expectError(await door.call(null, 'list_transfers', { _brand_id: fx.brandA }), '42501', 401);
      // a token scoped to reading cannot write; scoped to writing it can
      const reader = { sub: U.olga.sub, scope: 'inventory:read' };
      expect(must<Transfer[]>(await door.call(reader, 'list_transfers', { _brand_id: fx.brandA })).length).toBeGreaterThan(0);
      expectError(await door.call(reader, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }), '42501', 403);
      expectError(await door.call({ sub: U.olga.sub, scope: 'batches:write' }, 'list_transfers', { _brand_id: fx.brandA }), '42501', 403);
      // the owner and admins may accept (their own transfers included)
      const own = must<Transfer>(await door.call(U.olga, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t.id }));
      expect(own).toMatchObject({ status: 'accepted', accepted_by: U.olga.sub });
      const t2 = await newTransfer(b, 1, fx.main, fx.shop, U.adam);
      expect(must<Transfer>(await door.call({ sub: U.adam.sub, scope: 'inventory:write' }, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t2.id })).status).toBe('accepted');
    });

    it('validates transfer input naming the field', async () => {
      const b = await stockUp(fx.main, 3);
      const call = (extra: Record<string, unknown>) => door.call(U.eve, 'create_transfer', {
        _brand_id: fx.brandA, _from_location_id: fx.main, _to_location_id: fx.shop, _lines: [{ batch_id: b, quantity: 1 }], ...extra,
      });
      const before = await door.count('transfers', fx.brandA);
      expectError(await call({ _to_location_id: fx.main }), '22023', 400, '_to_location_id');
      expectError(await call({ _from_location_id: null }), '22023', 400, '_from_location_id');
      expectError(await call({ _lines: [] }), '22023', 400, '_lines');
      expectError(await call({ _lines: 'all of it' }), '22023', 400, '_lines');
      expectError(await call({ _lines: [{ batch_id: b, quantity: 1 }, { batch_id: b, quantity: 1 }] }), '22023', 400, '_lines[1].batch_id');
      expectError(await call({ _lines: [{ batch_id: 'x', quantity: 1 }] }), '22023', 400, '_lines[0].batch_id');
      expectError(await call({ _lines: [{ quantity: 1 }] }), '22023', 400, '_lines[0].batch_id');
      expectError(await call({ _lines: [{ batch_id: b, quantity: 0 }] }), '22023', 400, '_lines[0].quantity');
      expectError(await call({ _lines: [{ batch_id: b }] }), '22023', 400, '_lines[0].quantity');
      expectError(await call({ _lines: [{ batch_id: b, quantity: 1, from: 'x' }] }), '22023', 400, '_lines[0].from');
      expectError(await call({ _lines: [{ batch_id: fx.oil, quantity: 1 }] }), 'PT404', 404, '_lines[0].batch_id');
      expectError(await call({ _to_location_id: fx.locB }), 'PT404', 404, '_to_location_id');
      expectError(await call({ _note: 'n'.repeat(2001) }), '22023', 400, '_note');
      expect(await door.count('transfers', fx.brandA)).toBe(before);
      expectError(await door.call(U.vic, 'get_transfer', { _brand_id: fx.brandA, _transfer_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_transfer_id');
    });

    it('batch_quantities_by_location pages with _limit/_offset in batch-number order', async () => {
      const room = must<{ id: string }>(await door.call(U.eve, 'create_location', { _brand_id: fx.brandA, _name: uniq('Paging') })).id;
      const numbers = ['PG-3', 'PG-1', 'PG-2'].map((n) => uniq(n));
      must(await door.call(U.eve, 'receive_inbound', {
        _brand_id: fx.brandA, _location_id: room, _lines: numbers.map((n, i) => ({ product_id: fx.oil, batch_number: n, quantity: i + 1 })),
      }));
      const all = must<Quantity[]>(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: room }));
      expect(all.map((q) => q.batch_number)).toEqual([...numbers].sort());
      const page = must<Quantity[]>(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: room, _limit: 1, _offset: 1 }));
      expect(page.map((q) => q.batch_number)).toEqual([[...numbers].sort()[1]]);
      expectError(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: room, _limit: 101 }), '22023', 400, '_limit');
      expectError(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: room, _offset: -1 }), '22023', 400, '_offset');
      expectError(await door.call(U.vic, 'batch_quantities_by_location', { _brand_id: fx.brandA, _location_id: fx.locB }), 'PT404', 404, '_location_id');
      expectError(await door.call(U.vic, 'batch_quantities_by_product', { _brand_id: fx.brandA, _product_id: fx.productB }), 'PT404', 404, '_product_id');
    });

    it('list_transfers filters by status (upper-case spelling too) and location', async () => {
      const b = await stockUp(fx.main, 5);
      const p = await newTransfer(b, 1, fx.main, fx.back);
      const a = await newTransfer(b, 1, fx.main, fx.back);
      must(await door.call(U.adam, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: a.id }));
      const pending = must<Transfer[]>(await door.call(U.vic, 'list_transfers', { _brand_id: fx.brandA, _status: 'PENDING', _limit: 100 }));
      expect(pending.every((t) => t.status === 'pending')).toBe(true);
      expect(pending.map((t) => t.id)).toContain(p.id);
      expect(pending.map((t) => t.id)).not.toContain(a.id);
      const accepted = must<Transfer[]>(await door.call(U.vic, 'list_transfers', { _brand_id: fx.brandA, _status: 'accepted', _location_id: fx.back, _limit: 100 }));
      expect(accepted.map((t) => t.id)).toContain(a.id);
      expect(accepted.every((t) => t.status === 'accepted' && (t.to_location_id === fx.back || t.from_location_id === fx.back))).toBe(true);
      const all = must<Transfer[]>(await door.call(U.vic, 'list_transfers', { _brand_id: fx.brandA, _limit: 2 }));
      expect(all.map((t) => t.id)).toEqual([a.id, p.id]); // newest first
      expect(all[0]!.lines.length).toBe(1);
      expectError(await door.call(U.vic, 'list_transfers', { _brand_id: fx.brandA, _status: 'lost' }), '22023', 400, '_status');
      expectError(await door.call(U.vic, 'list_transfers', { _brand_id: fx.brandA, _limit: 0 }), '22023', 400, '_limit');
      // numbers are per brand and increase
      expect(Number(a.number.slice(3))).toBe(Number(p.number.slice(3)) + 1);
    });
  });

  describe('the ledger and the stock table are guarded', () => {
    it('the ledger sums to the stock table for the brand', async () => {
      const rows = must<{ batch_id: string; location_id: string; quantity: number; committed: number }[]>(
        await door.call(U.vic, 'batch_quantities_by_product', { _brand_id: fx.brandA, _product_id: fx.oil }));
      const moves: { batch_id: string; location_id: string; quantity_delta: number; committed_delta: number; id: number }[] = [];
      let before: number | undefined;
      for (;;) {
        const page = must<typeof moves>(await door.call(U.vic, 'list_stock_movements', { _brand_id: fx.brandA, _limit: 500, ...(before ? { _before_id: before } : {}) }));
        moves.push(...page);
        if (page.length < 500) break;
        before = page[page.length - 1]!.id;
      }
      for (const r of rows) {
        const mine = moves.filter((m) => m.batch_id === r.batch_id && m.location_id === r.location_id);
        expect(mine.reduce((s, m) => s + m.quantity_delta, 0)).toBeCloseTo(r.quantity, 9);
        expect(mine.reduce((s, m) => s + m.committed_delta, 0)).toBeCloseTo(r.committed, 9);
      }
    });
  });
}
