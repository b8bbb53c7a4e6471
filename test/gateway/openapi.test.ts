// Contract §9: Swagger 2.0 at `/` as PostgREST serves it (filtered by EXECUTE privilege),
// OpenAPI 3.1 at /openapi.json, and the /docs page assets.
import { describe, expect, test } from 'vitest';
import { useContractSchema } from './contract-schema.ts';
import { req } from '../support/http.ts';
import { startGateway } from '../support/gateway.ts';

const env = useContractSchema();
const u = (p: string) => env.gw.url + p;

describe('GET / (Swagger 2.0)', () => {
  test('document shape, headers, info from the schema comment', async () => {
    const r = await req(u('/'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/openapi+json; charset=utf-8');
    const d = JSON.parse(r.text);
    expect(d.swagger).toBe('2.0');
    expect(d.info.title).toBe('Demo API');
    expect(d.info.description).toBe('Functions for the gateway contract tests.');
    expect(d.host).toBe(new URL(env.gw.url).host);
    expect(d.basePath).toBe('/');
    expect(d.schemes).toEqual(['http']);
  });

  test('functions: post always, get only when not volatile, tags, comment as summary/description, param types', async () => {
    const d = JSON.parse((await req(u('/'))).text);
    const add = d.paths['/rpc/add_them'];
    expect(add.post.tags).toEqual(['(rpc) add_them']);
    expect(add.post.summary).toBe('Adds two numbers');
    expect(add.post.description).toBe('Returns a + b.');
    expect(add.post.parameters[0]).toEqual({
      name: 'args', in: 'body', required: true,
      schema: { type: 'object', properties: { a: { type: 'integer', format: 'int32' }, b: { type: 'integer', format: 'int32' } }, required: ['a', 'b'] },
    });
    expect(add.post.parameters[1]).toEqual({ $ref: '#/parameters/preferParams' });
    expect(add.get.parameters).toEqual([
      { name: 'a', in: 'query', required: true, type: 'integer', format: 'int32' },
      { name: 'b', in: 'query', required: true, type: 'integer', format: 'int32' },
    ]);
    expect(add.get.responses).toEqual({ 200: { description: 'OK' } });
    expect(d.paths['/rpc/noop'].get).toBeUndefined();
    expect(d.paths['/rpc/noop'].post).toBeDefined();
    expect(d.paths['/rpc/hello'].post.parameters[0].schema.required).toBeUndefined();
    expect(d.paths['/rpc/array_len'].post.parameters[0].schema.properties.p_arr.type).toBe('array');
    expect(d.paths['/rpc/array_len'].get.parameters[0].type).toBe('string');
    // overloads collapse into one path
    expect(Object.keys(d.paths).filter((p) => p === '/rpc/pick')).toHaveLength(1);
    expect(d.paths['/rpc/a_proc']).toBeUndefined();
  });

  test('filtered by the caller\'s EXECUTE privilege', async () => {
    const anon = JSON.parse((await req(u('/'))).text);
    expect(anon.paths['/rpc/authed_only']).toBeUndefined();
    expect(anon.paths['/rpc/nobody']).toBeUndefined();
    const authed = JSON.parse((await req(u('/'), { headers: { Authorization: `Bearer ${await env.gw.token('u')}` } })).text);
    expect(authed.paths['/rpc/authed_only']).toBeDefined();
    expect(authed.paths['/rpc/nobody']).toBeUndefined();
  });

  test('Accept negotiation and HEAD; Accept-Profile picks the schema', async () => {
    expect((await req(u('/'), { headers: { Accept: 'application/openapi+json' } })).status).toBe(200);
    expect((await req(u('/'), { headers: { Accept: 'application/json' } })).status).toBe(200);
    const bad = await req(u('/'), { headers: { Accept: 'text/csv' } });
    expect(bad.status).toBe(406);
    expect(bad.body.code).toBe('PGRST107');
    const head = await fetch(u('/'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const gw = await startGateway(env.db, { schemas: ['demo', 'demo2'] });
    try {
      const d2 = await req(`${gw.url}/`, { headers: { 'Accept-Profile': 'demo2' } });
      expect(d2.headers.get('content-profile')).toBe('demo2');
      expect(Object.keys(JSON.parse(d2.text).paths)).toEqual(['/', '/rpc/hello', '/rpc/only_here']);
    } finally {
      await gw.close();
    }
  });

  test('ignore-privileges lists all; disabled → 404 PGRST126', async () => {
    const all = await startGateway(env.db, { schemas: ['demo'], openapiMode: 'ignore-privileges' });
    const off = await startGateway(env.db, { schemas: ['demo'], openapiMode: 'disabled' });
    try {
      expect(JSON.parse((await req(`${all.url}/`)).text).paths['/rpc/nobody']).toBeDefined();
      const r = await req(`${off.url}/`);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ code: 'PGRST126', message: 'Root endpoint metadata is disabled', details: null, hint: null });
    } finally {
      await all.close();
      await off.close();
    }
  });
});

describe('GET /openapi.json (OpenAPI 3.1)', () => {
  test('arguments with types and defaults, results, methods, descriptions', async () => {
    const r = await req(u('/openapi.json'), { headers: { Authorization: `Bearer ${await env.gw.token('u')}` } });
    expect(r.status).toBe(200);
    const d = r.body;
    expect(d.openapi).toBe('3.1.0');
    expect(d.info.title).toBe('Demo API');
    const hello = d.paths['/rpc/hello'];
    expect(hello.post.requestBody.content['application/json'].schema.properties.name).toMatchObject({ type: 'string', 'x-pg-type': 'text', 'x-pg-default': "'guest'::text" });
    expect(hello.get.parameters[0]).toMatchObject({ name: 'name', in: 'query', required: false });
    const add = d.paths['/rpc/add_them'];
    expect(add.post.summary).toBe('Adds two numbers');
    expect(add.post.requestBody.content['application/json'].schema.required).toEqual(['a', 'b']);
    expect(add.post.responses['200'].content['application/json'].schema).toEqual({ type: 'integer', format: 'int32' });
    const list = d.paths['/rpc/list_items'].get.responses['200'].content['application/json'].schema;
    expect(list).toEqual({ type: 'array', items: { $ref: '#/components/schemas/demo.items' } });
    expect(d.components.schemas['demo.items'].properties.price).toEqual({ type: 'number' });
    expect(d.paths['/rpc/noop'].post.responses['204']).toBeDefined();
    expect(d.paths['/rpc/noop'].get).toBeUndefined();
    expect(d.paths['/rpc/authed_only']).toBeDefined();
    expect(d.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });
});

describe('lotline api schema', () => {
  test('create_product_batch is documented for authenticated callers, not for anon', async () => {
    const gw = await startGateway(env.db);
    try {
      const anon = JSON.parse((await req(`${gw.url}/`)).text);
      expect(anon.paths['/rpc/create_product_batch']).toBeUndefined();
      const token = await gw.token('someone');
      const authed = JSON.parse((await req(`${gw.url}/`, { headers: { Authorization: `Bearer ${token}` } })).text);
      const cpb = authed.paths['/rpc/create_product_batch'];
      expect(cpb.post.parameters[0].schema.required).toEqual(['_brand_id', '_product_id', '_batch_number']);
      expect(cpb.get).toBeUndefined();
      expect(cpb.post.summary).toMatch(/batch/i);
      const v3 = (await req(`${gw.url}/openapi.json`, { headers: { Authorization: `Bearer ${token}` } })).body;
      expect(v3.paths['/rpc/create_product_batch'].post.requestBody.content['application/json'].schema.properties._quantity['x-pg-type']).toBe('numeric');
    } finally {
      await gw.close();
    }
  });
});

describe('/docs assets are served locally', () => {
  test('page, init script and swagger-ui files', async () => {
    const page = await req(u('/docs'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const f of ['/docs/init.js', '/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui-standalone-preset.js']) {
      const r = await fetch(u(f));
      expect(r.status, f).toBe(200);
    }
    expect((await fetch(u('/docs/../../etc/passwd'))).status).not.toBe(200);
  });
});
