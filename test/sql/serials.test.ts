// Serials, the public view and the Digital Link resolver through the SQL door (app.act_as in a
// transaction), plus what only SQL can check: the catalog's grants, the definers, concurrency, row guards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import postgres from 'postgres';
import { asUser, createTestDb, type TestDb } from '../support/db.ts';
import { makeDoor } from '../support/doors.ts';
import { must, type Door } from '../support/door.ts';
import { CONSUMER_KEYS, defineSerialCases, SERIAL_USERS as U } from '../cases/serials.ts';

/** The api functions anon may execute — and nothing else, ever. */
const PUBLIC_FUNCTIONS = ['get_public_batch', 'resolve_digital_link', 'resolve_serial'];

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db?.drop());

const door = (): Door => makeDoor('sql', db.admin);

defineSerialCases(door);

describe('catalog: what anon can reach', () => {
  it('anon can execute exactly the public api functions', async () => {
    const rows = await db.admin<{ name: string; sig: string }[]>`
      select p.proname as name, p.oid::regprocedure::text as sig
        from pg_catalog.pg_proc p
       where p.pronamespace = 'api'::regnamespace and has_function_privilege('anon', p.oid, 'execute')
       order by 1`;
    expect(rows.map((r) => r.name)).toEqual(PUBLIC_FUNCTIONS);
    expect(rows.map((r) => r.sig)).toEqual([
      'api.get_public_batch(text)', 'api.resolve_digital_link(text)', 'api.resolve_serial(text)',
    ]);
    // a logged-in consumer must be able to scan too
    const auth = await db.admin<{ name: string }[]>`
      select p.proname as name from pg_catalog.pg_proc p
       where p.pronamespace = 'api'::regnamespace and p.proname = any (${PUBLIC_FUNCTIONS})
         and has_function_privilege('authenticated', p.oid, 'execute')`;
    expect(auth).toHaveLength(3);
  });

  it('anon has no privilege on any data table, column or sequence', async () => {
    const rows = await db.admin<{ rel: string }[]>`
      select c.oid::regclass::text as rel from pg_catalog.pg_class c
       where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')
         and (has_table_privilege('anon', c.oid, 'select, insert, update, delete, truncate, references, trigger')
              or (c.relkind <> 'S' and has_any_column_privilege('anon', c.oid, 'select, insert, update, references')))`;
    expect(rows).toEqual([]);
    const [usage] = await db.admin<{ u: boolean }[]>`select has_schema_privilege('anon', 'data', 'usage') as u`;
    expect(usage!.u).toBe(false);
  });

  it('authenticated cannot write data.serials directly; the definers are narrow and owned by lotline_auth', async () => {
    const [g] = await db.admin<{ ins: boolean; upd: boolean; del: boolean; sel: boolean }[]>`
      select has_table_privilege('authenticated', 'data.serials', 'insert') or has_any_column_privilege('authenticated', 'data.serials', 'insert') as ins,
             has_any_column_privilege('authenticated', 'data.serials', 'update') as upd,
             has_table_privilege('authenticated', 'data.serials', 'delete') as del,
             has_table_privilege('authenticated', 'data.serials', 'select') as sel`;
    expect(g).toEqual({ ins: false, upd: false, del: false, sel: true });
    const defs = await db.admin<{ sig: string; owner: string; config: string[] | null; anon: boolean; pub: boolean }[]>`
      select p.oid::regprocedure::text as sig, pg_get_userbyid(p.proowner) as owner, p.proconfig as config,
             has_function_privilege('anon', p.oid, 'execute') as anon,
             coalesce(p.proacl::text like '%,=X/%' or p.proacl::text like '{=X/%', true) as pub
        from pg_catalog.pg_proc p
       where p.pronamespace = 'app'::regnamespace and p.prosecdef
         and p.proname in ('serials_insert', 'serials_void', 'public_view')
       order by 1`;
    expect(defs.map((d) => d.sig)).toEqual([
      'app.public_view(text,text,text,text,text)', 'app.serials_insert(uuid,uuid,integer,text[])', 'app.serials_void(uuid,uuid,text,text)',
    ]);
    for (const d of defs) {
      expect(d.owner).toBe('lotline_auth');
      expect(d.config).toContain('search_path=""');
      expect(d.pub).toBe(false); // not executable by PUBLIC
      expect(d.anon).toBe(d.sig.startsWith('app.public_view'));
    }
  });

  it('the consumer view type has exactly the consumer fields', async () => {
    const rows = await db.admin<{ name: string }[]>`
      select a.attname as name from pg_catalog.pg_attribute a
       where a.attrelid = 'api.consumer_view'::regclass and a.attnum > 0 and not a.attisdropped`;
    expect(rows.map((r) => r.name).sort()).toEqual(CONSUMER_KEYS);
    // and the public functions return it
    const ret = await db.admin<{ t: string }[]>`
      select distinct p.prorettype::regtype::text as t from pg_catalog.pg_proc p
       where p.pronamespace = 'api'::regnamespace and p.proname = any (${PUBLIC_FUNCTIONS})`;
    expect(ret).toEqual([{ t: 'api.consumer_view' }]);
  });
});

describe('SQL-only rules', () => {
  let brand: string;
  let batch: string;
  beforeAll(async () => {
    const d = door();
    brand = must<{ id: string }>(await d.call(U.alice, 'create_brand', { _name: 'SQL serials' })).id;
    must(await d.call(U.alice, 'add_brand_member', { _brand_id: brand, _user_id: U.eve.sub, _role: 'editor' }));
    const p = must<{ id: string }>(await d.call(U.alice, 'create_product', { _brand_id: brand, _name: 'P', _gtin: '614141000036', _serialized: true }));
    batch = must<{ id: string }>(await d.call(U.alice, 'create_product_batch', { _brand_id: brand, _product_id: p.id, _batch_number: 'SQL-1' })).id;
  });

  it('a member writing data.serials directly is refused (42501); the definer checks the role itself', async () => {
    const direct = asUser(db.admin, U.alice, (tx) => tx`
      insert into data.serials (brand_id, batch_id, seq, serial_number, code) values (${brand}, ${batch}, 1, '1', 'AAAAAAAAAAAAAAAA')`);
    await expect(direct).rejects.toMatchObject({ code: '42501' });
    const helper = asUser(db.admin, U.eve, (tx) => tx`select * from app.serials_insert(${brand}, ${batch}, 5)`);
    await expect(helper).rejects.toMatchObject({ code: '42501' });
    const voider = asUser(db.admin, U.eve, (tx) => tx`select * from app.serials_void(${brand}, ${batch}, '1', 'x')`);
    await expect(voider).rejects.toMatchObject({ code: '42501' });
    const anonHelper = asUser(db.admin, null, (tx) => tx`select * from app.serials_insert(${brand}, ${batch}, 5)`);
    await expect(anonHelper).rejects.toMatchObject({ code: '42501' });
    const [n] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.serials where brand_id = ${brand}`;
    expect(n!.n).toBe(0);
  });

  it('anon reading a data table directly is refused', async () => {
    for (const t of ['serials', 'batches', 'products', 'brands']) {
      await expect(asUser(db.admin, null, (tx) => tx.unsafe(`select 1 from data.${t} limit 1`))).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('concurrent mints on one batch get disjoint, gap-free seq ranges', async () => {
    const b = must<{ id: string }>(await door().call(U.alice, 'create_product_batch', { _brand_id: brand, _product_id: (await db.admin<{ id: string }[]>`select product_id as id from data.batches where id = ${batch}`)[0]!.id, _batch_number: 'CONC-1' })).id;
    const conns = Array.from({ length: 6 }, () => postgres(db.adminUrl, { max: 1, onnotice: () => {} }));
    try {
      const results = await Promise.all(conns.map((c, i) =>
        asUser(c, U.alice, (tx) => i % 2 === 0
          ? tx<{ first_seq: string; last_seq: string }[]>`select first_seq, last_seq from api.mint_serials(${brand}, ${b}, 2000)`
          : tx<{ first_seq: string; last_seq: string }[]>`select first_seq, last_seq from api.import_serials(${brand}, ${b}, ${tx.json(Array.from({ length: 500 }, (_, k) => `C${i}-${k}`))})`)));
      const ranges = results.map((r) => [Number(r[0]!.first_seq), Number(r[0]!.last_seq)] as const).sort((x, y) => x[0] - y[0]);
      let next = 1;
      for (const [a, z] of ranges) {
        expect(a).toBe(next);
        next = z + 1;
      }
      const [s] = await db.admin<{ n: number; seqs: number; codes: number; max: string }[]>`
        select count(*)::int as n, count(distinct seq)::int as seqs, count(distinct code)::int as codes, max(seq)::text as max
          from data.serials where brand_id = ${brand} and batch_id = ${b}`;
      expect(s).toEqual({ n: 3 * 2000 + 3 * 500, seqs: 7500, codes: 7500, max: '7500' });
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });

  it('100,000 serials in one call: distinct codes, one statement, timed', async () => {
    const pid = (await db.admin<{ id: string }[]>`select product_id as id from data.batches where id = ${batch}`)[0]!.id;
    const b = must<{ id: string }>(await door().call(U.alice, 'create_product_batch', { _brand_id: brand, _product_id: pid, _batch_number: 'BIG-1' })).id;
    const t0 = performance.now();
    const [r] = await asUser(db.admin, U.alice, (tx) => tx<{ minted: number }[]>`select minted from api.mint_serials(${brand}, ${b}, 100000)`);
    const ms = performance.now() - t0;
    expect(r!.minted).toBe(100000);
    const [s] = await db.admin<{ n: number; codes: number; sn: number; minseq: string; maxseq: string }[]>`
      select count(*)::int as n, count(distinct code)::int as codes, count(distinct serial_number)::int as sn,
             min(seq)::text as minseq, max(seq)::text as maxseq
        from data.serials where brand_id = ${brand} and batch_id = ${b}`;
    expect(s).toEqual({ n: 100000, codes: 100000, sn: 100000, minseq: '1', maxseq: '100000' });
    console.log(`mint_serials 100k: ${ms.toFixed(0)} ms (${Math.round(100000 / (ms / 1000))} serials/s)`);
    expect(ms).toBeLessThan(25_000);
  }, 60_000);

  it('row guard: identity never changes and void is final, even for the superuser', async () => {
    const d = door();
    must(await d.call(U.alice, 'mint_serials', { _brand_id: brand, _batch_id: batch, _count: 2 }));
    await expect(db.admin`update data.serials set code = 'BBBBBBBBBBBBBBBB' where brand_id = ${brand} and batch_id = ${batch} and seq = 1`)
      .rejects.toMatchObject({ code: 'PT409' });
    await expect(db.admin`update data.serials set serial_number = 'X' where brand_id = ${brand} and batch_id = ${batch} and seq = 1`)
      .rejects.toMatchObject({ code: 'PT409' });
    must(await d.call(U.alice, 'void_serial', { _brand_id: brand, _batch_id: batch, _code: '2', _reason: 'test' }));
    await expect(db.admin`update data.serials set status = 'active', voided_at = null, void_reason = null where brand_id = ${brand} and batch_id = ${batch} and seq = 2`)
      .rejects.toMatchObject({ code: 'PT409' });
    // a void needs a reason and a time (constraints)
    await expect(db.admin`update data.serials set status = 'void', voided_at = now() where brand_id = ${brand} and batch_id = ${batch} and seq = 1`)
      .rejects.toMatchObject({ code: '23514' });
  });

  it('a batch with serials cannot be deleted (409: archive it)', async () => {
    const r = await door().call(U.alice, 'delete_product_batch', { _brand_id: brand, _batch_id: batch });
    expect(r.error?.code).toBe('PT409');
  });

  it('GTIN check digits: published GS1 examples and a property against a reference implementation', async () => {
    const valid = ['4006381333931', '09506000134352', '96385074', '614141000036', '036000291452', '5901234123457', '00012345600012'];
    const invalid = ['4006381333932', '09506000134353', '96385075', '614141000037', '036000291453'];
    const [r] = await db.admin<{ ok: boolean[]; bad: boolean[] }[]>`
      select array(select app.gtin_check_digit_ok(x) from unnest(${valid}::text[]) x) as ok,
             array(select app.gtin_check_digit_ok(x) from unnest(${invalid}::text[]) x) as bad`;
    expect(r!.ok.every(Boolean)).toBe(true);
    expect(r!.bad.some(Boolean)).toBe(false);
    const checkDigit = (body: string) => {
      const d = body.padStart(13, '0').split('').map(Number);
      const sum = d.reduce((acc, n, i) => acc + n * (i % 2 === 0 ? 3 : 1), 0);
      return String((10 - (sum % 10)) % 10);
    };
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(7, 11, 12, 13), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 13, maxLength: 13 }), fc.integer({ min: 0, max: 9 }),
      async (len, digits, other) => {
        const body = digits.slice(0, len).join('');
        const good = body + checkDigit(body);
        const wrong = body + String((Number(checkDigit(body)) + 1 + (other % 9)) % 10);
        const [x] = await db.admin<{ g: string; w: boolean }[]>`select app.normalize_gtin(${good}) as g, app.gtin_check_digit_ok(${wrong}) as w`;
        expect(x!.g).toBe(good.padStart(14, '0'));
        expect(x!.w).toBe(false);
      }), { numRuns: 60 });
  });

  it('Digital Link percent-encoding: matches a reference encoder and round-trips any text', async () => {
    const ref = (x: string) => x.replace(/[^A-Za-z0-9._~-]/gu, (c) => [...Buffer.from(c, 'utf8')].map((n) => `%${n.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((x) => !x.includes('\u0000')), async (x) => {
      const [r] = await db.admin<{ e: string; d: string; l: string }[]>`
        select app.dl_encode(${x}) as e, app.dl_decode(app.dl_encode(${x})) as d,
               app.dl_decode(lower(app.dl_encode(${x}))) as l`;
      expect(r!.e).toBe(ref(x));
      expect(r!.d).toBe(x);
      if (!/[A-Za-z]/.test(x)) expect(r!.l).toBe(x); // lower-case hex decodes the same
    }), { numRuns: 200 });
    const [p] = await db.admin<{ gtin: string; cpv: string; lot: string; serial: string }[]>`
      select * from app.dl_parse('https://example.com/a/b/01/9506000134352/22/V%201/10/A%2FB%201%25/21/x%3Fy?17=261231')`;
    expect(p).toEqual({ gtin: '09506000134352', cpv: 'V 1', lot: 'A/B 1%', serial: 'x?y' });
    const [b] = await db.admin<{ l: string }[]>`select app.dl_build('09506000134352', 'A/B 1%', 'x?y') as l`;
    expect(b!.l).toBe('/01/09506000134352/10/A%2FB%201%25/21/x%3Fy');
  });

  it('GS1 AI 21 character set 82 (exactly 82 characters accepted)', async () => {
    const [r] = await db.admin<{ n: number; chars: string }[]>`
      select count(*)::int as n, string_agg(chr(c), '' order by c) as chars
        from generate_series(32, 126) c where app.gs1_ai82_ok(chr(c))`;
    expect(r!.n).toBe(82);
    expect(r!.chars).toBe(`!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`);
    const [l] = await db.admin<{ a: boolean; b: boolean; c: boolean }[]>`
      select app.gs1_ai82_ok(repeat('a', 20)) as a, app.gs1_ai82_ok(repeat('a', 21)) as b, app.gs1_ai82_ok('') as c`;
    expect(l).toEqual({ a: true, b: false, c: false });
  });
});
