// OpenAPI documents: Swagger 2.0 at `/` shaped as PostgREST serves it, OpenAPI 3.1 at
// /openapi.json (arguments, types, defaults, results, comments), and a swagger-ui page at /docs
// served from swagger-ui-dist (no CDN).
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { PgType } from '../catalog/introspect.ts';
import { jsonType } from '../catalog/pg-types.ts';
import type { Routine, SchemaCache } from './cache.ts';

type Json = Record<string, unknown>;

const PRODUCES = ['application/json', 'application/vnd.pgrst.object+json;nulls=stripped', 'application/vnd.pgrst.object+json', 'text/csv'];

function routinesOf(c: SchemaCache, schema: string, executable: Set<number> | null): Routine[] {
  const out: Routine[] = [];
  const names = [...c.routines.entries()]
    .filter(([k]) => k.startsWith(schema + '\u0000'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, list] of names) {
    // overloads collapse into one path: the first executable overload is described
    const r = list.find((x) => executable === null || executable.has(x.fn.oid));
    if (r) out.push(r);
  }
  return out;
}

function splitComment(comment: string | null): { summary?: string; description?: string } {
  if (!comment) return {};
  const i = comment.indexOf('\n');
  if (i < 0) return { summary: comment };
  const rest = comment.slice(i + 1).trim();
  return { summary: comment.slice(0, i).trim(), ...(rest ? { description: rest } : {}) };
}

/** Swagger 2.0 type of a Postgres type, as PostgREST writes it (`format`: the Postgres type). `inQuery`: arrays and json are strings. */
function swaggerType(types: Map<number, PgType>, oid: number, inQuery: boolean): Json {
  const j = jsonType(types, oid);
  if (!j) return { type: 'string' };
  const format = j.type.formatted;
  switch (j.kind) {
    case 'array':
      return inQuery ? { type: 'string', format } : { type: 'array', items: swaggerType(types, j.elemOid, false), format };
    case 'integer':
      return { type: 'integer', format: j.bits === 64 ? 'int64' : 'int32' };
    case 'number':
      return { type: 'number', format };
    case 'boolean':
      return { type: 'boolean', format: 'boolean' };
    case 'json':
      return inQuery ? { type: 'string', format: j.type.name } : { format: j.type.name };
    case 'enum':
      return { type: 'string', format, enum: j.type.enumLabels };
    case 'composite':
      return inQuery ? { type: 'string', format } : { type: 'object', format };
    default:
      return { type: 'string', format };
  }
}

export function openapi2(c: SchemaCache, schema: string, executable: Set<number> | null, base: string): Json {
  const url = new URL(base);
  const comment = c.schemaComments.get(schema) ?? null;
  const info = comment ? splitComment(comment) : {};
  const paths: Json = {
    '/': {
      get: {
        tags: ['Introspection'],
        summary: 'OpenAPI description (this document)',
        produces: ['application/openapi+json', 'application/json'],
        responses: { 200: { description: 'OK' } },
      },
    },
  };
  for (const r of routinesOf(c, schema, executable)) {
    const { summary, description } = splitComment(r.fn.description);
    const doc = { tags: [`(rpc) ${r.name}`], ...(summary ? { summary } : {}), ...(description ? { description } : {}) };
    const named = r.params.filter((p) => p.name !== '');
    const properties: Json = {};
    for (const p of named) properties[p.name] = swaggerType(c.catalog.types, p.typeOid, false);
    const required = named.filter((p) => p.required).map((p) => p.name);
    const entry: Json = {
      post: {
        ...doc,
        parameters: [
          { name: 'args', in: 'body', required: true, schema: { type: 'object', properties, ...(required.length ? { required } : {}) } },
          { $ref: '#/parameters/preferParams' },
        ],
        produces: PRODUCES.slice(0, 3),
        responses: { 200: { description: 'OK' } },
      },
    };
    if (r.fn.volatility !== 'volatile') {
      entry.get = {
        ...doc,
        parameters: named.map((p) => ({ name: p.name, in: 'query', required: p.required, ...swaggerType(c.catalog.types, p.typeOid, true) })),
        produces: PRODUCES.slice(0, 3),
        responses: { 200: { description: 'OK' } },
      };
    }
    paths[`/rpc/${r.name}`] = entry;
  }
  return {
    swagger: '2.0',
    info: {
      description: info.description ?? '',
      title: info.summary ?? 'standard public schema',
      version: '16.1',
    },
    host: url.host,
    basePath: url.pathname === '' ? '/' : url.pathname,
    schemes: [url.protocol.replace(':', '')],
    consumes: PRODUCES,
    produces: PRODUCES,
    paths,
    definitions: {},
    parameters: {
      preferParams: {
        name: 'Prefer', description: 'Preference', required: false, in: 'header', type: 'string',
        enum: ['params=single-object'],
      },
      preferReturn: {
        name: 'Prefer', description: 'Preference', required: false, in: 'header', type: 'string',
        enum: ['return=representation', 'return=minimal', 'return=none'],
      },
      preferCount: {
        name: 'Prefer', description: 'Preference', required: false, in: 'header', type: 'string', enum: ['count=none'],
      },
      select: { name: 'select', description: 'Filtering Columns', required: false, in: 'query', type: 'string' },
      order: { name: 'order', description: 'Ordering', required: false, in: 'query', type: 'string' },
      range: { name: 'Range', description: 'Limiting and Pagination', required: false, in: 'header', type: 'string' },
      rangeUnit: { name: 'Range-Unit', description: 'Limiting and Pagination', required: false, default: 'items', in: 'header', type: 'string' },
      offset: { name: 'offset', description: 'Limiting and Pagination', required: false, in: 'query', type: 'string' },
      limit: { name: 'limit', description: 'Limiting and Pagination', required: false, in: 'query', type: 'string' },
    },
    externalDocs: { description: 'PostgREST Documentation', url: 'https://postgrest.org/en/v16/references/api.html' },
  };
}

// ---- OpenAPI 3.1 ----

/** JSON Schema (OpenAPI 3.1) of a Postgres type; composite types become `$ref`s collected in `refs`. */
function schemaOf(types: Map<number, PgType>, oid: number, refs: Map<number, string>, depth = 0): Json {
  const j = jsonType(types, oid);
  if (!j || depth > 8) return {};
  switch (j.kind) {
    case 'array':
      return { type: 'array', items: schemaOf(types, j.elemOid, refs, depth + 1) };
    case 'integer':
      return { type: 'integer', format: j.bits === 64 ? 'int64' : 'int32' };
    case 'number':
      return j.type.name === 'float4' ? { type: 'number', format: 'float' } : j.type.name === 'float8' ? { type: 'number', format: 'double' } : { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'json':
      return {};
    case 'string': {
      const format = j.format === 'local-date-time' ? 'date-time' : j.format === 'local-time' ? undefined : j.format;
      return format ? { type: 'string', format } : { type: 'string' };
    }
    case 'void':
      return { type: 'null' };
    case 'record':
      return { type: 'object' };
    case 'enum':
      return { type: 'string', enum: j.type.enumLabels };
    case 'composite': {
      const name = `${j.type.schema}.${j.type.name}`;
      refs.set(j.type.oid, name);
      return { $ref: `#/components/schemas/${encodeURIComponent(name)}` };
    }
    case 'any':
      return {};
  }
}

function compositeSchema(types: Map<number, PgType>, t: PgType, refs: Map<number, string>): Json {
  const properties: Json = {};
  for (const a of t.attributes) properties[a.name] = schemaOf(types, a.typeOid, refs);
  return { type: 'object', properties };
}

export function openapi31(c: SchemaCache, schema: string, executable: Set<number> | null, base: string): Json {
  const types = c.catalog.types;
  const refs = new Map<number, string>();
  const paths: Json = {};
  const comment = c.schemaComments.get(schema) ?? null;
  const info = splitComment(comment);
  const errorRef = { $ref: '#/components/responses/Error' };
  for (const r of routinesOf(c, schema, executable)) {
    const { summary, description } = splitComment(r.fn.description);
    let result: Json;
    if (r.kind === 'void') result = {};
    else if (r.kind === 'composite') {
      const single = r.fn.outputs.length > 0
        ? { type: 'object', properties: Object.fromEntries(r.columns.map((col) => [col.name, schemaOf(types, col.typeOid, refs)])) }
        : schemaOf(types, r.fn.returnTypeOid, refs);
      result = r.returnsSet ? { type: 'array', items: single } : single;
    } else {
      const single = schemaOf(types, r.fn.returnTypeOid, refs);
      result = r.returnsSet ? { type: 'array', items: single } : single;
    }
    const named = r.params.filter((p) => p.name !== '');
    const properties: Json = {};
    for (const p of named) {
      const raw = r.fn.inputs.find((a) => a.name === p.name);
      properties[p.name] = {
        ...schemaOf(types, p.typeOid, refs),
        'x-pg-type': p.type,
        ...(raw?.defaultValue != null ? { 'x-pg-default': raw.defaultValue } : {}),
        ...(p.variadic ? { 'x-variadic': true } : {}),
      };
    }
    const required = named.filter((p) => p.required).map((p) => p.name);
    const responses: Json = r.kind === 'void'
      ? { 204: { description: 'No Content' }, default: errorRef }
      : { 200: { description: 'OK', content: { 'application/json': { schema: result } } }, default: errorRef };
    const op = (extra: Json): Json => ({
      operationId: extra.operationId,
      tags: [schema],
      ...(summary ? { summary } : {}),
      description: [description ?? (summary ? undefined : ''), `Volatility: ${r.fn.volatility}.`].filter(Boolean).join('\n\n'),
      ...extra,
      responses,
    });
    const entry: Json = {
      post: op({
        operationId: r.name,
        requestBody: r.unnamedType
          ? { required: true, content: { 'application/json': { schema: {} } } }
          : {
            required: required.length > 0,
            content: { 'application/json': { schema: { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false } } },
          },
      }),
    };
    if (r.fn.volatility !== 'volatile' && !r.unnamedType) {
      entry.get = op({
        operationId: `${r.name}_get`,
        parameters: named.map((p) => ({
          name: p.name, in: 'query', required: p.required,
          schema: { type: 'string', 'x-pg-type': p.type },
        })),
      });
    }
    paths[`/rpc/${r.name}`] = entry;
  }
  const schemas: Json = {};
  const done = new Set<number>();
  for (let pending = [...refs.keys()]; pending.length; pending = [...refs.keys()].filter((k) => !done.has(k))) {
    for (const oid of pending) {
      done.add(oid);
      const t = types.get(oid);
      if (t) schemas[refs.get(oid)!] = compositeSchema(types, t, refs);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: info.summary ?? `${schema} API`, ...(info.description ? { description: info.description } : {}), version: '1.0.0' },
    servers: [{ url: base }],
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      responses: {
        Error: {
          description: 'PostgREST-shaped error',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['code', 'message', 'details', 'hint'],
                properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: ['string', 'null'] }, hint: { type: ['string', 'null'] } },
              },
            },
          },
        },
      },
    },
    security: [{ bearer: [] }, {}],
  };
}

// ---- /docs: swagger-ui from swagger-ui-dist, served from memory ----
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// A token may be given in the fragment (#token=…): it never reaches a server log, and the
// document then lists what that role may execute.
const DOCS_INIT = `(function () {
  var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  var token = m ? decodeURIComponent(m[1]) : null;
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    requestInterceptor: function (req) {
      if (token && !req.headers.Authorization) req.headers.Authorization = 'Bearer ' + token;
      return req;
    }
  });
})();
`;

export async function registerDocs(app: FastifyInstance): Promise<void> {
  const require = createRequire(import.meta.url);
  // the package directory only: requiring 'swagger-ui-dist' itself would load the whole bundle into the server
  const dir = dirname(require.resolve('swagger-ui-dist/package.json'));
  const files: Record<string, { type: string; body: Buffer | null; path: string }> = {
    'swagger-ui.css': { type: 'text/css; charset=utf-8', body: null, path: join(dir, 'swagger-ui.css') },
    'swagger-ui-bundle.js': { type: 'application/javascript; charset=utf-8', body: null, path: join(dir, 'swagger-ui-bundle.js') },
    'swagger-ui-standalone-preset.js': { type: 'application/javascript; charset=utf-8', body: null, path: join(dir, 'swagger-ui-standalone-preset.js') },
    'favicon-32x32.png': { type: 'image/png', body: null, path: join(dir, 'favicon-32x32.png') },
  };
  app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
  app.get('/docs/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
  app.get('/docs/init.js', async (_req, reply) => reply.type('application/javascript; charset=utf-8').send(DOCS_INIT));
  app.get<{ Params: { file: string } }>('/docs/:file', async (req, reply) => {
    const f = files[req.params.file];
    if (!f) return reply.code(404).type('application/json').send('{"code":"PGRST125","message":"Invalid path specified in request URL","details":null,"hint":null}');
    f.body ??= readFileSync(f.path);
    return reply.type(f.type).header('Cache-Control', 'public, max-age=3600').send(f.body);
  });
}
