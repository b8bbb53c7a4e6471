// PgBouncer mode (LOTLINE_DB_PREPARED_STATEMENTS=false) through a real PgBouncer in transaction pooling
// with SEVERAL server connections, so consecutive transactions of one gateway connection land on
// different server connections: every statement is unnamed and described within its own transaction,
// so nothing depends on the server connection. (test/security/pgbouncer.test.ts runs the contract case
// lists through one server connection.) Skipped, loudly, when PgBouncer is not installed.
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { PGBOUNCER_MISSING, pgbouncerBinary, startPgBouncer, type PgBouncer } from '../support/pgbouncer.ts';
import { CONTRACT_SCHEMA_SQL } from './contract-schema.ts';
import { req } from '../support/http.ts';

const bin = pgbouncerBinary();
if (!bin) console.warn(PGBOUNCER_MISSING);

describe.skipIf(!bin)('PgBouncer transaction pooling, 3 server connections, prepared statements off', () => {
  let db: TestDb;
  let pb: PgBouncer;
  let gw: TestGateway;
  beforeAll(async () => {
    db = await createTestDb();
    await db.admin.unsafe(CONTRACT_SCHEMA_SQL);
    const pw = inject('pg').authenticatorPassword;
    pb = await startPgBouncer({ upstream: inject('pg').superuserUrl, users: { authenticator: pw }, poolSize: 3 });
    gw = await startGateway(db, {
      schemas: ['demo'], poolSize: 8, preparedStatements: false, preRequest: 'demo.pre_check',
      databaseUrl: pb.url(db.name, 'authenticator', pw), listenUrl: db.authenticatorUrl,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await pb?.stop();
    await db?.drop();
  });

  test('400 concurrent mixed calls (reads with shaping, writes, errors) all answer as they should', async () => {
    const jobs: Promise<string | null>[] = [];
    for (let i = 0; i < 100; i++) {
      jobs.push(req(`${gw.url}/rpc/list_items?select=id,name&id=gte.${(i % 6) + 1}&order=id&limit=2`).then((r) =>
        r.status === 200 && r.body[0]?.id === (i % 6) + 1 ? null : `list ${i}: ${r.status} ${r.text}`));
      jobs.push(req(`${gw.url}/rpc/add_log`, { method: 'POST', json: { p_msg: `pb-${i}` } }).then((r) =>
        r.status === 200 && typeof r.body === 'number' ? null : `add ${i}: ${r.status} ${r.text}`));
      jobs.push(req(`${gw.url}/rpc/add_log`, { method: 'POST', json: { p_msg: 'pb-dup' } }).then((r) =>
        r.status === 200 || r.status === 409 ? null : `dup ${i}: ${r.status} ${r.text}`));
      jobs.push(req(`${gw.url}/rpc/whoami`, { headers: { 'X-Tag': `t${i}` } }).then((r) =>
        r.status === 200 && r.body.headers['x-tag'] === `t${i}` && r.body.pre === 'ran' ? null : `whoami ${i}: ${r.status} ${r.text}`));
    }
    expect((await Promise.all(jobs)).filter((x) => x !== null)).toEqual([]);
    const [n] = await db.admin<{ n: number }[]>`select count(*)::int as n from demo.log where msg like 'pb-%'`;
    expect(n!.n).toBe(101);
    expect(pb.log()).not.toMatch(/prepared statement .* does not exist|FATAL/i);
  });
});

describe.skipIf(!bin)('PgBouncer transaction pooling with prepared statements left ON (a misconfiguration)', () => {
  let db: TestDb;
  let pb: PgBouncer;
  let gw: TestGateway;
  const warnings: string[] = [];
  beforeAll(async () => {
    db = await createTestDb();
    await db.admin.unsafe(CONTRACT_SCHEMA_SQL);
    const pw = inject('pg').authenticatorPassword;
    pb = await startPgBouncer({ upstream: inject('pg').superuserUrl, users: { authenticator: pw }, poolSize: 3 });
    gw = await startGateway(db, {
      schemas: ['demo'], poolSize: 6, preparedStatements: true, logLevel: 'info',
      logger: (l) => {
        if (l.level === 'warn') warnings.push(String(l.msg));
      },
      databaseUrl: pb.url(db.name, 'authenticator', pw), listenUrl: db.authenticatorUrl,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await pb?.stop();
    await db?.drop();
  });

  test('statements missing on the next server connection: the gateway notices, turns them off, and every call still succeeds once', async () => {
    const jobs: Promise<string | null>[] = [];
    for (let i = 0; i < 150; i++) {
      jobs.push(req(`${gw.url}/rpc/add_log`, { method: 'POST', json: { p_msg: `mis-${i}` }, signal: AbortSignal.timeout(10_000) }).then(
        (r) => (r.status === 200 ? null : `add ${i}: ${r.status} ${r.text}`),
        (e: Error) => `add ${i}: ${e.message}`,
      ));
      jobs.push(req(`${gw.url}/rpc/list_items?select=id&id=eq.${(i % 6) + 1}`, { signal: AbortSignal.timeout(10_000) }).then(
        (r) => (r.status === 200 && r.body[0]?.id === (i % 6) + 1 ? null : `list ${i}: ${r.status} ${r.text}`),
        (e: Error) => `list ${i}: ${e.message}`,
      ));
    }
    expect((await Promise.all(jobs)).filter((x) => x !== null)).toEqual([]);
    const [n] = await db.admin<{ n: number }[]>`select count(*)::int as n from demo.log where msg like 'mis-%'`;
    expect(n!.n).toBe(150); // each write exactly once
    expect(warnings.some((w) => /prepared statements turned off/.test(w))).toBe(true);
  });
});
