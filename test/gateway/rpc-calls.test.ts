// PostgREST's RPC calls: routing, arguments, overload resolution, access modes, request context.
import { describe, expect, test } from 'vitest';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { PostgrestClient } from '@supabase/postgrest-js';
import { useContractSchema } from './contract-schema.ts';
import { raw, req } from '../support/http.ts';

const env = useContractSchema();
const u = (p: string) => env.gw.url + p;

/** A request with exactly these headers (fetch would add Accept and others). */
function rawRequest(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('routing and methods', () => {
  test('POST with named JSON args; GET with query args; function names are case-sensitive', async () => {
    const a = await req(u('/rpc/add_them'), { method: 'POST', json: { a: 1, b: 2 } });
    expect(a.status).toBe(200);
    expect(a.text).toBe('3');
    expect(a.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const b = await req(u('/rpc/add_them?a=40&b=2'));
    expect(b.body).toBe(42);
    const c = await req(u('/rpc/echoCase?someParam=x'));
    expect(c.body).toBe('x');
    const d = await req(u('/rpc/echocase?someParam=x'));
    expect(d.status).toBe(404);
    expect(d.body.code).toBe('PGRST202');
  });

  test('HEAD: GET headers, no body', async () => {
    const r = await fetch(u('/rpc/list_items'), { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('content-range')).toBe('0-5/*');
    expect(r.headers.get('content-length')).toBeNull();
    expect(await r.text()).toBe('');
  });

  test('OPTIONS: Allow by volatility, no transaction; 404 when required args are missing (quirk)', async () => {
    const s = await fetch(u('/rpc/list_items'), { method: 'OPTIONS' });
    expect(s.status).toBe(200);
    expect(s.headers.get('allow')).toBe('OPTIONS,GET,HEAD,POST');
    expect(await s.text()).toBe('');
    const v = await fetch(u('/rpc/noop'), { method: 'OPTIONS' });
    expect(v.headers.get('allow')).toBe('OPTIONS,POST');
    const q = await req(u('/rpc/add_them'), { method: 'OPTIONS' });
    expect(q.status).toBe(404);
    expect(q.body.code).toBe('PGRST202');
  });

  test('OPTIONS answers let any origin read them, with or without an Origin header (as PostgREST); its errors do not', async () => {
    const fn = await rawRequest(u('/rpc/list_items'), 'OPTIONS');
    expect([fn.status, fn.headers.allow, fn.headers['access-control-allow-origin'], fn.headers['content-length']]).toEqual([200, 'OPTIONS,GET,HEAD,POST', '*', '0']);
    const root = await rawRequest(u('/'), 'OPTIONS');
    expect([root.status, root.headers.allow, root.headers['access-control-allow-origin']]).toEqual([200, 'OPTIONS,GET,HEAD', '*']);
    const missing = await rawRequest(u('/rpc/add_them'), 'OPTIONS');
    expect([missing.status, missing.headers['access-control-allow-origin']]).toEqual([404, undefined]);
  });

  test('an empty Accept header accepts nothing: 406 PGRST107 (as PostgREST); no Accept header accepts anything', async () => {
    const empty = await rawRequest(u('/rpc/no_args'), 'GET', { Accept: '' });
    expect([empty.status, JSON.parse(empty.body)]).toEqual([406, { code: 'PGRST107', message: 'None of these media types are available: ', details: null, hint: null }]);
    const absent = await rawRequest(u('/rpc/no_args'), 'GET');
    expect([absent.status, absent.body]).toEqual([200, '"ok"']);
  });

  test.each(['PUT', 'PATCH', 'DELETE'])('%s on /rpc → 405 PGRST101', async (method) => {
    const r = await req(u('/rpc/add_them'), { method });
    expect(r.status).toBe(405);
    expect(r.body).toEqual({ code: 'PGRST101', message: `Cannot use the ${method} method on RPC`, details: null, hint: null });
  });

  test('paths: too many segments → 404 PGRST125; unknown table → 404 PGRST205; unknown verb elsewhere → 405 PGRST117', async () => {
    const a = await req(u('/rpc/a/b'));
    expect(a.status).toBe(404);
    expect(a.body).toEqual({ code: 'PGRST125', message: 'Invalid path specified in request URL', details: null, hint: null });
    const b = await req(u('/x/y'));
    expect(b.body.code).toBe('PGRST125');
    const c = await req(u('/items'));
    expect(c.status).toBe(404);
    expect(c.body.code).toBe('PGRST205');
    const d = await req(u('/items'), { method: 'PROPFIND' });
    expect(d.status).toBe(405);
    expect(d.body).toMatchObject({ code: 'PGRST117', message: 'Unsupported HTTP method: PROPFIND' });
  });

  test('errors carry Proxy-Status and the four keys', async () => {
    const r = await req(u('/rpc/nope'));
    expect(r.headers.get('proxy-status')).toBe('PostgREST; error=PGRST202');
    expect(Object.keys(r.body).sort()).toEqual(['code', 'details', 'hint', 'message']);
  });
});

describe('arguments', () => {
  test('omitted defaults; empty body = {}; JSON scalar body = no args (quirk)', async () => {
    expect((await req(u('/rpc/hello'), { method: 'POST', json: {} })).body).toBe('Hello, guest!');
    expect((await req(u('/rpc/hello'), { method: 'POST', body: new Uint8Array(0) })).body).toBe('Hello, guest!');
    expect((await req(u('/rpc/hello'), { method: 'POST', json: { name: 'Ann' } })).body).toBe('Hello, Ann!');
    expect((await req(u('/rpc/no_args'), { method: 'POST', body: '5', headers: { 'content-type': 'application/json' } })).body).toBe('ok');
    // no Content-Type: JSON is assumed
    expect((await req(u('/rpc/add_them'), { method: 'POST', body: new TextEncoder().encode('{"a":2,"b":2}') })).body).toBe(4);
  });

  test('array body: first object is used; keys must match', async () => {
    const ok = await req(u('/rpc/add_them'), { method: 'POST', json: [{ a: 1, b: 1 }, { a: 5, b: 5 }] });
    expect(ok.body).toBe(2);
    const bad = await req(u('/rpc/add_them'), { method: 'POST', json: [{ a: 1, b: 1 }, { a: 5 }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: 'PGRST102', message: 'All object keys must match', details: null, hint: null });
  });

  test('malformed JSON → 400 PGRST102; unknown content type → PGRST102', async () => {
    const a = await req(u('/rpc/add_them'), { method: 'POST', body: '{"a":', headers: { 'content-type': 'application/json' } });
    expect(a.status).toBe(400);
    expect(a.body).toEqual({ code: 'PGRST102', message: 'Empty or invalid json', details: null, hint: null });
    const b = await req(u('/rpc/add_them'), { method: 'POST', body: 'a: 1', headers: { 'content-type': 'application/yaml' } });
    expect(b.status).toBe(400);
    expect(b.body.message).toBe('Content-Type not acceptable: application/yaml');
  });

  test('JSON values convert like json_to_record: numbers, strings, arrays, objects, nested composites', async () => {
    expect((await req(u('/rpc/array_len'), { method: 'POST', json: { p_arr: [1, 2, 3, 4] } })).body).toBe(4);
    expect((await req(u('/rpc/text_array'), { method: 'POST', json: { p_arr: ['a', 'b,c'] } })).body).toEqual(['a', 'b,c']);
    expect((await req(u('/rpc/point_sum'), { method: 'POST', json: { p: { x: 2, y: 3 } } })).body).toBe(5);
    expect((await req(u('/rpc/jsonb_arg'), { method: 'POST', json: { p_doc: { k: [1, { z: null }] } } })).body).toEqual({ k: [1, { z: null }] });
    // a JSON string holding JSON stays a string
    expect((await req(u('/rpc/json_kind'), { method: 'POST', json: { p_doc: '{"k":3}' } })).body).toBe('string');
    expect((await req(u('/rpc/json_kind'), { method: 'POST', json: { p_doc: { k: 3 } } })).body).toBe('object');
    // wrong type → Postgres' error, 400
    const bad = await req(u('/rpc/add_them'), { method: 'POST', json: { a: 'x', b: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('22P02');
    // big numbers keep their precision (the body reaches Postgres unparsed)
    const big = await req(u('/rpc/jsonb_arg'), { method: 'POST', body: '{"p_doc": 12345678901234567890.123456789}', headers: { 'content-type': 'application/json' } });
    expect(big.text).toBe('12345678901234567890.123456789');
  });

  test('raw JSON members: duplicates (last wins), escapes, whitespace, numbers/booleans/null into other types', async () => {
    const post = (body: string, fn = 'add_them') => req(u(`/rpc/${fn}`), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await post('{"a":1,"b":2,"a":10}')).body).toBe(12);
    expect((await post(' \n{ "a" :\t3 , "b"\r\n: 4 }\n')).body).toBe(7);
    expect((await post(String.raw`{"\u0061":5,"b":1}`)).body).toBe(6);
    expect((await post('{"name": 42}', 'hello')).body).toBe('Hello, 42!');
    expect((await post('{"name": true}', 'hello')).body).toBe('Hello, true!');
    expect((await post('{"name": null}', 'hello')).text).toBe('null');
    expect((await post(JSON.stringify({ name: 'q"uote\\ é' }), 'hello')).body).toBe('Hello, q"uote\\ é!');
    expect((await post('{"a": 1.5, "b": 1}')).body.code).toBe('22P02');
    expect((await post('{"p_doc": [1, {"x": "]}"}], "junk": 1}', 'jsonb_arg')).status).toBe(404);
    expect((await post('{"p_doc": [1, {"x": "]}"}]}', 'jsonb_arg')).body).toEqual([1, { x: ']}' }]);
    expect((await post('{"p_arr": [1, 2], "p_arr": [3]}', 'array_len')).body).toBe(1);
    expect((await post('{"p_arr": "{4,5,6}"}', 'array_len')).body).toBe(3);
  });

  test('GET: values cast by Postgres; arrays as literals; bad value → 22P02', async () => {
    expect((await req(u('/rpc/array_len?p_arr=%7B1,2,3%7D'))).body).toBe(3);
    expect((await req(u('/rpc/dates?p_day=2024-02-29'))).body).toBe('2024-02-29');
    expect((await req(u('/rpc/json_kind?p_doc=%7B%22k%22:1%7D'))).body).toBe('object');
    const bad = await req(u('/rpc/add_them?a=x&b=1'));
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: '22P02', message: 'invalid input syntax for type integer: "x"', details: null, hint: null });
  });

  test('GET: a repeated key → last value wins; variadic collects all values; no value → default', async () => {
    expect((await req(u('/rpc/hello?name=a&name=b'))).body).toBe('Hello, b!');
    expect((await req(u('/rpc/variadic_sum?v=1&v=2&v=3'))).body).toBe(6);
    expect((await req(u('/rpc/variadic_text?v=a&v=b'))).body).toBe('a|b');
    expect((await req(u('/rpc/variadic_text'))).body).toBe('');
  });

  test('POST variadic with a JSON array', async () => {
    expect((await req(u('/rpc/variadic_sum'), { method: 'POST', json: { v: [4, 5] } })).body).toBe(9);
  });

  test('a key can be an argument and a filter at once', async () => {
    const r = await req(u('/rpc/items_below?id=5&id=gt.2'));
    expect(r.body.map((x: { id: number }) => x.id)).toEqual([3, 4]);
  });

  test('POST: query key without operator → 400 PGRST100', async () => {
    const r = await req(u('/rpc/hello?name=Ann'), { method: 'POST', json: {} });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PGRST100');
    expect(r.body.message).toBe('"failed to parse filter (Ann)" (line 1, column 1)');
  });

  test('form-urlencoded body: fields are text arguments, repeated fields feed VARIADIC', async () => {
    const a = await req(u('/rpc/add_them'), { method: 'POST', body: 'a=3&b=4', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(a.body).toBe(7);
    const v = await req(u('/rpc/variadic_text'), { method: 'POST', body: 'v=x&v=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(v.body).toBe('x|y');
  });

  test('columns= on POST restricts the body keys', async () => {
    const r = await req(u('/rpc/add_them?columns=a,b'), { method: 'POST', json: { a: 1, b: 2, junk: 3 } });
    expect(r.body).toBe(3);
  });

  test('single unnamed json / text / xml / bytea parameter receives the whole body', async () => {
    expect((await req(u('/rpc/echo_json'), { method: 'POST', json: { any: ['thing', 1] } })).body).toEqual({ any: ['thing', 1] });
    expect((await req(u('/rpc/echo_json'), { method: 'POST', json: [1, 2] })).body).toEqual([1, 2]);
    const t = await req(u('/rpc/echo_text'), { method: 'POST', body: 'plain \' text\\', headers: { 'content-type': 'text/plain' } });
    expect(t.body).toBe("plain ' text\\");
    const x = await req(u('/rpc/echo_xml'), { method: 'POST', body: '<a>1</a>', headers: { 'content-type': 'text/xml' } });
    expect(x.body).toBe('<a>1</a>');
    const b = await req(u('/rpc/echo_bytea'), { method: 'POST', body: new Uint8Array([0, 1, 255]), headers: { 'content-type': 'application/octet-stream' } });
    expect(b.body).toBe('0001ff');
    const miss = await req(u('/rpc/add_them'), { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(miss.status).toBe(404);
    expect(miss.body).toEqual({
      code: 'PGRST202', message: 'Could not find the function demo.add_them in the schema cache',
      details: 'Searched for the function demo.add_them with a single unnamed text parameter, but no matches were found in the schema cache.',
      hint: null,
    });
  });
});

describe('function resolution', () => {
  test('overloads resolved by the exact key set', async () => {
    expect((await req(u('/rpc/over?a=1'))).body).toBe('one');
    expect((await req(u('/rpc/over?a=1&b=2'))).body).toBe('two');
    expect((await req(u('/rpc/over'), { method: 'POST', json: { a: 1, b: 2 } })).body).toBe('two');
  });

  test('ambiguous overloads → 300 PGRST203 with both signatures in order', async () => {
    const r = await req(u('/rpc/pick?arg=1'));
    expect(r.status).toBe(300);
    expect(r.body).toEqual({
      code: 'PGRST203',
      message: 'Could not choose the best candidate function between: demo.pick(arg => integer), demo.pick(arg => text)',
      details: null,
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    });
  });

  test('extra keys are never ignored → 404 PGRST202 with sorted names and a hint', async () => {
    const r = await req(u('/rpc/add_them'), { method: 'POST', json: { b: 1, a: 2, c: 3 } });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({
      code: 'PGRST202',
      message: 'Could not find the function demo.add_them(a, b, c) in the schema cache',
      details: 'Searched for the function demo.add_them with parameters a, b, c or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.',
      hint: 'Perhaps you meant to call the function demo.add_them(a, b)',
    });
    const g = await req(u('/rpc/add_them?a=1'));
    expect(g.body.message).toBe('Could not find the function demo.add_them(a) in the schema cache');
    expect(g.body.details).toBe('Searched for the function demo.add_them with parameter a, but no matches were found in the schema cache.');
  });

  test('no args, unknown name: wording and the similar-name hint', async () => {
    const r = await req(u('/rpc/add_the'));
    expect(r.body).toEqual({
      code: 'PGRST202',
      message: 'Could not find the function demo.add_the without parameters in the schema cache',
      details: 'Searched for the function demo.add_the without parameters, but no matches were found in the schema cache.',
      hint: 'Perhaps you meant to call the function demo.add_them',
    });
    const far = await req(u('/rpc/zzzzzzzz'));
    expect(far.body.hint).toBeNull();
  });

  test('procedures, trigger functions and functions with two unnamed params are not callable', async () => {
    expect((await req(u('/rpc/a_proc'), { method: 'POST' })).body.code).toBe('PGRST202');
    expect((await req(u('/rpc/trig'), { method: 'POST' })).body.code).toBe('PGRST202');
    expect((await req(u('/rpc/two_unnamed'), { method: 'POST', json: {} })).body.code).toBe('PGRST202');
  });
});

describe('transaction and access mode', () => {
  test('GET runs READ ONLY even for VOLATILE functions; a read works, a write is 405 25006', async () => {
    expect((await req(u('/rpc/volatile_reader'))).body).toBe(6);
    expect((await req(u('/rpc/access_mode'))).body).toBe('on');
    expect((await req(u('/rpc/access_mode'), { method: 'POST' })).body).toBe('off');
    const w = await req(u('/rpc/add_log?p_msg=get-write'));
    expect(w.status).toBe(405);
    expect(w.body).toEqual({ code: '25006', message: 'cannot execute INSERT in a read-only transaction', details: null, hint: null });
  });

  test('POST of a STABLE function is READ ONLY: its write fails with 405', async () => {
    const r = await req(u('/rpc/stable_writer'), { method: 'POST', json: { p_msg: 'stable' } });
    expect(r.status).toBe(405);
    expect(r.body).toEqual({ code: '25006', message: 'cannot execute nextval() in a read-only transaction', details: null, hint: null });
  });

  test('POST of a VOLATILE function commits; an error rolls everything back', async () => {
    const ok = await req(u('/rpc/add_log'), { method: 'POST', json: { p_msg: 'committed' } });
    expect(ok.status).toBe(200);
    const dup = await req(u('/rpc/add_log'), { method: 'POST', json: { p_msg: 'committed' } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('23505');
    const [row] = await env.db.admin`select count(*)::int as n from demo.log where msg = 'committed'`;
    expect(row!.n).toBe(1);
  });

  test('request context: role, claims with role, method, path, headers (lowercase, no cookie), cookies, search_path', async () => {
    const token = await env.gw.token('user-9', 'a:b', { extra: { nested: true } });
    const r = await req(u('/rpc/whoami?'), { headers: { Authorization: `Bearer ${token}`, 'X-Custom': 'Yes', Cookie: 'sid=abc; theme=dark' } });
    expect(r.status).toBe(200);
    expect(r.body.role).toBe('authenticated');
    expect(r.body.claims).toMatchObject({ sub: 'user-9', role: 'authenticated', scope: 'a:b', extra: { nested: true } });
    expect(r.body.method).toBe('GET');
    expect(r.body.path).toBe('/rpc/whoami');
    expect(r.body.headers['x-custom']).toBe('Yes');
    expect(r.body.headers.cookie).toBeUndefined();
    expect(r.body.headers.authorization).toBe(`Bearer ${token}`);
    expect(r.body.cookies).toEqual({ sid: 'abc', theme: 'dark' });
    expect(r.body.search_path).toBe('"demo", "public"');
    expect(r.body.read_only).toBe('on');
    expect(r.body.isolation).toBe('read committed');
  });

  test('anonymous request: role anon, claims {"role":"anon"}; a token without role claim gets anon inserted', async () => {
    const r = await req(u('/rpc/whoami'));
    expect(r.body.role).toBe('anon');
    expect(r.body.claims).toEqual({ role: 'anon' });
    const t = await env.gw.sign({ sub: 'x' });
    const r2 = await req(u('/rpc/whoami'), { headers: { Authorization: `Bearer ${t}` } });
    expect(r2.body.role).toBe('anon');
    expect(r2.body.claims).toEqual({ sub: 'x', role: 'anon' });
  });

  test('the function\'s default_transaction_isolation becomes the transaction isolation', async () => {
    expect((await req(u('/rpc/iso'))).body).toBe('serializable');
  });

  test('hoisted statement_timeout cancels the call: 500 57014', async () => {
    const t0 = Date.now();
    const r = await req(u('/rpc/slow'));
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('57014');
    expect(r.body.message).toBe('canceling statement due to statement timeout');
    expect(Date.now() - t0).toBeLessThan(900);
  });

  test('transaction-local settings do not leak to the next request on the pooled connection', async () => {
    await req(u('/rpc/whoami'), { headers: { Authorization: `Bearer ${await env.gw.token('leak-test')}` } });
    for (let i = 0; i < 6; i++) {
      const r = await req(u('/rpc/whoami'));
      expect(r.body.claims).toEqual({ role: 'anon' });
      expect(r.body.role).toBe('anon');
    }
  });
});

describe('postgrest-js as the client', () => {
  test('rpc() POST, get:true, head:true, count', async () => {
    const client = new PostgrestClient(env.gw.url, { schema: 'demo' });
    const a = await client.rpc('add_them', { a: 2, b: 3 });
    expect(a.error).toBeNull();
    expect(a.data).toBe(5);
    const b = await client.rpc('items_between', { p_min: 2, p_max: 4 }, { get: true });
    expect(b.data).toHaveLength(3);
    const c = await client.rpc('list_items', {}, { head: true, count: 'exact' });
    expect(c.status).toBe(200);
    expect(c.count).toBe(6);
    expect(c.data).toBeNull();
    const d = await client.rpc('text_array', { p_arr: ['x', 'y'] }, { get: true });
    expect(d.data).toEqual(['x', 'y']);
    const e = await client.rpc('nope', {});
    expect(e.error?.code).toBe('PGRST202');
    expect(e.status).toBe(404);
  });
});

describe('request bodies must be UTF-8', () => {
  test('bytes that are not UTF-8, or JSON with a lone surrogate escape → 400 PGRST102, nothing runs (never U+FFFD)', async () => {
    const post = (body: Buffer | string, ct = 'application/json') => raw(env.gw.url, { path: '/rpc/add_log', headers: { 'Content-Type': ct }, body });
    const json = (msg: Buffer) => Buffer.concat([Buffer.from('{"p_msg": "'), msg, Buffer.from('"}')]);
    const cases: [string, Buffer | string, string?][] = [
      ['a stray continuation byte', json(Buffer.from([0x41, 0x80, 0x42]))],
      ['latin-1 é', json(Buffer.from([0x63, 0x61, 0x66, 0xe9]))],
      ['a truncated 3-byte sequence', json(Buffer.from([0xe2, 0x82]))],
      ['an overlong encoding of "/"', json(Buffer.from([0xc0, 0xaf]))],
      ['a UTF-8-encoded surrogate (CESU-8)', json(Buffer.from([0xed, 0xa0, 0x80]))],
      ['0xFF', json(Buffer.from([0xff]))],
      ['a lone high surrogate escape', '{"p_msg": "x\\ud800y"}'],
      ['a lone low surrogate escape', '{"p_msg": "\\uDC00"}'],
      ['a high surrogate escape at the end of a string', '{"p_msg": "x\\ud83d"}'],
      ['two high surrogate escapes', '{"p_msg": "\\ud83d\\ud83d"}'],
      ['a lone surrogate escape in a key', '{"p_msg": "x", "\\ud800": 1}'],
      ['form: percent-encoded invalid UTF-8', 'p_msg=caf%E9', 'application/x-www-form-urlencoded'],
      ['text/csv with latin-1', Buffer.concat([Buffer.from('p_msg\ncaf'), Buffer.from([0xe9])]), 'text/csv'],
    ];
    const count = async () => Number((await env.db.admin`select count(*) as n from demo.log`)[0]!.n);
    const before = await count();
    const bad: string[] = [];
    for (const [what, body, ct] of cases) {
      const res = await post(body, ct);
      const b = res.json as { code?: string; message?: string } | undefined;
      if (res.status !== 400 || b?.code !== 'PGRST102' || b.message !== 'Invalid UTF-8 in the request body') bad.push(`${what}: ${res.status} ${res.text.slice(0, 160)}`);
    }
    expect(bad).toEqual([]);
    expect(await count(), 'nothing was written').toBe(before);
    // controls: a surrogate pair escape, an escaped backslash before "u", and real UTF-8 are characters
    for (const [msg, body] of [
      ['smile 😀', '{"p_msg": "smile \\ud83d\\ude00"}'],
      ['back\\ud800slash', '{"p_msg": "back\\\\ud800slash"}'],
      ['café ü', Buffer.from('{"p_msg": "café ü"}', 'utf8')],
    ] as const) {
      const res = await post(body);
      expect(res.status, res.text).toBe(200);
      const [row] = await env.db.admin<{ msg: string }[]>`select msg from demo.log where id = ${Number(res.text)}`;
      expect(row?.msg).toBe(msg);
    }
  });
});
