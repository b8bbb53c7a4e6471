// Request text never becomes SQL text: every statement the gateway sends is recorded (postgres.js debug
// hook) while requests carry hostile values in every place a request can carry one — JSON and query
// arguments, raw bodies, filters, `in` lists, patterns, select aliases, JSON path keys, order, CSV
// headers, claims, headers, cookies, Prefer — and no statement text contains any of them, while the
// values come back exactly. Also: the JSON depth limit (LOTLINE_MAX_JSON_DEPTH), checked before the
// database is involved.
import { beforeAll, describe, expect, test } from 'vitest';
import { useContractSchema } from './contract-schema.ts';
import { req } from '../support/http.ts';

const sent: { text: string; params: unknown[] }[] = [];
const env = useContractSchema({
  preRequest: 'demo.pre_check',
  debugStatements: (_c, text, params) => {
    sent.push({ text, params: [...params] });
  },
});
const u = (p: string) => env.gw.url + p;

// every hostile value carries the marker, so any interpolation would show up in a statement text
const M = 'ZQX';
const HOSTILE = [
  `${M}'`, `${M}''; drop table demo.items; --`, `${M}\\`, `${M}\\'`, `${M}"`, `${M}$1`, `${M}$$`, `${M}$a$ x $a$`,
  `${M}E'\\x41'`, `${M}/* c */`, `${M}) or (1=1`, `${M}\u00e9\u4e2d\u{1F600}`, `${M}\n\r\t`, `${M}%_*`, `${M}{a,"b"}`,
  `${M};select pg_sleep(1);--`, `${M}'::text||'`, `${M}\u202e`,
];
/** header values must be ISO-8859-1 without control characters */
const HEADER_SAFE = HOSTILE.filter((v) => /^[\x20-\x7e]*$/.test(v));

beforeAll(() => {
  sent.length = 0;
});

function assertNoMarkerInSql(): void {
  const leaked = sent.filter((x) => x.text.includes(M));
  expect(leaked.map((x) => x.text)).toEqual([]);
}

describe('no request text in SQL text', () => {
  test('JSON and query-string arguments, raw text bodies: values round-trip as parameters', async () => {
    for (const v of HOSTILE) {
      expect((await req(u('/rpc/hello'), { method: 'POST', json: { name: v } })).body).toBe(`Hello, ${v}!`);
      expect((await req(u(`/rpc/hello?name=${encodeURIComponent(v)}`))).body).toBe(`Hello, ${v}!`);
      const raw = await req(u('/rpc/echo_text'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: v });
      expect(raw.body).toBe(v);
      expect((await req(u('/rpc/jsonb_arg'), { method: 'POST', json: { p_doc: { [v]: v, n: 1.000000000000000000001 } } })).body).toEqual({ [v]: v, n: 1.000000000000000000001 });
      expect((await req(u('/rpc/text_array'), { method: 'POST', json: { p_arr: [v, 'x', ''] } })).body).toEqual([v, 'x', '']);
      expect((await req(u(`/rpc/variadic_text?v=${encodeURIComponent(v)}&v=b`))).body).toBe(`${v}|b`);
      const form = await req(u('/rpc/hello'), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ name: v }).toString() });
      expect(form.body).toBe(`Hello, ${v}!`);
    }
    assertNoMarkerInSql();
    // the values did travel: as parameters
    expect(sent.some((x) => x.params.includes(`${M}'; drop table demo.items; --`) || x.params.includes(`${M}''; drop table demo.items; --`))).toBe(true);
  });

  test('filters, in lists, patterns, full text search, JSON paths, select aliases, order, CSV header', async () => {
    for (const v of HOSTILE) {
      const e = encodeURIComponent(v);
      expect((await req(u(`/rpc/list_items?name=eq.${e}`))).body).toEqual([]);
      expect((await req(u(`/rpc/list_items?name=neq.${e}&select=id`))).body).toHaveLength(6);
      expect((await req(u(`/rpc/list_items?name=like.*${e}*`))).body).toEqual([]);
      expect((await req(u(`/rpc/list_items?name=ilike(any).{${encodeURIComponent(`"${v.replace(/["\\]/g, '\\$&')}"`)},alpha}&select=id`))).body).toEqual([{ id: 1 }]);
      expect((await req(u(`/rpc/list_items?note=in.(${encodeURIComponent(`"has, comma","${v.replace(/["\\]/g, '\\$&')}"`)})&select=id`))).body).toEqual([{ id: 4 }]);
      expect((await req(u(`/rpc/list_items?name=plfts.${e}`))).status).toBe(200);
      expect((await req(u(`/rpc/list_items?or=(name.eq.${encodeURIComponent(`"${v.replace(/["\\]/g, '\\$&')}"`)},id.eq.2)&select=id`))).body).toEqual([{ id: 2 }]);
      // a hostile text search configuration name is a value too: Postgres says it is not one
      const lang = await req(u(`/rpc/list_items?name=fts(${encodeURIComponent(v.replace(/[()]/g, ''))}).x`));
      expect(lang.status).toBe(400);
      // aliases and JSON path keys name output keys: exact, yet never SQL identifiers
      const quoted = `"${v.replace(/["\\]/g, '\\$&')}"`;
      const sel = await req(u(`/rpc/list_items?select=${encodeURIComponent(`${quoted}:name,id,pk:data->>${quoted}`)}&id=lte.2&data->>${encodeURIComponent(quoted)}=is.null&order=${encodeURIComponent(`data->${quoted}.desc,id`)}`));
      expect(sel.status, sel.text).toBe(200);
      expect(sel.body).toEqual([{ [v]: 'Alpha', id: 1, pk: null }, { [v]: 'Bravo', id: 2, pk: null }]);
      expect(Object.keys(sel.body[0])).toEqual([v, 'id', 'pk']);
      expect((await req(u(`/rpc/list_items?select=${encodeURIComponent(`data->>${quoted}`)}&id=eq.1`))).body).toEqual([{ [v]: null }]);
      const stripped = await req(u(`/rpc/list_items?select=${encodeURIComponent(`${quoted}:note,id`)}&id=lte.2`), { headers: { Accept: 'application/json;nulls=stripped' } });
      expect(stripped.body).toEqual([{ id: 1 }, { [v]: 'second', id: 2 }]);
      const single = await req(u(`/rpc/get_item?p_id=3&select=${encodeURIComponent(`${quoted}:name`)}`));
      expect(single.body).toEqual({ [v]: 'Charlie' });
      const csv = await req(u(`/rpc/list_items?select=${encodeURIComponent(`${quoted}:id`)}&id=eq.1`), { headers: { Accept: 'text/csv' } });
      expect(csv.text).toBe(`${v}\n1`);
    }
    assertNoMarkerInSql();
  });

  test('claims, headers, cookies, Prefer timezone reach request.* settings as parameters', async () => {
    for (const v of HOSTILE) {
      // a user id with control characters is refused (401 PGRST303); the value still travels in another claim
      const sub = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v) ? 'hostile-user' : v;
      if (sub !== v) expect((await req(u('/rpc/whoami'), { headers: { Authorization: `Bearer ${await env.gw.sign({ role: 'authenticated', sub: v })}` } })).status).toBe(401);
      const token = await env.gw.sign({ role: 'authenticated', sub, [v]: [v] });
      const h = HEADER_SAFE.includes(v) ? v : `${M}'"`;
      const cookie = h.replace(/;/g, ''); // ';' separates cookies
      const res = await req(u('/rpc/whoami'), { headers: { Authorization: `Bearer ${token}`, 'X-Hostile': h, Cookie: `c1=${cookie}; c2=x` } });
      expect(res.status).toBe(200);
      expect(res.body.claims).toEqual({ role: 'authenticated', sub, [v]: [v] });
      expect(res.body.headers['x-hostile']).toBe(h);
      expect(res.body.cookies).toEqual({ c1: cookie.trim(), c2: 'x' });
      expect(res.body.role).toBe('authenticated');
      const tz = await req(u('/rpc/whoami'), { headers: { Prefer: `timezone=${h}` } });
      // Postgres decides: a POSIX-style zone name is accepted as is, anything else is 22023
      if (tz.status === 200) expect(String(tz.body.timezone).toUpperCase()).toBe(h.split(',')[0]!.toUpperCase());
      else expect([tz.status, tz.body.code]).toEqual([400, '22023']);
    }
    assertNoMarkerInSql();
  });

  test('the same request shape gives the same statement texts (so prepared statements are reused)', async () => {
    const texts = async (name: string) => {
      sent.length = 0;
      await req(u(`/rpc/list_items?name=eq.${encodeURIComponent(name)}&select=id&limit=3`));
      return sent.map((x) => x.text);
    };
    const a = await texts('Alpha');
    const b = await texts(`${M}'; --`);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThanOrEqual(3);
  });
});

describe('JSON nesting limit (LOTLINE_MAX_JSON_DEPTH, default 64)', () => {
  const nest = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);
  const expectDepthError = (r: { status: number; body: any }) => {
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PGRST102');
    expect(r.body.message).toBe('Empty or invalid json');
    expect(r.body.details).toMatch(/nested deeper than 64 levels/);
  };

  test('a POST body nested deeper is refused before the database: 400 PGRST102', async () => {
    sent.length = 0;
    for (const body of [`{"p_doc": ${nest(64)}}`, nest(20_000), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000), `{"p_doc": ${'['.repeat(300_000)}`]) {
      expectDepthError(await req(u('/rpc/jsonb_arg'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }));
    }
    expect(sent).toEqual([]); // nothing was sent to the database
  });

  test('up to the limit is accepted (the body object counts as one level)', async () => {
    const r = await req(u('/rpc/jsonb_arg'), { method: 'POST', json: JSON.parse(`{"p_doc": ${nest(63)}}`) });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).toBe(nest(63));
  });

  test('GET and form arguments for json/jsonb parameters, and filter values on json columns', async () => {
    sent.length = 0;
    expectDepthError(await req(u(`/rpc/jsonb_arg?p_doc=${encodeURIComponent(nest(65))}`)));
    expectDepthError(await req(u('/rpc/json_kind'), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `p_doc=${encodeURIComponent(nest(50_000))}` }));
    expectDepthError(await req(u(`/rpc/list_items?data=cs.${encodeURIComponent(nest(1000))}`)));
    expectDepthError(await req(u(`/rpc/list_items?data->k=in.(${encodeURIComponent(`"${nest(100)}"`)})`)));
    expect(sent).toEqual([]);
    expect((await req(u(`/rpc/jsonb_arg?p_doc=${encodeURIComponent(nest(64))}`))).status).toBe(200);
    // a text parameter is not JSON: deep brackets are just text
    expect((await req(u(`/rpc/hello?name=${encodeURIComponent(nest(100))}`))).body).toBe(`Hello, ${nest(100)}!`);
  });
});

describe('other client input that must not be a 5xx', () => {
  test('logic trees nest at most 100 levels: 400 PGRST100 (deeper ones exhausted a stack: 503)', async () => {
    const tree = (n: number) => {
      let t = 'id.eq.1';
      for (let i = 1; i < n; i++) t = `or(${t})`;
      return `(${t})`;
    };
    expect((await req(u(`/rpc/list_items?or=${tree(100)}&select=id`))).body).toEqual([{ id: 1 }]);
    for (const n of [101, 3000]) {
      const r = await req(u(`/rpc/list_items?or=${tree(n)}&select=id`));
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('PGRST100');
      expect(r.body.details).toBe('logic trees nest at most 100 levels');
    }
  });

  test('more array dimensions than Postgres allows (6) in an argument: 400 54000, not 500', async () => {
    const deepArray = '['.repeat(7) + '1' + ']'.repeat(7);
    const deepText = '{'.repeat(7) + '1' + '}'.repeat(7);
    for (const r of [
      await req(u('/rpc/array_len'), { method: 'POST', json: JSON.parse(`{"p_arr": ${deepArray}}`) }),
      await req(u(`/rpc/array_len?p_arr=${encodeURIComponent(deepText)}`)),
      await req(u(`/rpc/text_array?p_arr=${encodeURIComponent('{'.repeat(1000) + '}'.repeat(1000))}`)),
      await req(u('/rpc/array_len'), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `p_arr=${encodeURIComponent(deepText)}` }),
    ]) {
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('54000');
      expect(r.body.message).toMatch(/^number of array dimensions/);
    }
  });

  test('NUL in a value: 400 22021 from Postgres (a parameter cannot hold it); in an alias it is just a key', async () => {
    for (const r of [
      await req(u('/rpc/hello?name=a%00b')),
      await req(u('/rpc/hello'), { method: 'POST', json: { name: 'a\u0000b' } }),
      await req(u('/rpc/list_items?name=eq.a%00b')),
      await req(u('/rpc/echo_text'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'a\u0000b' }),
    ]) {
      expect([r.status, r.body.code, r.body.message]).toEqual([400, '22021', 'invalid byte sequence for encoding "UTF8": 0x00']);
    }
    expect((await req(u(`/rpc/get_item?p_id=1&select=${encodeURIComponent('"a\u0000b":name')}`))).body).toEqual({ 'a\u0000b': 'Alpha' });
  });
});
