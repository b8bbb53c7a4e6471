// The HTTP contract through PgBouncer in transaction pooling mode, with ONE server connection: the core
// case list (test/cases/core.ts) runs unchanged through it, and many users calling alternately on that
// one connection never see each other's claims, role or transaction-local settings.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { makeDoor } from '../support/doors.ts';
import { defineCoreCases } from '../cases/core.ts';
import type { Door } from '../support/door.ts';
import { defineInventoryCases } from '../cases/inventory.ts';
import { defineSerialCases } from '../cases/serials.ts';
import { PGBOUNCER_MISSING, pgbouncerBinary, startPgBouncer, type PgBouncer } from '../support/pgbouncer.ts';
import { installProbe } from '../support/probe.ts';
import { tally } from '../support/tally.ts';

const bin = pgbouncerBinary();
if (!bin) {
  // loud on purpose: a skipped suite must not look like a passing one
  process.stderr.write(`\n\n*** ${PGBOUNCER_MISSING} ***\n\n`);
  console.warn(PGBOUNCER_MISSING);
}

describe.skipIf(!bin)('through PgBouncer (transaction pooling, pool_size 1)', () => {
  let db: TestDb;
  let pb: PgBouncer;
  let gw: TestGateway;

  beforeAll(async () => {
    db = await createTestDb();
    await installProbe(db.admin);
    const pw = inject('pg').authenticatorPassword;
    pb = await startPgBouncer({ upstream: inject('pg').superuserUrl, users: { authenticator: pw }, poolSize: 1 });
    // the pool goes through the bouncer; LISTEN (schema reloads) and catalog reads go direct, as PostgREST's docs require
    gw = await startGateway(db, { databaseUrl: pb.url(db.name, 'authenticator', pw), listenUrl: db.authenticatorUrl, schemas: ['api', 'sec'], poolSize: 8, preparedStatements: false });
  });
  afterAll(async () => {
    await gw?.close();
    await pb?.stop();
    await db?.drop();
  });

  const door = (): Door => makeDoor('http', db.admin, gw.url);
  // the HTTP contract case lists, unchanged, through the one pooled server connection
  describe('core case list', () => defineCoreCases(door));
  describe('inventory case list', () => defineInventoryCases(door));
  describe('serials case list', () => defineSerialCases(door));

  it('alternating users on the one server connection never see each other\'s claims, role or local settings', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `pb-user-${i}`);
    const rounds = 15;
    const tokens = new Map<string, string>();
    for (const u of users) tokens.set(u, await gw.token(u, `scope-of-${u}`, { org: `org-of-${u}` }));
    const call = async (who: string | null, fn: 'whoami' | 'set_local_marker', i: number) => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Content-Profile': 'sec' };
      if (who) headers.Authorization = `Bearer ${tokens.get(who)}`;
      const body = fn === 'whoami' ? { _tag: `${who ?? 'anon'}#${i}` } : { _v: `marker-of-${who}` };
      const res = await fetch(`${gw.url}/rpc/${fn}`, { method: 'POST', headers, body: JSON.stringify(body) });
      const json = (await res.json()) as Record<string, unknown>;
      return { who, fn, i, status: res.status, json };
    };
    const jobs: Promise<Awaited<ReturnType<typeof call>>>[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const u of users) {
        jobs.push(call(u, 'set_local_marker', i)); // leaves a transaction-local GUC behind if anything leaked
        jobs.push(call(u, 'whoami', i));
      }
      jobs.push(call(null, 'whoami', i)); // anonymous in between
    }
    const results = await Promise.all(jobs);
    const pids = new Set<unknown>();
    const wrong: unknown[] = [];
    for (const r of results) {
      if (r.status !== 200) {
        wrong.push(r);
        continue;
      }
      pids.add(r.json.pid);
      if (r.fn === 'set_local_marker') {
        if (r.json.sub !== r.who) wrong.push(r);
        continue;
      }
      const claims = r.json.claims as Record<string, unknown>;
      const ok = r.who === null
        ? r.json.sub === null && r.json.role === 'anon' && JSON.stringify(claims) === '{"role":"anon"}' && r.json.leak === null
        : r.json.sub === r.who && r.json.role === 'authenticated' && claims.sub === r.who && claims.scope === `scope-of-${r.who}` &&
          claims.org === `org-of-${r.who}` && r.json.leak === null && r.json.tag === `${r.who}#${r.i}`;
      if (!ok) wrong.push(r);
    }
    expect(wrong).toEqual([]);
    // one server connection served everyone: the requests really were multiplexed
    expect(pids.size).toBe(1);
    tally('PgBouncer alternating-user requests', results.length);
  });

  it('the gateway keeps no session state on pooled connections: nothing but transaction-local settings', async () => {
    // after all the traffic above, the one server connection holds no role, claims or marker outside a transaction
    const direct = await fetch(`${gw.url}/rpc/whoami`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Profile': 'sec' }, body: '{}' });
    const j = (await direct.json()) as Record<string, unknown>;
    expect(j).toMatchObject({ role: 'anon', sub: null, leak: null });
    const [srv] = await db.admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and usename = 'authenticator' and application_name <> 'lotline-gateway-meta'`;
    expect(srv!.n).toBeLessThanOrEqual(1);
    expect(pb.log()).not.toMatch(/prepared statement .* does not exist|FATAL/i);
  });

  it('negative control: session-level state WOULD leak through the shared connection, so the test above can fail', async () => {
    const call = async (who: string, fn: string, body: object) => {
      const res = await fetch(`${gw.url}/rpc/${fn}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Profile': 'sec', Authorization: `Bearer ${await gw.token(who)}` },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    await call('pb-mallory', 'set_session_marker', { _v: 'set-by-mallory' }); // a function doing it wrong: set_config(..., false)
    const victim = await call('pb-victim', 'whoami', {});
    expect(victim.leak, 'one server connection: another user sees the session-level value').toBe('set-by-mallory');
    expect(victim.sub).toBe('pb-victim'); // the gateway's own context is still right
    await call('pb-mallory', 'set_session_marker', { _v: '' });
  });
});
