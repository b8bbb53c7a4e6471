// Test files run a case list through one door: `const t = useDoor('http')` registers the hooks that
// clone a database (and start a gateway for HTTP) and returns the door plus what is behind it;
// `makeDoor` builds a door over a database and gateway a test file set up itself.
import { afterAll, beforeAll } from 'vitest';
import type { Sql } from 'postgres';
import { createTestDb, type TestDb } from './db.ts';
import { startGateway, type TestGateway } from './gateway.ts';
import type { GatewaySettings } from '../../src/gateway/settings.ts';
import { httpCall } from './httpdoor.ts';
import { sqlCall } from './sqldoor.ts';
import type { Door } from './door.ts';

export interface HarnessDoor extends Door {
  /** superuser query on the test database (to look behind the API) */
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface Harness {
  readonly db: TestDb;
  /** the gateway (HTTP door only) */
  readonly gw: TestGateway;
  /** the door, available once the hooks have run */
  door(): HarnessDoor;
}

/** A door over a test database (`admin`: its superuser pool), through the gateway at `gatewayUrl` for HTTP. */
export function makeDoor(kind: 'sql' | 'http', admin: Sql, gatewayUrl?: string): HarnessDoor {
  if (kind === 'http' && !gatewayUrl) throw new Error('makeDoor: the http door needs a gateway URL');
  return {
    name: kind,
    call: (who, fn, args = {}) => (kind === 'http' ? httpCall(gatewayUrl!, who, fn, args) : sqlCall(admin, who, fn, args)),
    count: async (table, brandId) => {
      const [r] = await admin.unsafe<{ n: number }[]>(`select count(*)::int as n from data.${table} where brand_id = $1`, [brandId]);
      return r!.n;
    },
    query: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
      (await admin.unsafe(text, params as never[])) as unknown as T[],
  };
}

export function useDoor(kind: 'sql' | 'http', gatewayOverrides: Partial<GatewaySettings> = {}): Harness {
  let db: TestDb | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    db = await createTestDb();
    if (kind === 'http') gw = await startGateway(db, gatewayOverrides);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });
  const harness: Harness = {
    get db() {
      if (!db) throw new Error('useDoor: the database exists once beforeAll has run');
      return db;
    },
    get gw() {
      if (!gw) throw new Error('useDoor: the gateway exists for the http door once beforeAll has run');
      return gw;
    },
    door: () => makeDoor(kind, harness.db.admin, kind === 'http' ? harness.gw.url : undefined),
  };
  return harness;
}
