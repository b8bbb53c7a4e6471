// Contract §8: JWT extraction, keys (HS256/384/512 secret, RS256/ES256/EdDSA via JWKS URL and file),
// claims validation with the 30 s skew, exact error codes/texts and challenges, role claim paths.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { inject } from 'vitest';
import { useContractSchema } from './contract-schema.ts';
import { req } from '../support/http.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { JwtVerifier, parseClaimPath, roleFromClaims, validateJwtSettings } from '../../src/gateway/jwt.ts';

const env = useContractSchema();
const u = (p: string) => env.gw.url + p;
const now = () => Math.floor(Date.now() / 1000);
const who = (url: string, token: string) => req(`${url}/rpc/whoami`, { headers: { Authorization: `Bearer ${token}` } });
const challenge = (m: string) => `Bearer error="invalid_token", error_description="${m}"`;

describe('token extraction and HS256', () => {
  test('Bearer (any case) with a valid token → role from the claim', async () => {
    const t = await env.gw.token('u1');
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const r = await req(u('/rpc/whoami'), { headers: { Authorization: `${scheme} ${t}` } });
      expect(r.body.role).toBe('authenticated');
    }
  });

  test('another scheme is ignored (anonymous)', async () => {
    const r = await req(u('/rpc/whoami'), { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    expect(r.body.role).toBe('anon');
  });

  test('empty bearer, wrong part count, garbage', async () => {
    const a = await req(u('/rpc/whoami'), { headers: { Authorization: 'Bearer' } });
    expect(a.status).toBe(401);
    expect(a.body).toEqual({ code: 'PGRST301', message: 'Empty JWT is sent in Authorization header', details: null, hint: null });
    expect(a.headers.get('www-authenticate')).toBe(challenge('Empty JWT is sent in Authorization header'));
    const b = await req(u('/rpc/whoami'), { headers: { Authorization: 'Bearer aaa.bbb' } });
    expect(b.body).toEqual({ code: 'PGRST301', message: 'Expected 3 parts in JWT; got 2', details: null, hint: null });
    const c = await req(u('/rpc/whoami'), { headers: { Authorization: 'Bearer aaa.bbb.ccc' } });
    expect(c.body).toMatchObject({ code: 'PGRST301', message: 'JWT cryptographic operation failed' });
    const e = await req(u('/rpc/whoami'), { headers: { Authorization: 'Bearer a.b.c.d.e' } });
    expect(e.body.message).toBe('Expected 3 parts in JWT; got 5');
  });

  test('JWT errors come before everything, even unknown paths', async () => {
    const r = await req(u('/rpc/a/b/c'), { headers: { Authorization: 'Bearer x.y' } });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('PGRST301');
  });

  test('wrong secret → No suitable key; alg none → Wrong or unsupported encoding algorithm', async () => {
    const other = new TextEncoder().encode('another-secret-that-is-long-enough-1234');
    const bad = await new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).sign(other);
    const a = await who(env.gw.url, bad);
    expect(a.status).toBe(401);
    expect(a.body).toEqual({ code: 'PGRST301', message: 'No suitable key or wrong key type', details: 'None of the keys was able to decode the JWT', hint: null });
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"authenticated"}').toString('base64url')}.`;
    const b = await who(env.gw.url, none);
    expect(b.body).toEqual({ code: 'PGRST301', message: 'Wrong or unsupported encoding algorithm', details: "JWT is unsecured but expected 'alg' was not 'none'", hint: null });
    expect(b.headers.get('www-authenticate')).toBe(challenge('Wrong or unsupported encoding algorithm'));
  });

  test.each(['HS256', 'HS384', 'HS512'])('%s with the secret', async (alg) => {
    const key = new TextEncoder().encode(inject('pg').jwtSecret);
    const t = await new SignJWT({ role: 'authenticated', sub: alg }).setProtectedHeader({ alg }).sign(key);
    const r = await who(env.gw.url, t);
    expect(r.status).toBe(200);
    expect(r.body.claims.sub).toBe(alg);
  });

  test('secret shorter than 32 characters is a start-up failure', async () => {
    expect(() => validateJwtSettings({ jwtSecret: 'short', jwtSecretIsBase64: false })).toThrow(/at least 32/);
    await expect(startGateway(env.db, { schemas: ['demo'], jwtSecret: 'x'.repeat(31) })).rejects.toThrow(/at least 32/);
    expect(() => validateJwtSettings({ jwtSecret: Buffer.alloc(16).toString('base64'), jwtSecretIsBase64: true })).toThrow(/32 bytes/);
  });

  test('a token sent to a gateway without any key → 500 PGRST300', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], jwtSecret: undefined });
    try {
      const r = await who(gw.url, await env.gw.token('x'));
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ code: 'PGRST300', message: 'Server lacks JWT secret', details: null, hint: null });
      expect((await req(`${gw.url}/rpc/no_args`)).body).toBe('ok');
    } finally {
      await gw.close();
    }
  });
});

describe('claims validation (30 s skew, PostgREST texts)', () => {
  test.each([
    [{ exp: -36 }, 'JWT expired'],
    [{ nbf: 36 }, 'JWT not yet valid'],
    [{ iat: 36 }, 'JWT issued at future'],
    [{ exp: '123' }, "The JWT 'exp' claim must be a number"],
    [{ nbf: 'x' }, "The JWT 'nbf' claim must be a number"],
    [{ iat: true }, "The JWT 'iat' claim must be a number"],
    [{ aud: 5 }, "The JWT 'aud' claim must be a string or an array of strings"],
    [{ aud: ['a', 1] }, "The JWT 'aud' claim must be a string or an array of strings"],
  ])('%o → 401 PGRST303 %s', async (claims, message) => {
    // numeric exp/nbf/iat are offsets from now
    const c = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, typeof v === 'number' ? now() + v : v]));
    const r = await who(env.gw.url, await env.gw.sign({ role: 'authenticated', ...c }));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 'PGRST303', message, details: null, hint: null });
    expect(r.headers.get('www-authenticate')).toBe(challenge(message));
  });

  test.each([
    [{ exp: -24 }], [{ nbf: 24 }], [{ iat: 24 }], [{ aud: 'anything' }], [{ aud: [] }], [{ aud: null }],
  ])('%o is accepted (within the skew / aud only type-checked without jwtAud)', async (claims) => {
    const c = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, typeof v === 'number' ? now() + v : v]));
    const r = await who(env.gw.url, await env.gw.sign({ role: 'authenticated', ...c }));
    expect(r.status).toBe(200);
  });

  test('payload that is not an object → Parsing claims failed', async () => {
    const key = new TextEncoder().encode(inject('pg').jwtSecret);
    const { CompactSign } = await import('jose');
    const t = await new CompactSign(new TextEncoder().encode('[1,2]')).setProtectedHeader({ alg: 'HS256' }).sign(key);
    const r = await who(env.gw.url, t);
    expect(r.body).toEqual({ code: 'PGRST303', message: 'Parsing claims failed', details: null, hint: null });
  });

  test('verified tokens are cached: the same expired token keeps failing cheaply, claims re-checked on each use', async () => {
    const v = new JwtVerifier({ jwtSecret: inject('pg').jwtSecret, cacheMaxEntries: 2 });
    const t = await env.gw.sign({ role: 'authenticated', exp: now() + 100 });
    await expect(v.verify(t)).resolves.toMatchObject({ role: 'authenticated' });
    await expect(v.verify(t, now() + 1000)).rejects.toMatchObject({ code: 'PGRST303', message: 'JWT expired' });
    // bounded: more tokens than entries still verify
    for (let i = 0; i < 5; i++) await v.verify(await env.gw.sign({ role: 'authenticated', i }));
    expect((v as unknown as { cache: Map<string, unknown> }).cache.size).toBeLessThanOrEqual(2);
  });

  describe('aud and iss configured', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway(env.db, { schemas: ['demo'], jwtAud: 'lotline', jwtIss: 'https://issuer.test' });
    });
    afterAll(() => gw?.close());
    test('aud must match (string or array), iss must match', async () => {
      const ok = await who(gw.url, await gw.sign({ role: 'authenticated', aud: ['x', 'lotline'], iss: 'https://issuer.test' }));
      expect(ok.status).toBe(200);
      const noAud = await who(gw.url, await gw.sign({ role: 'authenticated', iss: 'https://issuer.test' }));
      expect(noAud.status).toBe(200);
      const bad = await who(gw.url, await gw.sign({ role: 'authenticated', aud: 'other', iss: 'https://issuer.test' }));
      expect(bad.body).toEqual({ code: 'PGRST303', message: 'JWT not in audience', details: null, hint: null });
      const iss = await who(gw.url, await gw.sign({ role: 'authenticated', aud: 'lotline', iss: 'https://evil.test' }));
      expect(iss.status).toBe(401);
      expect(iss.body.code).toBe('PGRST303');
    });
  });
});

describe('role claim path', () => {
  test('JSON path forms', () => {
    const c = { role: 'r0', app_metadata: { role: 'r1' }, roles: ['r2', 'r3'], 'https://x.com/role': 'r4', n: { m: 5 } };
    expect(roleFromClaims(c, parseClaimPath('$.role'))).toBe('r0');
    expect(roleFromClaims(c, parseClaimPath('$.app_metadata.role'))).toBe('r1');
    expect(roleFromClaims(c, parseClaimPath('$.roles[1]'))).toBe('r3');
    expect(roleFromClaims(c, parseClaimPath("$['https://x.com/role']"))).toBe('r4');
    expect(roleFromClaims(c, parseClaimPath('$["https://x.com/role"]'))).toBe('r4');
    expect(roleFromClaims(c, parseClaimPath('.app_metadata.role'))).toBe('r1');
    expect(roleFromClaims(c, parseClaimPath('$.n'))).toBe('{"m":5}');
    expect(roleFromClaims(c, parseClaimPath('$.missing.x'))).toBeUndefined();
    expect(() => parseClaimPath('$.a[?(@.x)]')).toThrow();
  });

  test('a configured nested claim decides the role; no claim → anon; no anon role → 401 PGRST302', async () => {
    const gw = await startGateway(env.db, { schemas: ['demo'], jwtRoleClaim: '$.app_metadata.roles[0]' });
    const noAnon = await startGateway(env.db, { schemas: ['demo'], anonRole: null });
    try {
      const a = await who(gw.url, await gw.sign({ role: 'ignored', app_metadata: { roles: ['authenticated'] } }));
      expect(a.body.role).toBe('authenticated');
      expect(a.body.claims.role).toBe('authenticated');
      const b = await who(gw.url, await gw.sign({ role: 'authenticated' }));
      expect(b.body.role).toBe('anon');
      const c = await req(`${noAnon.url}/rpc/whoami`);
      expect(c.status).toBe(401);
      expect(c.headers.get('www-authenticate')).toBe('Bearer');
      expect(c.body).toEqual({ code: 'PGRST302', message: 'Anonymous access is disabled', details: null, hint: null });
    } finally {
      await gw.close();
      await noAnon.close();
    }
  });
});

describe('asymmetric keys: JWKS URL (served here) and JWKS file', () => {
  let server: Server;
  let jwksUrl: string;
  let served: JWK[] = [];
  let fetches = 0;
  let delayMs = 0;
  const keys: Record<string, { priv: CryptoKey; jwk: JWK; alg: string }> = {};
  let gw: TestGateway;

  beforeAll(async () => {
    for (const [kid, alg, opts] of [['rsa1', 'RS256', {}], ['ec1', 'ES256', {}], ['ed1', 'EdDSA', { crv: 'Ed25519' }], ['rsa2', 'RS256', {}], ['late', 'ES256', {}]] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { ...opts, extractable: true });
      keys[kid] = { priv: privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, alg };
    }
    served = ['rsa1', 'ec1', 'ed1'].map((k) => keys[k]!.jwk);
    server = createServer((rq, rs) => {
      fetches++;
      setTimeout(() => {
        rs.writeHead(200, { 'content-type': 'application/json' });
        rs.end(JSON.stringify({ keys: served }));
      }, delayMs);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    jwksUrl = `http://127.0.0.1:${addr.port}/.well-known/jwks.json`;
    gw = await startGateway(env.db, { schemas: ['demo'], jwtSecret: undefined, jwksUrl, jwksCooldownMs: 0, jwksTimeoutMs: 500 });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise((r) => server.close(r));
  });

  const signWith = (kid: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({ role: 'authenticated', sub: kid, ...claims }).setProtectedHeader({ alg: keys[kid]!.alg, kid, ...header }).sign(keys[kid]!.priv);

  test.each(['rsa1', 'ec1', 'ed1'])('%s verifies through the JWKS URL', async (kid) => {
    const r = await who(gw.url, await signWith(kid));
    expect(r.status, r.text).toBe(200);
    expect(r.body.claims.sub).toBe(kid);
  });

  test('the JWKS is cached (not fetched per request)', async () => {
    const before = fetches;
    for (let i = 0; i < 5; i++) expect((await who(gw.url, await signWith('rsa1', { i }))).status).toBe(200);
    expect(fetches - before).toBe(0);
  });

  test('an unknown kid triggers a refetch (key rotation)', async () => {
    const t = await signWith('late');
    const r1 = await who(gw.url, t);
    expect(r1.status).toBe(401);
    expect(r1.body).toMatchObject({ code: 'PGRST301', message: 'No suitable key or wrong key type' });
    served = [...served, keys.late!.jwk];
    const before = fetches;
    const r2 = await who(gw.url, await signWith('late', { again: 1 }));
    expect(r2.status).toBe(200);
    expect(fetches - before).toBe(1);
  });

  test('a signature by a key not in the set (same kid) → 401 PGRST301', async () => {
    const forged = await new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'RS256', kid: 'rsa1' }).sign(keys.rsa2!.priv);
    const r = await who(gw.url, forged);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('PGRST301');
    expect(r.body.message).toBe('No suitable key or wrong key type');
  });

  test('an HS256 token is refused when only a JWKS is configured', async () => {
    const r = await who(gw.url, await env.gw.token('x'));
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('PGRST301');
  });

  test('a slow JWKS endpoint times out → 401, not a hang', async () => {
    const slow = await startGateway(env.db, { schemas: ['demo'], jwtSecret: undefined, jwksUrl: jwksUrl + '?slow', jwksTimeoutMs: 200 });
    delayMs = 1000;
    try {
      const t0 = Date.now();
      const r = await who(slow.url, await signWith('rsa1'));
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('PGRST301');
      expect(Date.now() - t0).toBeLessThan(900);
    } finally {
      delayMs = 0;
      await slow.close();
    }
  });

  test('JWKS file: RS256 keys, without kid each key is tried; oct keys for HMAC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lotline-jwks-'));
    const file = join(dir, 'jwks.json');
    const octSecret = 'an-oct-jwk-secret-that-is-long-enough!!';
    const oct: JWK = { kty: 'oct', k: Buffer.from(octSecret).toString('base64url'), alg: 'HS256', kid: 'oct1' };
    const { kid: _k1, ...rsa2NoKid } = keys.rsa2!.jwk;
    const { kid: _k2, ...rsa1NoKid } = keys.rsa1!.jwk;
    writeFileSync(file, JSON.stringify({ keys: [rsa1NoKid, rsa2NoKid, oct] }));
    const fgw = await startGateway(env.db, { schemas: ['demo'], jwtSecret: undefined, jwksFile: file });
    try {
      const t = await new SignJWT({ role: 'authenticated', sub: 'file' }).setProtectedHeader({ alg: 'RS256' }).sign(keys.rsa2!.priv);
      expect((await who(fgw.url, t)).body.claims.sub).toBe('file');
      const h = await new SignJWT({ role: 'authenticated', sub: 'oct' }).setProtectedHeader({ alg: 'HS256', kid: 'oct1' }).sign(new TextEncoder().encode(octSecret));
      expect((await who(fgw.url, h)).body.claims.sub).toBe('oct');
      const wrongKid = await new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'RS256', kid: 'nope' }).sign(keys.rsa2!.priv);
      expect((await who(fgw.url, wrongKid)).status).toBe(401);
    } finally {
      await fgw.close();
    }
  });
});
