// Foundation RPCs through the SQL door (app.act_as in a transaction, as a DBA in psql).
import { afterAll, beforeAll } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { defineCoreCases, type Door } from '../cases/core.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db?.drop());

defineCoreCases((): Door => ({
  name: 'sql',
  call: (who, fn, args = {}) => sqlCall(db.admin, who, fn, args),
  count: async (table, brandId) => {
    const [r] = await db.admin.unsafe<{ n: number }[]>(`select count(*)::int as n from data.${table} where brand_id = $1`, [brandId]);
    return r!.n;
  },
}));
