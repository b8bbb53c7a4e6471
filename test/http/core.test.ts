// Foundation RPCs through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/core.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { httpCall, tokenFor } from '../support/httpdoor.ts';
import { defineCoreCases } from '../cases/core.ts';

const t = useDoor('http');
defineCoreCases(t.door);

describe('HTTP specifics of the foundation RPCs', () => {
  let brand: string;
  let product: string;
  let auth: Record<string, string>;
  beforeAll(async () => {
    auth = { Authorization: `Bearer ${await tokenFor({ sub: 'henry' })}`, 'Content-Type': 'application/json' };
    brand = ((await httpCall(t.gw.url, { sub: 'henry' }, 'create_brand', { _name: 'Henry & Co' })).data as { id: string }).id;
    product = ((await httpCall(t.gw.url, { sub: 'henry' }, 'create_product', { _brand_id: brand, _name: 'Jam' })).data as { id: string }).id;
  });

  it('a missing required argument is PostgREST 404 PGRST202 with a hint, nothing written', async () => {
    const res = await fetch(`${t.gw.url}/rpc/create_product_batch`, { method: 'POST', headers: auth, body: JSON.stringify({ _brand_id: brand, _product_id: product }) });
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.code).toBe('PGRST202');
    expect(body.message).toBe('Could not find the function api.create_product_batch(_brand_id, _product_id) in the schema cache');
    expect(body.hint).toContain('create_product_batch');
    const [r] = await t.db.admin`select count(*)::int as n from data.batches where brand_id = ${brand}`;
    expect(r!.n).toBe(0);
  });

  it('an unknown argument is refused, never dropped', async () => {
    const res = await fetch(`${t.gw.url}/rpc/create_product_batch`, { method: 'POST', headers: auth, body: JSON.stringify({ _brand_id: brand, _product_id: product, _batch_number: 'X', _colour: 'red' }) });
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('PGRST202');
  });

  it('malformed JSON is 400 PGRST102', async () => {
    const res = await fetch(`${t.gw.url}/rpc/create_product_batch`, { method: 'POST', headers: auth, body: '{"_brand_id": ' });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('PGRST102');
  });

  it('GET reads with query-string arguments in a read-only transaction', async () => {
    await httpCall(t.gw.url, { sub: 'henry' }, 'create_product_batch', { _brand_id: brand, _product_id: product, _batch_number: 'G-1' });
    const res = await fetch(`${t.gw.url}/rpc/list_product_batches?_brand_id=${brand}&_product_id=${product}`, { headers: auth });
    expect(res.status).toBe(200);
    const rows = (await res.json()) as { batch_number: string }[];
    expect(rows.map((r) => r.batch_number)).toEqual(['G-1']);
    // a write through GET fails in Postgres: 405 with SQLSTATE 25006, nothing written
    const write = await fetch(`${t.gw.url}/rpc/create_product_batch?_brand_id=${brand}&_product_id=${product}&_batch_number=G-2`, { headers: auth });
    expect(write.status).toBe(405);
    expect((await write.json()).code).toBe('25006');
    const [r] = await t.db.admin`select count(*)::int as n from data.batches where brand_id = ${brand}`;
    expect(r!.n).toBe(1);
  });

  it('no token on a member function is 401 with WWW-Authenticate', async () => {
    const res = await fetch(`${t.gw.url}/rpc/list_product_batches`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ _brand_id: brand, _product_id: product }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await res.json()).code).toBe('42501');
  });
});
