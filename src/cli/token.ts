// Development JWTs (HS256) for the configured or generated secret.
import { SignJWT } from 'jose';

export interface TokenOptions {
  secret: string;
  secretIsBase64?: boolean;
  sub?: string;
  role?: string;
  scope?: string;
  ttl?: string; // jose time span: '1h', '30d', ...
  aud?: string;
  iss?: string;
  extra?: Record<string, unknown>;
}

export async function mintToken(o: TokenOptions): Promise<string> {
  const key = o.secretIsBase64 ? Buffer.from(o.secret, 'base64') : new TextEncoder().encode(o.secret);
  const claims: Record<string, unknown> = { role: o.role ?? 'authenticated', ...o.extra };
  if (o.scope) claims.scope = o.scope;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime(o.ttl ?? '24h');
  if (o.sub) jwt = jwt.setSubject(o.sub);
  if (o.aud) jwt = jwt.setAudience(o.aud);
  if (o.iss) jwt = jwt.setIssuer(o.iss);
  return jwt.sign(key);
}
