// JWT verification (jose) with PostgREST's error codes and texts, a bounded cache of verified
// tokens, and role extraction by a JSON path.
import { readFileSync } from 'node:fs';
import {
  compactVerify, createLocalJWKSet, createRemoteJWKSet, importJWK, errors as joseErrors,
  type JWK, type JWSHeaderParameters, type FlattenedJWSInput, type CryptoKey,
} from 'jose';
import { ApiError, pgrst } from './errors.ts';
import type { GatewaySettings } from './settings.ts';

export type Claims = Record<string, unknown>;

type KeyInput = CryptoKey | Uint8Array;
type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyInput>;

const HMAC = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const SKEW_SECONDS = 30;
/** C0 and C1 control characters, DEL, and the Unicode line/paragraph separators: never in a user id. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export interface JwtVerifierOptions {
  jwtSecret?: string;
  jwtSecretIsBase64?: boolean;
  jwksUrl?: string;
  jwksFile?: string;
  jwksTimeoutMs?: number;
  jwksCacheMaxAgeMs?: number;
  jwksCooldownMs?: number;
  jwtAud?: string;
  jwtIss?: string;
  cacheMaxEntries?: number;
}

interface CacheEntry {
  claims: Claims | null; // null: payload is not a JSON object
}

/** Validates settings at start-up (a short secret is a start-up failure, as in PostgREST). */
export function validateJwtSettings(s: Pick<GatewaySettings, 'jwtSecret' | 'jwtSecretIsBase64'>): void {
  if (s.jwtSecret === undefined) return;
  const bytes = s.jwtSecretIsBase64 ? Buffer.from(s.jwtSecret, 'base64') : Buffer.from(s.jwtSecret, 'utf8');
  if (!s.jwtSecretIsBase64 && s.jwtSecret.length < 32) throw new Error('The JWT secret must be at least 32 characters long.');
  if (bytes.length < 32) throw new Error('The JWT secret must be at least 32 bytes long.');
}

export class JwtVerifier {
  private readonly secret: Uint8Array | null;
  private readonly jwks: KeyResolver | null;
  private readonly hmacJwks: JWK[] = [];
  private readonly cache = new Map<string, CacheEntry>();
  private readonly max: number;
  readonly configured: boolean;

  constructor(private readonly o: JwtVerifierOptions) {
    validateJwtSettings({ jwtSecret: o.jwtSecret, jwtSecretIsBase64: o.jwtSecretIsBase64 ?? false });
    this.secret = o.jwtSecret === undefined ? null
      : o.jwtSecretIsBase64 ? new Uint8Array(Buffer.from(o.jwtSecret, 'base64')) : new TextEncoder().encode(o.jwtSecret);
    this.max = o.cacheMaxEntries ?? 1000;
    if (o.jwksUrl) {
      this.jwks = createRemoteJWKSet(new URL(o.jwksUrl), {
        timeoutDuration: o.jwksTimeoutMs ?? 5000,
        cacheMaxAge: o.jwksCacheMaxAgeMs ?? 600_000,
        cooldownDuration: o.jwksCooldownMs ?? 30_000,
      }) as unknown as KeyResolver;
    } else if (o.jwksFile) {
      const raw = readFileSync(o.jwksFile, 'utf8');
      const parsed = JSON.parse(raw) as { keys?: JWK[] } & JWK;
      const keys: JWK[] = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
      this.hmacJwks = keys.filter((k) => k.kty === 'oct');
      const pub = keys.filter((k) => k.kty !== 'oct');
      this.jwks = pub.length ? (createLocalJWKSet({ keys: pub }) as unknown as KeyResolver) : null;
    } else {
      this.jwks = null;
    }
    this.configured = this.secret !== null || this.jwks !== null || this.hmacJwks.length > 0;
  }

  /** Verify a bearer token; returns the claims (validated against the clock, aud and iss). */
  async verify(token: string, now = Date.now() / 1000): Promise<Claims> {
    let entry = this.cache.get(token);
    if (!entry) {
      entry = await this.verifySignature(token);
      if (this.cache.size >= this.max) {
        const first = this.cache.keys().next();
        if (!first.done) this.cache.delete(first.value);
      }
      this.cache.set(token, entry);
    }
    if (entry.claims === null) throw pgrst.claims('Parsing claims failed');
    this.validateClaims(entry.claims, now);
    return entry.claims;
  }

  private async verifySignature(token: string): Promise<CacheEntry> {
    if (!this.configured) throw pgrst.noJwtSecret();
    const parts = token.split('.');
    if (parts.length !== 3) throw pgrst.jwt(`Expected 3 parts in JWT; got ${parts.length}`);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof header !== 'object' || header === null) throw new Error('not an object');
    } catch {
      throw pgrst.jwt('JWT cryptographic operation failed');
    }
    const alg = header.alg;
    if (alg === 'none') throw pgrst.jwt('Wrong or unsupported encoding algorithm', "JWT is unsecured but expected 'alg' was not 'none'");
    if (typeof alg !== 'string' || (!HMAC.includes(alg) && !ASYMMETRIC.includes(alg))) {
      throw pgrst.jwt('Wrong or unsupported encoding algorithm', `Unsupported "alg" value: ${String(alg)}`);
    }
    let payload: Uint8Array;
    try {
      payload = await this.verifyWithKeys(token, alg, header);
    } catch (e) {
      throw this.mapError(e);
    }
    let claims: unknown;
    try {
      claims = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return { claims: null };
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return { claims: null };
    return { claims: claims as Claims };
  }

  private async verifyWithKeys(token: string, alg: string, header: Record<string, unknown>): Promise<Uint8Array> {
    if (HMAC.includes(alg)) {
      const candidates: KeyInput[] = [];
      if (this.secret) candidates.push(this.secret);
      for (const k of this.hmacJwks) {
        if (header.kid !== undefined && k.kid !== header.kid) continue;
        if (k.alg !== undefined && k.alg !== alg) continue;
        candidates.push((await importJWK({ ...k, alg }, alg)) as KeyInput);
      }
      if (!candidates.length) throw new NoKey();
      return tryKeys(token, alg, candidates);
    }
    if (!this.jwks) throw new NoKey();
    const resolver = this.jwks;
    try {
      return (await compactVerify(token, resolver, { algorithms: ASYMMETRIC })).payload;
    } catch (e) {
      if (e instanceof joseErrors.JWKSMultipleMatchingKeys) {
        const keys: KeyInput[] = [];
        for await (const k of e as unknown as AsyncIterable<CryptoKey>) keys.push(k);
        return tryKeys(token, alg, keys);
      }
      throw e;
    }
  }

  private mapError(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (e instanceof NoKey || e instanceof joseErrors.JWKSNoMatchingKey) {
      return pgrst.jwt('No suitable key or wrong key type', 'None of the keys was able to decode the JWT');
    }
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
      return pgrst.jwt('No suitable key or wrong key type', 'None of the keys was able to decode the JWT');
    }
    if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) {
      return pgrst.jwt('Wrong or unsupported encoding algorithm', (e as Error).message);
    }
    if (e instanceof joseErrors.JWKSTimeout) {
      return pgrst.jwt('No suitable key or wrong key type', 'Timed out fetching the JSON Web Key Set');
    }
    if (e instanceof TypeError && /key/i.test(e.message)) {
      return pgrst.jwt('No suitable key or wrong key type', e.message);
    }
    return pgrst.jwt('JWT cryptographic operation failed');
  }

  private validateClaims(c: Claims, now: number): void {
    const num = (k: 'exp' | 'nbf' | 'iat'): number | undefined => {
      const v = c[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw pgrst.claims(`The JWT '${k}' claim must be a number`);
      return v;
    };
    const exp = num('exp');
    if (exp !== undefined && now - SKEW_SECONDS > exp) throw pgrst.claims('JWT expired');
    const nbf = num('nbf');
    if (nbf !== undefined && now + SKEW_SECONDS < nbf) throw pgrst.claims('JWT not yet valid');
    const iat = num('iat');
    if (iat !== undefined && now + SKEW_SECONDS < iat) throw pgrst.claims('JWT issued at future');
    const aud = c.aud;
    if (aud !== undefined && aud !== null) {
      const ok = typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string'));
      if (!ok) throw pgrst.claims("The JWT 'aud' claim must be a string or an array of strings");
      if (this.o.jwtAud !== undefined) {
        const list = typeof aud === 'string' ? [aud] : (aud as string[]);
        if (list.length > 0 && !list.includes(this.o.jwtAud)) throw pgrst.claims('JWT not in audience');
      }
    }
    if (this.o.jwtIss !== undefined && c.iss !== this.o.jwtIss) throw pgrst.claims('JWT issuer not allowed');
    // the user id: a string (RFC 7519 StringOrURI), never a number/object/boolean turned into text, no control characters
    const sub = c.sub;
    if (sub !== undefined && sub !== null && (typeof sub !== 'string' || CONTROL.test(sub))) {
      throw pgrst.claims("The JWT 'sub' claim must be a string without control characters");
    }
  }
}

class NoKey extends Error {}

async function tryKeys(token: string, alg: string, keys: KeyInput[]): Promise<Uint8Array> {
  let last: unknown = new NoKey();
  for (const key of keys) {
    try {
      return (await compactVerify(token, key, { algorithms: [alg] })).payload;
    } catch (e) {
      last = e;
      if (!(e instanceof joseErrors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw last;
}

// ---- role claim: a small RFC 9535 subset ($.a.b, $.a[0], $['x.y'], $["x"]) plus the legacy .a.b form ----
export type PathStep = string | number;

export function parseClaimPath(path: string): PathStep[] {
  let p = path.trim();
  if (p.startsWith('$')) p = p.slice(1);
  const steps: PathStep[] = [];
  let i = 0;
  while (i < p.length) {
    const ch = p[i];
    if (ch === '.') {
      const m = /^\.([^.[\]]+)/.exec(p.slice(i));
      if (!m) throw new Error(`Invalid role claim path: ${path}`);
      steps.push(m[1]!);
      i += m[0].length;
    } else if (ch === '[') {
      const rest = p.slice(i);
      const m = /^\[\s*(?:(\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest);
      if (!m) throw new Error(`Invalid role claim path: ${path}`);
      if (m[1] !== undefined) steps.push(Number(m[1]));
      else steps.push((m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1'));
      i += m[0].length;
    } else {
      throw new Error(`Invalid role claim path: ${path}`);
    }
  }
  return steps;
}

/** The role named by the claim at `steps`; a non-string value is used as its JSON text. */
export function roleFromClaims(claims: Claims, steps: PathStep[]): string | undefined {
  let v: unknown = claims;
  for (const s of steps) {
    if (v === null || typeof v !== 'object') return undefined;
    if (typeof s === 'number') {
      if (!Array.isArray(v)) return undefined;
      v = v[s];
    } else {
      if (Array.isArray(v)) return undefined;
      v = (v as Record<string, unknown>)[s];
    }
  }
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}
