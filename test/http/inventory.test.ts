// Inventory through the HTTP door (the gateway, a JWT per caller) — the same cases as test/sql/inventory.test.ts.
import { afterAll, beforeAll } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway } from '../support/gateway.ts';
import { httpCall } from '../support/httpdoor.ts';
import { defineInventoryCases } from '../cases/inventory.ts';
import type { Door } from '../cases/core.ts';

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

defineInventoryCases((): Door => ({
  name: 'http',
  call: (who, fn, args = {}) => httpCall(gw.url, who, fn, args),
  count: async (table, brandId) => {
    const [r] = await db.admin.unsafe<{ n: number }[]>(`select count(*)::int as n from data.${table} where brand_id = $1`, [brandId]);
    return r!.n;
  },
}));
