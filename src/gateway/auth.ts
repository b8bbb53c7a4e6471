// The Auth step (PostgREST's Auth): the Authorization header → the identity a request runs as (role and
// claims), and the role allow-list that refuses a role as Postgres would before any SQL is sent.
import { ApiError, pgrst } from './errors.ts';
import { JwtVerifier, parseClaimPath, roleFromClaims, type Claims, type PathStep } from './jwt.ts';
import type { GatewaySettings } from './settings.ts';

export interface Identity {
  role: string;
  /** the token's claims with `role` set to the role in effect (`request.jwt.claims`) */
  claims: Claims;
  /** the role in effect differs from the anonymous role (42501 → 403, not 401) */
  authenticated: boolean;
}

export class Authenticator {
  private readonly jwt: JwtVerifier;
  private readonly roleClaim: PathStep[];
  private readonly anonRole: string | null;

  constructor(s: GatewaySettings) {
    this.jwt = new JwtVerifier({
      jwtSecret: s.jwtSecret,
      jwtSecretIsBase64: s.jwtSecretIsBase64,
      jwksUrl: s.jwksUrl,
      jwksFile: s.jwksFile,
      jwksTimeoutMs: s.jwksTimeoutMs,
      jwksCacheMaxAgeMs: s.jwksCacheMaxAgeMs,
      jwksCooldownMs: s.jwksCooldownMs,
      jwtAud: s.jwtAud,
      jwtIss: s.jwtIss,
      cacheMaxEntries: s.jwtCacheMaxEntries,
    });
    this.roleClaim = parseClaimPath(s.jwtRoleClaim);
    this.anonRole = s.anonRole;
  }

  /** A `Bearer` token is verified (PGRST301/303 when it is not valid); no token or another scheme: the anonymous role. */
  async authenticate(authorization: string | undefined): Promise<Identity> {
    let claims: Claims | null = null;
    if (authorization !== undefined) {
      const m = /^\s*bearer(?:\s+(.*?))?\s*$/is.exec(authorization);
      if (m) {
        const token = m[1] ?? '';
        if (token === '') throw pgrst.jwt('Empty JWT is sent in Authorization header');
        claims = await this.jwt.verify(token);
      }
    }
    let role: string | undefined;
    if (claims) role = roleFromClaims(claims, this.roleClaim);
    role ??= this.anonRole ?? undefined;
    if (role === undefined) throw pgrst.anonDisabled();
    return { role, claims: { ...(claims ?? {}), role }, authenticated: role !== this.anonRole };
  }
}

/**
 * A role off the allow-list (empty: any role) is refused as Postgres refuses a role the authenticator
 * cannot switch to: 401 22023 when it does not exist, 403 42501 otherwise. `roles`: the cluster's roles.
 */
export function authorizeRole(id: Identity, allowedRoles: string[], roles: Set<string>): void {
  if (allowedRoles.length === 0 || allowedRoles.includes(id.role)) return;
  if (!roles.has(id.role)) throw new ApiError(401, '22023', `role "${id.role}" does not exist`, null, null, { 'WWW-Authenticate': 'Bearer' });
  throw new ApiError(403, '42501', `permission denied to set role "${id.role}"`);
}
