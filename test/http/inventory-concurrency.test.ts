// Inventory races over HTTP: 20 parallel requests through the gateway (pool of 24 connections), the way
// browsers and integrations would hit it. The SQL-door suite (test/sql/inventory-concurrency.test.ts) has more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgrestClient } from '@supabase/postgrest-js';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { httpCall } from '../support/httpdoor.ts';
import { must, type DoorResult } from '../support/door.ts';

let db: TestDb;
let gw: TestGateway;
const OWNER = { sub: 'hc-owner' };
const ADMIN = { sub: 'hc-admin' };
const EDITOR = { sub: 'hc-editor' };
let brand: string;
let product: string;

const rpc = (who: { sub: string }, fn: string, args: Record<string, unknown>) => httpCall(gw.url, who, fn, args);

function tally(rs: DoorResult[]) {
  return {
    calls: rs.length,
    ok: rs.filter((r) => r.ok).length,
    conflicts: rs.filter((r) => r.status === 409 && r.error?.code === 'PT409').length,
    other: rs.filter((r) => !r.ok && r.status !== 409).map((r) => `${r.status} ${r.error?.code} ${r.error?.message}`),
  };
}

beforeAll(async () => {
  db = await createTestDb();
  gw = await startGateway(db, { poolSize: 24 });
  brand = must<{ id: string }>(await rpc(OWNER, 'create_brand', { _name: 'HTTP races' })).id;
  must(await rpc(OWNER, 'add_brand_member', { _brand_id: brand, _user_id: ADMIN.sub, _role: 'admin' }));
  must(await rpc(OWNER, 'add_brand_member', { _brand_id: brand, _user_id: EDITOR.sub, _role: 'editor' }));
  product = must<{ id: string }>(await rpc(EDITOR, 'create_product', { _brand_id: brand, _name: 'Thing' })).id;
});
afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

async function setupStock(tag: string, quantity: number) {
  const from = must<{ id: string }>(await rpc(EDITOR, 'create_location', { _brand_id: brand, _name: `${tag}-from` })).id;
  const to = must<{ id: string }>(await rpc(EDITOR, 'create_location', { _brand_id: brand, _name: `${tag}-to` })).id;
  const inbound = must<{ lines: { batch_id: string }[] }>(await rpc(EDITOR, 'receive_inbound', {
    _brand_id: brand, _location_id: from, _lines: [{ product_id: product, batch_number: tag, quantity }],
  }));
  return { from, to, batch: inbound.lines[0]!.batch_id };
}

describe('inventory races over HTTP', () => {
  it('20 parallel POST /rpc/accept_transfer: one 200, nineteen 409 naming the state, stock moved once', async () => {
    const { from, to, batch } = await setupStock('H-ACC', 10);
    const t = must<{ id: string }>(await rpc(EDITOR, 'create_transfer', { _brand_id: brand, _from_location_id: from, _to_location_id: to, _lines: [{ batch_id: batch, quantity: 6 }] }));
    const rs = await Promise.all(Array.from({ length: 20 }, () => rpc(ADMIN, 'accept_transfer', { _brand_id: brand, _transfer_id: t.id })));
    const n = tally(rs);
    console.log(`inventory-concurrency: HTTP 20 parallel accept_transfer: calls=${n.calls} successes=${n.ok} conflicts=${n.conflicts} other=${n.other.length}`);
    expect(n.other).toEqual([]);
    expect(n.ok).toBe(1);
    expect(n.conflicts).toBe(19);
    for (const r of rs.filter((x) => !x.ok)) expect(JSON.parse(r.error!.details!)).toMatchObject({ field: '_transfer_id', state: 'accepted' });

    // read the result with postgrest-js, as a frontend would
    const client = new PostgrestClient(gw.url, { headers: { Authorization: `Bearer ${await gw.token(ADMIN.sub)}` } });
    const { data, error } = await client.rpc('batch_quantities_by_product', { _brand_id: brand, _product_id: product });
    expect(error).toBeNull();
    const rows = data as { batch_id: string; location_id: string; quantity: number; committed: number }[];
    expect(rows.filter((r) => r.batch_id === batch).map((r) => [r.location_id, r.quantity, r.committed]).sort()).toEqual([[from, 4, 0], [to, 6, 0]].sort());
  });

  it('20 parallel POST /rpc/create_transfer of 1 against stock 10: ten 200, ten 409 with the shortfall', async () => {
    const { from, to, batch } = await setupStock('H-RES', 10);
    const rs = await Promise.all(Array.from({ length: 20 }, () =>
      rpc(EDITOR, 'create_transfer', { _brand_id: brand, _from_location_id: from, _to_location_id: to, _lines: [{ batch_id: batch, quantity: 1 }] })));
    const n = tally(rs);
    console.log(`inventory-concurrency: HTTP 20 parallel create_transfer(1) vs stock 10: calls=${n.calls} successes=${n.ok} conflicts=${n.conflicts} other=${n.other.length}`);
    expect(n.other).toEqual([]);
    expect(n.ok).toBe(10);
    expect(n.conflicts).toBe(10);
    for (const r of rs.filter((x) => !x.ok)) expect(JSON.parse(r.error!.details!)).toMatchObject({ field: '_lines[0].quantity', batch_id: batch, shortfall: 1 });
    const [s] = await db.admin<{ quantity: number; committed: number }[]>`
      select quantity::float8 as quantity, committed::float8 as committed from data.stock where brand_id = ${brand} and batch_id = ${batch} and location_id = ${from}`;
    expect(s).toEqual({ quantity: 10, committed: 10 });
  });
});
