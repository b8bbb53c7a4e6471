// The HTTP layer: fastify wiring — request ids, CORS, the request log and metrics, body limit and parser
// errors, the operations routes (/health, /ready, /metrics with a token, /openapi.json, /docs) — and every other path
// handed to the request pipeline (app.ts), whose HttpResponse is sent as is.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { openapiJson, postgrestResponse, toApiError, type AppContext, type RequestTrace } from './app.ts';
import { registerEventStream } from '../events/sse.ts';
import { ApiError, pgrst } from './errors.ts';
import type { LogLine } from './log.ts';
import type { GatewayMetrics } from './metrics.ts';
import { METRICS_UNAUTHORIZED, metricsTokenCheck } from './metrics-access.ts';
import { registerDocs } from './openapi.ts';
import { createRateCheck } from './rate-limit.ts';
import type { GoneHook } from './pool.ts';
import type { RawRequest } from './request.ts';
import { errorResponse, type HttpResponse } from './response.ts';

export interface HttpContext extends AppContext {
  metrics: GatewayMetrics;
  log: ((line: LogLine) => void) | null;
  /** shutting down: finished requests close their connection, /ready is 503 */
  closing(): boolean;
  /** the database answered `select 1` within the readiness timeout */
  databaseReady(): Promise<boolean>;
}

const OPS_PATHS = new Set(['/health', '/ready', '/metrics', '/openapi.json']);
const EXPOSE_HEADERS = 'Content-Encoding, Content-Location, Content-Range, Content-Type, Content-Profile, Date, Location, Server, Transfer-Encoding, Range-Unit, Preference-Applied, X-Request-Id, Retry-After';
const DEFAULT_ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Accept-Language, Content-Language, Accept-Profile, Content-Profile, Prefer, Range, Range-Unit, X-Request-Id, X-Client-Info, apikey';

declare module 'fastify' {
  interface FastifyRequest {
    trace: RequestTrace;
  }
}

export async function createHttpApp(ctx: HttpContext): Promise<FastifyInstance> {
  const s = ctx.settings;
  const app = Fastify({
    logger: false,
    bodyLimit: s.maxBodyBytes,
    // slow clients: a request (headers and body) must arrive in time, else Node answers 408 and closes the
    // connection; what a connection buffers is bounded by Node's header limit (16 KB) and bodyLimit
    requestTimeout: s.requestTimeoutMs,
    trustProxy: (s.trustProxy ?? false) as boolean, // (a number or address list too: fastify's overloads do not take the union)
    http: {
      headersTimeout: headersTimeout(s),
      // how often Node looks for requests past their timeouts (its default, 30 s, would let them run late)
      connectionsCheckingInterval: checkInterval(s),
    },
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
  if (s.maxConnections > 0) app.server.maxConnections = s.maxConnections;
  ctx.rateCheck = await createRateCheck(app, s);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.decorateRequest('trace', null as unknown as RequestTrace);
  app.addHook('onRequest', (req, reply, done) => {
    req.trace = {};
    reply.header('X-Request-Id', req.id);
    if (cors(req, reply, s.corsOrigins)) return; // a preflight, answered
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    // while shutting down, finished requests give their connection back instead of keeping it alive
    if (ctx.closing()) reply.header('Connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const trace = req.trace ?? {};
    const fn = trace.fn || routeLabel(req.url);
    ctx.metrics.observe(fn, req.method, reply.statusCode, reply.elapsedTime / 1000);
    ctx.log?.({
      time: new Date().toISOString(), level: 'info', reqId: req.id, method: req.method, path: req.url.split('?')[0],
      function: trace.fn || undefined, role: trace.role || undefined,
      status: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 100) / 100,
    });
    done();
  });
  app.setErrorHandler((err, req, reply) => {
    const e = err as Error & { code?: string; statusCode?: number };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, errorResponse(pgrst.bodyTooLarge(s.maxBodyBytes), req.method));
    if (e instanceof ApiError) return send(reply, errorResponse(e, req.method));
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return send(reply, errorResponse(new ApiError(e.statusCode, 'PGRST102', e.message), req.method));
    }
    ctx.log?.({ time: new Date().toISOString(), level: 'error', msg: 'unhandled', error: e.message, stack: e.stack });
    return send(reply, errorResponse(new ApiError(500, 'PGRST000', 'Internal gateway error', null, null), req.method));
  });
  app.setNotFoundHandler((req, reply) => send(reply, errorResponse(pgrst.unsupportedMethod(req.method), req.method)));

  // ---- operations ----
  app.get('/health', async (_req, reply) => reply.code(200).type('application/json').send('{"status":"ok"}'));
  // readiness: the database answers within LOTLINE_READY_TIMEOUT_MS on a connection of its own (a short
  // connect timeout), so /ready answers within about that even while the database is down
  app.get('/ready', async (_req, reply) => {
    const db = await ctx.databaseReady();
    const cache = ctx.cache();
    const ok = db && cache !== null && !ctx.closing();
    reply.code(ok ? 200 : 503).type('application/json');
    if (!ok) reply.header('Retry-After', '1');
    return reply.send(JSON.stringify({ status: ok ? 'ready' : 'unavailable', database: db, schemaCache: cache !== null, loadedAt: cache?.loadedAt ?? null }));
  });
  // on the API port only with a token (else it is an unknown path); LOTLINE_METRICS_PORT serves it apart
  const metricsAllowed = metricsTokenCheck(s.metricsToken);
  if (metricsAllowed) {
    app.get('/metrics', async (req, reply) => {
      if (!metricsAllowed(req.headers.authorization)) {
        return reply.code(401).type('application/json; charset=utf-8').header('WWW-Authenticate', 'Bearer realm="metrics"').send(METRICS_UNAUTHORIZED);
      }
      reply.type(ctx.metrics.registry.contentType);
      return reply.send(await ctx.metrics.registry.metrics());
    });
  }
  app.get('/openapi.json', async (req, reply) => send(reply, await openapiJson(ctx, rawRequest(req), req.trace)));
  await registerDocs(app);
  // GET /events: the change feed as Server-Sent Events (src/events/sse.ts)
  registerEventStream(app, {
    databaseUrl: s.databaseUrl, prepare: s.preparedStatements, anonRole: s.anonRole, allowedRoles: s.allowedRoles,
    authenticate: (req) => ctx.auth.authenticate(req.headers.authorization),
    sendError: (reply, e) => send(reply, errorResponse(toApiError(ctx, e, false), reply.request.method)),
  });

  // ---- the API ----
  const api = async (req: FastifyRequest, reply: FastifyReply) => send(reply, await postgrestResponse(ctx, rawRequest(req, reply.raw), req.trace));
  app.all('/', api);
  app.all('/*', api);
  return app;
}

function headersTimeout(s: HttpContext['settings']): number {
  return s.requestTimeoutMs > 0 ? Math.min(s.headersTimeoutMs, s.requestTimeoutMs) : s.headersTimeoutMs;
}

function checkInterval(s: HttpContext['settings']): number {
  const shortest = Math.min(...[s.requestTimeoutMs, s.headersTimeoutMs].filter((x) => x > 0), 4000);
  return Math.max(50, Math.floor(shortest / 4));
}

function rawRequest(req: FastifyRequest, res?: ServerResponse): RawRequest {
  // x-request-id: the id this response carries (made up when the client sent none): request.headers, so the audit trail records it
  return { method: req.method, url: req.url, headers: { ...req.headers, 'x-request-id': req.id }, body: req.body as Buffer | undefined, protocol: req.protocol, ip: req.ip, onGone: res && goneHook(res) };
}

/** The response's connection closed before the answer was written: the client went away. */
function goneHook(res: ServerResponse): GoneHook {
  return (fn) => {
    const closed = () => {
      if (!res.writableFinished) fn();
    };
    res.once('close', closed);
    return () => res.off('close', closed);
  };
}

/** Sends a pipeline response: its headers replace those set earlier (request id, CORS) by name; its defaults do not. */
function send(reply: FastifyReply, res: HttpResponse): FastifyReply {
  reply.code(res.status);
  if (res.statusText !== undefined) reply.raw.statusMessage = res.statusText;
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const [k, v] of res.headers) {
    const e = byName.get(k.toLowerCase());
    if (e) e.values.push(v);
    else byName.set(k.toLowerCase(), { name: k, values: [v] });
  }
  for (const { name, values } of byName.values()) {
    reply.removeHeader(name);
    reply.header(name, values.length === 1 ? values[0] : values);
  }
  for (const [k, v] of res.defaults ?? []) if (!reply.hasHeader(k)) reply.header(k, v);
  return res.body === undefined ? reply.send() : reply.send(res.body);
}

/**
 * CORS for an allowed `Origin` (`*`: any): the allow/expose headers, and a preflight (OPTIONS with
 * `Access-Control-Request-Method`) answered here. Returns true when the reply was sent.
 */
function cors(req: FastifyRequest, reply: FastifyReply, origins: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const any = origins.includes('*');
  if (!any && !origins.includes(origin)) return false;
  reply.header('Access-Control-Allow-Origin', any ? '*' : origin);
  if (!any) reply.header('Vary', 'Origin');
  reply.header('Access-Control-Expose-Headers', EXPOSE_HEADERS);
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  reply.header('Access-Control-Allow-Methods', 'GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD');
  reply.header('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? DEFAULT_ALLOW_HEADERS);
  reply.header('Access-Control-Max-Age', '86400');
  reply.code(200).send();
  return true;
}

function routeLabel(url: string): string {
  const p = url.split('?')[0]!;
  if (OPS_PATHS.has(p) || p === '/') return p;
  if (p.startsWith('/docs')) return '/docs';
  return 'other';
}
