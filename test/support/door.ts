// What a door is: one way to call the api as a user (SQL: app.act_as in a transaction; HTTP: the
// gateway with a JWT). Case lists (test/cases/*.ts) are written against `Door` and assert on
// `DoorResult` with the helpers below, so both doors run the same cases.
import { expect } from 'vitest';

/** The caller: `sub` null = the authenticated role without a subject claim. */
export interface Who {
  sub: string | null;
  scope?: string;
}

export interface DoorError {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export interface DoorResult {
  ok: boolean;
  /** HTTP status (HTTP door only) */
  status?: number;
  /** the function's result as JSON (object, array, scalar or null) */
  data: unknown;
  /** SQLSTATE and the four PostgREST error fields on failure */
  error?: DoorError;
}

export interface Door {
  name: 'sql' | 'http';
  /** `who` null = anonymous; `{ sub: null }` = authenticated role without a subject */
  call(who: Who | null, fn: string, args?: Record<string, unknown>): Promise<DoorResult>;
  /** superuser row count of a data table in a brand (to prove nothing was written) */
  count(table: string, brandId: string): Promise<number>;
}

/** PostgREST's error body: exactly code, message, details, hint (strings or null). */
export function expectErrorShape(body: unknown, ctx = ''): asserts body is DoorError {
  expect(body, `${ctx}: error body`).toBeTypeOf('object');
  expect(Object.keys(body as object).sort(), `${ctx}: error keys`).toEqual(['code', 'details', 'hint', 'message']);
  const b = body as Record<string, unknown>;
  expect(typeof b.code, `${ctx}: code`).toBe('string');
  expect(typeof b.message, `${ctx}: message`).toBe('string');
  for (const k of ['details', 'hint']) expect(b[k] === null || typeof b[k] === 'string', `${ctx}: ${k}`).toBe(true);
}

/** The data of a successful call; throws (naming `what` when given) on a failure. */
export function must<T = Record<string, unknown>>(r: DoorResult, what?: string): T {
  if (!r.ok) throw new Error(`${what ? `${what}: ` : ''}expected success, got ${r.status ?? ''} ${JSON.stringify(r.error)}`);
  return r.data as T;
}

export function details(r: DoorResult): Record<string, unknown> {
  const d = r.error?.details;
  return d ? (JSON.parse(d) as Record<string, unknown>) : {};
}

/** Assert a failure: SQLSTATE always; HTTP status on the HTTP door; details.field when given. */
export function expectError(r: DoorResult, code: string, status: number, field?: string): void {
  expect(r.ok, `expected ${code}, got success ${JSON.stringify(r.data)}`).toBe(false);
  expect(r.error?.code).toBe(code);
  if (r.status !== undefined) expect(r.status).toBe(status);
  if (field) expect(details(r).field).toBe(field);
}
