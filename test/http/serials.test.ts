// Serials, the public view and the Digital Link resolver through the HTTP door (the gateway, a JWT per
// caller; anon = no Authorization header) — the same cases as test/sql/serials.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway } from '../support/gateway.ts';
import { makeDoor } from '../support/doors.ts';
import { must, type Door } from '../support/door.ts';
import { CONSUMER_KEYS, defineSerialCases, SERIAL_USERS as U } from '../cases/serials.ts';

let db: TestDb;
let gw: Awaited<ReturnType<typeof startGateway>>;
beforeAll(async () => {
  db = await createTestDb();
  gw = await startGateway(db);
});
afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

const door = (): Door => makeDoor('http', db.admin, gw.url);

defineSerialCases(door);

describe('HTTP specifics of the public functions', () => {
  let code: string;
  let publicId: string;
  beforeAll(async () => {
    const d = door();
    const brand = must<{ id: string }>(await d.call(U.alice, 'create_brand', { _name: 'HTTP serials' })).id;
    const p = must<{ id: string }>(await d.call(U.alice, 'create_product', { _brand_id: brand, _name: 'Tea', _gtin: '96385074', _serialized: true }));
    const b = must<{ id: string; public_id: string }>(await d.call(U.alice, 'create_product_batch', { _brand_id: brand, _product_id: p.id, _batch_number: 'T 1' }));
    publicId = b.public_id;
    must(await d.call(U.alice, 'mint_serials', { _brand_id: brand, _batch_id: b.id, _count: 1 }));
    code = must<{ code: string }[]>(await d.call(U.alice, 'list_batch_serials', { _brand_id: brand, _batch_id: b.id }))[0]!.code;
  });

  it('GET with query parameters works without a token (a scanned link can be opened directly)', async () => {
    const res = await fetch(`${gw.url}/rpc/resolve_serial?_code=${encodeURIComponent(code)}`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(CONSUMER_KEYS);
    expect(body).toMatchObject({ level: 'serial', gtin: '00000096385074', digital_link: '/01/00000096385074/10/T%201/21/1' });
    const dl = await fetch(`${gw.url}/rpc/resolve_digital_link?_uri=${encodeURIComponent('https://id.example.com/01/96385074/10/T%201/21/1')}`);
    expect(dl.status).toBe(200);
    expect(await dl.json()).toMatchObject({ level: 'serial', serial_number: '1', batch_number: 'T 1' });
    const pb = await fetch(`${gw.url}/rpc/get_public_batch?_public_id=${publicId}`);
    expect(pb.status).toBe(200);
  });

  it('anon calling anything else is 401, and a voided-serial answer is still 200', async () => {
    const r = await fetch(`${gw.url}/rpc/list_my_brands`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(401);
    const missing = await fetch(`${gw.url}/rpc/resolve_serial`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ _code: 'AAAAAAAAAAAAAAAA' }) });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'PT404' });
  });
});
