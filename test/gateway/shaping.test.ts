// Contract §5: result shapes, select/filters/order, ranges and counts, Accept, singular, CSV.
import { describe, expect, test } from 'vitest';
import { PostgrestClient } from '@supabase/postgrest-js';
import { useContractSchema } from './contract-schema.ts';
import { req } from '../support/http.ts';

const env = useContractSchema();
const u = (p: string) => env.gw.url + p;
const ids = (body: { id: number }[]) => body.map((x) => x.id);

describe('shape by return type', () => {
  test('scalar → bare value; numeric keeps its scale; arrays, ranges, null', async () => {
    expect((await req(u('/rpc/add_them?a=1&b=2'))).text).toBe('3');
    expect((await req(u('/rpc/a_numeric'))).text).toBe('1.50');
    expect((await req(u('/rpc/int_array'))).body).toEqual([1, 2, 3]);
    expect((await req(u('/rpc/a_range'))).body).toBe('[10,20)');
    expect((await req(u('/rpc/a_null'))).text).toBe('null');
  });

  test('setof scalar → array of values', async () => {
    expect((await req(u('/rpc/setof_ints'))).body).toEqual([1, 2, 3]);
  });

  test('composite → one object; OUT params → object; missing row → all-null object', async () => {
    expect((await req(u('/rpc/get_item?p_id=2'))).body).toEqual({ id: 2, name: 'Bravo', qty: 12, price: 2.0, note: 'second', data: { k: 'b', n: 2 } });
    expect((await req(u('/rpc/get_item?p_id=2'))).text).toContain('"price":2.00');
    expect((await req(u('/rpc/plus_one?num=5'))).body).toEqual({ num_plus_one: 6 });
    expect((await req(u('/rpc/full_name'))).body).toEqual({ first_name: 'Ada', last_name: 'Lovelace' });
    expect((await req(u('/rpc/null_item'))).body).toEqual({ id: null, name: null, qty: null, price: null, note: null, data: null });
    expect((await req(u('/rpc/get_item?p_id=99'))).body).toEqual({ id: null, name: null, qty: null, price: null, note: null, data: null });
  });

  test('setof composite and RETURNS TABLE (even one column) → array of objects; empty → []', async () => {
    const a = await req(u('/rpc/item_stats'));
    expect(a.body[0]).toEqual({ item_name: 'Alpha', stock_value: 7.5 });
    expect(a.text).toContain('"stock_value":7.50');
    expect((await req(u('/rpc/one_col_table'))).body).toEqual([{ v: 1 }, { v: 2 }]);
    expect((await req(u('/rpc/items_between?p_min=50&p_max=60'))).body).toEqual([]);
  });

  test('void → 204, empty body, no Content-Type', async () => {
    const r = await fetch(u('/rpc/noop'), { method: 'POST' });
    expect(r.status).toBe(204);
    expect(r.headers.get('content-type')).toBeNull();
    expect(await r.text()).toBe('');
  });
});

describe('select, filters, order', () => {
  test('select with renames, casts and JSON paths', async () => {
    const r = await req(u('/rpc/list_items?select=id,label:name,qty::text,k:data->>k,n:data->n&id=lte.2&order=id'));
    expect(r.body).toEqual([
      { id: 1, label: 'Alpha', qty: '5', k: 'a', n: 1 },
      { id: 2, label: 'Bravo', qty: '12', k: 'b', n: 2 },
    ]);
    const noAlias = await req(u('/rpc/list_items?select=data->>k&id=eq.1'));
    expect(noAlias.body).toEqual([{ k: 'a' }]);
  });

  test('contract examples: range filters, or=(), select+order+limit on POST', async () => {
    const a = await req(u('/rpc/list_items?select=id,name&qty=gte.5&qty=lte.10&order=id'));
    expect(a.body).toEqual([{ id: 1, name: 'Alpha' }, { id: 3, name: 'Charlie' }, { id: 4, name: 'Delta' }]);
    const b = await req(u('/rpc/list_items?select=id&or=(qty.lt.4,qty.gt.10)&order=id'));
    expect(b.body).toEqual([{ id: 2 }, { id: 5 }, { id: 6 }]);
    const c = await req(u('/rpc/items_between?select=id,label:name&order=id.desc&limit=2'), { method: 'POST', json: { p_min: 2, p_max: 5 } });
    expect(c.body).toEqual([{ id: 5, label: 'Echo' }, { id: 4, label: 'Delta' }]);
    expect(c.headers.get('content-range')).toBe('0-1/*');
  });

  test.each([
    ['id=eq.3', [3]],
    ['id=neq.3', [1, 2, 4, 5, 6]],
    ['id=gt.4', [5, 6]],
    ['id=gte.5', [5, 6]],
    ['id=lt.2', [1]],
    ['id=lte.2', [1, 2]],
    ['name=like.*ha*', [1, 3]],
    ['name=like.*HA*', []],
    ['name=ilike.*HA*', [1, 3]],
    ['name=match.^[AB]', [1, 2]],
    ['name=imatch.^[ab]', [1, 2]],
    ['id=in.(1,3,5)', [1, 3, 5]],
    ['name=in.("Alpha","Echo")', [1, 5]],
    ['id=in.()', []],
    ['note=is.null', [1, 3, 6]],
    ['note=not.is.null', [2, 4, 5]],
    ['note=is.not_null', [2, 4, 5]],
    ['note=isdistinct.second', [1, 3, 4, 5, 6]],
    ['id=not.in.(1,2,3)', [4, 5, 6]],
    ['id=not.eq.1', [2, 3, 4, 5, 6]],
    ['id=eq(any).{1,6}', [1, 6]],
    ['name=like(any).{A*,E*}', [1, 5]],
    ['id=gt(all).{2,3}', [4, 5, 6]],
    ['data=cs.{"k":"c"}', [3]],
    ['or=(id.eq.1,and(qty.gt.10,id.gt.5))', [1, 6]],
    ['not.or=(id.lt.3,id.gt.4)', [3, 4]],
    ['and=(id.gt.1,id.lt.4)', [2, 3]],
    ['or=(note.is.null,name.eq."Echo")', [1, 3, 5, 6]],
    ['or=(name.in.("Alpha","Bravo"),id.eq.6)', [1, 2, 6]],
    ['data->>k=eq.d', [4]],
    ['data->n=gt.4', [5]],
  ])('filter %s', async (q, expected) => {
    const r = await req(u(`/rpc/list_items?${q.replace(/"/g, '%22').replace(/ /g, '%20')}&order=id`));
    expect(r.status, r.text).toBe(200);
    expect(ids(r.body)).toEqual(expected);
  });

  test('full-text search operators', async () => {
    const r = await req(u('/rpc/list_items?name=fts(simple).alpha&select=id'));
    expect(r.body).toEqual([{ id: 1 }]);
    const w = await req(u('/rpc/list_items?note=wfts.%22has%20comma%22&select=id'));
    expect(w.body).toEqual([{ id: 4 }]);
  });

  test('order: several columns, desc, nullsfirst/nullslast', async () => {
    const a = await req(u('/rpc/nullable_rows?order=b.desc.nullslast,id'));
    expect(ids(a.body)).toEqual([2, 1, 3]);
    const b = await req(u('/rpc/nullable_rows?order=b.asc.nullsfirst,id.desc'));
    expect(ids(b.body)).toEqual([3, 1, 2]);
    const c = await req(u('/rpc/list_items?order=qty.desc&select=id&limit=2'));
    expect(c.body).toEqual([{ id: 6 }, { id: 2 }]);
  });

  test('unknown columns are refused without reaching SQL (400 42703); bad syntax → PGRST100', async () => {
    const a = await req(u('/rpc/list_items?select=id,nope'));
    expect(a.status).toBe(400);
    expect(a.body).toEqual({ code: '42703', message: 'column list_items.nope does not exist', details: null, hint: null });
    const b = await req(u('/rpc/list_items?nope=eq.1'));
    expect(b.body.code).toBe('42703');
    const c = await req(u('/rpc/list_items?order=id.sideways'));
    expect(c.status).toBe(400);
    expect(c.body.code).toBe('PGRST100');
    expect(c.body.message).toMatch(/^"failed to parse order \(id\.sideways\)" \(line 1, column \d+\)$/);
    const d = await req(u('/rpc/list_items?or=(id.eq.1'));
    expect(d.body.code).toBe('PGRST100');
    expect(d.body.message).toMatch(/^"failed to parse logic tree/);
    const e = await req(u('/rpc/list_items?note=is.maybe'));
    expect(e.body.code).toBe('PGRST100');
    const f = await req(u(`/rpc/list_items?select=${encodeURIComponent('id"; drop table demo.items; --')}`));
    expect(f.status).toBe(400);
    const [n] = await env.db.admin`select count(*)::int as n from demo.items`;
    expect(n!.n).toBeGreaterThanOrEqual(6);
  });

  test('SQL-looking filter values are just values', async () => {
    const r = await req(u(`/rpc/list_items?name=eq.${encodeURIComponent("x'); drop table demo.items; --")}`));
    expect(r.status).toBe(200);
    expect(r.body).toEqual([]);
    const s = await req(u(`/rpc/hello?name=${encodeURIComponent("O'Brien \\ \\' --")}`));
    expect(s.body).toBe("Hello, O'Brien \\ \\' --!");
  });
});

describe('ranges and counts', () => {
  test('Content-Range always; limit/offset; limit=0', async () => {
    const a = await req(u('/rpc/list_items?limit=2&offset=1&select=id'));
    expect(a.body).toEqual([{ id: 2 }, { id: 3 }]);
    expect(a.headers.get('content-range')).toBe('1-2/*');
    expect(a.status).toBe(200);
    const z = await req(u('/rpc/list_items?limit=0'));
    expect(z.body).toEqual([]);
    expect(z.headers.get('content-range')).toBe('*/*');
    const one = await req(u('/rpc/add_them?a=1&b=1'));
    expect(one.headers.get('content-range')).toBe('0-0/*');
  });

  test('Prefer count=exact: total, Preference-Applied, 206 for a partial slice, 200 for all', async () => {
    const a = await req(u('/rpc/list_items?limit=2'), { headers: { Prefer: 'count=exact' } });
    expect(a.status).toBe(206);
    expect(a.headers.get('content-range')).toBe('0-1/6');
    expect(a.headers.get('preference-applied')).toBe('count=exact');
    const b = await req(u('/rpc/list_items'), { headers: { Prefer: 'count=exact' } });
    expect(b.status).toBe(200);
    expect(b.headers.get('content-range')).toBe('0-5/6');
    const f = await req(u('/rpc/list_items?id=gt.4'), { headers: { Prefer: 'count=exact' } });
    expect(f.headers.get('content-range')).toBe('0-1/2');
    const single = await req(u('/rpc/add_them?a=1&b=1'), { headers: { Prefer: 'count=exact' } });
    expect(single.headers.get('content-range')).toBe('0-0/1');
  });

  test('count=estimated is exact for RPC; count=planned gives no total; both echoed', async () => {
    const e = await req(u('/rpc/list_items'), { headers: { Prefer: 'count=estimated' } });
    expect(e.headers.get('content-range')).toBe('0-5/6');
    expect(e.headers.get('preference-applied')).toBe('count=estimated');
    const p = await req(u('/rpc/list_items'), { headers: { Prefer: 'count=planned' } });
    expect(p.headers.get('content-range')).toBe('0-5/*');
    expect(p.headers.get('preference-applied')).toBe('count=planned');
  });

  test('offset past the total with a count → 416 PGRST103; without a count → 200 []', async () => {
    const a = await req(u('/rpc/list_items?offset=100'), { headers: { Prefer: 'count=exact' } });
    expect(a.status).toBe(416);
    expect(a.headers.get('content-range')).toBe('*/6');
    expect(a.body).toEqual({ code: 'PGRST103', message: 'Requested range not satisfiable', details: 'An offset of 100 was requested, but there are only 6 rows.', hint: null });
    const b = await req(u('/rpc/list_items?offset=100'));
    expect(b.status).toBe(200);
    expect(b.body).toEqual([]);
    expect(b.headers.get('content-range')).toBe('*/*');
  });

  test('Range header on GET (intersected with limit/offset); ignored on POST; bad ranges → 416', async () => {
    const a = await req(u('/rpc/list_items?select=id'), { headers: { 'Range-Unit': 'items', Range: '1-2' } });
    expect(a.body).toEqual([{ id: 2 }, { id: 3 }]);
    expect(a.headers.get('content-range')).toBe('1-2/*');
    const open = await req(u('/rpc/list_items?select=id'), { headers: { Range: '4-' } });
    expect(open.body).toEqual([{ id: 5 }, { id: 6 }]);
    const both = await req(u('/rpc/list_items?select=id&offset=2'), { headers: { Range: '0-3' } });
    expect(both.body).toEqual([{ id: 3 }, { id: 4 }]);
    const post = await req(u('/rpc/list_items?select=id'), { method: 'POST', headers: { Range: '1-2' } });
    expect(post.body).toHaveLength(6);
    const bad = await req(u('/rpc/list_items'), { headers: { Range: '3-1' } });
    expect(bad.status).toBe(416);
    expect(bad.body).toEqual({
      code: 'PGRST103', message: 'Requested range not satisfiable',
      details: 'The lower boundary must be lower than or equal to the upper boundary in the Range header.', hint: null,
    });
    const hugeLimit = await req(u('/rpc/list_items?select=id&limit=99999999999999999999999&offset=5'));
    expect(hugeLimit.body).toEqual([{ id: 6 }]);
    const negOffset = await req(u('/rpc/list_items?offset=-1'));
    expect(negOffset.status).toBe(400);
    expect(negOffset.body.code).toBe('PGRST100');
    const neg = await req(u('/rpc/list_items?limit=-1'));
    expect(neg.status).toBe(416);
    expect(neg.body.details).toBe('Limit should be greater than or equal to zero.');
  });
});

describe('Accept: singular, csv, nulls=stripped, 406', () => {
  test('singular object: one row → object; scalar → bare value', async () => {
    const a = await req(u('/rpc/items_between?p_min=2&p_max=2'), { headers: { Accept: 'application/vnd.pgrst.object+json' } });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/vnd.pgrst.object+json; charset=utf-8');
    expect(a.body).toMatchObject({ id: 2, name: 'Bravo' });
    const s = await req(u('/rpc/add_them?a=1&b=2'), { headers: { Accept: 'application/vnd.pgrst.object' } });
    expect(s.text).toBe('3');
  });

  test('singular with 0 or many rows → 406 PGRST116 and the write is rolled back', async () => {
    const many = await req(u('/rpc/list_items'), { headers: { Accept: 'application/vnd.pgrst.object+json' } });
    expect(many.status).toBe(406);
    expect(many.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(many.body).toEqual({ code: 'PGRST116', message: 'Cannot coerce the result to a single JSON object', details: 'The result contains 6 rows', hint: null });
    const zero = await req(u('/rpc/items_between?p_min=50&p_max=60'), { headers: { Accept: 'application/vnd.pgrst.object+json' } });
    expect(zero.body.details).toBe('The result contains 0 rows');
    const w = await req(u('/rpc/add_logs'), { method: 'POST', json: { p_prefix: 'single-', p_n: 2 }, headers: { Accept: 'application/vnd.pgrst.object+json' } });
    expect(w.status).toBe(406);
    const [n] = await env.db.admin`select count(*)::int as n from demo.log where msg like 'single-%'`;
    expect(n!.n).toBe(0);
    const ok = await req(u('/rpc/add_logs'), { method: 'POST', json: { p_prefix: 'single1-', p_n: 1 }, headers: { Accept: 'application/vnd.pgrst.object+json' } });
    expect(ok.status).toBe(200);
    expect(ok.body.msg).toBe('single1-1');
    const [m] = await env.db.admin`select count(*)::int as n from demo.log where msg like 'single1-%'`;
    expect(m!.n).toBe(1);
  });

  test('postgrest-js single() and maybeSingle()', async () => {
    const client = new PostgrestClient(env.gw.url, { schema: 'demo' });
    const one = await client.rpc('items_between', { p_min: 3, p_max: 3 }).single();
    expect(one.data).toMatchObject({ id: 3 });
    const none = await client.rpc('items_between', { p_min: 50, p_max: 60 }).maybeSingle();
    expect(none.error).toBeNull();
    expect(none.data).toBeNull();
    const many = await client.rpc('list_items').single();
    expect(many.error?.code).toBe('PGRST116');
  });

  test('CSV: header from the selected columns, Postgres text form, no trailing newline', async () => {
    const a = await req(u('/rpc/list_items?select=id,name&order=id&limit=2'), { headers: { Accept: 'text/csv' } });
    expect(a.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(a.text).toBe('id,name\n1,Alpha\n2,Bravo');
    const q = await req(u('/rpc/list_items?select=id,note&id=in.(3,4,5)&order=id'), { headers: { Accept: 'text/csv' } });
    expect(q.text).toBe('id,note\n3,\n4,"has, comma"\n5,"say ""hi"""');
    const client = new PostgrestClient(env.gw.url, { schema: 'demo' });
    const c = await client.rpc('item_stats').select('item_name').limit(1).csv();
    expect(c.data).toBe('item_name\nAlpha');
  });

  test('nulls=stripped for arrays and singular objects', async () => {
    const a = await req(u('/rpc/nullable_rows?order=id'), { headers: { Accept: 'application/vnd.pgrst.array+json;nulls=stripped' } });
    expect(a.body).toEqual([{ id: 1, a: 'x' }, { id: 2, b: 2 }, { id: 3 }]);
    const b = await req(u('/rpc/nullable_rows?id=eq.3'), { headers: { Accept: 'application/vnd.pgrst.object+json;nulls=stripped' } });
    expect(b.body).toEqual({ id: 3 });
  });

  test('q-values and unknown media types → 406 PGRST107', async () => {
    const a = await req(u('/rpc/list_items?select=id&limit=1'), { headers: { Accept: 'application/xml;q=0.9, text/csv' } });
    expect(a.text).toBe('id\n1');
    const b = await req(u('/rpc/list_items'), { headers: { Accept: 'application/xml' } });
    expect(b.status).toBe(406);
    expect(b.body).toEqual({ code: 'PGRST107', message: 'None of these media types are available: application/xml', details: null, hint: null });
    const c = await req(u('/rpc/add_them?a=1&b=2'), { headers: { Accept: 'text/plain' } });
    expect(c.status).toBe(406);
  });

  test('successful responses carry Vary', async () => {
    const a = await req(u('/rpc/list_items'));
    expect(a.headers.get('vary')).toBe('Accept, Prefer, Range');
    const e = await req(u('/rpc/nope'));
    expect(e.headers.get('vary')).toBeNull();
  });
});
