// The request pipeline, step by step as PostgREST's App.postgrestResponse: Auth → ApiRequest → Plan →
// Query → MainTx → Response. Each step is its own module with a typed value in and out; this file
// only chains them and turns whatever fails into the error response.
import type { Sql } from 'postgres';
import { authorizeRole, type Authenticator } from './auth.ts';
import { routineKey, type SchemaCache } from './cache.ts';
import { ApiError, fromPgError, isPgError, pgrst } from './errors.ts';
import { renameRowKeys } from './jsonraw.ts';
import { acceptedText, negotiate } from './media-type.ts';
import { openapi2, openapi31 } from './openapi.ts';
import { callPlan } from './plan.ts';
import { transportError, type GatewayPool, type Row } from './pool.ts';
import { mainStatement } from './query.ts';
import type { RateCheck } from './rate-limit.ts';
import { parseApiRequest, pickSchema, type ApiRequest, type RawRequest } from './request.ts';
import { callResponse, errorResponse, infoResponse, openapiResponse, type HttpResponse } from './response.ts';
import type { GatewaySettings } from './settings.ts';
import { mainTx } from './tx.ts';

/** What the pipeline runs against. */
export interface AppContext {
  settings: GatewaySettings;
  auth: Authenticator;
  pool: GatewayPool;
  /** the direct connection (schema cache, privileges for OpenAPI) */
  meta: Sql;
  /** the schema cache in use; null until the first load succeeds */
  cache(): SchemaCache | null;
  /** the database looked unreachable: the LISTEN connection may be gone too */
  connectionTrouble(): void;
  /** request rates per client (429 beyond); null: no limits */
  rateCheck?: RateCheck | null;
}

/** What a request's log line and metrics record, filled in as the pipeline learns it. */
export interface RequestTrace {
  /** the function called: only names that exist (else `unknown`), so the metric label set stays bounded */
  fn?: string;
  role?: string;
}

export async function postgrestResponse(ctx: AppContext, raw: RawRequest, trace: RequestTrace): Promise<HttpResponse> {
  try {
    return await pipeline(ctx, raw, trace);
  } catch (e) {
    return errorResponse(toApiError(ctx, e, false), raw.method);
  }
}

async function pipeline(ctx: AppContext, raw: RawRequest, trace: RequestTrace): Promise<HttpResponse> {
  const s = ctx.settings;
  const identity = await ctx.auth.authenticate(raw.headers.authorization);
  trace.role = identity.role;
  if (ctx.rateCheck) await ctx.rateCheck(raw.ip, identity);
  const req = parseApiRequest(raw, s);
  const action = req.action;
  switch (action.kind) {
    case 'schemaInfo':
      return infoResponse('OPTIONS,GET,HEAD');
    case 'openapi': {
      if (s.openapiMode === 'disabled') throw pgrst.openapiDisabled();
      if (!negotiate(req.accept, ['openapi'])) throw pgrst.mediaType(acceptedText(req.accept));
      const cache = requireCache(ctx);
      const executable = await executableBy(ctx, identity.role, cache, req.schema);
      return openapiResponse(req, action.headersOnly ? null : JSON.stringify(openapi2(cache, req.schema, executable, baseUrl(s, raw))));
    }
    case 'relation':
      requireCache(ctx);
      throw pgrst.notFoundTable(req.schema, action.name);
    case 'routine': {
      const cache = requireCache(ctx);
      trace.fn = cache.routines.has(routineKey(req.schema, action.name)) ? action.name : 'unknown';
      const plan = callPlan(req, action, cache, s);
      if (plan.kind === 'info') return infoResponse(plan.allow);
      const main = mainStatement(plan, cache.catalog.types, s.maxJsonDepth);
      authorizeRole(identity, s.allowedRoles, cache.roles);
      let row: Row;
      try {
        row = await ctx.pool.run(mainTx({ request: req, identity, plan, main, cache }, s), { anon: !identity.authenticated, onGone: raw.onGone });
      } catch (e) {
        throw toApiError(ctx, e, identity.authenticated);
      }
      if (main.rename && row.body != null) row.body = renameRowKeys(String(row.body), main.rename, plan.media.kind === 'singular' || !plan.routine.returnsSet);
      return callResponse(req, plan, row);
    }
  }
}

/**
 * `/openapi.json` (an extension): the OpenAPI 3.1 document of the schema the caller chose, listing what
 * the caller may execute. Errors are the HTTP layer's to answer.
 */
export async function openapiJson(ctx: AppContext, raw: RawRequest, trace: RequestTrace): Promise<HttpResponse> {
  const identity = await ctx.auth.authenticate(raw.headers.authorization);
  trace.role = identity.role;
  const cache = requireCache(ctx);
  const schema = pickSchema(raw.headers, 'GET', ctx.settings.schemas);
  const executable = await executableBy(ctx, identity.role, cache, schema);
  const doc = openapi31(cache, schema, executable, baseUrl(ctx.settings, raw));
  return { status: 200, headers: [['Content-Type', 'application/json; charset=utf-8']], body: JSON.stringify(doc) };
}

function requireCache(ctx: AppContext): SchemaCache {
  const c = ctx.cache();
  if (!c) throw pgrst.noSchemaCache();
  return c;
}

export function toApiError(ctx: AppContext, e: unknown, authenticated: boolean): ApiError {
  if (e instanceof ApiError) {
    if (e.code === 'PGRST000' || e.code === 'PGRST001') ctx.connectionTrouble();
    return e;
  }
  if (isPgError(e)) return fromPgError(e, authenticated);
  ctx.connectionTrouble();
  return transportError(e);
}

function baseUrl(s: GatewaySettings, raw: RawRequest): string {
  if (s.openapiServerUrl) return s.openapiServerUrl.replace(/\/$/, '');
  const proto = (raw.headers['x-forwarded-proto'] as string | undefined) ?? raw.protocol ?? 'http';
  return `${proto}://${raw.headers.host ?? 'localhost'}`;
}

/** Functions of `schema` the role may execute (OpenAPI's follow-privileges mode); null: all. */
async function executableBy(ctx: AppContext, role: string, c: SchemaCache, schema: string): Promise<Set<number> | null> {
  if (ctx.settings.openapiMode === 'ignore-privileges') return null;
  const oids = c.catalog.functions.filter((f) => f.schema === schema).map((f) => f.oid);
  if (!c.roles.has(role)) return new Set();
  try {
    const rows = await ctx.meta.unsafe<{ oid: string }[]>(
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
