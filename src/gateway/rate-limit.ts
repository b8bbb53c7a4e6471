// Request rates per client (@fastify/rate-limit's in-memory store): anonymous requests counted per
// client address (IPv6 by /64), authenticated ones per user id (`sub`). Over the limit: 429 PT429 with
// Retry-After, before any SQL runs. Checked right after the Auth step, so the key is the verified identity.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Identity } from './auth.ts';
import { ApiError } from './errors.ts';
import type { GatewaySettings } from './settings.ts';

export type RateLimitSettings = Pick<GatewaySettings, 'rateLimitAnonMax' | 'rateLimitAuthenticatedMax' | 'rateLimitWindowMs' | 'rateLimitClients'>;

/** Throws 429 when the caller is over its limit. */
export type RateCheck = (ip: string | undefined, id: Identity) => Promise<void>;

type Check = ReturnType<FastifyInstance['createRateLimit']>;

/** What the limiter reads of a request: the key is worked out here, not from fastify's request. */
interface Subject {
  key: string;
  routeOptions: { config: Record<string, never> };
}
const NO_ROUTE = { config: {} as Record<string, never> };

/** Registers the plugin (no route is limited by it); null when both limits are off. */
export async function createRateCheck(app: FastifyInstance, s: RateLimitSettings): Promise<RateCheck | null> {
  if (s.rateLimitAnonMax <= 0 && s.rateLimitAuthenticatedMax <= 0) return null;
  await app.register(rateLimit, { global: false, timeWindow: s.rateLimitWindowMs, cache: s.rateLimitClients, keyGenerator: (r) => (r as unknown as Subject).key });
  const anon = s.rateLimitAnonMax > 0 ? app.createRateLimit({ max: s.rateLimitAnonMax }) : null;
  const authenticated = s.rateLimitAuthenticatedMax > 0 ? app.createRateLimit({ max: s.rateLimitAuthenticatedMax }) : null;
  return async (ip, id) => {
    const check = id.authenticated ? authenticated : anon;
    if (!check) return;
    const sub = id.claims.sub;
    const key = id.authenticated && typeof sub === 'string' && sub !== '' ? `u:${sub}` : `a:${rateLimit.normalizeIP(ip ?? '', 64)}`;
    await limited(check, { key, routeOptions: NO_ROUTE }, id.authenticated ? 'user' : 'client address', s.rateLimitWindowMs);
  };
}

async function limited(check: Check, subject: Subject, per: string, windowMs: number): Promise<void> {
  const r = await check(subject as unknown as FastifyRequest);
  if (r.isAllowed || !r.isExceeded) return;
  const retry = String(Math.max(1, r.ttlInSeconds));
  throw new ApiError(
    429, 'PT429', `Too many requests: at most ${r.max} per ${windowMs / 1000} s per ${per}`,
    JSON.stringify({ rule: 'rate_limit', limit: r.max, window_ms: windowMs, retry_after_s: Number(retry) }), null,
    { 'Retry-After': retry },
  );
}
