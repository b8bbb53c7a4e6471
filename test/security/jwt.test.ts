// JWT attacks over HTTP. Every forged, stale, misdirected or malformed credential is refused before the
// database is asked to run anything: 401 (403 for a role the gateway must not switch to) with
// PostgREST's four-key error body, a WWW-Authenticate challenge on every 401, and no user function
// call — proved by sec.probe(), which writes a row on every call, and by data.brands staying unchanged
// while each attack is also aimed at api.create_brand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, generateKeyPairSync, createSign, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, importPKCS8, SignJWT } from 'jose';
import { inject } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { expectErrorShape } from '../support/door.ts';
import { raw, type RawResponse } from '../support/http.ts';
import { installProbe, probeCalls } from '../support/probe.ts';
import { tally } from '../support/tally.ts';

const b64u = (x: string | Buffer | object): string =>
  Buffer.from(typeof x === 'string' || Buffer.isBuffer(x) ? x : JSON.stringify(x)).toString('base64url');

/** A compact JWS signed by hand with HMAC (what an attacker would do: no library guards). */
function hmacToken(alg: 'HS256' | 'HS384' | 'HS512', key: Buffer | string, claims: object, header: object = {}): string {
  const h = b64u({ alg, typ: 'JWT', ...header });
  const p = b64u(claims);
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${h}.${p}.${createHmac(hash, key).update(`${h}.${p}`).digest('base64url')}`;
}

function rsaToken(privatePem: string, claims: object, header: object = {}): string {
  const h = b64u({ alg: 'RS256', typ: 'JWT', ...header });
  const p = b64u(claims);
  const sig = createSign('RSA-SHA256').update(`${h}.${p}`).sign(privatePem).toString('base64url');
  return `${h}.${p}.${sig}`;
}

const now = () => Math.floor(Date.now() / 1000);
const good = (extra: object = {}) => ({ sub: 'mallory', role: 'authenticated', iat: now(), exp: now() + 600, ...extra });

interface Attack {
  name: string;
  /** the Authorization header value (string) or raw bytes */
  auth: string | Buffer | null;
  status: 401 | 403 | 431;
  code?: string;
  message?: string | RegExp;
  /** which gateway: default HS256, rsa (JWKS file only), rsaAndSecret, audIss */
  gw?: 'hs' | 'rsa' | 'both' | 'audiss';
  /** call sec.probe_member (authenticated only) instead of sec.probe — for requests that end up anonymous */
  member?: boolean;
}

let db: TestDb;
let hs: TestGateway;
let rsa: TestGateway;
let both: TestGateway;
let audiss: TestGateway;
let dir: string;
let secret: string;
let rsaPrivatePem: string;
let rsaPublicPem: string;
let rsaPublicJwkText: string;
let rsaKid: string;
let attackerPrivatePem: string;
let attackerPublicJwk: Record<string, unknown>;
let attacks: Attack[] = [];

beforeAll(async () => {
  db = await createTestDb();
  await installProbe(db.admin);
  secret = inject('pg').jwtSecret;
  dir = mkdtempSync(join(tmpdir(), 'lotline-sec-jwt-'));
  const real = generateKeyPairSync('rsa', { modulusLength: 2048 });
  rsaPrivatePem = real.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  rsaPublicPem = real.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  rsaKid = 'idp-key-1';
  const pubJwk = { ...(await exportJWK(real.publicKey)), kid: rsaKid, alg: 'RS256', use: 'sig' };
  rsaPublicJwkText = JSON.stringify(pubJwk);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [pubJwk] }));
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  attackerPrivatePem = attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  attackerPublicJwk = { ...(await exportJWK(attacker.publicKey)), kid: rsaKid, alg: 'RS256' };

  const common = { schemas: ['sec', 'api'] };
  hs = await startGateway(db, common);
  rsa = await startGateway(db, { ...common, jwtSecret: undefined, jwksFile });
  both = await startGateway(db, { ...common, jwksFile });
  audiss = await startGateway(db, { ...common, jwtAud: 'lotline-api', jwtIss: 'https://id.lotline.test' });
  attacks = buildAttacks();
});

afterAll(async () => {
  await Promise.all([hs?.close(), rsa?.close(), both?.close(), audiss?.close()]);
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function buildAttacks(): Attack[] {
  const bearer = (t: string) => `Bearer ${t}`;
  const valid = hmacToken('HS256', secret, good());
  const [vh, vp, vs] = valid.split('.') as [string, string, string];
  const list: Attack[] = [];
  const add = (a: Attack) => list.push(a);

  // --- alg: none and friends ---
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    add({ name: `alg ${alg}, empty signature`, auth: bearer(`${b64u({ alg, typ: 'JWT' })}.${b64u(good())}.`), status: 401, code: 'PGRST301' });
  }
  add({ name: 'alg none, signature kept from a valid token', auth: bearer(`${b64u({ alg: 'none' })}.${vp}.${vs}`), status: 401, code: 'PGRST301', message: 'Wrong or unsupported encoding algorithm' });
  add({ name: 'alg none on the RS256 gateway', auth: bearer(`${b64u({ alg: 'none' })}.${b64u(good())}.`), status: 401, code: 'PGRST301', gw: 'rsa' });
  add({ name: 'no alg at all', auth: bearer(`${b64u({ typ: 'JWT' })}.${vp}.${vs}`), status: 401, code: 'PGRST301' });
  add({ name: 'alg as a number', auth: bearer(`${b64u({ alg: 256 })}.${vp}.${vs}`), status: 401, code: 'PGRST301' });

  // --- key confusion: HMAC keyed with the RS256 public key ---
  for (const g of ['rsa', 'both'] as const) {
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      add({ name: `${alg} keyed with the RSA public key PEM (${g})`, auth: bearer(hmacToken(alg, rsaPublicPem, good())), status: 401, code: 'PGRST301', gw: g });
    }
    add({ name: `HS256 keyed with the PEM without trailing newline (${g})`, auth: bearer(hmacToken('HS256', rsaPublicPem.trim(), good())), status: 401, code: 'PGRST301', gw: g });
    add({ name: `HS256 keyed with the public JWK JSON (${g})`, auth: bearer(hmacToken('HS256', rsaPublicJwkText, good())), status: 401, code: 'PGRST301', gw: g });
    add({ name: `HS256 keyed with the public JWK JSON and its kid (${g})`, auth: bearer(hmacToken('HS256', rsaPublicJwkText, good(), { kid: rsaKid })), status: 401, code: 'PGRST301', gw: g });
    add({ name: `HS256 keyed with the DER public key (${g})`, auth: bearer(hmacToken('HS256', Buffer.from(rsaPublicPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), good())), status: 401, code: 'PGRST301', gw: g });
    add({ name: `RS256 signed by an attacker key with the IdP's kid (${g})`, auth: bearer(rsaToken(attackerPrivatePem, good(), { kid: rsaKid })), status: 401, code: 'PGRST301', gw: g });
    add({ name: `RS256 with the attacker's key embedded as a jwk header (${g})`, auth: bearer(rsaToken(attackerPrivatePem, good(), { jwk: attackerPublicJwk })), status: 401, code: 'PGRST301', gw: g });
    add({ name: `RS256 with a jku pointing elsewhere (${g})`, auth: bearer(rsaToken(attackerPrivatePem, good(), { jku: 'http://127.0.0.1:1/jwks.json' })), status: 401, code: 'PGRST301', gw: g });
  }
  add({ name: 'HS256 with a wrong secret', auth: bearer(hmacToken('HS256', randomBytes(32), good())), status: 401, code: 'PGRST301', message: 'No suitable key or wrong key type' });
  add({ name: 'HS256 with an empty key', auth: bearer(hmacToken('HS256', Buffer.alloc(0), good())), status: 401, code: 'PGRST301' });
  add({ name: 'RS256 token on the HS256-only gateway', auth: bearer(rsaToken(rsaPrivatePem, good())), status: 401, code: 'PGRST301' });
  add({ name: 'valid RS256 token re-labelled HS256', auth: bearer(`${b64u({ alg: 'HS256', typ: 'JWT' })}.${rsaToken(rsaPrivatePem, good()).split('.').slice(1).join('.')}`), status: 401, code: 'PGRST301', gw: 'rsa' });
  add({ name: 'unknown critical header', auth: bearer(hmacToken('HS256', secret, good(), { crit: ['x-evil'], 'x-evil': true })), status: 401, code: 'PGRST301' });
  add({ name: 'b64:false unencoded payload', auth: bearer(hmacToken('HS256', secret, good(), { b64: false, crit: ['b64'] })), status: 401 });

  // --- time claims ---
  add({ name: 'expired an hour ago', auth: bearer(hmacToken('HS256', secret, good({ exp: now() - 3600 }))), status: 401, code: 'PGRST303', message: 'JWT expired' });
  add({ name: 'expired 31 s ago (past the 30 s skew)', auth: bearer(hmacToken('HS256', secret, good({ exp: now() - 45 }))), status: 401, code: 'PGRST303', message: 'JWT expired' });
  add({ name: 'exp is a string', auth: bearer(hmacToken('HS256', secret, good({ exp: String(now() + 600) }))), status: 401, code: 'PGRST303' });
  add({ name: 'exp is an object', auth: bearer(hmacToken('HS256', secret, good({ exp: { $gt: 0 } }))), status: 401, code: 'PGRST303' });
  add({ name: 'nbf an hour ahead', auth: bearer(hmacToken('HS256', secret, good({ nbf: now() + 3600 }))), status: 401, code: 'PGRST303', message: 'JWT not yet valid' });
  add({ name: 'nbf is a string', auth: bearer(hmacToken('HS256', secret, good({ nbf: 'now' }))), status: 401, code: 'PGRST303' });
  add({ name: 'iat in the future', auth: bearer(hmacToken('HS256', secret, good({ iat: now() + 3600 }))), status: 401, code: 'PGRST303', message: 'JWT issued at future' });
  add({ name: 'expired RS256 token from the IdP', auth: bearer(rsaToken(rsaPrivatePem, good({ exp: now() - 3600 }), { kid: rsaKid })), status: 401, code: 'PGRST303', gw: 'rsa' });

  // --- the user id (sub): a string without control characters, never a number/object/boolean taken as text ---
  const subMsg = "The JWT 'sub' claim must be a string without control characters";
  for (const [what, sub] of [['a number', 12345], ['an object', { id: 'alice' }], ['a boolean', true], ['an array', ['alice']],
    ['with a newline', 'alice\nadmin'], ['with a NUL', 'alice\u0000'], ['with a tab', 'al\tice'], ['with a C1 control', 'alice\u0085'],
    ['with a line separator', 'alice\u2028']] as const) {
    add({ name: `sub ${what}`, auth: bearer(hmacToken('HS256', secret, good({ sub }))), status: 401, code: 'PGRST303', message: subMsg });
  }
  add({ name: 'sub a number through the RS256 IdP', auth: bearer(rsaToken(rsaPrivatePem, good({ sub: 42 }), { kid: rsaKid })), status: 401, code: 'PGRST303', gw: 'rsa' });

  // --- audience and issuer (gateway configured with both) ---
  const ai = (extra: object) => bearer(hmacToken('HS256', secret, good({ aud: 'lotline-api', iss: 'https://id.lotline.test', ...extra })));
  add({ name: 'wrong aud', auth: ai({ aud: 'billing-api' }), status: 401, code: 'PGRST303', message: 'JWT not in audience', gw: 'audiss' });
  add({ name: 'aud list without ours', auth: ai({ aud: ['billing-api', 'crm'] }), status: 401, code: 'PGRST303', gw: 'audiss' });
  add({ name: 'aud of the wrong type', auth: ai({ aud: 42 }), status: 401, code: 'PGRST303', gw: 'audiss' });
  add({ name: 'aud with a case change', auth: ai({ aud: 'Lotline-API' }), status: 401, code: 'PGRST303', gw: 'audiss' });
  add({ name: 'wrong iss', auth: ai({ iss: 'https://evil.test' }), status: 401, code: 'PGRST303', gw: 'audiss' });
  add({ name: 'iss missing', auth: bearer(hmacToken('HS256', secret, good({ aud: 'lotline-api' }))), status: 401, code: 'PGRST303', gw: 'audiss' });
  add({ name: 'iss with a trailing slash', auth: ai({ iss: 'https://id.lotline.test/' }), status: 401, code: 'PGRST303', gw: 'audiss' });
  add({ name: 'iss as an array', auth: ai({ iss: ['https://id.lotline.test'] }), status: 401, code: 'PGRST303', gw: 'audiss' });

  // --- tampering ---
  const tamper = (claims: object) => `${vh}.${b64u(claims)}.${vs}`;
  add({ name: 'payload: sub changed, signature kept', auth: bearer(tamper(good({ sub: 'alice' }))), status: 401, code: 'PGRST301' });
  add({ name: 'payload: role changed to postgres, signature kept', auth: bearer(tamper(good({ role: 'postgres' }))), status: 401, code: 'PGRST301' });
  add({ name: 'payload: exp extended, signature kept', auth: bearer(tamper(good({ exp: now() + 10 ** 9 }))), status: 401, code: 'PGRST301' });
  add({ name: 'payload: one character flipped', auth: bearer(`${vh}.${vp.slice(0, -2)}${vp.at(-2) === 'A' ? 'B' : 'A'}${vp.at(-1)}.${vs}`), status: 401, code: 'PGRST301' });
  add({ name: 'header: alg changed to HS512', auth: bearer(`${b64u({ alg: 'HS512', typ: 'JWT' })}.${vp}.${vs}`), status: 401, code: 'PGRST301' });
  add({ name: 'signature truncated', auth: bearer(`${vh}.${vp}.${vs.slice(0, 20)}`), status: 401, code: 'PGRST301' });
  add({ name: 'signature removed', auth: bearer(`${vh}.${vp}.`), status: 401, code: 'PGRST301' });
  add({ name: 'signature of another token', auth: bearer(`${vh}.${vp}.${hmacToken('HS256', secret, good({ sub: 'x' })).split('.')[2]}`), status: 401, code: 'PGRST301' });
  add({ name: 'signed payload not an object (array)', auth: bearer(hmacToken('HS256', secret, ['authenticated'])), status: 401, code: 'PGRST303', message: 'Parsing claims failed' });
  add({ name: 'signed payload JSON null', auth: bearer(`${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u('null')}.${createHmac('sha256', secret).update(`${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u('null')}`).digest('base64url')}`), status: 401, code: 'PGRST303' });

  // --- roles the gateway must never switch to ---
  for (const role of ['postgres', 'authenticator', 'lotline_owner', 'lotline_auth', 'lotline_worker', 'pg_read_all_data', 'pg_write_server_files', 'pg_signal_backend', 'pg_execute_server_program']) {
    add({ name: `role claim ${role}`, auth: bearer(hmacToken('HS256', secret, good({ role }))), status: 403, code: '42501', message: `permission denied to set role "${role}"` });
  }
  for (const role of ['service_role', 'supabase_admin', 'AUTHENTICATED', 'authenticated ', '', 'authenticated"; reset role; --', "anon' OR '1'='1"]) {
    add({ name: `role claim ${JSON.stringify(role)} (no such role)`, auth: bearer(hmacToken('HS256', secret, good({ role }))), status: 401, code: '22023' });
  }
  add({ name: 'role claim is an object', auth: bearer(hmacToken('HS256', secret, good({ role: { name: 'postgres' } }))), status: 401, code: '22023' });
  add({ name: 'role claim is an array', auth: bearer(hmacToken('HS256', secret, good({ role: ['postgres', 'authenticated'] }))), status: 401, code: '22023' });
  add({ name: 'role claim postgres through the RS256 IdP', auth: bearer(rsaToken(rsaPrivatePem, good({ role: 'postgres' }), { kid: rsaKid })), status: 403, code: '42501', gw: 'rsa' });

  // --- garbage in the Authorization header ---
  add({ name: 'empty bearer', auth: 'Bearer', status: 401, code: 'PGRST301', message: 'Empty JWT is sent in Authorization header' });
  add({ name: 'bearer and spaces', auth: 'Bearer    ', status: 401, code: 'PGRST301' });
  add({ name: 'two parts', auth: 'Bearer abc.def', status: 401, code: 'PGRST301', message: 'Expected 3 parts in JWT; got 2' });
  add({ name: 'four parts', auth: 'Bearer a.b.c.d', status: 401, code: 'PGRST301', message: 'Expected 3 parts in JWT; got 4' });
  add({ name: 'JWE-shaped (five parts)', auth: `Bearer ${b64u({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`, status: 401, code: 'PGRST301' });
  add({ name: 'three dots only', auth: 'Bearer ..', status: 401, code: 'PGRST301' });
  add({ name: 'not base64', auth: 'Bearer %%%.&&&.***', status: 401, code: 'PGRST301' });
  add({ name: 'header not JSON', auth: `Bearer ${b64u('not json')}.${vp}.${vs}`, status: 401, code: 'PGRST301' });
  add({ name: 'header a JSON array', auth: `Bearer ${b64u('[1,2]')}.${vp}.${vs}`, status: 401, code: 'PGRST301' });
  add({ name: 'header JSON null', auth: `Bearer ${b64u('null')}.${vp}.${vs}`, status: 401, code: 'PGRST301' });
  add({ name: 'two tokens', auth: `Bearer ${valid.slice(0, -1)}x Bearer ${valid}`, status: 401, code: 'PGRST301' });
  add({ name: 'token with a comma-joined second token', auth: `Bearer ${valid.slice(0, -1)}x,${valid}`, status: 401, code: 'PGRST301' });
  add({ name: 'control characters', auth: Buffer.from(`Bearer ${vh}.\t${vp}.${vs}`), status: 401, code: 'PGRST301' });
  add({ name: 'latin-1 bytes in the token', auth: Buffer.concat([Buffer.from(`Bearer ${vh}.`), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from(`.${vs}`)]), status: 401, code: 'PGRST301' });
  add({ name: 'UTF-8 bytes in the token', auth: Buffer.from(`Bearer ${vh}.${vp}ü🙂.${vs}`, 'utf8'), status: 401, code: 'PGRST301' });
  add({ name: 'oversized garbage token (12 KB)', auth: `Bearer ${'A'.repeat(4000)}.${'B'.repeat(4000)}.${'C'.repeat(4000)}`, status: 401, code: 'PGRST301' });
  add({ name: 'oversized payload with a forged signature (12 KB)', auth: bearer(`${vh}.${b64u(good({ pad: 'x'.repeat(9000) }))}.${vs}`), status: 401, code: 'PGRST301' });
  add({ name: 'oversized header (64 KB): refused by the HTTP layer', auth: `Bearer ${'A'.repeat(65_536)}.b.c`, status: 431 });
  // another scheme is ignored (PostgREST): the request is anonymous → a member function is 401 (42501)
  add({ name: 'Basic credentials', auth: 'Basic YXV0aGVudGljYXRvcjpwYXNzd29yZA==', status: 401, code: '42501', member: true });
  add({ name: 'Token scheme with a valid JWT', auth: `Token ${valid}`, status: 401, code: '42501', member: true });
  add({ name: 'no scheme, bare JWT', auth: valid, status: 401, code: '42501', member: true });
  add({ name: 'valid token without role claim (anonymous)', auth: bearer(hmacToken('HS256', secret, { sub: 'mallory', exp: now() + 600 })), status: 401, code: '42501', member: true });
  return list;
}

function gatewayFor(a: Attack): TestGateway {
  return { hs, rsa, both, audiss }[a.gw ?? 'hs'];
}

async function send(gw: TestGateway, auth: string | Buffer | null, fn: string, profile: 'sec' | 'api', body: object = {}): Promise<RawResponse> {
  const headers: Record<string, string | Buffer> = { 'Content-Type': 'application/json', 'Content-Profile': profile };
  if (auth !== null) headers.Authorization = auth;
  return raw(gw.url, { path: `/rpc/${fn}`, headers, body: JSON.stringify(body), timeoutMs: 5000 });
}

function expectRefusal(res: RawResponse, a: Attack): void {
  const ctx = `${a.name} → ${res.status} ${res.text.slice(0, 200)}`;
  expect(res.status, ctx).toBe(a.status);
  if (a.status === 431) return; // Node's HTTP parser answers before any handler runs
  expectErrorShape(res.json, ctx);
  if (a.code) expect(res.json.code, ctx).toBe(a.code);
  if (typeof a.message === 'string') expect(res.json.message, ctx).toBe(a.message);
  if (a.message instanceof RegExp) expect(res.json.message, ctx).toMatch(a.message);
  expect(String(res.headers['content-type']), ctx).toMatch(/^application\/json/);
  const challenge = res.headers['www-authenticate'];
  if (a.status === 401) {
    expect(challenge, ctx).toMatch(/^Bearer/);
    if (a.code === 'PGRST301' || a.code === 'PGRST303') {
      expect(challenge, ctx).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
    }
  } else {
    expect(challenge, ctx).toBeUndefined();
  }
}

describe('JWT attacks over HTTP', () => {
  it('controls: a valid HS256 token, a valid RS256 token and a valid aud/iss token do run the probe', async () => {
    const before = await probeCalls(db.admin);
    const r1 = await send(hs, `Bearer ${hmacToken('HS256', secret, good())}`, 'probe', 'sec');
    expect(r1.status, r1.text).toBe(200);
    expect(r1.json).toMatchObject({ role: 'authenticated', sub: 'mallory' });
    const rs = await importPKCS8(rsaPrivatePem, 'RS256');
    const t2 = await new SignJWT(good()).setProtectedHeader({ alg: 'RS256', kid: rsaKid }).sign(rs);
    const r2 = await send(rsa, `Bearer ${t2}`, 'probe', 'sec');
    expect(r2.status, r2.text).toBe(200);
    const r3 = await send(both, `Bearer ${t2}`, 'probe', 'sec');
    expect(r3.status, r3.text).toBe(200);
    const r4 = await send(audiss, `Bearer ${hmacToken('HS256', secret, good({ aud: ['crm', 'lotline-api'], iss: 'https://id.lotline.test' }))}`, 'probe', 'sec');
    expect(r4.status, r4.text).toBe(200);
    // anonymous (no header) runs the anon-executable probe as anon
    const r5 = await send(hs, null, 'probe', 'sec');
    expect(r5.status, r5.text).toBe(200);
    expect(r5.json).toMatchObject({ role: 'anon', sub: null });
    expect(await probeCalls(db.admin)).toBe(before + 5);
  });

  it('every attack is refused with PostgREST\'s error shape and runs no user function', async () => {
    expect(attacks.length).toBeGreaterThan(80);
    const [brandsBefore] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.brands`;
    const failures: string[] = [];
    for (const a of attacks) {
      const gw = gatewayFor(a);
      const before = await probeCalls(db.admin);
      const targets: [string, 'sec' | 'api', object][] = [
        [a.member ? 'probe_member' : 'probe', 'sec', {}],
        ['create_brand', 'api', { _name: `pwned by ${a.name}` }],
      ];
      for (const [fn, profile, body] of targets) {
        let res: RawResponse;
        try {
          res = await send(gw, a.auth, fn, profile, body);
        } catch (e) {
          // Node's HTTP parser may answer 431 and reset the connection while the body is still being written
          if (a.status === 431 && /ECONNRESET|EPIPE/.test((e as Error).message)) continue;
          failures.push(`${a.name} (${fn}): ${(e as Error).message}`);
          continue;
        }
        try {
          expectRefusal(res, fn === 'create_brand' && a.member ? { ...a, code: '42501' } : a);
          expect(res.ms, `${a.name}: answered in ${Math.round(res.ms)} ms`).toBeLessThan(3000);
        } catch (e) {
          failures.push(`${a.name} (${fn}): ${(e as Error).message.split('\n')[0]}`);
        }
      }
      const after = await probeCalls(db.admin);
      if (after !== before) failures.push(`${a.name}: the probe ran ${after - before} time(s)`);
    }
    const [brandsAfter] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.brands`;
    expect(brandsAfter!.n, 'no brand was created by any attack').toBe(brandsBefore!.n);
    expect(failures).toEqual([]);
    tally('JWT attacks tried', attacks.length);
    tally('JWT attack requests sent', attacks.length * 2);
  });

  it('the token is checked before routing: every path and method refuses a forged token with 401', async () => {
    const forged = `Bearer ${hmacToken('HS256', rsaPublicPem, good())}`;
    const before = await probeCalls(db.admin);
    for (const [method, path, headers] of [
      ['GET', '/', {}],
      ['GET', '/openapi.json', {}],
      ['GET', '/rpc/whoami', { 'Accept-Profile': 'sec' }],
      ['HEAD', '/rpc/whoami', { 'Accept-Profile': 'sec' }],
      ['POST', '/rpc/probe', { 'Content-Profile': 'sec', 'Content-Type': 'application/json' }],
      ['POST', '/rpc/does_not_exist', { 'Content-Type': 'application/json' }],
      ['GET', '/brands', {}],
      ['DELETE', '/rpc/probe', {}],
      ['POST', '/rpc/probe', { 'Content-Profile': 'data', 'Content-Type': 'application/json' }],
    ] as const) {
      const res = await raw(hs.url, { method, path, headers: { ...headers, Authorization: forged }, body: method === 'POST' ? '{}' : undefined, timeoutMs: 5000 });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(401);
      expect(res.headers['www-authenticate'], `${method} ${path}`).toMatch(/^Bearer error="invalid_token"/);
      if (method !== 'HEAD') expect((res.json as { code: string }).code).toBe('PGRST301');
    }
    expect(await probeCalls(db.admin)).toBe(before);
  });

  it('a token without sub: the function refuses at its first statement (401 PT401, challenge), nothing is written', async () => {
    const noSub = `Bearer ${hmacToken('HS256', secret, { role: 'authenticated', exp: now() + 600 })}`;
    const [before] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.brands`;
    for (const [fn, body] of [
      ['create_brand', { _name: 'nobody' }],
      ['list_my_brands', {}],
      ['create_product', { _brand_id: '00000000-0000-4000-8000-000000000000', _name: 'x' }],
    ] as const) {
      const res = await send(hs, noSub, fn, 'api', body);
      expect(res.status, `${fn}: ${res.text}`).toBe(401);
      expectErrorShape(res.json, fn);
      expect(res.json.code).toBe('PT401');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    const [after] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.brands`;
    expect(after!.n).toBe(before!.n);
  });

  it('a refused token stays refused (the verified-token cache never turns a failure into a success)', async () => {
    const expired = `Bearer ${hmacToken('HS256', secret, good({ exp: now() - 3600 }))}`;
    const forged = `Bearer ${hmacToken('HS256', rsaPublicPem, good())}`;
    const before = await probeCalls(db.admin);
    for (let i = 0; i < 20; i++) {
      expect((await send(hs, expired, 'probe', 'sec')).status).toBe(401);
      expect((await send(rsa, forged, 'probe', 'sec')).status).toBe(401);
    }
    expect(await probeCalls(db.admin)).toBe(before);
  });

  it('a gateway with the default settings never switches to a role off the allow-list, even one the authenticator may set', async () => {
    // authenticator may always "set role authenticator" (its own login role): PostgREST would obey such a claim.
    const [r] = await db.admin<{ ok: boolean }[]>`select pg_has_role('authenticator', 'authenticator', 'member') as ok`;
    expect(r!.ok).toBe(true);
    const res = await send(hs, `Bearer ${hmacToken('HS256', secret, good({ role: 'authenticator' }))}`, 'whoami', 'sec');
    expect(res.status).toBe(403);
    // nothing powerful is reachable from authenticator by SET ROLE (other test files may grant their own demo roles)
    const granted = await db.admin<{ role: string; rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean }[]>`
      select b.rolname as role, b.rolsuper, b.rolbypassrls, b.rolcreaterole
        from pg_auth_members m join pg_roles a on a.oid = m.member join pg_roles b on b.oid = m.roleid
       where a.rolname = 'authenticator' order by 1`;
    expect(granted.map((g) => g.role)).toEqual(expect.arrayContaining(['anon', 'authenticated']));
    const strong = granted.filter((g) => g.rolsuper || g.rolbypassrls || g.rolcreaterole || /^(postgres|lotline_owner|lotline_auth|pg_.*)$/.test(g.role));
    expect(strong).toEqual([]);
    const [auth] = await db.admin`select rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = 'authenticator'`;
    expect(auth).toEqual({ rolsuper: false, rolinherit: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false });
  });
});
