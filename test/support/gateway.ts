// The HTTP door for tests: a gateway on 127.0.0.1 (random port) over a test database, plus JWT minting.
//   const gw = await startGateway(db);
//   const res = await fetch(`${gw.url}/rpc/list_my_brands`, { method: 'POST', headers: { Authorization: `Bearer ${await gw.token('user-1')}` } });
//   const client = new PostgrestClient(gw.url, { headers: { Authorization: `Bearer ${await gw.token('user-1')}` } });
import { inject } from 'vitest';
import { SignJWT } from 'jose';
import type { TestDb } from './db.ts';
import { createGateway, type Gateway } from '../../src/gateway/server.ts';
import { defaultSettings, type GatewaySettings } from '../../src/gateway/settings.ts';

export interface TestGateway {
  /** base URL, e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  gateway: Gateway;
  /** HS256 token for `sub` with role `authenticated` (override with extra.role), valid 1 h. */
  token(sub: string, scope?: string, extra?: Record<string, unknown>): Promise<string>;
  /** A token without `sub` for the anonymous role. */
  anonToken(extra?: Record<string, unknown>): Promise<string>;
  /** Sign arbitrary claims with the test secret (no defaults added). */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** Headers with Authorization for `sub` (and JSON content type). */
  headers(sub: string, scope?: string, extra?: Record<string, unknown>): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startGateway(db: TestDb, overrides: Partial<GatewaySettings> = {}): Promise<TestGateway> {
  const secret = inject('pg').jwtSecret;
  const settings: GatewaySettings = {
    ...defaultSettings,
    databaseUrl: db.authenticatorUrl,
    jwtSecret: secret,
    logLevel: 'silent',
    poolSize: 4,
    shutdownTimeoutMs: 5000,
    // tests send far more anonymous requests from 127.0.0.1 than a client would; the rate-limit tests turn it on
    rateLimitAnonMax: 0,
    // LOTLINE_DB_PREPARED_STATEMENTS=false runs every HTTP test in PgBouncer mode (no prepared statements)
    ...(process.env.LOTLINE_DB_PREPARED_STATEMENTS ? { preparedStatements: !/^(false|0|no|off)$/i.test(process.env.LOTLINE_DB_PREPARED_STATEMENTS) } : {}),
    ...overrides,
  };
  const gateway = await createGateway(settings);
  const url = (await gateway.listen(0, '127.0.0.1')).replace(/\/$/, '');
  const key = new TextEncoder().encode(secret);
  const sign = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header }).sign(key);
  const token = async (sub: string, scope?: string, extra: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return sign({ sub, role: 'authenticated', iat: now, exp: now + 3600, ...(scope !== undefined ? { scope } : {}), ...extra });
  };
  return {
    url,
    gateway,
    token,
    anonToken: async (extra = {}) => sign({ role: 'anon', ...extra }),
    sign,
    headers: async (sub, scope, extra) => ({
      Authorization: `Bearer ${await token(sub, scope, extra)}`,
      'Content-Type': 'application/json',
    }),
    close: () => gateway.close(),
  };
}
