// The docs' request examples run against a test gateway: every ```http block and curl command that calls
// /rpc/… (README.md, docs/*.md) is sent in document order against one example brand, and must answer the
// documented status (any 2xx when none is documented) and, where the docs show a response, its shape
// (keys and JSON types). A doc that says something the gateway does not do fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { httpCall } from '../support/httpdoor.ts';
import { must } from '../support/door.ts';
import { ROOT } from '../../src/db/sql-layout.ts';
import { docExamples, shapeMismatches } from './doc-examples.ts';

const examples = docExamples(ROOT);
const OWNER = 'docs-owner';
let db: TestDb;
let gw: TestGateway;
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDb();
  gw = await startGateway(db);
  const call = (fn: string, args: Record<string, unknown>, scope?: string) => httpCall(gw.url, { sub: OWNER, scope }, fn, args);
  ids.brand_id = must<{ id: string }>(await call('create_brand', { _name: 'Docs' })).id;
  const b = ids.brand_id;
  ids.product_id = must<{ id: string }>(await call('create_product', { _brand_id: b, _name: 'Olive oil 1L' })).id;
  ids.batch_id = must<{ id: string }>(await call('create_product_batch', { _brand_id: b, _product_id: ids.product_id, _batch_number: 'DOC-1' })).id;
  must(await call('upsert_products', { _brand_id: b, _products: [{ externalId: 'ITEM-1', name: 'Olive oil' }] }));
  const dds = must<{ ddsCreated: { ddsId: string }[] }>(await call('upsert_batches', {
    _brand_id: b, _auto_create_dds: true, _batches: [{ externalId: 'DOC-SB-1', productExternalId: 'ITEM-1', batchNumber: 'DOC-S1', receivedDate: '2026-01-14' }],
  }));
  ids.dds_id = dds.ddsCreated[0]!.ddsId;
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

const fill = (s: string) => s.replace(/<(brand|product|batch|dds)[ _]id>/g, (_, k: string) => ids[`${k}_id`] ?? `<${k} id>`);

describe('documented request examples', () => {
  it('finds the examples (the test cannot pass on none)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  for (const ex of examples) {
    it(`${ex.where}: ${ex.method} ${ex.path.split('?')[0]} answers as documented`, async () => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      for (const [k, v] of Object.entries(ex.headers)) {
        if (k === 'authorization') {
          const scope = /with scope ([\w:]+)/.exec(v)?.[1];
          headers[k] = `Bearer ${await gw.token(OWNER, scope)}`;
        } else if (k !== 'content-type') headers[k] = v;
      }
      const res = await fetch(`${gw.url}${fill(ex.path)}`, { method: ex.method, headers, body: ex.body ? fill(ex.body) : undefined });
      const text = await res.text();
      if (ex.status === undefined) expect(res.status, `${ex.where}: ${text}`).toBeLessThan(300);
      else expect(res.status, `${ex.where}: ${text}`).toBe(ex.status);
      if (ex.response) expect(shapeMismatches(JSON.parse(ex.response), JSON.parse(text)), ex.where).toEqual([]);
    });
  }
});
