// Integration sync through the HTTP door: the same cases as test/sql/sync.test.ts, over the
// gateway with a JWT per caller (scoped tokens carry `scope`), plus what only HTTP shows.
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { defineSyncCases } from '../cases/sync.ts';

const t = useDoor('http');
defineSyncCases(t.door);

describe('sync over HTTP', () => {
  it('a push with failed records is still 200 with success false; a payload over 500 records is a PostgREST-shaped 400', async () => {
    const owner = 'http-sync-owner';
    const headers = await t.gw.headers(owner);
    const brand = (await (await fetch(`${t.gw.url}/rpc/create_brand`, { method: 'POST', headers, body: JSON.stringify({ _name: 'HTTP sync' }) })).json()) as { id: string };
    const res = await fetch(`${t.gw.url}/rpc/upsert_batches`, {
      method: 'POST', headers,
      body: JSON.stringify({ _brand_id: brand.id, _batches: [{ externalId: 'BATCH-001', productExternalId: 'ITEM-999', batchNumber: 'L1' }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      success: false, created: 0, updated: 0,
      errors: [{ externalId: 'BATCH-001', error: 'Product with externalId "ITEM-999" not found. Sync products first.' }],
      records: [{ externalId: 'BATCH-001', internalId: null, status: 'ERROR' }],
      ddsCreated: [],
    });

    const big = Array.from({ length: 501 }, (_, i) => ({ externalId: `B-${i}`, productExternalId: 'ITEM-1', batchNumber: `L-${i}` }));
    const r400 = await fetch(`${t.gw.url}/rpc/upsert_batches`, { method: 'POST', headers, body: JSON.stringify({ _brand_id: brand.id, _batches: big }) });
    expect(r400.status).toBe(400);
    const body = (await r400.json()) as { code: string; message: string; details: string; hint: string | null };
    expect(body.code).toBe('22023');
    expect(JSON.parse(body.details)).toEqual({ field: '_batches', rule: 'max_items' });
    expect(body.message).toBe('_batches must have at most 500 records (got 501)');

    // a token scoped for reading cannot push: 403 naming the scope
    const scoped = await t.gw.headers(owner, 'integration:batches:read');
    const r403 = await fetch(`${t.gw.url}/rpc/upsert_batches`, { method: 'POST', headers: scoped, body: JSON.stringify({ _brand_id: brand.id, _batches: [] }) });
    expect(r403.status).toBe(403);
    const b403 = (await r403.json()) as { code: string; details: string };
    expect(b403.code).toBe('42501');
    expect(JSON.parse(b403.details)).toMatchObject({ scope: 'integration:batches:write' });
    // ... but may list (a stable function: POST runs read-only; _limit must go in the body)
    const list = await fetch(`${t.gw.url}/rpc/list_synced_batches`, { method: 'POST', headers: scoped, body: JSON.stringify({ _brand_id: brand.id, _limit: 10 }) });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ page: 1, limit: 10, total: 0, records: [] });
  });
});
