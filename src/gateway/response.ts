// The Response step (PostgREST's Response): the call's result row → status, headers and body — Content-Range,
// 206/416, Preference-Applied, Content-Type and Content-Profile, the response.status / response.headers
// set from SQL — and errors → PostgREST's {code, message, details, hint}. Pure: the HTTP layer sends it.
import { type ApiError, pgrst } from './errors.ts';
import type { CallPlan } from './plan.ts';
import type { Row } from './pool.ts';
import type { ApiRequest } from './request.ts';

export interface HttpResponse {
  status: number;
  /** the reason phrase, when it is not the standard one for the status */
  statusText?: string;
  /**
   * In order; a name may repeat (each is a header line). Every name given here replaces what the HTTP
   * layer set before (request id, CORS).
   */
  headers: [string, string][];
  /** headers sent only when the HTTP layer has not set them already (e.g. CORS for an allowed origin) */
  defaults?: [string, string][];
  /** absent: no body */
  body?: string;
}

/** The answer to a call whose transaction succeeded. `row`: total, page_total, body, response_headers, response_status. */
export function callResponse(req: ApiRequest, plan: CallPlan, row: Row): HttpResponse {
  const r = plan.routine;
  const pageTotal = Number(row.page_total ?? 0);
  const total = row.total == null ? null : Number(row.total);
  const lower = plan.shape.offset;
  const upper = lower + pageTotal - 1;
  const totalText = total === null ? '*' : String(total);
  const rangeText = (total === null || total !== 0) && lower <= upper ? `${lower}-${upper}` : '*';
  let status = r.kind === 'void' ? 204 : 200;
  if (total !== null && r.kind !== 'void') {
    if (lower > total && total >= 0 && lower > 0) {
      throw pgrst.range(`An offset of ${lower} was requested, but there are only ${total} rows.`, { 'Content-Range': `*/${total}` });
    }
    if (upper - lower + 1 < total) status = 206;
  }
  const fromSql = responseHeaders(row.response_headers);
  if (row.response_status != null) status = responseStatus(row.response_status);

  const prefs = plan.preferences;
  const applied: string[] = [];
  if (prefs.count) applied.push(`count=${prefs.count}`);
  if (plan.txApplied) applied.push(plan.txApplied);
  if (prefs.handling) applied.push(`handling=${prefs.handling}`);
  if (prefs.timezone) applied.push(`timezone=${prefs.timezone}`);
  if (plan.maxAffected !== undefined) applied.push(`max-affected=${plan.maxAffected}`);

  const headers: [string, string][] = [['Content-Range', `${rangeText}/${totalText}`]];
  if (applied.length) headers.push(['Preference-Applied', applied.join(', ')]);
  headers.push(['Vary', 'Accept, Prefer, Range']);
  const hasBody = r.kind !== 'void';
  if (hasBody) {
    headers.push(['Content-Type', `${plan.media.mime}; charset=utf-8`]);
    if (req.negotiatedByProfile) headers.push(['Content-Profile', req.schema]);
  }
  const res: HttpResponse = { status, headers: override(headers, fromSql) };
  if (hasBody && req.method !== 'HEAD' && status !== 204 && status !== 304) res.body = String(row.body ?? '');
  return res;
}

/** `OPTIONS`: the allowed methods, no body; any origin may read it, with or without an `Origin` header (as PostgREST answers). */
export function infoResponse(allow: string): HttpResponse {
  return { status: 200, headers: [['Allow', allow]], defaults: [['Access-Control-Allow-Origin', '*']] };
}

/** The OpenAPI document at `/` (`doc` null: HEAD). */
export function openapiResponse(req: ApiRequest, doc: string | null): HttpResponse {
  const headers: [string, string][] = [['Content-Type', 'application/openapi+json; charset=utf-8']];
  if (req.negotiatedByProfile) headers.push(['Content-Profile', req.schema]);
  return doc === null ? { status: 200, headers } : { status: 200, headers, body: doc };
}

export function errorResponse(e: ApiError, method: string): HttpResponse {
  const own: [string, string][] = [['Content-Type', 'application/json; charset=utf-8'], ['Proxy-Status', `PostgREST; error=${e.code}`]];
  const res: HttpResponse = { status: e.status, headers: override(own, Object.entries(e.headers)) };
  if (e.statusText !== undefined) res.statusText = reasonPhrase(e.statusText);
  if (method !== 'HEAD') res.body = JSON.stringify(e.body());
  return res;
}

/**
 * A reason phrase as PostgREST sends it (the UTF-8 bytes of the text), with control characters — which
 * HTTP does not allow there — replaced by spaces.
 */
export function reasonPhrase(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ');
}

/** `response.headers` from SQL: a JSON array of single-key objects with string values (else 500 PGRST111). */
function responseHeaders(value: unknown): [string, string][] {
  if (value == null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw pgrst.responseHeaders();
  }
  if (!Array.isArray(parsed)) throw pgrst.responseHeaders();
  const out: [string, string][] = [];
  for (const h of parsed) {
    if (typeof h !== 'object' || h === null || Array.isArray(h)) throw pgrst.responseHeaders();
    const entries = Object.entries(h as Record<string, unknown>);
    if (entries.length !== 1 || typeof entries[0]![1] !== 'string') throw pgrst.responseHeaders();
    out.push([entries[0]![0], entries[0]![1] as string]);
  }
  return out;
}

/** `response.status` from SQL: a decimal status code (else 500 PGRST112). */
function responseStatus(value: unknown): number {
  const t = String(value).trim();
  if (!/^\d+$/.test(t) || Number(t) < 100 || Number(t) > 599) throw pgrst.responseStatus();
  return Number(t);
}

/** Headers set from SQL (or an error's) replace the gateway's own of the same name, case-insensitively; repeated names all stay. */
function override(own: [string, string][], fromSql: [string, string][]): [string, string][] {
  const replaced = new Set(fromSql.map(([k]) => k.toLowerCase()));
  return [...own.filter(([k]) => !replaced.has(k.toLowerCase())), ...fromSql];
}
