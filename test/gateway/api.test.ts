// lotline's own `api` schema behind the gateway, through @supabase/postgrest-js as an app would use it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgrestClient } from '@supabase/postgrest-js';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

let db: TestDb;
let gw: TestGateway;
const client = async (sub: string | null, scope?: string) =>
  new PostgrestClient(gw.url, { headers: sub ? { Authorization: `Bearer ${await gw.token(sub, scope)}` } : {} });

let brandId: string;
let productId: string;
beforeAll(async () => {
  db = await createTestDb();
  gw = await startGateway(db);
  const owner = await client('gw-owner');
  const b = await owner.rpc('create_brand', { _name: 'Gateway Brand', _slug: 'gw-brand' }).single();
  expect(b.error).toBeNull();
  brandId = (b.data as { id: string }).id;
  const p = await owner.rpc('create_product', { _brand_id: brandId, _name: 'Honey' }).single();
  expect(p.error).toBeNull();
  productId = (p.data as { id: string }).id;
});
afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

describe('lotline api through postgrest-js', () => {
  test('create → list (GET, filters, order, count) → update → get', async () => {
    const c = await client('gw-owner');
    const created = await c.rpc('create_product_batch', {
      _brand_id: brandId, _product_id: productId, _batch_number: 'L-001', _production_date: '2024-05-01',
      _quantity: 12.5, _facility_ref: 'F1', _attributes: { color: 'amber' },
    });
    expect(created.error).toBeNull();
    expect(created.status).toBe(200);
    const batch = created.data as Record<string, unknown>;
    expect(batch).toMatchObject({ batch_number: 'L-001', status: 'active', quantity: 12.5, attributes: { color: 'amber' } });
    await c.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-002', _quantity: 1 });

    const list = await c.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId }, { get: true, count: 'exact' })
      .select('id,batch_number,quantity').order('batch_number', { ascending: false });
    expect(list.error).toBeNull();
    expect(list.count).toBe(2);
    expect((list.data as { batch_number: string }[]).map((x) => x.batch_number)).toEqual(['L-002', 'L-001']);
    const filtered = await c.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId }).gt('quantity', 5).select('batch_number');
    expect(filtered.data).toEqual([{ batch_number: 'L-001' }]);

    const upd = await c.rpc('update_product_batch', { _brand_id: brandId, _batch_id: batch.id, _patch: { quantity: 20, facility_ref: 'F2' } }).single();
    expect(upd.error).toBeNull();
    expect(upd.data).toMatchObject({ quantity: 20, facility_ref: 'F2' });
    const got = await c.rpc('get_product_batch', { _brand_id: brandId, _product_id: productId, _batch_id: batch.id }, { get: true }).single();
    expect(got.data).toMatchObject({ id: batch.id, quantity: 20 });
  });

  test('errors as the catalogue says: 400 with details.field, 409 duplicate, 403 outsider, 401 anon', async () => {
    const c = await client('gw-owner');
    const neg = await c.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'N-1', _quantity: -1 });
    expect(neg.status).toBe(400);
    expect(neg.error?.code).toBe('22023');
    expect(JSON.parse(neg.error!.details)).toMatchObject({ field: '_quantity' });
    const dup = await c.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-001' });
    expect(dup.status).toBe(409);
    expect(dup.error?.code).toBe('23505');
    const bad = await c.rpc('update_product_batch', { _brand_id: brandId, _batch_id: '00000000-0000-0000-0000-000000000000', _patch: { id: 'x' } });
    expect(bad.status).toBe(400);
    const outsider = await (await client('gw-stranger')).rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'X' });
    expect(outsider.status).toBe(403);
    expect(outsider.error?.code).toBe('42501');
    const anon = await (await client(null)).rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'X' });
    expect(anon.status).toBe(401);
    const missing = await c.rpc('create_product_batch', { _brand_id: brandId, _batch_number: 'X' });
    expect(missing.status).toBe(404);
    expect(missing.error?.code).toBe('PGRST202');
    expect(missing.error?.hint).toContain('create_product_batch(');
    const [n] = await db.admin`select count(*)::int as n from data.batches where batch_number in ('N-1', 'X')`;
    expect(n!.n).toBe(0);
  });

  test('a write through GET is refused by the read-only transaction (405), STABLE reads work by GET', async () => {
    const token = await gw.token('gw-owner');
    const q = new URLSearchParams({ _brand_id: brandId, _product_id: productId, _batch_number: 'G-1' });
    const r = await fetch(`${gw.url}/rpc/create_product_batch?${q}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(r.status).toBe(405);
    expect((await r.json()).code).toBe('25006');
    const s = await fetch(`${gw.url}/rpc/list_my_brands`, { headers: { Authorization: `Bearer ${token}` } });
    expect(s.status).toBe(200);
    expect(((await s.json()) as { id: string }[]).map((b) => b.id)).toContain(brandId);
  });

  test('a scoped token without the function\'s scope is 403', async () => {
    const c = await client('gw-owner', 'batches:read');
    const r = await c.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'S-1' });
    expect(r.status).toBe(403);
    const ok = await c.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId });
    expect(ok.status).toBe(200);
  });
});
