// The HTTP door for case lists: POST /rpc/<fn> with a JSON body and a JWT minted for the caller.
import { inject } from 'vitest';
import { mintToken } from '../../src/cli/token.ts';
import type { DoorResult, Who } from './door.ts';

const tokens = new Map<string, Promise<string>>();

/** A development token: sub null = authenticated role without a subject. */
export function tokenFor(who: Who): Promise<string> {
  const key = JSON.stringify(who);
  let t = tokens.get(key);
  if (!t) {
    t = mintToken({ secret: inject('pg').jwtSecret, sub: who.sub ?? undefined, scope: who.scope, ttl: '1h' });
    tokens.set(key, t);
  }
  return t;
}

export async function httpCall(
  baseUrl: string,
  who: Who | null,
  fn: string,
  args: Record<string, unknown> = {},
): Promise<DoorResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (who) headers.Authorization = `Bearer ${await tokenFor(who)}`;
  const res = await fetch(`${baseUrl}/rpc/${fn}`, { method: 'POST', headers, body: JSON.stringify(args) });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : null;
  if (res.ok) return { ok: true, status: res.status, data: body };
  const e = body as { code: string; message: string; details: string | null; hint: string | null };
  return { ok: false, status: res.status, data: null, error: { code: e.code, message: e.message, details: e.details, hint: e.hint } };
}
