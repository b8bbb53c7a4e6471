// The pieces the gateway's SQL is built from: quoted catalog identifiers, array literals that travel as
// parameter VALUES, the JSON depth scan, and the renaming of generated result keys.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { createTestDb, type TestDb } from '../support/db.ts';
import { arrayLiteral, ident, Params } from '../../src/gateway/sqltext.ts';
import { jsonDepth, renameRowKeys } from '../../src/gateway/jsonraw.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.drop());

const nasty = ["'", "''", '\\', "\\'", "'; drop table x; --", '$$', '$a$', '"', 'E\'x', '\u00e9\u4e2d\u{1F600}', '\\x41', '\n\r\t',
  'NULL', 'null', '', ' ', '{', '}', ',', '{a,b}', '"a","b"', '$1'];

describe('arrayLiteral() (a parameter value, cast to text[])', () => {
  test('round-trips arbitrary strings through the server as a bound parameter', async () => {
    const samples = [nasty, ...fc.sample(fc.array(fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\u0000')), { maxLength: 8 }), 300)];
    for (const items of samples) {
      const [row] = await db.admin.unsafe<{ a: string[] }[]>('select $1::text[] as a', [db.admin.typed(arrayLiteral(items), 25)] as never[]);
      expect(row!.a, JSON.stringify(items)).toEqual(items);
    }
  });

  test('an empty list is an empty array', async () => {
    const [row] = await db.admin.unsafe<{ n: number }[]>('select cardinality($1::text[]) as n', [db.admin.typed(arrayLiteral([]), 25)] as never[]);
    expect(row!.n).toBe(0);
  });
});

describe('Params', () => {
  test('placeholders are numbered in the order values are added', () => {
    const p = new Params();
    expect(p.add('a')).toBe('$1');
    expect(p.add(null)).toBe('$2');
    expect(p.values).toEqual(['a', null]);
  });
});

describe('ident()', () => {
  test('quotes every name', async () => {
    expect(ident('a"b')).toBe('"a""b"');
    const [row] = await db.admin.unsafe(`select 1 as ${ident('we"ird name')}`);
    expect(row!['we"ird name']).toBe(1);
  });
});

describe('jsonDepth()', () => {
  test.each([
    ['1', 0], ['"x"', 0], ['[]', 1], ['{}', 1], ['{"a":[1,{"b":2}]}', 3], ['["[[[", "{{"]', 1],
    ['"\\"[["', 0], ['[[1],[2]]', 2], ['{{{', 3], ['not json [ at all', 1],
  ])('%s → %i', (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  test('stops counting past the limit (deep input is cheap to refuse)', () => {
    expect(jsonDepth('['.repeat(200_000), 64)).toBe(65);
    expect(jsonDepth('['.repeat(64) + ']'.repeat(64), 64)).toBe(64);
  });
});

describe('renameRowKeys()', () => {
  const map = new Map([['pgrst_1', 'my name'], ['pgrst_2', 'x"y']]);
  test('renames the keys of each row, nothing nested and no values', () => {
    const body = '[{"pgrst_1":"pgrst_1","id":1,"pgrst_2":{"pgrst_1":[1,{"pgrst_2":2}]}}, \n {"pgrst_1":null,"id":2,"pgrst_2":"a\\"b"}]';
    expect(JSON.parse(renameRowKeys(body, map, false))).toEqual([
      { 'my name': 'pgrst_1', id: 1, 'x"y': { pgrst_1: [1, { pgrst_2: 2 }] } },
      { 'my name': null, id: 2, 'x"y': 'a"b' },
    ]);
  });
  test('a singular body is one row object (or null)', () => {
    expect(JSON.parse(renameRowKeys('{"pgrst_1" : 1, "pgrst_2" : [{"pgrst_1":3}]}', map, true))).toEqual({ 'my name': 1, 'x"y': [{ pgrst_1: 3 }] });
    expect(renameRowKeys('null', map, true)).toBe('null');
    expect(renameRowKeys('[]', map, false)).toBe('[]');
  });
});
