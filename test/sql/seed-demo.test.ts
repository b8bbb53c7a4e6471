// The demo data `npm start` creates (src/cli/seed.ts): it must keep working as the api functions change,
// through the gateway's login role, and be idempotent across restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, asUser, type TestDb } from '../support/db.ts';
import { DEMO_USER, seedDemo } from '../../src/cli/seed.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.drop();
});

describe('seedDemo (what npm start creates)', () => {
  it('creates the demo brand, product and batch once through the login role, and finds them again on restart', async () => {
    const first = await seedDemo(db.authenticatorUrl);
    expect(first.created).toBe(true);
    const again = await seedDemo(db.authenticatorUrl);
    expect(again).toEqual({ brandId: first.brandId, productId: first.productId, created: false });
    const batches = await asUser(db.admin, { sub: DEMO_USER }, (tx) =>
      tx<{ batch_number: string; production_date: string }[]>`
        select batch_number, production_date::text from api.list_product_batches(_brand_id => ${first.brandId}::uuid, _product_id => ${first.productId}::uuid)`);
    expect(batches.map((b) => [b.batch_number, b.production_date])).toEqual([['BATCH-2026-001', '2026-01-15']]);
  });
});
