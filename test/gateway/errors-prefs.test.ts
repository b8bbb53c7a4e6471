// Contract §4.2–§4.6, §6, §7, §5.8: error mapping, RAISE, response GUCs, Prefer, profiles,
// pre-request, role settings, the role allow-list.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useContractSchema } from './contract-schema.ts';
import { req } from '../support/http.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';

const env = useContractSchema({ preRequest: 'demo.pre_check', appSettings: { 'app.settings.greeting': 'hi' } });
const u = (p: string) => env.gw.url + p;

describe('SQLSTATE → HTTP', () => {
  test.each([
    ['PT402', 402], ['PT409', 409], ['PT412', 412], ['PT40A', 500], ['P0002', 500], ['23505', 409], ['23503', 409],
    ['23514', 400], ['22023', 400], ['22P02', 400], ['42P01', 404], ['42883', 404], ['42P17', 500], ['25001', 500],
    ['25006', 405], ['40001', 500], ['40P01', 500], ['53300', 503], ['53400', 500], ['54001', 500], ['57014', 500],
    ['57P01', 503], ['08006', 503], ['0L000', 403], ['0P000', 403], ['28000', 403], ['XX000', 500], ['21000', 500],
    ['0A000', 400], ['2D000', 500], ['38000', 500], ['55000', 500], ['F0000', 500], ['HV000', 500], ['09000', 500],
  ])('%s → %i', async (code, status) => {
    const r = await req(u(`/rpc/raise_code?p_code=${code}`));
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ code, message: 'boom', details: null, hint: null });
    if (status === 503) expect(r.headers.get('retry-after')).not.toBeNull();
  });

  test('21000 with "requires a WHERE clause" → 400; 22023 role does not exist → 401', async () => {
    const a = await req(u(`/rpc/raise_code?p_code=21000&p_message=${encodeURIComponent('DELETE requires a WHERE clause')}`));
    expect(a.status).toBe(400);
    const b = await req(u(`/rpc/raise_code?p_code=22023&p_message=${encodeURIComponent('role "ghost" does not exist')}`));
    expect(b.status).toBe(401);
    expect(b.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('plain RAISE → 400 P0001 with details and hint; division by zero → 400 22012', async () => {
    const r = await req(u('/rpc/raise_plain'));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: 'P0001', message: 'Request refused', details: 'Always refuses', hint: 'It is a test' });
    const d = await req(u('/rpc/div_zero'));
    expect(d.status).toBe(400);
    expect(d.body.code).toBe('22012');
  });

  test('42501: 401 + WWW-Authenticate for anon, 403 without it for an authenticated role', async () => {
    const anon = await req(u('/rpc/authed_only'));
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer');
    expect(anon.body).toEqual({ code: '42501', message: 'permission denied for function authed_only', details: null, hint: null });
    const auth = { Authorization: `Bearer ${await env.gw.token('u1')}` };
    expect((await req(u('/rpc/authed_only'), { headers: auth })).body).toBe('secret');
    const denied = await req(u('/rpc/nobody'), { headers: auth });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toBeNull();
    // a valid JWT whose role is the anon role still gets 401
    const anonJwt = await req(u('/rpc/authed_only'), { headers: { Authorization: `Bearer ${await env.gw.anonToken()}` } });
    expect(anonJwt.status).toBe(401);
  });

  test('a function the role may not execute is still found (no 404)', async () => {
    const r = await req(u('/rpc/nobody'));
    expect(r.body.code).toBe('42501');
  });
});

describe("RAISE SQLSTATE 'PGRST'", () => {
  test('status, headers and body from the RAISE', async () => {
    const r = await req(u('/rpc/raise_pgrst'));
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('30');
    expect(r.body).toEqual({ code: 'QUOTA1', message: 'Monthly quota used up', details: '10 of 10 calls used', hint: 'Wait for the next cycle' });
    const p = await req(u('/rpc/raise_pgrst_partial'));
    expect(p.status).toBe(402);
    expect(p.body).toEqual({ code: 'X1', message: 'partial', details: null, hint: null });
  });

  test('unparseable MESSAGE/DETAIL or no DETAIL → 500 PGRST121', async () => {
    const a = await req(u('/rpc/raise_pgrst_no_detail'));
    expect(a.status).toBe(500);
    expect(a.body.code).toBe('PGRST121');
    expect(a.body.message).toBe('Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error');
    expect(a.body.details).toBe('DETAIL is missing in the RAISE statement');
    const b = await req(u('/rpc/raise_pgrst_bad_message'));
    expect(b.body.details).toBe("Invalid JSON value for MESSAGE: 'not json'");
    const c = await req(u('/rpc/raise_pgrst_bad_detail'));
    expect(c.body.details).toBe("Invalid JSON value for DETAIL: 'nope'");
    expect(c.body.hint).toMatch(/status/);
  });
});

describe('response.status / response.headers', () => {
  test('set from SQL, also on void; repeated names; overriding Content-Type', async () => {
    const v = await fetch(u('/rpc/created'), { method: 'POST' });
    expect(v.status).toBe(201);
    expect(v.headers.get('location')).toBe('/items/7');
    expect(await v.text()).toBe('');
    const t = await fetch(u('/rpc/teapot'));
    expect(t.status).toBe(418);
    expect(t.headers.get('cache-control')).toBe('no-store');
    expect(t.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(t.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await t.text()).toBe('"short and stout"');
  });

  test('bad values → 500 PGRST111 / PGRST112', async () => {
    const a = await req(u('/rpc/bad_headers'));
    expect(a.status).toBe(500);
    expect(a.body).toEqual({ code: 'PGRST111', message: 'response.headers guc must be a JSON array composed of objects with a single key and a string value', details: null, hint: null });
    const b = await req(u('/rpc/bad_status'));
    expect(b.status).toBe(500);
    expect(b.body).toEqual({ code: 'PGRST112', message: 'response.status guc must be a valid status code', details: null, hint: null });
  });
});

describe('pre-request and settings', () => {
  test('pre-request runs after the request settings, can set headers or abort', async () => {
    const a = await req(u('/rpc/whoami'));
    expect(a.body.pre).toBe('ran');
    expect(a.body.app_setting).toBe('hi');
    expect(a.headers.get('x-pre')).toBe('1');
    const b = await req(u('/rpc/whoami'), { headers: { 'X-Block': 'yes' } });
    expect(b.status).toBe(403);
    expect(b.body).toEqual({ code: 'PT403', message: 'Blocked by pre-request', details: null, hint: null });
  });

  test('errors do not carry response.headers or Preference-Applied', async () => {
    const r = await req(u('/rpc/raise_plain'), { headers: { Prefer: 'count=exact' } });
    expect(r.headers.get('x-pre')).toBeNull();
    expect(r.headers.get('preference-applied')).toBeNull();
  });
});

describe('Prefer', () => {
  test('return= is ignored on RPC (not echoed); several Prefer headers and bare commas', async () => {
    const r = await req(u('/rpc/list_items?select=id&limit=1'), { headers: { Prefer: 'return=minimal, count=exact,,' } });
    expect(r.body).toEqual([{ id: 1 }]);
    expect(r.headers.get('preference-applied')).toBe('count=exact');
  });

  test('handling=strict rejects invalid preferences (400 PGRST122); lenient ignores them', async () => {
    const a = await req(u('/rpc/list_items'), { headers: { Prefer: 'handling=strict, params=single-object' } });
    expect(a.status).toBe(400);
    expect(a.body).toEqual({ code: 'PGRST122', message: 'Invalid preferences given with handling=strict', details: 'Invalid preferences: params=single-object', hint: null });
    const b = await req(u('/rpc/list_items'), { headers: { Prefer: 'params=single-object' } });
    expect(b.status).toBe(200);
    const c = await req(u('/rpc/list_items'), { headers: { Prefer: 'handling=strict, tx=rollback' } });
    expect(c.status).toBe(200);
    expect(c.headers.get('preference-applied')).toBe('handling=strict');
  });

  test('tx=rollback is ignored (changes committed, not echoed) with the default tx end', async () => {
    const r = await req(u('/rpc/add_log'), { method: 'POST', json: { p_msg: 'tx-ignored' }, headers: { Prefer: 'tx=rollback' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('preference-applied')).toBeNull();
    const [n] = await env.db.admin`select count(*)::int as n from demo.log where msg = 'tx-ignored'`;
    expect(n!.n).toBe(1);
  });

  test('timezone= sets the transaction time zone and is echoed; an invalid zone is an error', async () => {
    const a = await req(u('/rpc/whoami'), { headers: { Prefer: 'timezone=America/Los_Angeles' } });
    expect(a.body.timezone).toBe('America/Los_Angeles');
    expect(a.headers.get('preference-applied')).toBe('timezone=America/Los_Angeles');
    const b = await req(u('/rpc/whoami'), { headers: { Prefer: 'timezone=Mars/Base' } });
    expect(b.status).toBe(400);
    expect(b.body.code).toBe('22023');
  });

  test('max-affected with handling=strict: over the limit → 400 PGRST124, rolled back; non-SETOF → PGRST128', async () => {
    const a = await req(u('/rpc/add_logs'), { method: 'POST', json: { p_prefix: 'ma-', p_n: 3 }, headers: { Prefer: 'handling=strict, max-affected=2' } });
    expect(a.status).toBe(400);
    expect(a.body).toEqual({ code: 'PGRST124', message: 'Query result exceeds max-affected preference constraint', details: 'The query affects 3 rows', hint: null });
    const [n] = await env.db.admin`select count(*)::int as n from demo.log where msg like 'ma-%'`;
    expect(n!.n).toBe(0);
    const ok = await req(u('/rpc/add_logs'), { method: 'POST', json: { p_prefix: 'mb-', p_n: 2 }, headers: { Prefer: 'handling=strict, max-affected=2' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('preference-applied')).toBe('handling=strict, max-affected=2');
    const lenient = await req(u('/rpc/add_logs'), { method: 'POST', json: { p_prefix: 'mc-', p_n: 3 }, headers: { Prefer: 'max-affected=2' } });
    expect(lenient.status).toBe(200);
    const b = await req(u('/rpc/add_log'), { method: 'POST', json: { p_msg: 'x' }, headers: { Prefer: 'handling=strict, max-affected=1' } });
    expect(b.status).toBe(400);
    expect(b.body.code).toBe('PGRST128');
  });
});

describe('tx end allowed by configuration', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(env.db, { schemas: ['demo'], txEnd: 'commit-allow-override' });
  });
  afterAll(() => gw?.close());

  test('tx=rollback rolls back and is echoed; tx=commit commits', async () => {
    const r = await req(`${gw.url}/rpc/add_log`, { method: 'POST', json: { p_msg: 'rolled' }, headers: { Prefer: 'count=exact,tx=rollback' } });
    expect(r.status).toBe(200);
    expect(typeof r.body).toBe('number');
    expect(r.headers.get('preference-applied')).toBe('count=exact, tx=rollback');
    const [n] = await env.db.admin`select count(*)::int as n from demo.log where msg = 'rolled'`;
    expect(n!.n).toBe(0);
    const c = await req(`${gw.url}/rpc/add_log`, { method: 'POST', json: { p_msg: 'kept' }, headers: { Prefer: 'tx=commit' } });
    expect(c.headers.get('preference-applied')).toBe('tx=commit');
    const [m] = await env.db.admin`select count(*)::int as n from demo.log where msg = 'kept'`;
    expect(m!.n).toBe(1);
  });

  test('a rollback still surfaces deferred constraint errors (SET CONSTRAINTS ALL IMMEDIATE)', async () => {
    const r = await req(`${gw.url}/rpc/deferred_fail`, { method: 'POST', headers: { Prefer: 'tx=rollback' } });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('23503');
  });

  test('postgrest-js .rollback()', async () => {
    const { PostgrestClient } = await import('@supabase/postgrest-js');
    const client = new PostgrestClient(gw.url, { schema: 'demo' });
    const res = await client.rpc('add_log', { p_msg: 'pjs-rolled' }).rollback();
    expect(res.error).toBeNull();
    const [n] = await env.db.admin`select count(*)::int as n from demo.log where msg = 'pjs-rolled'`;
    expect(n!.n).toBe(0);
  });
});

describe('profiles (several exposed schemas)', () => {
  let gw: TestGateway;
  let single: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(env.db, { schemas: ['demo', 'demo2'] });
    single = env.gw;
  });
  afterAll(() => gw?.close());

  test('Accept-Profile for GET, Content-Profile for POST; the other header is ignored', async () => {
    const a = await req(`${gw.url}/rpc/hello`, { headers: { 'Accept-Profile': 'demo2' } });
    expect(a.body).toBe('from demo2');
    expect(a.headers.get('content-profile')).toBe('demo2');
    const b = await req(`${gw.url}/rpc/hello`, { method: 'POST', headers: { 'Content-Profile': 'demo2' } });
    expect(b.body).toBe('from demo2');
    const c = await req(`${gw.url}/rpc/hello`, { method: 'POST', headers: { 'Accept-Profile': 'demo2' } });
    expect(c.body).toBe('Hello, guest!');
    expect(c.headers.get('content-profile')).toBe('demo');
    const d = await req(`${gw.url}/rpc/only_here`);
    expect(d.status).toBe(404);
  });

  test('unknown schema → 406 PGRST106 listing the exposed schemas', async () => {
    const r = await req(`${gw.url}/rpc/hello`, { headers: { 'Accept-Profile': 'nope' } });
    expect(r.status).toBe(406);
    expect(r.body).toEqual({ code: 'PGRST106', message: 'Invalid schema: nope', details: null, hint: 'Only the following schemas are exposed: demo, demo2' });
  });

  test('Content-Profile: absent with one schema and no profile header; present when sent; never on errors or 204', async () => {
    const a = await req(`${single.url}/rpc/no_args`);
    expect(a.headers.get('content-profile')).toBeNull();
    const b = await req(`${single.url}/rpc/no_args`, { headers: { 'Accept-Profile': 'demo' } });
    expect(b.headers.get('content-profile')).toBe('demo');
    const c = await fetch(`${gw.url}/rpc/noop`, { method: 'POST' });
    expect(c.headers.get('content-profile')).toBeNull();
    const e = await req(`${gw.url}/rpc/nope`);
    expect(e.headers.get('content-profile')).toBeNull();
  });

  test('postgrest-js schema()', async () => {
    const { PostgrestClient } = await import('@supabase/postgrest-js');
    const client = new PostgrestClient(gw.url, { schema: 'demo' });
    expect((await client.schema('demo2').rpc('hello', {}, { get: true })).data).toBe('from demo2');
    expect((await client.schema('demo2').rpc('hello')).data).toBe('from demo2');
  });
});

describe('configured limits', () => {
  test('the configured statement timeout cancels a long call (500 57014); max rows caps results silently', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], statementTimeoutMs: 150, maxRows: 2 });
    try {
      const r = await req(`${gw.url}/rpc/sleep?p_ms=1000`);
      expect(r.status).toBe(500);
      expect(r.body.code).toBe('57014');
      const capped = await req(`${gw.url}/rpc/list_items?select=id`, { headers: { Prefer: 'count=exact' } });
      expect(capped.body).toEqual([{ id: 1 }, { id: 2 }]);
      expect(capped.headers.get('content-range')).toBe('0-1/6');
      expect(capped.status).toBe(206);
    } finally {
      await gw.close();
    }
  });
});

describe('roles: allow-list, impersonated role settings, configured statement timeout', () => {
  const role = `gw_role_${Math.random().toString(36).slice(2, 8)}`;
  let gw: TestGateway;
  beforeAll(async () => {
    await env.db.admin.unsafe(`create role ${role} nologin; grant ${role} to authenticator; grant usage on schema demo to ${role};
      alter role ${role} in database ${env.db.name} set lock_timeout = '4321ms';
      alter role ${role} in database ${env.db.name} set default_transaction_isolation = 'repeatable read'`);
    gw = await startGateway(env.db, { schemas: ['demo'], allowedRoles: ['anon', 'authenticated', role], statementTimeoutMs: 2500 });
  });
  afterAll(async () => {
    await gw?.close();
    await env.db.admin.unsafe(`drop owned by ${role}; drop role ${role}`);
  });

  test("the role's settings apply (SET ROLE alone would not), its isolation level too", async () => {
    const t = await gw.sign({ role });
    const r = await req(`${gw.url}/rpc/whoami`, { headers: { Authorization: `Bearer ${t}` } });
    expect(r.status).toBe(200);
    expect(r.body.role).toBe(role);
    expect(r.body.lock_timeout).toBe('4321ms');
    expect(r.body.isolation).toBe('repeatable read');
    expect(r.body.statement_timeout).toBe('2500ms');
  });

  test('a role off the allow-list is refused as Postgres refuses it: 401 22023 if unknown, 403 42501 if it exists', async () => {
    const ghost = await req(u('/rpc/whoami'), { headers: { Authorization: `Bearer ${await env.gw.sign({ role: 'ghost_role' })}` } });
    expect(ghost.status).toBe(401);
    expect(ghost.headers.get('www-authenticate')).toBe('Bearer');
    expect(ghost.body).toEqual({ code: '22023', message: 'role "ghost_role" does not exist', details: null, hint: null });
    const pg = await req(u('/rpc/whoami'), { headers: { Authorization: `Bearer ${await env.gw.sign({ role: 'postgres' })}` } });
    expect(pg.status).toBe(403);
    expect(pg.body).toEqual({ code: '42501', message: 'permission denied to set role "postgres"', details: null, hint: null });
    const owner = await req(u('/rpc/whoami'), { headers: { Authorization: `Bearer ${await env.gw.sign({ role: 'lotline_owner' })}` } });
    expect(owner.status).toBe(403);
  });
});
