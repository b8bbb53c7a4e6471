// Gateway settings: everything the gateway needs, independent of where it came from.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.ts';

export type TxEnd = 'commit' | 'commit-allow-override' | 'rollback' | 'rollback-allow-override';
export type OpenApiMode = 'follow-privileges' | 'ignore-privileges' | 'disabled';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface GatewaySettings {
  /** Pool connection (the `authenticator` role). */
  databaseUrl: string;
  /** Direct connection for LISTEN and schema-cache queries (default: databaseUrl). Point it past PgBouncer. */
  listenUrl?: string;
  /** Exposed schemas; the first is the default. */
  schemas: string[];
  extraSearchPath: string[];
  /** Role for requests without a token; null disables anonymous access (401 PGRST302). */
  anonRole: string | null;
  /** Roles the gateway may switch to. Empty = any role (PostgREST's behaviour). */
  allowedRoles: string[];
  jwtSecret?: string;
  jwtSecretIsBase64: boolean;
  jwksUrl?: string;
  jwksFile?: string;
  jwksTimeoutMs: number;
  /** How long a fetched JWKS is trusted before it is fetched again. */
  jwksCacheMaxAgeMs: number;
  /** Minimum time between JWKS fetches triggered by an unknown `kid`. */
  jwksCooldownMs?: number;
  jwtAud?: string;
  jwtIss?: string;
  /** JSON path to the role claim, e.g. `$.role`, `$.app_metadata.role`, `$.roles[0]`. */
  jwtRoleClaim: string;
  jwtCacheMaxEntries: number;
  poolSize: number;
  /** Max wait for a pool connection before 504 PGRST003. */
  poolTimeoutMs: number;
  /**
   * Pool connections authenticated requests may not use, kept for the anonymous role (public lookups
   * stay answered while a tenant fills the pool); at most poolSize - 1. Unset: a fifth of the pool.
   */
  poolAnonReserved?: number;
  /** Per-request statement_timeout (0: the database's own). */
  statementTimeoutMs: number;
  maxBodyBytes: number;
  /** Whole request (headers and body) received within this, else 408 and the connection is closed (0: none). */
  requestTimeoutMs: number;
  /** Headers received within this (capped at requestTimeoutMs), else 408. */
  headersTimeoutMs: number;
  /** Open client connections at most (0: no limit); further ones are closed at once. */
  maxConnections: number;
  /** Requests per rateLimitWindowMs from one client address with the anonymous role (0: no limit). */
  rateLimitAnonMax: number;
  /** Requests per rateLimitWindowMs for one user id (`sub`) with a token (0: no limit). */
  rateLimitAuthenticatedMax: number;
  rateLimitWindowMs: number;
  /** Clients (addresses and user ids) tracked at once; the least recently seen are forgotten. */
  rateLimitClients: number;
  /** fastify's trustProxy: take the client address from X-Forwarded-For (true, a hop count, or proxy addresses). */
  trustProxy?: boolean | number | string[];
  /** Allowed CORS origins; `*` = any. */
  corsOrigins: string[];
  /** `schema.function` called after the request settings, before the call. */
  preRequest?: string;
  txEnd: TxEnd;
  /** Function settings copied to the transaction before the call. */
  hoistedTxSettings: string[];
  /** Extra transaction settings (`app.settings.*`). */
  appSettings: Record<string, string>;
  openapiMode: OpenApiMode;
  /** NOTIFY channel for schema reloads; null disables listening. */
  channel: string | null;
  /** Cap on rows returned (PostgREST db-max-rows); null = none. */
  maxRows: number | null;
  logLevel: LogLevel;
  /** Where request log lines go (default: stdout, one JSON line each). */
  logger?: (line: Record<string, unknown>) => void;
  /** Public base URL for the OpenAPI documents (default: derived from the request). */
  openapiServerUrl?: string;
  /** /ready's wait for the database (its own connection's connect timeout too); past it the database counts as down. */
  readyTimeoutMs: number;
  /** Grace period for in-flight requests on close. */
  shutdownTimeoutMs: number;
  /** Also export Node process metrics on /metrics. */
  defaultMetrics?: boolean;
  /** /metrics on the API port answers only to `Authorization: Bearer <this>`; unset: not served there. */
  metricsToken?: string;
  /** A separate listener serving only /metrics (on metricsHost); unset: none. */
  metricsPort?: number;
  /** The metrics listener's interface (default 127.0.0.1: not reachable from outside the host). */
  metricsHost: string;
  /**
   * Named prepared statements (PostgREST's db-prepared-statements). On: after a connection's first use
   * of a statement text, a call is one round trip. Off: for poolers that cannot carry prepared
   * statements (PgBouncer < 1.21 in transaction mode); each parameterised statement is described first.
   */
  preparedStatements: boolean;
  /** Distinct statement texts that are prepared (per connection); texts beyond run unprepared. */
  maxPreparedStatements: number;
  /** Deepest JSON nesting accepted in a request (bodies, json/jsonb argument and filter values). */
  maxJsonDepth: number;
  /** Every statement sent to the pool, with its parameter values (tests, debugging). */
  debugStatements?: (connection: number, text: string, params: unknown[]) => void;
}

export const defaultSettings: Omit<GatewaySettings, 'databaseUrl'> = {
  schemas: ['api'],
  extraSearchPath: ['public'],
  anonRole: 'anon',
  allowedRoles: ['anon', 'authenticated'],
  jwtSecretIsBase64: false,
  jwksTimeoutMs: 5000,
  jwksCacheMaxAgeMs: 10 * 60_000,
  jwtRoleClaim: '$.role',
  jwtCacheMaxEntries: 1000,
  poolSize: 10,
  poolTimeoutMs: 10_000,
  statementTimeoutMs: 0,
  maxBodyBytes: 1_048_576,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  maxConnections: 1000,
  rateLimitAnonMax: 1200,
  rateLimitAuthenticatedMax: 0,
  rateLimitWindowMs: 60_000,
  rateLimitClients: 10_000,
  corsOrigins: ['*'],
  txEnd: 'commit',
  hoistedTxSettings: ['statement_timeout', 'plan_filter.statement_cost_limit', 'default_transaction_isolation'],
  appSettings: {},
  openapiMode: 'follow-privileges',
  channel: 'pgrst',
  maxRows: null,
  logLevel: 'info',
  shutdownTimeoutMs: 10_000,
  readyTimeoutMs: 800,
  preparedStatements: true,
  maxPreparedStatements: 500,
  maxJsonDepth: 64,
  metricsHost: '127.0.0.1',
};

/** Settings from the validated environment; `resolved` carries what the CLI worked out (embedded DB URL, dev secret). */
export function gatewaySettingsFromConfig(config: Config, resolved: { databaseUrl: string; jwtSecret?: string }): GatewaySettings {
  let jwtSecret = config.LOTLINE_JWT_SECRET ?? resolved.jwtSecret;
  if (jwtSecret?.startsWith('@')) jwtSecret = readFileSync(jwtSecret.slice(1), 'utf8').trim();
  return {
    ...defaultSettings,
    databaseUrl: resolved.databaseUrl,
    listenUrl: config.LOTLINE_LISTEN_DATABASE_URL,
    schemas: config.LOTLINE_DB_SCHEMAS,
    extraSearchPath: config.LOTLINE_DB_EXTRA_SEARCH_PATH,
    anonRole: config.LOTLINE_ANON_ROLE === '' ? null : config.LOTLINE_ANON_ROLE,
    allowedRoles: config.LOTLINE_ALLOWED_ROLES,
    jwtSecret,
    jwtSecretIsBase64: config.LOTLINE_JWT_SECRET_IS_BASE64,
    jwksUrl: config.LOTLINE_JWKS_URL,
    jwksFile: config.LOTLINE_JWKS_FILE,
    jwksTimeoutMs: config.LOTLINE_JWKS_TIMEOUT_MS,
    jwtAud: config.LOTLINE_JWT_AUD,
    jwtIss: config.LOTLINE_JWT_ISS,
    jwtRoleClaim: config.LOTLINE_JWT_ROLE_CLAIM,
    jwtCacheMaxEntries: config.LOTLINE_JWT_CACHE_MAX_ENTRIES,
    poolSize: config.LOTLINE_POOL_SIZE,
    poolTimeoutMs: config.LOTLINE_POOL_TIMEOUT_MS,
    poolAnonReserved: config.LOTLINE_POOL_ANON_RESERVED,
    statementTimeoutMs: config.LOTLINE_STATEMENT_TIMEOUT_MS,
    maxBodyBytes: config.LOTLINE_MAX_BODY_BYTES,
    requestTimeoutMs: config.LOTLINE_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: config.LOTLINE_HEADERS_TIMEOUT_MS,
    maxConnections: config.LOTLINE_MAX_CONNECTIONS,
    readyTimeoutMs: config.LOTLINE_READY_TIMEOUT_MS,
    rateLimitAnonMax: config.LOTLINE_RATE_LIMIT_ANON,
    rateLimitAuthenticatedMax: config.LOTLINE_RATE_LIMIT_AUTHENTICATED,
    rateLimitWindowMs: config.LOTLINE_RATE_LIMIT_WINDOW_MS,
    trustProxy: trustProxy(config.LOTLINE_TRUST_PROXY),
    corsOrigins: config.LOTLINE_CORS_ORIGINS,
    preRequest: config.LOTLINE_PRE_REQUEST || undefined,
    txEnd: config.LOTLINE_TX_END,
    openapiMode: config.LOTLINE_OPENAPI_MODE,
    channel: config.LOTLINE_DB_CHANNEL === '' ? null : config.LOTLINE_DB_CHANNEL,
    maxRows: config.LOTLINE_MAX_ROWS || null,
    hoistedTxSettings: config.LOTLINE_HOISTED_TX_SETTINGS,
    logLevel: config.LOTLINE_LOG_LEVEL,
    openapiServerUrl: config.LOTLINE_OPENAPI_SERVER_URL,
    preparedStatements: config.LOTLINE_DB_PREPARED_STATEMENTS,
    maxJsonDepth: config.LOTLINE_MAX_JSON_DEPTH,
    metricsToken: config.LOTLINE_METRICS_TOKEN || undefined,
    metricsPort: config.LOTLINE_METRICS_PORT,
    metricsHost: config.LOTLINE_METRICS_HOST,
  };
}

/** `true`/`false`, a hop count, or comma-separated proxy addresses (CIDR allowed). */
function trustProxy(v: string | undefined): boolean | number | string[] | undefined {
  if (v === undefined || v === '' || v === 'false') return undefined;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((x) => x.trim()).filter(Boolean);
}
