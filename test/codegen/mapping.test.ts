// The Postgres → TypeScript / zod mapping on a fixture schema that uses what lotline's api does
// not (yet): every scalar type of the table in docs/typed-clients.md, enums, domains, nested
// composites and composite arrays, a non-exposed table row, OUT and RETURNS TABLE columns (with an
// OUT parameter before a defaulted input, the trap both PostgREST and postgres-meta fall into),
// overloads, VARIADIC, set-returning scalars, void, a single unnamed json argument, composite
// arguments, and functions PostgREST cannot call.
// The rendered files are written to a temporary folder, type-checked with tsc together with type
// assertions, and the rendered server-side client is imported and run against the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTestDb, type TestDb } from '../support/db.ts';
import { loadCatalog } from '../../src/catalog/introspect.ts';
import { renderAll } from '../../src/codegen/index.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const S = 'cg_fixture';

const FIXTURE = `
create schema ${S};
create schema cg_private;
create type ${S}.mood as enum ('happy', 'sad', 'it''s complicated');
create domain ${S}.posint as integer check (value > 0);
create type ${S}.inner as (x uuid, y boolean);
create type ${S}.pair as (
  i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, t text, vc varchar(10), u uuid, b boolean,
  d date, ts timestamp, tstz timestamptz, tm time, iv interval, j json, jb jsonb, ba bytea, nm name, ip inet,
  arr text[], mood ${S}.mood, pos ${S}.posint, inners ${S}.inner[], "Odd Name" text
);
create table cg_private.thing (id uuid primary key, n integer not null);

create function ${S}.everything(
  _i2 int2, _i4 int4, _i8 int8, _n numeric, _t text, _u uuid, _b boolean, _d date, _tstz timestamptz,
  _jb jsonb, _arr text[], _mood ${S}.mood, _pos ${S}.posint default 1, _iv interval default '1 day')
returns ${S}.pair language sql stable as $$
  select row(_i2, _i4, _i8, 1.5::float4, 2.25::float8, _n, _t, 'vc', _u, _b, _d, '2024-01-02 03:04:05'::timestamp, _tstz,
             '10:11:12'::time, _iv, '{"a":[1,2]}'::json, _jb, '\\x0102'::bytea, 'nm'::name, '10.0.0.1'::inet, _arr, _mood, _pos,
             array[row(_u, true)::${S}.inner, row(null, null)::${S}.inner], 'odd')::${S}.pair
$$;
comment on function ${S}.everything(int2, int4, int8, numeric, text, uuid, boolean, date, timestamptz, jsonb, text[], ${S}.mood, ${S}.posint, interval)
  is 'Echo every argument in a pair. */ A comment with a closing marker.';
create function ${S}.echo_int8(_v int8) returns int8 language sql immutable as $$ select _v $$;
create function ${S}.nothing() returns void language sql volatile as $$ select $$;
create function ${S}.ints(_n integer) returns setof integer language sql stable as $$ select * from generate_series(1, _n) union all select null $$;
create function ${S}.numbered(_n integer) returns table (k integer, label text) language sql stable as $$ select g, 'n' || g from generate_series(1, _n) g $$;
create function ${S}.out_fn(_a integer, out doubled integer, _b integer default 3, out tripled integer)
  language sql immutable as $$ select _a * 2, _b * 3 $$;
create function ${S}.one_out(_a integer, out plus_one integer) language sql immutable as $$ select _a + 1 $$;
create function ${S}.pick(_a integer) returns text language sql immutable as $$ select 'int ' || _a $$;
create function ${S}.pick(_s text, _t text default null) returns text language sql immutable as $$ select 'text ' || _s || coalesce(_t, '') $$;
create function ${S}.total(variadic _vals integer[]) returns integer language sql immutable as $$ select sum(v)::integer from unnest(_vals) v $$;
create function ${S}.private_row() returns cg_private.thing language sql stable as $$ select '00000000-0000-0000-0000-000000000001'::uuid, 7 $$;
create function ${S}.private_rows() returns setof cg_private.thing language sql stable as $$ select '00000000-0000-0000-0000-000000000001'::uuid, 7 $$;
create function ${S}.moods() returns setof ${S}.mood language sql stable as $$ select unnest(enum_range(null::${S}.mood)) $$;
create function ${S}.first_inner(_p ${S}.inner) returns boolean language sql immutable as $$ select (_p).y $$;
create function ${S}.count_inner(_ps ${S}.inner[]) returns integer language sql immutable as $$ select cardinality(_ps) $$;
create function ${S}.raw(json) returns json language sql immutable as $$ select $1 $$;
create function ${S}.two_unnamed(integer, integer) returns integer language sql immutable as $$ select $1 + $2 $$;
create function ${S}.tg() returns trigger language plpgsql as $$ begin return null; end $$;
create procedure ${S}.proc() language sql as $$ select $$;
grant usage on schema ${S}, cg_private to authenticated;
grant execute on all functions in schema ${S} to authenticated;
`;

// Type assertions compiled against the rendered files (in the temporary folder).
const ASSERTIONS = `
import type { Database, Json } from './database.ts';
import { createClient } from './client.ts';
import postgres from 'postgres';
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function check<T extends true>(_?: T): void {}
type F = Database['${S}']['Functions'];
type C = Database['${S}']['CompositeTypes'];
type Mood = 'happy' | 'sad' | "it's complicated";
check<Equal<Database['${S}']['Enums']['mood'], Mood>>();
check<Equal<C['inner'], { x: string | null; y: boolean | null }>>();
check<Equal<C['pair'], {
  i2: number | null; i4: number | null; i8: number | null; f4: number | null; f8: number | null; n: number | null;
  t: string | null; vc: string | null; u: string | null; b: boolean | null; d: string | null; ts: string | null;
  tstz: string | null; tm: string | null; iv: string | null; j: Json; jb: Json; ba: string | null; nm: string | null;
  ip: string | null; arr: string[] | null; mood: Mood | null; pos: number | null; inners: C['inner'][] | null;
  'Odd Name': string | null;
}>>();
check<Equal<F['everything']['Args'], {
  _i2: number; _i4: number; _i8: number; _n: number; _t: string; _u: string; _b: boolean; _d: string; _tstz: string;
  _jb: Json; _arr: string[]; _mood: Mood; _pos?: number | null; _iv?: string | null;
}>>();
check<Equal<F['everything']['Returns'], C['pair']>>();
check<Equal<F['echo_int8']['Returns'], number | null>>();
check<Equal<F['nothing'], { Args: Record<PropertyKey, never>; Returns: undefined }>>();
check<Equal<F['ints']['Returns'], (number | null)[]>>();
check<Equal<F['numbered']['Returns'], { k: number | null; label: string | null }[]>>();
check<Equal<F['out_fn']['Args'], { _a: number; _b?: number | null }>>();
check<Equal<F['out_fn']['Returns'], { doubled: number | null; tripled: number | null }>>();
check<Equal<F['one_out']['Returns'], { plus_one: number | null }>>();
check<Equal<F['pick']['Args'], { _a: number } | { _s: string; _t?: string | null }>>();
check<Equal<F['total']['Args'], { _vals: number[] }>>();
check<Equal<F['private_row']['Returns'], { id: string | null; n: number | null }>>();
check<Equal<F['private_rows']['Returns'], { id: string | null; n: number | null }[]>>();
check<Equal<F['moods']['Returns'], (Mood | null)[]>>();
check<Equal<F['first_inner']['Args'], { _p: C['inner'] }>>();
check<Equal<F['count_inner']['Args'], { _ps: C['inner'][] }>>();
check<Equal<F['raw']['Args'], { '': Json }>>();
check<Equal<keyof F, 'count_inner' | 'echo_int8' | 'everything' | 'first_inner' | 'ints' | 'moods' | 'nothing' | 'numbered'
  | 'one_out' | 'out_fn' | 'pick' | 'private_row' | 'private_rows' | 'raw' | 'total'>>();
export async function calls(): Promise<void> {
  const c = createClient(postgres('x')).schema('${S}').as({ sub: 'u' });
  check<Equal<Awaited<ReturnType<typeof c.rpc<'pick', { _a: number }>>>, string | null>>();
  const v: undefined = await c.rpc('nothing');
  const p = await c.rpc('pick', { _s: 'a' });
  // @ts-expect-error TS2322 an argument of neither overload
  await c.rpc('pick', { _s: 'a', _x: 1 });
  void v; void p;
}
`;

let db: TestDb;
let dir: string;
let files: Record<string, string>;
beforeAll(async () => {
  db = await createTestDb();
  await db.admin.unsafe(FIXTURE);
  files = renderAll(await loadCatalog(db.admin, [S]));
  dir = mkdtempSync(join(tmpdir(), 'lotline-mapping-'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n'); // ESM, like the project
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'assertions.ts'), ASSERTIONS);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: ['./*.ts'] }));
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await db?.drop();
});

describe('Postgres → TypeScript / zod mapping (fixture schema)', () => {
  it('the rendered files and the type assertions compile', () => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['--noEmit', '--pretty', 'false', '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('zod schemas: JSON forms of each type', () => {
    const z = files['zod.ts']!;
    for (const line of [
      'i2: z.int().min(-32768).max(32767).nullable(),',
      'i4: z.int32().nullable(),',
      'i8: z.int().nullable(),',
      'n: z.number().nullable(),',
      'u: z.guid().nullable(),',
      'd: z.iso.date().nullable(),',
      'ts: z.iso.datetime({ local: true }).nullable(),',
      'tstz: z.iso.datetime({ offset: true }).nullable(),',
      'tm: z.iso.time().nullable(),',
      'jb: json.nullable(),',
      'arr: z.array(z.string()).nullable(),',
      `mood: ${S}__mood.nullable(),`,
      'pos: z.int32().nullable(),',
      `inners: z.array(${S}__inner).nullable(),`,
      '"Odd Name": z.string().nullable(),',
      '_tstz: z.iso.datetime({ offset: true, local: true }),',
      `export const ${S}__mood = z.enum(['happy', 'sad', 'it\\'s complicated']);`,
    ]) expect(z).toContain(line);
    // dependencies are declared before use
    expect(z.indexOf(`export const ${S}__inner =`)).toBeLessThan(z.indexOf(`export const ${S}__pair =`));
    // the comment's */ cannot end the doc comment early
    expect(files['database.ts']).toContain('*\\/ A comment with a closing marker.');
    // not callable by PostgREST, so not generated
    for (const fn of ['two_unnamed', 'tg', 'proc']) expect(files['database.ts']).not.toContain(`${fn}:`);
  });

  it('the rendered server-side client calls every shape correctly and its results pass zod', async () => {
    const mod = (await import(pathToFileURL(join(dir, 'client.ts')).href)) as typeof import('../../generated/client.ts');
    const sql = postgres(db.authenticatorUrl, { max: 2, onnotice: () => {} });
    try {
      const u = (mod.createClient(sql) as unknown as { schema(s: string): { as(w: { sub: string }): { rpc(n: string, a?: object): Promise<unknown> } } })
        .schema(S).as({ sub: 'user-1' });
      const pair = (await u.rpc('everything', {
        _i2: 2, _i4: 4, _i8: 2 ** 40, _n: 1.25, _t: 'it\'s "quoted" \\ text', _u: '12345678-1234-1234-1234-123456789abc', _b: true,
        _d: '2024-02-29', _tstz: '2024-01-02T03:04:05.123456+02:00', _jb: { k: [1, 'two', null] },
        _arr: ['a', 'b,c', 'd"e', '', 'NULL', '{x}'], _mood: "it's complicated", _pos: 5,
      })) as Record<string, unknown>;
      expect(pair).toMatchObject({
        i2: 2, i4: 4, i8: 2 ** 40, f4: 1.5, f8: 2.25, n: 1.25, t: 'it\'s "quoted" \\ text', vc: 'vc', b: true, d: '2024-02-29',
        ts: '2024-01-02T03:04:05', tm: '10:11:12', iv: '1 day', j: { a: [1, 2] }, jb: { k: [1, 'two', null] }, ba: '\\x0102',
        nm: 'nm', ip: '10.0.0.1', arr: ['a', 'b,c', 'd"e', '', 'NULL', '{x}'], mood: "it's complicated", pos: 5, 'Odd Name': 'odd',
        inners: [{ x: '12345678-1234-1234-1234-123456789abc', y: true }, { x: null, y: null }],
      });
      expect(new Date(pair.tstz as string).toISOString()).toBe('2024-01-02T01:04:05.123Z');
      expect(await u.rpc('echo_int8', { _v: 9007199254740991 })).toBe(9007199254740991);
      expect(await u.rpc('nothing')).toBeUndefined();
      expect(await u.rpc('ints', { _n: 2 })).toEqual([1, 2, null]);
      expect(await u.rpc('numbered', { _n: 2 })).toEqual([{ k: 1, label: 'n1' }, { k: 2, label: 'n2' }]);
      expect(await u.rpc('out_fn', { _a: 2 })).toEqual({ doubled: 4, tripled: 9 });
      expect(await u.rpc('out_fn', { _a: 2, _b: 5 })).toEqual({ doubled: 4, tripled: 15 });
      expect(await u.rpc('one_out', { _a: 1 })).toEqual({ plus_one: 2 });
      expect(await u.rpc('pick', { _a: 1 })).toBe('int 1');
      expect(await u.rpc('pick', { _s: 'a', _t: 'b' })).toBe('text ab');
      expect(await u.rpc('total', { _vals: [1, 2, 3] })).toBe(6);
      expect(await u.rpc('private_row')).toEqual({ id: '00000000-0000-0000-0000-000000000001', n: 7 });
      expect(await u.rpc('private_rows')).toEqual([{ id: '00000000-0000-0000-0000-000000000001', n: 7 }]);
      expect(await u.rpc('moods')).toEqual(['happy', 'sad', "it's complicated"]);
      expect(await u.rpc('first_inner', { _p: { x: null, y: true } })).toBe(true);
      expect(await u.rpc('count_inner', { _ps: [{ x: null, y: true }, { y: false }] })).toBe(2);
      expect(await u.rpc('raw', { '': { a: 1 } })).toEqual({ a: 1 });
      // array elements are typed non-null (docs/typed-clients.md): a null element is reported, not passed on
      await expect(u.rpc('everything', {
        _i2: 1, _i4: 1, _i8: 1, _n: 1, _t: '', _u: '12345678-1234-1234-1234-123456789abc', _b: false, _d: '2024-01-01',
        _tstz: '2024-01-01T00:00:00Z', _jb: null, _arr: ['a', null], _mood: 'sad',
      })).rejects.toMatchObject({ name: 'RpcResultError', message: expect.stringContaining('arr.1') });
      // an int8 beyond 2^53 cannot arrive exactly as a JSON number: the zod check says so
      await expect(u.rpc('echo_int8', { _v: '9007199254740993' })).rejects.toMatchObject({ name: 'RpcResultError' });
      // overload resolution, unknown and missing arguments, as PostgREST
      await expect(u.rpc('pick', { _x: 1 })).rejects.toMatchObject({ code: 'PGRST202' });
      await expect(u.rpc('everything', { _i2: 1 })).rejects.toMatchObject({ code: 'PGRST202' });
      // SQL errors carry code/message/details/hint
      const err = await u.rpc('echo_int8', { _v: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(mod.RpcError);
      expect((err as InstanceType<typeof mod.RpcError>).toJSON()).toEqual({
        code: '22P02', message: 'invalid input syntax for type bigint: "x"', details: null, hint: null,
      });
      // a domain's check runs on the way in
      await expect(u.rpc('everything', {
        _i2: 1, _i4: 1, _i8: 1, _n: 1, _t: '', _u: '12345678-1234-1234-1234-123456789abc', _b: false, _d: '2024-01-01',
        _tstz: '2024-01-01T00:00:00Z', _jb: null, _arr: [], _mood: 'sad', _pos: 0,
      })).rejects.toMatchObject({ code: '23514' });
    } finally {
      await sql.end();
    }
  });
});
