// The ApiRequest step on its own (no database): path, profile and method checks, the query string,
// Range and max-rows, every body kind, headers and cookies — and the PGRST1xx answers, in order.
import { describe, expect, test } from 'vitest';
import { ApiError } from '../../src/gateway/errors.ts';
import { acceptedText, acceptedTypes, negotiate } from '../../src/gateway/media-type.ts';
import { parseApiRequest, type ApiRequest, type RawRequest, type RequestSettings, type RoutineAction } from '../../src/gateway/request.ts';

const settings: RequestSettings = { schemas: ['api', 'other'], maxRows: null, maxJsonDepth: 8 };

function parse(method: string, url: string, headers: RawRequest['headers'] = {}, body?: string | Buffer, s = settings): ApiRequest {
  return parseApiRequest({ method, url, headers, body: typeof body === 'string' ? Buffer.from(body) : body }, s);
}

function routine(req: ApiRequest): RoutineAction {
  if (req.action.kind !== 'routine') throw new Error(`not a routine call: ${req.action.kind}`);
  return req.action;
}

/** The ApiError a parse throws: status, code, message, details. */
function refusal(f: () => unknown): { status: number; code: string; message: string; details: string | null; hint: string | null } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { status: e.status, ...e.body() };
  }
  throw new Error('expected an ApiError');
}

describe('paths, profiles and methods', () => {
  test('/ is the OpenAPI document (HEAD: headers only), OPTIONS / the schema info', () => {
    expect(parse('GET', '/').action).toEqual({ kind: 'openapi', headersOnly: false });
    expect(parse('HEAD', '/').action).toEqual({ kind: 'openapi', headersOnly: true });
    expect(parse('OPTIONS', '/').action).toEqual({ kind: 'schemaInfo' });
    expect(refusal(() => parse('POST', '/'))).toMatchObject({ status: 405, code: 'PGRST117', message: 'Unsupported HTTP method: POST' });
  });

  test('path shapes: /<name> is a relation, more than two segments or empty ones → 404 PGRST125', () => {
    expect(parse('GET', '/items').action).toEqual({ kind: 'relation', name: 'items' });
    for (const url of ['/rpc/a/b', '/x/y', '/rpc/', '//x']) expect(refusal(() => parse('GET', url)).code, url).toBe('PGRST125');
    expect(routine(parse('GET', '/rpc/echo%20Case')).name).toBe('echo Case');
  });

  test('RPC methods: GET, HEAD, POST, OPTIONS; others → 405 PGRST101 naming the method', () => {
    expect(routine(parse('OPTIONS', '/rpc/f')).info).toBe(true);
    expect(routine(parse('POST', '/rpc/f')).post).toBe(true);
    expect(refusal(() => parse('PATCH', '/rpc/f'))).toEqual({ status: 405, code: 'PGRST101', message: 'Cannot use the PATCH method on RPC', details: null, hint: null });
  });

  test('schema: Accept-Profile for GET/HEAD/OPTIONS, Content-Profile for POST; an unknown one → 406 PGRST106', () => {
    expect(parse('GET', '/rpc/f').schema).toBe('api');
    expect(parse('GET', '/rpc/f', { 'accept-profile': 'other' }).schema).toBe('other');
    expect(parse('POST', '/rpc/f', { 'accept-profile': 'other' }).schema).toBe('api');
    expect(parse('POST', '/rpc/f', { 'content-profile': 'other' }).schema).toBe('other');
    expect(refusal(() => parse('GET', '/rpc/f', { 'accept-profile': 'nope' }))).toEqual({
      status: 406, code: 'PGRST106', message: 'Invalid schema: nope', details: null, hint: 'Only the following schemas are exposed: api, other',
    });
  });

  test('Content-Profile is answered after a profile header, or whenever several schemas are exposed', () => {
    const one = { ...settings, schemas: ['api'] };
    expect(parse('GET', '/rpc/f', {}, undefined, one).negotiatedByProfile).toBe(false);
    expect(parse('GET', '/rpc/f', { 'accept-profile': 'api' }, undefined, one).negotiatedByProfile).toBe(true);
    expect(parse('GET', '/rpc/f').negotiatedByProfile).toBe(true);
  });

  test('the path check comes before the profile check, the profile check before the method check', () => {
    expect(refusal(() => parse('PUT', '/rpc/f/x', { 'content-profile': 'nope' })).code).toBe('PGRST125');
    expect(refusal(() => parse('PUT', '/rpc/f', { 'content-profile': 'nope' })).code).toBe('PGRST106');
  });
});

describe('query string', () => {
  test('GET: arguments (a repeated key keeps every value), filters, select, order, limit, offset', () => {
    const a = routine(parse('GET', '/rpc/f?a=1&a=2&b=x&id=gt.3&or=(x.eq.1,y.is.null)&select=id,n:name&order=id.desc&limit=5&offset=2'));
    expect([...a.query.args]).toEqual([['a', ['1', '2']], ['b', ['x']]]);
    expect(a.payload).toMatchObject({ kind: 'none', keys: ['a', 'b'], args: { kind: 'text' } });
    expect(a.query.conditions.map((c) => c.kind)).toEqual(['filter', 'logic']);
    expect(a.query.select).toEqual([{ field: { name: 'id', path: [] } }, { alias: 'n', field: { name: 'name', path: [] } }]);
    expect(a.query.order).toEqual([{ field: { name: 'id', path: [] }, dir: 'desc' }]);
    expect(a.range).toEqual({ offset: 2, limit: 5 });
  });

  test('POST: a query key without an operator is a malformed filter → 400 PGRST100', () => {
    expect(refusal(() => parse('POST', '/rpc/f?a=1', {}, '{}'))).toMatchObject({ status: 400, code: 'PGRST100', message: '"failed to parse filter (1)" (line 1, column 1)' });
  });

  test('limit and offset must be integers; a negative limit → 416 PGRST103', () => {
    expect(refusal(() => parse('GET', '/rpc/f?limit=x'))).toMatchObject({ code: 'PGRST100', details: 'expecting an integer' });
    expect(refusal(() => parse('GET', '/rpc/f?offset=-1'))).toMatchObject({ code: 'PGRST100', details: 'expecting a non-negative integer' });
    expect(refusal(() => parse('GET', '/rpc/f?limit=-1'))).toMatchObject({ status: 416, code: 'PGRST103', details: 'Limit should be greater than or equal to zero.' });
  });

  test('Range (GET only) intersects limit/offset; max rows caps the page; a reversed range → 416', () => {
    expect(routine(parse('GET', '/rpc/f?limit=10', { range: 'items=2-5' })).range).toEqual({ offset: 2, limit: 4 });
    expect(routine(parse('GET', '/rpc/f', { range: '3-' })).range).toEqual({ offset: 3, limit: null });
    expect(routine(parse('HEAD', '/rpc/f', { range: '2-5' })).range).toEqual({ offset: 0, limit: null });
    expect(routine(parse('GET', '/rpc/f?offset=4', {}, undefined, { ...settings, maxRows: 3 })).range).toEqual({ offset: 4, limit: 3 });
    expect(refusal(() => parse('GET', '/rpc/f', { range: '5-2' }))).toMatchObject({ status: 416, code: 'PGRST103' });
  });
});

describe('body', () => {
  test('JSON object: its keys are the arguments; the text is kept as sent', () => {
    const raw = '{"a": 1.50, "b": [1, 2]}';
    expect(routine(parse('POST', '/rpc/f', { 'content-type': 'application/json' }, raw)).payload).toEqual({
      kind: 'json', keys: ['a', 'b'], args: { kind: 'json', raw, array: false, keys: ['a', 'b'] },
    });
  });

  test('JSON array: the keys of its objects, which must match; columns= names the arguments', () => {
    expect(routine(parse('POST', '/rpc/f', {}, '[{"a":1,"b":2},{"b":3,"a":4}]')).payload.keys).toEqual(['a', 'b']);
    expect(refusal(() => parse('POST', '/rpc/f', {}, '[{"a":1},{"b":2}]'))).toMatchObject({ status: 400, code: 'PGRST102', message: 'All object keys must match' });
    expect(routine(parse('POST', '/rpc/f?columns=a', {}, '{"a":1,"b":2}')).payload.keys).toEqual(['a']);
    expect(routine(parse('POST', '/rpc/f?columns=a,b', {}, '')).payload.args).toEqual({ kind: 'json', raw: '{}', array: false, keys: ['a', 'b'] });
  });

  test('an empty body is no arguments; invalid or too deep JSON → 400 PGRST102', () => {
    expect(routine(parse('POST', '/rpc/f', {}, '  ')).payload).toEqual({ kind: 'json', keys: [], args: { kind: 'none' } });
    expect(refusal(() => parse('POST', '/rpc/f', {}, '{"a":'))).toMatchObject({ code: 'PGRST102', message: 'Empty or invalid json' });
    const deep = '{"a":' + '['.repeat(9) + ']'.repeat(9) + '}';
    expect(refusal(() => parse('POST', '/rpc/f', {}, deep)).details).toBe("The JSON of the request body is nested deeper than 8 levels (the gateway's limit, LOTLINE_MAX_JSON_DEPTH)");
  });

  test('a body that is not UTF-8 or JSON with a lone surrogate escape → 400 PGRST102; surrogate pairs and \\\\u are fine', () => {
    const invalid = { status: 400, code: 'PGRST102', message: 'Invalid UTF-8 in the request body' };
    for (const bytes of [[0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d], [0x22, 0xc3], [0x22, 0xed, 0xa0, 0x80, 0x22]]) {
      expect(refusal(() => parse('POST', '/rpc/f', {}, Buffer.from(bytes)))).toMatchObject(invalid);
      expect(refusal(() => parse('POST', '/rpc/f', { 'content-type': 'text/plain' }, Buffer.from(bytes)))).toMatchObject(invalid);
    }
    for (const body of ['{"a":"\\ud800"}', '{"a":"\\udfff x"}', '{"a":"\\uD83D\\u0041"}', '{"a":"\\ud83d", "b":"\\ude00"}', '{"\\ud800":1}']) {
      expect(refusal(() => parse('POST', '/rpc/f', {}, body)), body).toMatchObject(invalid);
    }
    expect(refusal(() => parse('POST', '/rpc/f', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=%C3'))).toMatchObject(invalid);
    for (const body of ['{"a":"\\ud83d\\ude00"}', '{"a":"\\\\ud800"}', '{"a":"\\u00e9\\n"}', '{"a":"é"}']) {
      expect(routine(parse('POST', '/rpc/f', {}, body)).payload.keys, body).toEqual(['a']);
    }
    expect(routine(parse('POST', '/rpc/f', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=100%&b=%C3%A9')).payload.args)
      .toEqual({ kind: 'text', values: new Map([['a', ['100%']], ['b', ['é']]]) });
  });

  test('form fields (repeated ones kept) and the first row of a CSV body are text arguments', () => {
    const form = routine(parse('POST', '/rpc/f', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1&a=2&b=x%20y')).payload;
    expect(form.kind).toBe('form');
    expect(form.args).toEqual({ kind: 'text', values: new Map([['a', ['1', '2']], ['b', ['x y']]]) });
    const csv = routine(parse('POST', '/rpc/f', { 'content-type': 'text/csv; charset=utf-8' }, 'a,b\n"x, ""y""",2\n3,4')).payload;
    expect(csv.args).toEqual({ kind: 'text', values: new Map([['a', ['x, "y"']], ['b', ['2']]]) });
  });

  test('text/plain, text/xml and octet-stream bodies are one raw value; other types → 400 PGRST102', () => {
    expect(routine(parse('POST', '/rpc/f', { 'content-type': 'text/plain' }, 'héllo')).payload).toEqual({ kind: 'text', keys: [], args: { kind: 'raw', text: 'héllo' } });
    expect(routine(parse('POST', '/rpc/f', { 'content-type': 'text/xml' }, '<a/>')).payload.kind).toBe('xml');
    const bytes = Buffer.from([0, 255, 1]);
    expect(routine(parse('POST', '/rpc/f', { 'content-type': 'application/octet-stream' }, bytes)).payload.args).toEqual({ kind: 'raw', bytes });
    expect(refusal(() => parse('POST', '/rpc/f', { 'content-type': 'image/png' }, 'x'))).toMatchObject({ code: 'PGRST102', message: 'Content-Type not acceptable: image/png' });
  });

  test('GET never reads a body', () => {
    expect(routine(parse('GET', '/rpc/f', { 'content-type': 'application/json' }, '{"a":1}')).payload).toEqual({ kind: 'none', keys: [], args: { kind: 'none' } });
  });
});

describe('headers, cookies, preferences', () => {
  test('request.headers: lower-case names, the last of repeated values, never the cookie; cookies by name', () => {
    const r = parse('GET', '/rpc/f?x=1', { 'x-a': ['1', '2'], cookie: 'sid=abc; theme = dark; junk', accept: 'text/csv' });
    expect(r.headers).toEqual({ 'x-a': '2', accept: 'text/csv' });
    expect(r.cookies).toEqual({ sid: 'abc', theme: 'dark' });
    expect(r.path).toBe('/rpc/f');
    expect(r.accept).toEqual([{ mime: 'text/csv', known: 'csv' }]);
  });

  test('Prefer: several headers and bare commas; the first occurrence wins; unknown items are kept for handling=strict', () => {
    const r = parse('POST', '/rpc/f', { prefer: ['count=exact,, tx=rollback', 'count=planned, params=single-object, tx=maybe'] }, '{}');
    expect(r.preferences).toEqual({ count: 'exact', tx: 'rollback', invalid: ['params=single-object'] });
    expect(parse('POST', '/rpc/f', { prefer: 'tx=maybe' }, '{}').preferences).toEqual({ invalid: ['tx=maybe'] });
  });
});

describe('Accept (PostgREST\'s negotiation)', () => {
  const rpc = ['json', 'singular', 'csv'] as const;
  const pick = (accept: string | undefined) => negotiate(acceptedTypes(accept), [...rpc]);

  test('ordered by q-value, then by specificity (parameters minus wildcards), then as sent; q=0 still counts', () => {
    expect(acceptedTypes('*/*, text/csv;q=0.5, application/json;nulls=stripped, application/json').map((t) => t.mime))
      .toEqual(['application/json', 'application/json', '*/*', 'text/csv']);
    expect(pick('text/csv;q=0')).toEqual({ kind: 'csv', stripNulls: false, mime: 'text/csv' });
    expect(pick('*/*;q=0.9, application/vnd.pgrst.object')).toEqual({ kind: 'singular', stripNulls: false, mime: 'application/vnd.pgrst.object+json' });
  });

  test('decoded types: case-insensitive; nulls=stripped on the vendor types; wildcards other than */* serve nothing', () => {
    expect(pick(undefined)).toEqual({ kind: 'json', stripNulls: false, mime: 'application/json' });
    expect(pick('Application/Vnd.PgRst.Array+JSON;nulls=stripped')).toEqual({ kind: 'json', stripNulls: true, mime: 'application/vnd.pgrst.array+json;nulls=stripped' });
    expect(pick('application/vnd.pgrst.object+json;nulls=stripped')?.mime).toBe('application/vnd.pgrst.object+json;nulls=stripped');
    expect(pick('application/*')).toBeNull();
    expect(pick('text/*')).toBeNull();
    expect(pick('')).toBeNull();
    expect(acceptedText(acceptedTypes('text/plain;q=0.2, application/XML; charset=x'))).toBe('application/XML;charset=x, text/plain');
  });

  test('the root serves the OpenAPI document for OpenAPI, JSON or any type', () => {
    for (const a of ['application/openapi+json', 'application/json', '*/*', 'application/vnd.pgrst.array']) expect(negotiate(acceptedTypes(a), ['openapi'])?.kind, a).toBe('openapi');
    for (const a of ['application/*', 'text/csv', 'application/vnd.pgrst.object+json']) expect(negotiate(acceptedTypes(a), ['openapi']), a).toBeNull();
  });
});
