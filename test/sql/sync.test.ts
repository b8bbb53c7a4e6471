// Integration sync (issue 4) through the SQL door (app.act_as in a transaction, as a DBA in psql).
import { afterAll, beforeAll } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { defineSyncCases, type SyncDoor } from '../cases/sync.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db?.drop());

defineSyncCases((): SyncDoor => ({
  name: 'sql',
  call: (who, fn, args = {}) => sqlCall(db.admin, who, fn, args),
  count: async (table, brandId) => {
    const [r] = await db.admin.unsafe<{ n: number }[]>(`select count(*)::int as n from data.${table} where brand_id = $1`, [brandId]);
    return r!.n;
  },
  query: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
    (await db.admin.unsafe(text, params as never[])) as unknown as T[],
}));
