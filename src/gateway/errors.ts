// PostgREST-shaped errors: {code, message, details, hint} with PostgREST's status mapping.

export interface ErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

/** An error answered to the client as is (status, body, extra headers). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string | null;
  readonly hint: string | null;
  readonly headers: Record<string, string>;
  /** the HTTP reason phrase, when not the standard one (a `PTnnn` error's message, a `PGRST` raise's status_text) */
  readonly statusText?: string;
  constructor(status: number, code: string, message: string, details: string | null = null, hint: string | null = null, headers: Record<string, string> = {}, statusText?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.hint = hint;
    this.headers = headers;
    this.statusText = statusText;
  }
  body(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details, hint: this.hint };
  }
}

const emptyToNull = (s: unknown): string | null => (typeof s === 'string' && s.length > 0 ? s : null);

/** Status for a Postgres SQLSTATE (PostgREST 16 table; first matching row wins). */
export function statusForSqlState(code: string, message: string, authenticated: boolean): number {
  const c2 = code.slice(0, 2);
  if (c2 === '08') return 503;
  if (c2 === '09') return 500;
  if (c2 === '0L' || c2 === '0P') return 403;
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (code === '22023') return /^role ".*" does not exist$/s.test(message) ? 401 : 400;
  if (c2 === '25') return 500;
  if (c2 === '28') return 403;
  if (c2 === '2D' || c2 === '38' || c2 === '39' || c2 === '3B' || c2 === '40') return 500;
  if (code === '53400') return 500;
  if (c2 === '53') return 503;
  // an argument or filter value with more array dimensions than Postgres allows is the client's input (an extension)
  if (code === '54000' && message.startsWith('number of array dimensions')) return 400;
  if (c2 === '54' || c2 === '55') return 500;
  if (code === '57P01') return 503;
  if (c2 === '57' || c2 === '58' || c2 === 'F0' || c2 === 'HV' || c2 === 'XX') return 500;
  if (code === 'P0001') return 400;
  if (c2 === 'P0') return 500;
  if (code === '42883') return message.startsWith('function xmlagg(') ? 406 : 404;
  if (code === '42P01') return 404;
  if (code === '42P17') return 500;
  if (code === '42501') return authenticated ? 403 : 401;
  if (c2 === 'PT') {
    const n = /^PT(\d{3})$/.exec(code);
    return n ? Number(n[1]) : 500;
  }
  return 400;
}

export interface PgErrorLike {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

export function isPgError(e: unknown): e is PgErrorLike & { severity: string } {
  return typeof e === 'object' && e !== null && (e as { name?: string }).name === 'PostgresError' && typeof (e as PgErrorLike).code === 'string';
}

const PGRST121 = 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error';
const PGRST121_HINT_MESSAGE = 'MESSAGE must be a JSON object with obligatory keys: \'code\', \'message\' and optional keys: \'details\', \'hint\'.';
const PGRST121_HINT_DETAIL = 'DETAIL must be a JSON object with obligatory keys: \'status\', \'headers\' and optional key: \'status_text\'.';

/** Turn a Postgres error into the client's answer. `authenticated`: the role in effect is not the anonymous role. */
export function fromPgError(e: PgErrorLike, authenticated: boolean): ApiError {
  if (e.code === 'PGRST') return fromRaisePgrst(e);
  const status = statusForSqlState(e.code, e.message, authenticated);
  const headers: Record<string, string> = {};
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer';
  if (status === 503) headers['Retry-After'] = '0';
  // PostgREST answers `RAISE SQLSTATE 'PTnnn'` with status nnn and the error's message as the reason phrase
  const statusText = /^PT\d{3}$/.test(e.code) ? e.message : undefined;
  return new ApiError(status, e.code, e.message, emptyToNull(e.detail), emptyToNull(e.hint), headers, statusText);
}

function fromRaisePgrst(e: PgErrorLike): ApiError {
  let msg: unknown;
  try {
    msg = JSON.parse(e.message);
  } catch {
    return new ApiError(500, 'PGRST121', PGRST121, `Invalid JSON value for MESSAGE: '${e.message}'`, PGRST121_HINT_MESSAGE);
  }
  const m = msg as Record<string, unknown>;
  if (typeof m !== 'object' || m === null || Array.isArray(m) || typeof m.code !== 'string' || typeof m.message !== 'string') {
    return new ApiError(500, 'PGRST121', PGRST121, `Invalid JSON value for MESSAGE: '${e.message}'`, PGRST121_HINT_MESSAGE);
  }
  if (!e.detail) return new ApiError(500, 'PGRST121', PGRST121, 'DETAIL is missing in the RAISE statement', PGRST121_HINT_DETAIL);
  let det: unknown;
  try {
    det = JSON.parse(e.detail);
  } catch {
    det = undefined;
  }
  const d = det as Record<string, unknown> | undefined;
  const headersOk = d && typeof d.headers === 'object' && d.headers !== null && !Array.isArray(d.headers) &&
    Object.values(d.headers as object).every((v) => typeof v === 'string');
  const statusTextOk = d?.status_text === undefined || d.status_text === null || typeof d.status_text === 'string';
  if (!d || typeof d !== 'object' || Array.isArray(d) || typeof d.status !== 'number' || !Number.isInteger(d.status) || !headersOk || !statusTextOk) {
    return new ApiError(500, 'PGRST121', PGRST121, `Invalid JSON value for DETAIL: '${e.detail}'`, PGRST121_HINT_DETAIL);
  }
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : v == null ? null : JSON.stringify(v));
  const statusText = typeof d.status_text === 'string' ? d.status_text : undefined;
  return new ApiError(d.status as number, m.code, m.message, str(m.details), str(m.hint), { ...(d.headers as Record<string, string>) }, statusText);
}

// ---- gateway-level errors (PGRSTnnn) ----
export const pgrst = {
  connection: (details: string | null = null) =>
    new ApiError(503, 'PGRST000', 'Database connection error.', details, null, { 'Retry-After': '1' }),
  client: (details: string | null = null) =>
    new ApiError(503, 'PGRST001', 'Database client error. Retrying the connection.', details, null, { 'Retry-After': '1' }),
  noSchemaCache: () =>
    new ApiError(503, 'PGRST002', 'Could not query the database for the schema cache. Retrying.', null, null, { 'Retry-After': '1' }),
  poolTimeout: () => new ApiError(504, 'PGRST003', 'Timed out acquiring connection from connection pool.'),
  parse: (message: string, details: string | null = null) => new ApiError(400, 'PGRST100', message, details),
  rpcMethod: (method: string) => new ApiError(405, 'PGRST101', `Cannot use the ${method} method on RPC`),
  invalidBody: (message: string, details: string | null = null) => new ApiError(400, 'PGRST102', message, details),
  range: (details: string | null, headers: Record<string, string> = {}) =>
    new ApiError(416, 'PGRST103', 'Requested range not satisfiable', details, null, headers),
  invalidSchema: (name: string, exposed: string[]) =>
    new ApiError(406, 'PGRST106', `Invalid schema: ${name}`, null, `Only the following schemas are exposed: ${exposed.join(', ')}`),
  mediaType: (accept: string) => new ApiError(406, 'PGRST107', `None of these media types are available: ${accept}`),
  responseHeaders: () =>
    new ApiError(500, 'PGRST111', 'response.headers guc must be a JSON array composed of objects with a single key and a string value'),
  responseStatus: () => new ApiError(500, 'PGRST112', 'response.status guc must be a valid status code'),
  singular: (rows: number) =>
    new ApiError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${rows} rows`),
  unsupportedMethod: (method: string) => new ApiError(405, 'PGRST117', `Unsupported HTTP method: ${method}`),
  strictPrefs: (invalid: string[]) =>
    new ApiError(400, 'PGRST122', 'Invalid preferences given with handling=strict', `Invalid preferences: ${invalid.join(', ')}`),
  maxAffected: (rows: number) =>
    new ApiError(400, 'PGRST124', 'Query result exceeds max-affected preference constraint', `The query affects ${rows} rows`),
  invalidPath: () => new ApiError(404, 'PGRST125', 'Invalid path specified in request URL'),
  openapiDisabled: () => new ApiError(404, 'PGRST126', 'Root endpoint metadata is disabled'),
  maxAffectedNotSetof: () =>
    new ApiError(400, 'PGRST128', 'Function must return SETOF or TABLE when max-affected preference is used with handling=strict'),
  notFoundTable: (schema: string, name: string) =>
    new ApiError(404, 'PGRST205', `Could not find the table '${schema}.${name}' in the schema cache`),
  noJwtSecret: () => new ApiError(500, 'PGRST300', 'Server lacks JWT secret'),
  jwt: (message: string, details: string | null = null) =>
    new ApiError(401, 'PGRST301', message, details, null, {
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, '')}"`,
    }),
  anonDisabled: () => new ApiError(401, 'PGRST302', 'Anonymous access is disabled', null, null, { 'WWW-Authenticate': 'Bearer' }),
  claims: (message: string) =>
    new ApiError(401, 'PGRST303', message, null, null, {
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, '')}"`,
    }),
  bodyTooLarge: (limit: number) =>
    new ApiError(413, 'PGRST413', `Request body too large: the limit is ${limit} bytes`),
};
