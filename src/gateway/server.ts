// The PostgREST-compatible HTTP gateway: fastify in front, one transaction per request behind.
// Contract: /work/shared/notes/postgrest-rpc-contract.md; docs/gateway.md describes what is reproduced.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import postgres, { type Sql } from 'postgres';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { ApiError, fromPgError, isPgError, pgrst } from './errors.ts';
import { JwtVerifier, parseClaimPath, roleFromClaims, type Claims, type PathStep } from './jwt.ts';
import { GatewayPool, transportError, type Row } from './pool.ts';
import { GatewayMetrics } from './metrics.ts';
import { loadSchemaCache, routineKey, type Routine, type SchemaCache } from './cache.ts';
import { resolveRoutine, type BodyKind } from './resolve.ts';
import { Planner, callSql, checkJsonDepth, holdsJson, renameRowKeys, type CallArgs, type Shape } from './plan.ts';
import {
  isOperatorValue, negotiate, parseFieldText, parseLogic, parseOpExpr, parseOrder, parsePrefer, parseSelect,
  type Condition, type Media, type Preferences,
} from './query.ts';
import { ident, Params, qualified } from './sqltext.ts';
import { defaultSettings, gatewaySettingsFromConfig as fromConfig, type GatewaySettings, type LogLevel } from './settings.ts';
import { openapi2, openapi31, registerDocs } from './openapi.ts';
import { registerEventStream } from '../events/sse.ts';

export type { GatewaySettings } from './settings.ts';

export interface Gateway {
  app: FastifyInstance;
  /** Listen; resolves to the base URL. */
  listen(port: number, host: string): Promise<string>;
  /** Stop accepting, finish in-flight requests, release connections. */
  close(): Promise<void>;
  /** Reload the schema cache now. */
  reload(): Promise<void>;
}

export function gatewaySettingsFromConfig(config: Config, resolved: { databaseUrl: string; jwtSecret?: string }): GatewaySettings {
  return fromConfig(config, resolved);
}

interface Identity {
  role: string;
  claims: Claims;
  /** the role in effect differs from the anonymous role (42501 → 403, not 401) */
  authenticated: boolean;
}

/**
 * Applies the request settings, in order, each with set_config(name, value, true): ONE constant text
 * (prepared once per connection) whatever the settings are; $1 is a JSON array of [name, value] pairs.
 */
const SETTINGS_SQL = 'SELECT pg_catalog.count(pg_catalog.set_config(s.e ->> 0, s.e ->> 1, true)) AS n FROM pg_catalog.json_array_elements($1::json) AS s(e)';

const RESERVED = new Set(['select', 'columns', 'on_conflict', 'order', 'limit', 'offset', 'and', 'or', 'not.and', 'not.or']);
const OPS_PATHS = new Set(['/health', '/ready', '/metrics', '/openapi.json']);
const EXPOSE_HEADERS = 'Content-Encoding, Content-Location, Content-Range, Content-Type, Content-Profile, Date, Location, Server, Transfer-Encoding, Range-Unit, Preference-Applied, X-Request-Id, Retry-After';
const DEFAULT_ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Accept-Language, Content-Language, Accept-Profile, Content-Profile, Prefer, Range, Range-Unit, X-Request-Id, X-Client-Info, apikey';

export async function createGateway(input: GatewaySettings): Promise<Gateway> {
  const s: GatewaySettings = { ...defaultSettings, ...input };
  if (s.schemas.length === 0) throw new Error('At least one schema must be exposed');
  const jwt = new JwtVerifier({
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
  const roleClaim: PathStep[] = parseClaimPath(s.jwtRoleClaim);
  const pool = new GatewayPool({
    url: s.databaseUrl,
    size: s.poolSize,
    timeoutMs: s.poolTimeoutMs,
    prepare: s.preparedStatements,
    maxPrepared: s.maxPreparedStatements,
    debug: s.debugStatements,
    warn: (msg, detail) => log?.({ time: new Date().toISOString(), level: 'warn', msg, ...detail }),
  });
  const meta: Sql = postgres(s.listenUrl ?? s.databaseUrl, {
    max: 1, prepare: false, onnotice: () => {}, idle_timeout: 0, connect_timeout: 10,
    connection: { application_name: 'lotline-gateway-meta' },
  });
  const metrics = new GatewayMetrics(pool.sem, { defaultMetrics: s.defaultMetrics });
  const stdoutLog = bufferedStdout();
  const sink = s.logger ?? ((line: Record<string, unknown>) => stdoutLog.write(JSON.stringify(line) + '\n'));
  const threshold = LOG_LEVELS[s.logLevel];
  // one JSON line per event, dropped below the configured level (request lines are 'info')
  const log = s.logLevel === 'silent' ? null : (line: Record<string, unknown>) => {
    if ((LOG_LEVELS[line.level as LogLevel] ?? LOG_LEVELS.info) >= threshold) sink(line);
  };
  const preRequest = s.preRequest ? preRequestSql(s.preRequest) : null;

  let cache: SchemaCache | null = null;
  let closing = false;
  let reloadTimer: NodeJS.Timeout | null = null;
  let reloading: Promise<void> | null = null;
  let reloadAgain = false;
  let retryTimer: NodeJS.Timeout | null = null;

  async function reload(): Promise<void> {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        reloadAgain = false;
        try {
          cache = await loadSchemaCache(meta, s.schemas);
          metrics.reloads.inc({ outcome: 'ok' });
        } catch (e) {
          // best effort: the old cache keeps serving
          metrics.reloads.inc({ outcome: 'error' });
          log?.({ time: new Date().toISOString(), level: 'error', msg: 'schema cache load failed', error: (e as Error).message });
          if (!cache && !closing && !retryTimer) {
            retryTimer = setTimeout(() => {
              retryTimer = null;
              void reload();
            }, 1000);
          }
        }
      } while (reloadAgain && !closing);
    })().finally(() => {
      reloading = null;
    });
    return reloading;
  }

  function scheduleReload(): void {
    if (reloadTimer) clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      void reload();
    }, 100);
  }

  await reload();
  let unlisten: (() => Promise<void>) | null = null;
  let listenTimer: NodeJS.Timeout | null = null;
  /** LISTEN on the dedicated connection; retried (with a reload) until it works, e.g. after an outage. */
  async function startListening(): Promise<void> {
    if (!s.channel || closing) return;
    try {
      if (unlisten) await unlisten().catch(() => {});
      unlisten = null;
      const sub = await meta.listen(s.channel, (payload) => {
        if (payload === '' || payload === 'reload schema') scheduleReload();
      }, () => {
        // (re)connected: anything may have changed while we were away
        if (unlisten) scheduleReload();
      });
      unlisten = sub.unlisten;
    } catch (e) {
      log?.({ time: new Date().toISOString(), level: 'warn', msg: 'LISTEN failed; retrying', error: (e as Error).message });
      scheduleRelisten();
    }
  }
  function scheduleRelisten(): void {
    if (listenTimer || closing || !s.channel) return;
    listenTimer = setTimeout(() => {
      listenTimer = null;
      void startListening().then(() => scheduleReload());
    }, 2000);
    listenTimer.unref();
  }
  await startListening();

  const app = Fastify({
    logger: false,
    bodyLimit: s.maxBodyBytes,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      const v = Array.isArray(h) ? h[0] : h;
      return v && /^[\w.:@/+=-]{1,200}$/.test(v) ? v : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1000 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.decorateRequest('fnLabel', '');
  app.decorateRequest('roleName', '');
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('X-Request-Id', req.id);
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const any = s.corsOrigins.includes('*');
      if (any || s.corsOrigins.includes(origin)) {
        reply.header('Access-Control-Allow-Origin', any ? '*' : origin);
        if (!any) reply.header('Vary', 'Origin');
        reply.header('Access-Control-Expose-Headers', EXPOSE_HEADERS);
        if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
          reply.header('Access-Control-Allow-Methods', 'GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD');
          reply.header('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? DEFAULT_ALLOW_HEADERS);
          reply.header('Access-Control-Max-Age', '86400');
          reply.code(200).send();
          return;
        }
      }
    }
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    // while shutting down, finished requests give their connection back instead of keeping it alive
    if (closing) reply.header('Connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const seconds = reply.elapsedTime / 1000;
    const fn = (req as FastifyRequest & { fnLabel: string }).fnLabel || routeLabel(req.url);
    metrics.observe(fn, req.method, reply.statusCode, seconds);
    log?.({
      time: new Date().toISOString(), level: 'info', reqId: req.id, method: req.method, path: req.url.split('?')[0],
      function: (req as FastifyRequest & { fnLabel: string }).fnLabel || undefined,
      role: (req as FastifyRequest & { roleName: string }).roleName || undefined,
      status: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 100) / 100,
    });
    done();
  });
  app.setErrorHandler((err, _req, reply) => {
    const e = err as Error & { code?: string; statusCode?: number };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, pgrst.bodyTooLarge(s.maxBodyBytes));
    if (e instanceof ApiError) return sendError(reply, e);
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(reply, new ApiError(e.statusCode, 'PGRST102', e.message));
    }
    log?.({ time: new Date().toISOString(), level: 'error', msg: 'unhandled', error: e.message, stack: e.stack });
    return sendError(reply, new ApiError(500, 'PGRST000', 'Internal gateway error', null, null));
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, pgrst.unsupportedMethod(req.method)));

  // ---- operations ----
  app.get('/health', async (_req, reply) => reply.code(200).type('application/json').send('{"status":"ok"}'));
  app.get('/ready', async (_req, reply) => {
    let db = false;
    try {
      await meta.unsafe('select 1');
      db = true;
    } catch {
      db = false;
    }
    const ok = db && cache !== null && !closing;
    reply.code(ok ? 200 : 503).type('application/json');
    if (!ok) reply.header('Retry-After', '1');
    return reply.send(JSON.stringify({ status: ok ? 'ready' : 'unavailable', database: db, schemaCache: cache !== null, loadedAt: cache?.loadedAt ?? null }));
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return reply.send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', async (req, reply) => {
    const id = await authenticate(req);
    const c = requireCache();
    const schema = pickSchema(req, 'GET');
    const executable = await executableBy(id.role, c, schema);
    reply.type('application/json; charset=utf-8');
    return reply.send(JSON.stringify(openapi31(c, schema, executable, baseUrl(req))));
  });
  await registerDocs(app);
  // GET /events: the change feed as Server-Sent Events (src/events/sse.ts)
  registerEventStream(app, {
    databaseUrl: s.databaseUrl, prepare: s.preparedStatements, anonRole: s.anonRole, allowedRoles: s.allowedRoles,
    authenticate, sendError: (reply, e) => sendError(reply, toApiError(e, false)),
  });

  app.all('/', (req, reply) => handle(req, reply));
  app.all('/*', (req, reply) => handle(req, reply));

  function routeLabel(url: string): string {
    const p = url.split('?')[0]!;
    if (OPS_PATHS.has(p) || p === '/') return p;
    if (p.startsWith('/docs')) return '/docs';
    return 'other';
  }

  function requireCache(): SchemaCache {
    if (!cache) throw pgrst.noSchemaCache();
    return cache;
  }

  function baseUrl(req: FastifyRequest): string {
    if (s.openapiServerUrl) return s.openapiServerUrl.replace(/\/$/, '');
    const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? req.protocol;
    return `${proto}://${req.headers.host ?? 'localhost'}`;
  }

  // ---- authentication ----
  async function authenticate(req: FastifyRequest): Promise<Identity> {
    const h = req.headers.authorization;
    let claims: Claims | null = null;
    if (h !== undefined) {
      const m = /^\s*bearer(?:\s+(.*?))?\s*$/is.exec(h);
      if (m) {
        const token = m[1] ?? '';
        if (token === '') throw pgrst.jwt('Empty JWT is sent in Authorization header');
        claims = await jwt.verify(token);
      }
    }
    let role: string | undefined;
    if (claims) role = roleFromClaims(claims, roleClaim);
    role ??= s.anonRole ?? undefined;
    if (role === undefined) throw pgrst.anonDisabled();
    (req as FastifyRequest & { roleName: string }).roleName = role;
    return { role, claims: { ...(claims ?? {}), role }, authenticated: role !== s.anonRole };
  }

  /** Functions of `schema` the role may execute (OpenAPI's follow-privileges mode); null: all. */
  async function executableBy(role: string, c: SchemaCache, schema: string): Promise<Set<number> | null> {
    if (s.openapiMode === 'ignore-privileges') return null;
    const oids = c.catalog.functions.filter((f) => f.schema === schema).map((f) => f.oid);
    if (!c.roles.has(role)) return new Set();
    try {
      const rows = await meta.unsafe<{ oid: string }[]>(
        `select p.oid::int8::text as oid from pg_catalog.pg_proc p where p.oid = any($1::oid[])
            and pg_catalog.has_function_privilege($2::name, p.oid, 'EXECUTE')
            and pg_catalog.has_schema_privilege($2::name, p.pronamespace, 'USAGE')`,
        [oids, role],
      );
      return new Set(rows.map((r) => Number(r.oid)));
    } catch (e) {
      throw isPgError(e) ? fromPgError(e, true) : transportError(e);
    }
  }

  function pickSchema(req: FastifyRequest, method: string): string {
    const header = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'accept-profile' : 'content-profile';
    const v = req.headers[header];
    const name = Array.isArray(v) ? v[0] : v;
    if (name === undefined) return s.schemas[0]!;
    if (!s.schemas.includes(name)) throw pgrst.invalidSchema(name, s.schemas);
    return name;
  }

  // ---- the request pipeline (contract §12 gives the order of checks) ----
  async function handle(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      return await route(req, reply);
    } catch (e) {
      return sendError(reply, toApiError(e, false));
    }
  }

  function toApiError(e: unknown, authenticated: boolean): ApiError {
    if (e instanceof ApiError) {
      // the database was unreachable: the LISTEN connection may be gone too
      if (e.code === 'PGRST000' || e.code === 'PGRST001') scheduleRelisten();
      return e;
    }
    if (isPgError(e)) return fromPgError(e, authenticated);
    scheduleRelisten();
    return transportError(e);
  }

  async function route(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const qs = q < 0 ? '' : req.url.slice(q + 1);
    const id = await authenticate(req);
    const segments = path.split('/').slice(1).map((x) => safeDecode(x));
    const method = req.method;
    if (path === '/' || path === '') {
      if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') throw pgrst.unsupportedMethod(method);
      const schema = pickSchema(req, method);
      if (method === 'OPTIONS') return reply.code(200).header('Allow', 'OPTIONS,GET,HEAD').send();
      if (s.openapiMode === 'disabled') throw pgrst.openapiDisabled();
      const media = negotiate(req.headers.accept, ['openapi']);
      if (!media) throw pgrst.mediaType(req.headers.accept ?? '');
      const c = requireCache();
      const executable = await executableBy(id.role, c, schema);
      const doc = JSON.stringify(openapi2(c, schema, executable, baseUrl(req)));
      reply.code(200).header('Content-Type', 'application/openapi+json; charset=utf-8');
      if (req.headers['accept-profile'] !== undefined || s.schemas.length > 1) reply.header('Content-Profile', schema);
      return method === 'HEAD' ? reply.send() : reply.send(doc);
    }
    if (segments.length > 2 || segments.some((x) => x === '')) throw pgrst.invalidPath();
    if (segments.length === 1) {
      const schema = pickSchema(req, method);
      if (!['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'].includes(method)) throw pgrst.unsupportedMethod(method);
      requireCache();
      throw pgrst.notFoundTable(schema, segments[0]!);
    }
    if (segments[0] !== 'rpc') throw pgrst.invalidPath();
    const fnName = segments[1]!;
    const schema = pickSchema(req, method);
    if (!['GET', 'HEAD', 'POST', 'OPTIONS'].includes(method)) throw pgrst.rpcMethod(method);
    return rpc(req, reply, id, schema, fnName, qs, method);
  }

  async function rpc(req: FastifyRequest, reply: FastifyReply, id: Identity, schema: string, fnName: string, qs: string, method: string): Promise<FastifyReply> {
    const isPost = method === 'POST';
    // query string: arguments (GET/HEAD/OPTIONS), filters, select, order, limit/offset, logic trees
    const params = new URLSearchParams(qs);
    const textArgs = new Map<string, string[]>();
    const conditions: Condition[] = [];
    let select: string | undefined;
    let order: string | undefined;
    let limit: number | null = null;
    let offset = 0;
    let columns: string[] | undefined;
    for (const [k, v] of params) {
      if (k === 'select') select = v;
      else if (k === 'order') order = v;
      else if (k === 'limit') limit = parseLimit(v, 'limit');
      else if (k === 'offset') {
        offset = parseLimit(v, 'offset')!;
        if (offset < 0) throw pgrst.parse(`"failed to parse offset (${v})" (line 1, column 1)`, 'expecting a non-negative integer');
      }
      else if (k === 'columns') columns = v.split(',').map((x) => x.trim()).filter(Boolean);
      else if (k === 'on_conflict') continue;
      else if (k === 'or' || k === 'and' || k === 'not.or' || k === 'not.and') {
        const neg = k.startsWith('not.');
        conditions.push(parseLogic(neg ? (k.slice(4) as 'and' | 'or') : (k as 'and' | 'or'), neg, v));
      } else if (RESERVED.has(k) || /(?:^|\.)(order|limit|offset|and|or)$/.test(k)) {
        continue; // embedded-resource parameters: nothing to embed in a function result
      } else if (isOperatorValue(v)) {
        conditions.push({ kind: 'filter', field: parseFieldText(k), expr: parseOpExpr(v) });
      } else if (isPost) {
        throw pgrst.parse(`"failed to parse filter (${v})" (line 1, column 1)`, `unexpected "${v[0] ?? ''}" expecting "not" or operator (eq, gt, ...)`);
      } else {
        const list = textArgs.get(k);
        if (list) list.push(v);
        else textArgs.set(k, [v]);
      }
    }
    const selectItems = select !== undefined && select !== '' ? parseSelect(select) : undefined;
    const orderTerms = order !== undefined && order !== '' ? parseOrder(order) : undefined;
    if (limit !== null && limit < 0) throw pgrst.range('Limit should be greater than or equal to zero.');
    // Range header (GET only), intersected with limit/offset
    let lower = offset;
    let upper = limit === null ? Infinity : offset + limit - 1;
    if (method === 'GET' && typeof req.headers.range === 'string') {
      const m = /^\s*(\d+)-(\d*)\s*$/.exec(req.headers.range.replace(/^items=/, ''));
      if (m) {
        const a = clampInt(Number(m[1]));
        const b = m[2] === '' ? Infinity : clampInt(Number(m[2]));
        if (a > b) throw pgrst.range('The lower boundary must be lower than or equal to the upper boundary in the Range header.');
        lower = Math.max(lower, a);
        upper = Math.min(upper, b);
      }
    }
    if (s.maxRows !== null) upper = Math.min(upper, lower + s.maxRows - 1);
    const effLimit = upper === Infinity ? null : Math.max(0, upper - lower + 1);

    // body
    let args: CallArgs;
    let bodyKind: BodyKind = 'none';
    let keys: string[];
    if (isPost) {
      const parsed = parseBody(req, columns);
      args = parsed.args;
      bodyKind = parsed.kind;
      keys = parsed.keys;
    } else {
      keys = [...textArgs.keys()];
      args = keys.length ? { kind: 'text', values: textArgs } : { kind: 'none' };
    }
    const c = requireCache();
    // metric label: only names that exist, so unknown paths cannot grow the label set
    (req as FastifyRequest & { fnLabel: string }).fnLabel = c.routines.has(routineKey(schema, fnName)) ? fnName : 'unknown';
    const res = resolveRoutine(c, schema, fnName, keys, isPost, bodyKind);
    const r = res.routine;
    if (res.fallback && args.kind === 'json') args = { kind: 'json', raw: args.raw, array: false, keys: [] };

    if (method === 'OPTIONS') {
      return reply.code(200).header('Allow', r.fn.volatility === 'volatile' ? 'OPTIONS,POST' : 'OPTIONS,GET,HEAD,POST').send();
    }
    if (args.kind === 'text') {
      // query-string and form values for json/jsonb parameters: the same depth limit as JSON bodies
      for (const p of r.params) {
        if (!holdsJson(p.typeOid, c.catalog.types)) continue;
        for (const v of args.values.get(p.name) ?? []) checkJsonDepth(v, s.maxJsonDepth, `argument ${p.name}`);
      }
    }

    // planning: select/filters/order against the result's columns, Accept, Prefer
    const planner = new Planner(r, c.catalog.types, s.maxJsonDepth);
    const media = negotiate(req.headers.accept, ['json', 'singular', 'csv']);
    if (!media) throw pgrst.mediaType(req.headers.accept ?? '');
    const prefs = parsePrefer(req.headers.prefer);
    const strict = prefs.handling === 'strict';
    if (strict && prefs.invalid.length) throw pgrst.strictPrefs(prefs.invalid);
    const maxAffected = strict && prefs.maxAffected !== undefined ? prefs.maxAffected : undefined;
    if (maxAffected !== undefined && !r.returnsSet) throw pgrst.maxAffectedNotSetof();
    const wantCount = prefs.count === 'exact' || prefs.count === 'estimated';
    const shape: Shape = { select: selectItems, order: orderTerms, conditions, offset: lower, limit: effLimit, count: wantCount, media };
    const values = new Params();
    const call = callSql(r, args, c.catalog.types, values);
    const main = planner.statement(call, shape, values);

    // transaction end
    const allowOverride = s.txEnd === 'commit-allow-override' || s.txEnd === 'rollback-allow-override';
    let rollback = s.txEnd === 'rollback' || s.txEnd === 'rollback-allow-override';
    let txApplied: string | undefined;
    if (allowOverride && prefs.tx) {
      rollback = prefs.tx === 'rollback';
      txApplied = `tx=${prefs.tx}`;
    }
    const singularCheck = media.kind === 'singular' && r.returnsSet;
    const postCheck = singularCheck || maxAffected !== undefined;

    // the role: refused here as Postgres would refuse a role the authenticator cannot switch to
    if (s.allowedRoles.length > 0 && !s.allowedRoles.includes(id.role)) {
      if (!c.roles.has(id.role)) throw new ApiError(401, '22023', `role "${id.role}" does not exist`, null, null, { 'WWW-Authenticate': 'Bearer' });
      throw new ApiError(403, '42501', `permission denied to set role "${id.role}"`);
    }

    const readOnly = !isPost || r.fn.volatility !== 'volatile';
    const isolation = r.fn.settings.default_transaction_isolation !== undefined && s.hoistedTxSettings.includes('default_transaction_isolation')
      ? r.fn.settings.default_transaction_isolation
      : c.roleSettings.get(id.role)?.find(([k]) => k === 'default_transaction_isolation')?.[1];
    const begin = `BEGIN${isolation ? ` ISOLATION LEVEL ${isolationSql(isolation)}` : ''}${readOnly ? ' READ ONLY' : ''}`;

    const check = (row: Row): void => {
      const pageTotal = Number(row.page_total ?? 0);
      if (singularCheck && pageTotal !== 1) throw pgrst.singular(pageTotal);
      if (maxAffected !== undefined && pageTotal > maxAffected) throw pgrst.maxAffected(pageTotal);
    };

    let row: Row;
    try {
      row = await pool.run({
        begin,
        settings: { text: SETTINGS_SQL, params: [JSON.stringify(requestSettings(req, id, c, r, schema, prefs))] },
        pre: preRequest ? { text: `SELECT ${preRequest}()` } : undefined,
        main: { text: main.text, params: main.params },
        // known in advance: sent with the rest (one round trip); a check that may undo a write: decided after the result
        end: rollback ? 'rollback' : postCheck && !readOnly ? () => 'commit' : 'commit',
        check: postCheck ? check : undefined,
      });
    } catch (e) {
      throw toApiError(e, id.authenticated);
    }
    if (main.rename && row.body != null) row.body = renameRowKeys(String(row.body), main.rename, media.kind === 'singular' || !r.returnsSet);
    return respond(req, reply, r, row, { method, media, prefs, lower, schema, txApplied, maxAffected, wantCount });
  }

  function parseLimit(v: string, what: string): number | null {
    if (/^-?\d+$/.test(v.trim())) return clampInt(Number(v));
    throw pgrst.parse(`"failed to parse ${what} (${v})" (line 1, column 1)`, 'expecting an integer');
  }

  function parseBody(req: FastifyRequest, columns: string[] | undefined): { args: CallArgs; kind: BodyKind; keys: string[] } {
    const buf = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
    const ctRaw = req.headers['content-type'];
    const ct = (ctRaw ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    if (ct === 'application/json' || ct === '' || ct.endsWith('+json')) {
      const raw = buf.toString('utf8');
      if (raw.trim() === '') return { args: columns ? { kind: 'json', raw: '{}', array: false, keys: columns } : { kind: 'none' }, kind: 'json', keys: columns ?? [] };
      // before anything parses it: Postgres' JSON parser recurses (54001 "stack depth limit exceeded")
      checkJsonDepth(raw, s.maxJsonDepth, 'the request body');
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        throw pgrst.invalidBody('Empty or invalid json');
      }
      let keys: string[] = [];
      let array = false;
      if (Array.isArray(v)) {
        array = true;
        const isObj = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
        if (v.length > 0 && v.some(isObj)) {
          if (!v.every(isObj)) throw pgrst.invalidBody('All object keys must match');
          const first = Object.keys(v[0] as object).sort().join('\u0000');
          for (const x of v) if (Object.keys(x as object).sort().join('\u0000') !== first) throw pgrst.invalidBody('All object keys must match');
          keys = Object.keys(v[0] as object);
        }
      } else if (typeof v === 'object' && v !== null) {
        keys = Object.keys(v);
      }
      if (columns) keys = columns;
      return { args: { kind: 'json', raw, array, keys }, kind: 'json', keys };
    }
    if (ct === 'application/x-www-form-urlencoded') {
      const values = new Map<string, string[]>();
      for (const [k, val] of new URLSearchParams(buf.toString('utf8'))) {
        const l = values.get(k);
        if (l) l.push(val);
        else values.set(k, [val]);
      }
      const keys = [...values.keys()];
      return { args: keys.length ? { kind: 'text', values } : { kind: 'none' }, kind: 'form', keys };
    }
    if (ct === 'text/csv') {
      const [header, first] = parseCsv(buf.toString('utf8'));
      const values = new Map<string, string[]>();
      (header ?? []).forEach((h, i) => values.set(h, [first?.[i] ?? '']));
      const keys = [...values.keys()];
      return { args: keys.length ? { kind: 'text', values } : { kind: 'none' }, kind: 'form', keys };
    }
    if (ct === 'text/plain') return { args: { kind: 'raw', text: buf.toString('utf8') }, kind: 'text', keys: [] };
    if (ct === 'text/xml') return { args: { kind: 'raw', text: buf.toString('utf8') }, kind: 'xml', keys: [] };
    if (ct === 'application/octet-stream') return { args: { kind: 'raw', bytes: buf }, kind: 'bytea', keys: [] };
    throw pgrst.invalidBody(`Content-Type not acceptable: ${ct}`);
  }

  /**
   * The request context (contract §4.3) as (name, value) pairs in PostgREST's order, applied by
   * SETTINGS_SQL with set_config(…, true): every value — claims, headers, cookies, path, role — is data.
   */
  function requestSettings(req: FastifyRequest, id: Identity, c: SchemaCache, r: Routine, schema: string, prefs: Preferences): [string, string][] {
    const out: [string, string][] = [];
    out.push(['search_path', [schema, ...s.extraSearchPath].map(ident).join(', ')]);
    if (s.statementTimeoutMs > 0) out.push(['statement_timeout', `${s.statementTimeoutMs}ms`]);
    for (const [k, v] of c.roleSettings.get(id.role) ?? []) if (k !== 'default_transaction_isolation') out.push([k, v]);
    out.push(['role', id.role]);
    out.push(['request.jwt.claims', JSON.stringify(id.claims)]);
    out.push(['request.method', req.method]);
    out.push(['request.path', req.url.split('?')[0]!]);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === 'cookie' || v === undefined) continue;
      headers[k] = Array.isArray(v) ? v[v.length - 1]! : v;
    }
    headers['x-request-id'] = req.id; // the id this response carries (generated when the client sent none): the audit trail records it
    out.push(['request.headers', JSON.stringify(headers)]);
    out.push(['request.cookies', JSON.stringify(parseCookies(req.headers.cookie))]);
    if (prefs.timezone) out.push(['timezone', prefs.timezone]);
    for (const k of s.hoistedTxSettings) {
      const v = r.fn.settings[k];
      if (v !== undefined && k !== 'default_transaction_isolation') out.push([k, v]);
    }
    for (const [k, v] of Object.entries(s.appSettings)) out.push([k, v]);
    return out;
  }

  function respond(req: FastifyRequest, reply: FastifyReply, r: Routine, row: Row, o: {
    method: string; media: Media; prefs: Preferences; lower: number; schema: string; txApplied?: string; maxAffected?: number; wantCount: boolean;
  }): FastifyReply {
    const pageTotal = Number(row.page_total ?? 0);
    const total = row.total == null ? null : Number(row.total);
    const lower = o.lower;
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
    // response.status / response.headers set from SQL
    const extra: [string, string][] = [];
    if (row.response_headers != null) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(row.response_headers));
      } catch {
        throw pgrst.responseHeaders();
      }
      if (!Array.isArray(parsed)) throw pgrst.responseHeaders();
      for (const h of parsed) {
        if (typeof h !== 'object' || h === null || Array.isArray(h)) throw pgrst.responseHeaders();
        const entries = Object.entries(h as Record<string, unknown>);
        if (entries.length !== 1 || typeof entries[0]![1] !== 'string') throw pgrst.responseHeaders();
        extra.push([entries[0]![0], entries[0]![1] as string]);
      }
    }
    if (row.response_status != null) {
      const t = String(row.response_status).trim();
      if (!/^\d+$/.test(t) || Number(t) < 100 || Number(t) > 599) throw pgrst.responseStatus();
      status = Number(t);
    }
    const applied: string[] = [];
    if (o.prefs.count) applied.push(`count=${o.prefs.count}`);
    if (o.txApplied) applied.push(o.txApplied);
    if (o.prefs.handling) applied.push(`handling=${o.prefs.handling}`);
    if (o.prefs.timezone) applied.push(`timezone=${o.prefs.timezone}`);
    if (o.maxAffected !== undefined) applied.push(`max-affected=${o.maxAffected}`);

    reply.code(status);
    reply.header('Content-Range', `${rangeText}/${totalText}`);
    if (applied.length) reply.header('Preference-Applied', applied.join(', '));
    reply.header('Vary', 'Accept, Prefer, Range');
    const hasBody = r.kind !== 'void';
    if (hasBody) {
      reply.header('Content-Type', o.media.kind === 'csv' ? 'text/csv; charset=utf-8'
        : o.media.kind === 'singular' ? 'application/vnd.pgrst.object+json; charset=utf-8' : 'application/json; charset=utf-8');
      if (req.headers[o.method === 'POST' ? 'content-profile' : 'accept-profile'] !== undefined || s.schemas.length > 1) {
        reply.header('Content-Profile', o.schema);
      }
    }
    const seen = new Set<string>();
    for (const [k, v] of extra) {
      const lk = k.toLowerCase();
      if (!seen.has(lk)) {
        reply.removeHeader(k);
        seen.add(lk);
      }
      const prev = reply.getHeader(k);
      if (prev === undefined || lk === 'set-cookie') reply.header(k, v); // fastify appends set-cookie itself
      else reply.header(k, [...(Array.isArray(prev) ? prev.map(String) : [String(prev)]), v]);
    }
    if (!hasBody || o.method === 'HEAD' || status === 204 || status === 304) return reply.send();
    return reply.send(String(row.body ?? ''));
  }

  function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
    reply.code(e.status);
    reply.header('Content-Type', 'application/json; charset=utf-8');
    reply.header('Proxy-Status', `PostgREST; error=${e.code}`);
    for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    if (reply.request.method === 'HEAD') return reply.send();
    return reply.send(JSON.stringify(e.body()));
  }

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    if (reloadTimer) clearTimeout(reloadTimer);
    if (retryTimer) clearTimeout(retryTimer);
    if (listenTimer) clearTimeout(listenTimer);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, s.shutdownTimeoutMs).unref());
    // in-flight requests finish (their connections close after the response); idle keep-alive
    // connections are closed as soon as they are idle
    const sweep = setInterval(() => app.server.closeIdleConnections?.(), 25);
    try {
      await Promise.race([app.close(), grace]);
    } finally {
      clearInterval(sweep);
      app.server.closeAllConnections?.();
    }
    if (unlisten) await unlisten().catch(() => {});
    await Promise.all([pool.end(5), meta.end({ timeout: 5 })]);
    stdoutLog.flush();
  }

  return {
    app,
    async listen(port: number, host: string) {
      const addr = await app.listen({ port, host });
      return addr.replace('[::1]', 'localhost');
    },
    close,
    reload,
  };
}

/** Log lines are collected and written once per tick: one write(2) for many requests under load. */
function bufferedStdout(): { write(line: string): void; flush(): void } {
  let buf: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buf.length === 0) return;
    const out = buf.join('');
    buf = [];
    process.stdout.write(out);
  };
  return {
    write(line: string) {
      buf.push(line);
      if (buf.length >= 256) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** Limits, offsets and ranges stay safe integers (sent as plain digits: bigint parameters never see an exponent). */
function clampInt(n: number): number {
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
}

function isolationSql(v: string): string {
  const x = v.trim().toLowerCase().replace(/[-_]/g, ' ');
  if (x === 'serializable') return 'SERIALIZABLE';
  if (x === 'repeatable read') return 'REPEATABLE READ';
  if (x === 'read uncommitted') return 'READ UNCOMMITTED';
  return 'READ COMMITTED';
}

const LOG_LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

function preRequestSql(name: string): string {
  const i = name.indexOf('.');
  return i < 0 ? ident(name) : qualified(name.slice(0, i), name.slice(i + 1));
}

function safeDecode(x: string): string {
  try {
    return decodeURIComponent(x);
  } catch {
    return x;
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
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

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      row.push(cur);
      cur = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cur);
      rows.push(row);
      row = [];
      cur = '';
    } else cur += ch;
  }
  if (cur !== '' || row.length) {
    row.push(cur);
    rows.push(row);
  }
  return rows;
}
