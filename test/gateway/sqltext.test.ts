// Request values reach SQL only as escaped literals: the server must read back exactly what was sent,
// whatever the string and whatever standard_conforming_strings says.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ident, literal } from '../../src/gateway/sqltext.ts';
import { ApiError } from '../../src/gateway/errors.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.drop());

const nasty = ["'", "''", '\\', "\\'", "'; drop table x; --", '$$', '$a$', '"', 'E\'x', '\u00e9\u4e2d\u{1F600}', '\\x41', '\n\r\t'];

describe('literal()', () => {
  test.each(['on', 'off'])('round-trips through the server with standard_conforming_strings=%s', async (scs) => {
    await db.admin.begin(async (tx) => {
      await tx.unsafe(`set local standard_conforming_strings = ${scs}`);
      const samples = [...nasty, ...fc.sample(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\u0000')), 300)];
      // one statement with all the literals: any escaping mistake shifts or breaks the row
      const sql = `select ${samples.map((s, i) => `${literal(s)} as c${i}`).join(', ')}`;
      const [row] = await tx.unsafe(sql);
      samples.forEach((s, i) => expect(row![`c${i}`], JSON.stringify(s)).toBe(s));
    });
  });

  test('NUL cannot be represented: 400 22021 like the server', () => {
    expect(() => literal('a\u0000b')).toThrow(ApiError);
    try {
      literal('\u0000');
    } catch (e) {
      expect((e as ApiError).status).toBe(400);
      expect((e as ApiError).code).toBe('22021');
    }
  });

  test('ident() quotes every name', async () => {
    expect(ident('a"b')).toBe('"a""b"');
    const [row] = await db.admin.unsafe(`select 1 as ${ident('we"ird name')}`);
    expect(row!['we"ird name']).toBe(1);
  });
});
