// Configuration: parsed once from the environment with zod; fails fast with a clear message.
import { z } from 'zod';

const csv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const intFrom = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

export const configSchema = z.object({
  /** URL the gateway's pool connects with (should be the `authenticator` role). Unset: embedded PostgreSQL. */
  DATABASE_URL: z.string().url().optional(),
  /** URL migrations run with (a role that may create roles and schemas). Defaults to DATABASE_URL. */
  LOTLINE_ADMIN_DATABASE_URL: z.string().url().optional(),
  /** Password given to the `authenticator` role by `migrate` when set. */
  LOTLINE_AUTHENTICATOR_PASSWORD: z.string().min(1).optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: intFrom(3000),
  LOTLINE_DATA_DIR: z.string().default('.lotline'),
  LOTLINE_EMBEDDED_PORT: intFrom(54329),
  LOTLINE_DB_SCHEMAS: csv('api'),
  LOTLINE_DB_EXTRA_SEARCH_PATH: csv('public'),
  LOTLINE_ANON_ROLE: z.string().default('anon'),
  LOTLINE_ALLOWED_ROLES: csv('anon,authenticated'),
  LOTLINE_JWT_SECRET: z.string().optional(),
  LOTLINE_JWT_SECRET_IS_BASE64: z.stringbool().default(false),
  LOTLINE_JWKS_URL: z.string().url().optional(),
  LOTLINE_JWKS_FILE: z.string().optional(),
  LOTLINE_JWT_AUD: z.string().optional(),
  LOTLINE_JWT_ISS: z.string().optional(),
  LOTLINE_JWT_ROLE_CLAIM: z.string().default('$.role'),
  LOTLINE_POOL_SIZE: intFrom(10),
  LOTLINE_POOL_TIMEOUT_MS: intFrom(10_000),
  /** Pool connections kept for the anonymous role (authenticated requests never use them); unset: a fifth of the pool. */
  LOTLINE_POOL_ANON_RESERVED: z.coerce.number().int().nonnegative().optional(),
  LOTLINE_STATEMENT_TIMEOUT_MS: intFrom(0),
  /** statement_timeout migrate gives the anon role in the database (ms; 0 = none). */
  LOTLINE_ANON_STATEMENT_TIMEOUT_MS: intFrom(3000),
  /** statement_timeout migrate gives the authenticated role in the database (ms; 0 = none). */
  LOTLINE_AUTHENTICATED_STATEMENT_TIMEOUT_MS: intFrom(8000),
  LOTLINE_MAX_BODY_BYTES: intFrom(1_048_576),
  /** The whole request (headers and body) must arrive within this, else 408 (0: no limit). */
  LOTLINE_REQUEST_TIMEOUT_MS: intFrom(30_000),
  /** The request headers must arrive within this, else 408. */
  LOTLINE_HEADERS_TIMEOUT_MS: intFrom(10_000),
  /** /ready waits this long for the database (its own connection, short connect timeout), then says 503. */
  LOTLINE_READY_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(800),
  /** Open client connections at most (0: no limit). */
  LOTLINE_MAX_CONNECTIONS: intFrom(1000),
  /** Requests per window from one client address with the anonymous role (0: no limit). */
  LOTLINE_RATE_LIMIT_ANON: intFrom(1200),
  /** Requests per window for one user id (sub) with a token (0: no limit). */
  LOTLINE_RATE_LIMIT_AUTHENTICATED: intFrom(0),
  LOTLINE_RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Behind a reverse proxy: `true`, a hop count, or the proxies' addresses; the client address then comes from X-Forwarded-For. */
  LOTLINE_TRUST_PROXY: z.string().optional(),
  LOTLINE_CORS_ORIGINS: csv('*'),
  LOTLINE_PRE_REQUEST: z.string().optional(),
  LOTLINE_TX_END: z.enum(['commit', 'commit-allow-override', 'rollback', 'rollback-allow-override']).default('commit'),
  // gateway extras (added by the gateway engineer)
  /** Direct connection for the schema-reload LISTEN and catalog queries (past PgBouncer). Defaults to DATABASE_URL. */
  LOTLINE_LISTEN_DATABASE_URL: z.string().url().optional(),
  /** NOTIFY channel for schema reloads (PostgREST's db-channel); empty disables listening. */
  LOTLINE_DB_CHANNEL: z.string().default('pgrst'),
  LOTLINE_JWKS_TIMEOUT_MS: intFrom(5000),
  LOTLINE_JWT_CACHE_MAX_ENTRIES: intFrom(1000),
  LOTLINE_OPENAPI_MODE: z.enum(['follow-privileges', 'ignore-privileges', 'disabled']).default('follow-privileges'),
  LOTLINE_OPENAPI_SERVER_URL: z.string().url().optional(),
  LOTLINE_MAX_ROWS: intFrom(0),
  LOTLINE_HOISTED_TX_SETTINGS: csv('statement_timeout,plan_filter.statement_cost_limit,default_transaction_isolation'),
  LOTLINE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Named prepared statements on the pool (PostgREST's db-prepared-statements); false behind PgBouncer < 1.21 transaction pooling. */
  LOTLINE_DB_PREPARED_STATEMENTS: z.stringbool().default(true),
  /** Request JSON (bodies, json/jsonb argument and filter values) nested deeper than this is refused with 400 PGRST102. */
  LOTLINE_MAX_JSON_DEPTH: z.coerce.number().int().min(1).default(64),
  /** /metrics on the API port answers only with `Authorization: Bearer <this token>`; unset: /metrics is not served there. */
  LOTLINE_METRICS_TOKEN: z.string().min(16).optional(),
  /** A separate listener serving only /metrics (unset: none); bind it to a private interface. */
  LOTLINE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOTLINE_METRICS_HOST: z.string().default('127.0.0.1'),
  // background jobs and quotas (docs/quotas.md)
  /** `serve` also runs the job workers (src/jobs/); `lotline worker` runs them alone. */
  LOTLINE_WORKER: z.stringbool().default(true),
  /** how often an idle job worker looks for work */
  LOTLINE_WORKER_IDLE_MS: z.coerce.number().int().min(10).default(1000),
  // Written by migrate into database settings lotline.<name> (sql/quotas/settings.sql has the defaults); unset: left alone.
  LOTLINE_MINT_JOB_THRESHOLD: z.coerce.number().int().min(0).optional(),
  LOTLINE_MINT_JOB_CHUNK: z.coerce.number().int().min(1).max(1_000_000).optional(),
  LOTLINE_QUOTA_SERIALS_PER_DAY: z.coerce.number().int().optional(),
  LOTLINE_QUOTA_BRANDS_PER_USER: z.coerce.number().int().optional(),
});

export type Config = z.infer<typeof configSchema>;

/** What `migrate` takes from the configuration besides the URL. */
export function migrateSettings(config: Config): { authenticatorPassword?: string; roleStatementTimeouts: { anon: number; authenticated: number } } {
  return {
    authenticatorPassword: config.LOTLINE_AUTHENTICATOR_PASSWORD,
    roleStatementTimeouts: { anon: config.LOTLINE_ANON_STATEMENT_TIMEOUT_MS, authenticated: config.LOTLINE_AUTHENTICATED_STATEMENT_TIMEOUT_MS },
  };
}

/** The database settings lotline.<name> that migrate writes from the configuration (only those set). */
export function databaseSettings(cfg: Config): Record<string, number> {
  const out: Record<string, number> = {};
  const from = {
    mint_job_threshold: cfg.LOTLINE_MINT_JOB_THRESHOLD,
    mint_job_chunk: cfg.LOTLINE_MINT_JOB_CHUNK,
    quota_serials_per_day: cfg.LOTLINE_QUOTA_SERIALS_PER_DAY,
    quota_brands_per_user: cfg.LOTLINE_QUOTA_BRANDS_PER_USER,
  };
  for (const [name, value] of Object.entries(from)) if (value !== undefined) out[name] = value;
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
