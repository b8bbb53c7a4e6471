// Per-test-file database, cloned from the migrated template, plus the SQL door.
import { inject } from 'vitest';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { randomBytes } from 'node:crypto';
import type { Who } from './door.ts';

export interface TestDb {
  name: string;
  /** superuser connection string (the DBA) */
  adminUrl: string;
  /** the gateway's login role */
  authenticatorUrl: string;
  /** superuser pool on this database */
  admin: Sql;
  drop(): Promise<void>;
}

function withDb(url: string, db: string, user?: string, password?: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  if (user) {
    u.username = user;
    u.password = password ?? '';
  }
  return u.toString();
}

export async function createTestDb(): Promise<TestDb> {
  const pg = inject('pg');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const root = postgres(pg.superuserUrl, { max: 1, onnotice: () => {} });
  try {
    // cloning needs no other session on the template; retry briefly if one is just closing
    for (let i = 0; ; i++) {
      try {
        await root.unsafe(`create database ${name} template ${pg.template}`);
        break;
      } catch (e) {
        if (i > 50 || !String((e as Error).message).includes('being accessed by other users')) throw e;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await root.end();
  }
  const adminUrl = withDb(pg.superuserUrl, name);
  const admin = postgres(adminUrl, { max: 4, onnotice: () => {} });
  return {
    name,
    adminUrl,
    authenticatorUrl: withDb(pg.superuserUrl, name, 'authenticator', pg.authenticatorPassword),
    admin,
    async drop() {
      await admin.end();
      const r = postgres(pg.superuserUrl, { max: 1, onnotice: () => {} });
      try {
        await r.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await r.end();
      }
    },
  };
}

/** Thrown to roll a transaction back on purpose. */
class Rollback<T> {
  constructor(readonly value: T) {}
}

/**
 * The SQL door: run `fn` in one transaction after `app.act_as(sub, scope)` (or as anon when `who`
 * is null), exactly as a DBA would in psql. `commit: false` rolls back afterwards.
 */
export async function asUser<T>(
  sql: Sql,
  who: Who | null,
  fn: (tx: TransactionSql) => Promise<T>,
  opts: { commit?: boolean } = {},
): Promise<T> {
  try {
    return (await sql.begin(async (tx) => {
      if (!who) await tx`select app.act_as_anon()`;
      else if (who.sub === null) {
        await tx`select set_config('request.jwt.claims', '{"role":"authenticated"}', true), set_config('role', 'authenticated', true)`;
      } else await tx`select app.act_as(${who.sub}, ${who.scope ?? null})`;
      const value = await fn(tx);
      if (opts.commit === false) throw new Rollback(value);
      return value;
    })) as T;
  } catch (e) {
    if (e instanceof Rollback) return e.value as T;
    throw e;
  }
}
