// The ApiRequest step (PostgREST's ApiRequest): method, URL, headers and body → a typed request, or the
// PGRST1xx error a malformed one gets, in PostgREST's order of checks. No database, no schema cache.
import type { IncomingHttpHeaders } from 'node:http';
import { pgrst } from './errors.ts';
import { acceptedTypes, type MediaType } from './media-type.ts';
import { parsePreferences, type Preferences } from './preferences.ts';
import { parsePayload, queryPayload, type Payload } from './request-body.ts';
import { clampInt, parseQueryParams, type QueryParams } from './query-string.ts';
import type { GatewaySettings } from './settings.ts';
import type { GoneHook } from './pool.ts';

/** What the HTTP layer hands over. */
export interface RawRequest {
  method: string;
  /** path and query string, as sent */
  url: string;
  headers: IncomingHttpHeaders;
  body?: Buffer;
  /** `http` or `https` (for URLs in the OpenAPI documents) */
  protocol?: string;
  /** the client's address (fastify's request.ip: the socket's, or X-Forwarded-For's behind a trusted proxy) */
  ip?: string;
  /** tells when the client goes away before its answer (a running call is then cancelled) */
  onGone?: GoneHook;
}

/** What the request asks for. */
export type Action =
  /** `OPTIONS /` */
  | { kind: 'schemaInfo' }
  /** `GET /`, `HEAD /`: the OpenAPI document */
  | { kind: 'openapi'; headersOnly: boolean }
  /** `/<name>`: a table or view endpoint, which the gateway does not serve */
  | { kind: 'relation'; name: string }
  | RoutineAction;

/** `/rpc/<name>`: a function call (or, with OPTIONS, what may be called). */
export interface RoutineAction {
  kind: 'routine';
  name: string;
  /** POST: arguments from the body; otherwise from the query string */
  post: boolean;
  /** OPTIONS: answer which methods the function allows, call nothing */
  info: boolean;
  query: QueryParams;
  /** the rows asked for: `offset` / `limit`, intersected with a `Range` header and the max-rows setting */
  range: { offset: number; limit: number | null };
  payload: Payload;
}

export interface ApiRequest {
  method: string;
  /** the path as sent (not decoded), e.g. for `request.path` */
  path: string;
  action: Action;
  /** the exposed schema in use (`Accept-Profile` / `Content-Profile`, else the first) */
  schema: string;
  /** answers name their schema in `Content-Profile` (a profile header was sent, or several schemas are exposed) */
  negotiatedByProfile: boolean;
  /** request headers, lower-case names, the last value of a repeated one; without `cookie` */
  headers: Record<string, string>;
  cookies: Record<string, string>;
  /** the Accept header's media types, in the order they are tried */
  accept: MediaType[];
  preferences: Preferences;
}

export type RequestSettings = Pick<GatewaySettings, 'schemas' | 'maxRows' | 'maxJsonDepth'>;

const RELATION_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'];
const RPC_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'];

/** PostgREST's order of checks (after the JWT): path shape, profile, method; query string and range; body. */
export function parseApiRequest(raw: RawRequest, s: RequestSettings): ApiRequest {
  const q = raw.url.indexOf('?');
  const path = q < 0 ? raw.url : raw.url.slice(0, q);
  const qs = q < 0 ? '' : raw.url.slice(q + 1);
  const method = raw.method;
  const base = (schema: string, action: Action): ApiRequest => ({
    method,
    path,
    action,
    schema,
    negotiatedByProfile: profileHeader(raw.headers, method) !== undefined || s.schemas.length > 1,
    headers: requestHeaders(raw.headers),
    cookies: parseCookies(raw.headers.cookie),
    accept: acceptedTypes(raw.headers.accept),
    preferences: parsePreferences(raw.headers.prefer),
  });
  if (path === '/' || path === '') {
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') throw pgrst.unsupportedMethod(method);
    const schema = pickSchema(raw.headers, method, s.schemas);
    return base(schema, method === 'OPTIONS' ? { kind: 'schemaInfo' } : { kind: 'openapi', headersOnly: method === 'HEAD' });
  }
  const segments = path.split('/').slice(1).map(safeDecode);
  if (segments.length > 2 || segments.some((x) => x === '')) throw pgrst.invalidPath();
  if (segments.length === 1) {
    const schema = pickSchema(raw.headers, method, s.schemas);
    if (!RELATION_METHODS.includes(method)) throw pgrst.unsupportedMethod(method);
    return base(schema, { kind: 'relation', name: segments[0]! });
  }
  if (segments[0] !== 'rpc') throw pgrst.invalidPath();
  const schema = pickSchema(raw.headers, method, s.schemas);
  if (!RPC_METHODS.includes(method)) throw pgrst.rpcMethod(method);
  const post = method === 'POST';
  const query = parseQueryParams(qs, post);
  const range = rowRange(query, method === 'GET' ? raw.headers.range : undefined, s.maxRows);
  const payload = post ? parsePayload(raw.body, raw.headers['content-type'], query.columns, s.maxJsonDepth) : queryPayload(query.args);
  return base(schema, { kind: 'routine', name: segments[1]!, post, info: method === 'OPTIONS', query, range, payload });
}

/** GET, HEAD and OPTIONS read the schema from `Accept-Profile`; other methods from `Content-Profile`. */
function profileHeader(headers: IncomingHttpHeaders, method: string): string | undefined {
  const v = headers[method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'accept-profile' : 'content-profile'];
  return Array.isArray(v) ? v[0] : v;
}

export function pickSchema(headers: IncomingHttpHeaders, method: string, schemas: string[]): string {
  const name = profileHeader(headers, method);
  if (name === undefined) return schemas[0]!;
  if (!schemas.includes(name)) throw pgrst.invalidSchema(name, schemas);
  return name;
}

/** `limit`/`offset`, a `Range: [items=]a-b` header (GET only) and the max-rows cap, intersected. */
function rowRange(query: QueryParams, rangeHeader: string | undefined, maxRows: number | null): { offset: number; limit: number | null } {
  let lower = query.offset;
  let upper = query.limit === null ? Infinity : query.offset + query.limit - 1;
  if (typeof rangeHeader === 'string') {
    const m = /^\s*(\d+)-(\d*)\s*$/.exec(rangeHeader.replace(/^items=/, ''));
    if (m) {
      const a = clampInt(Number(m[1]));
      const b = m[2] === '' ? Infinity : clampInt(Number(m[2]));
      if (a > b) throw pgrst.range('The lower boundary must be lower than or equal to the upper boundary in the Range header.');
      lower = Math.max(lower, a);
      upper = Math.min(upper, b);
    }
  }
  if (maxRows !== null) upper = Math.min(upper, lower + maxRows - 1);
  return { offset: lower, limit: upper === Infinity ? null : Math.max(0, upper - lower + 1) };
}

function requestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k === 'cookie' || v === undefined) continue;
    out[k] = Array.isArray(v) ? v[v.length - 1]! : v;
  }
  return out;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

function safeDecode(x: string): string {
  try {
    return decodeURIComponent(x);
  } catch {
    return x;
  }
}
