// Statement timeouts per role: migrate gives the request roles their own statement_timeout in the
// database (anon 3 s, authenticated 8 s by default, configurable), and both doors apply it — the gateway
// after SET LOCAL ROLE from its schema cache, app.act_as at the SQL door — because Postgres itself applies
// role settings only at login. A function's own SET statement_timeout (a large job) outlives the role's
// default over HTTP, where the gateway hoists it to the transaction as PostgREST does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { asUser, createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { loadConfig, migrateSettings } from '../../src/config.ts';
import { applyRoleStatementTimeouts } from '../../src/db/role-settings.ts';

const PROBE = `
create schema timing;
grant usage on schema timing to anon, authenticated;
create function timing.setting() returns text language sql stable set search_path = ''
  as $$ select pg_catalog.current_setting('statement_timeout') $$;
create function timing.sleep(_seconds float8) returns integer language plpgsql volatile set search_path = ''
  as $$ begin perform pg_catalog.pg_sleep(_seconds); return 1; end $$;
-- a large job carries its own, longer budget
create function timing.long_job(_seconds float8) returns integer language plpgsql volatile set search_path = ''
  set statement_timeout = '30s'
  as $$ begin perform pg_catalog.pg_sleep(_seconds); return 1; end $$;
revoke execute on all functions in schema timing from public;
grant execute on all functions in schema timing to anon, authenticated;`;

interface Answer { status: number; body: { code?: string; message?: string } | string | number | null }

async function post(gw: TestGateway, fn: string, args: Record<string, unknown>, token?: string): Promise<Answer> {
  const res = await fetch(`${gw.url}/rpc/${fn}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Profile': 'timing', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(args),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The SQL door: the statement as `who` (null = anon) after app.act_as; the error's SQLSTATE or the value. */
async function sqlDoor(sql: Sql, who: string | null, statement: string, before?: string): Promise<{ value?: unknown; code?: string }> {
  try {
    const rows = await asUser(sql, who === null ? null : { sub: who }, async (tx) => {
      if (before) await tx.unsafe(before);
      return tx.unsafe(statement);
    }, { commit: false });
    return { value: (rows[0] as unknown as { v: unknown }).v };
  } catch (e) {
    return { code: (e as { code?: string }).code ?? String(e) };
  }
}

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  await db.admin.unsafe(PROBE);
});
afterAll(async () => {
  await db?.drop();
});

async function roleTimeouts(): Promise<Record<string, string>> {
  const rows = await db.admin<{ role: string; cfg: string }[]>`
    select r.rolname as role, c.cfg from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
      join pg_database d on d.oid = s.setdatabase cross join lateral unnest(s.setconfig) c (cfg)
     where d.datname = current_database() and c.cfg like 'statement_timeout=%'`;
  return Object.fromEntries(rows.map((r) => [r.role, r.cfg.split('=')[1]!]));
}

describe('the defaults migrate sets', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(db, { schemas: ['api', 'timing'] });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('anon has 3 s and authenticated 8 s in the database', async () => {
    expect(await roleTimeouts()).toEqual({ anon: '3000ms', authenticated: '8000ms' });
  });

  it('both doors run a call under the role\'s statement_timeout', async () => {
    expect((await post(gw, 'setting', {})).body).toBe('3s');
    expect((await post(gw, 'setting', {}, await gw.token('timing-user'))).body).toBe('8s');
    expect((await sqlDoor(db.admin, null, 'select timing.setting() as v')).value).toBe('3s');
    expect((await sqlDoor(db.admin, 'timing-user', 'select timing.setting() as v')).value).toBe('8s');
  });
});

describe('configured timeouts (LOTLINE_ANON_STATEMENT_TIMEOUT_MS, LOTLINE_AUTHENTICATED_STATEMENT_TIMEOUT_MS)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // what migrate does with the configuration (src/db/migrate.ts → applyRoleStatementTimeouts)
    const cfg = loadConfig({ LOTLINE_ANON_STATEMENT_TIMEOUT_MS: '300', LOTLINE_AUTHENTICATED_STATEMENT_TIMEOUT_MS: '700' });
    await applyRoleStatementTimeouts(db.admin, migrateSettings(cfg).roleStatementTimeouts);
    // the gateway reads role settings with its schema cache (at start and on NOTIFY pgrst)
    gw = await startGateway(db, { schemas: ['api', 'timing'] });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('reach the roles', async () => {
    expect(await roleTimeouts()).toEqual({ anon: '300ms', authenticated: '700ms' });
  });

  it('a slow anonymous call is cancelled with 57014 through both doors, PostgREST-shaped over HTTP', async () => {
    const started = Date.now();
    const r = await post(gw, 'sleep', { _seconds: 10 });
    // PostgREST maps 57014 to 500 (a 57-class error); 504 would say "retry" (docs/security.md)
    expect([500, 504]).toContain(r.status);
    expect(r.body).toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
    expect(Date.now() - started, 'cancelled by the 300 ms budget, not after the 10 s sleep').toBeLessThan(8000);
    expect(await sqlDoor(db.admin, null, 'select timing.sleep(10) as v')).toEqual({ code: '57014' });
  });

  it('a slow call of a signed-in user is cancelled at the authenticated role\'s budget', async () => {
    const r = await post(gw, 'sleep', { _seconds: 10 }, await gw.token('timing-user'));
    expect(r.body).toMatchObject({ code: '57014' });
    expect(await sqlDoor(db.admin, 'timing-user', 'select timing.sleep(10) as v')).toEqual({ code: '57014' });
  });

  it('a function\'s own SET statement_timeout outlives the role default over HTTP (hoisted, as PostgREST does)', async () => {
    expect(await post(gw, 'long_job', { _seconds: 1.2 })).toEqual({ status: 200, body: 1 });
    expect(await post(gw, 'long_job', { _seconds: 1.2 }, await gw.token('timing-user'))).toEqual({ status: 200, body: 1 });
  });

  it('at the SQL door the statement runs under the role default; SET LOCAL after act_as gives a large job its budget', async () => {
    // Postgres arms the timer when the statement starts: the function's SET comes too late for it
    expect(await sqlDoor(db.admin, null, 'select timing.long_job(1.2) as v')).toEqual({ code: '57014' });
    expect(await sqlDoor(db.admin, null, 'select timing.long_job(1.2) as v', `set local statement_timeout = '30s'`)).toEqual({ value: 1 });
  });

  it('0 removes a role\'s timeout', async () => {
    await applyRoleStatementTimeouts(db.admin, { anon: 0, authenticated: 700 });
    expect(await roleTimeouts()).toEqual({ authenticated: '700ms' });
    expect((await sqlDoor(db.admin, null, 'select timing.setting() as v')).value).toBe('0');
  });
});
