// Foundation RPCs through the SQL door (app.act_as in a transaction, as a DBA in psql).
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { asUser } from '../support/db.ts';
import { defineCoreCases } from '../cases/core.ts';

const t = useDoor('sql');
defineCoreCases(t.door);

describe('SQL specifics of the foundation RPCs', () => {
  it('a missing required argument has no matching function (42883), as psql reports it', async () => {
    const err = await asUser(t.db.admin, { sub: 'alice' }, (tx) =>
      tx`select api.create_product_batch(_brand_id => gen_random_uuid(), _product_id => gen_random_uuid())`,
    ).catch((e: { code: string }) => e);
    expect((err as { code: string }).code).toBe('42883');
  });

  it('authenticated cannot write the tables directly beyond its role (RLS), even in psql', async () => {
    const brand = await asUser(t.db.admin, { sub: 'sally' }, (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => 'Sally')`);
    const err = await asUser(t.db.admin, { sub: 'mallory' }, (tx) =>
      tx`insert into data.products (brand_id, name) values (${brand[0]!.id}, 'planted')`,
    ).catch((e: { code: string }) => e);
    expect((err as { code: string }).code).toBe('42501');
    const rows = await asUser(t.db.admin, { sub: 'mallory' }, (tx) => tx`select * from data.brands`);
    expect(rows.length).toBe(0);
  });

  it('app.act_as refuses a user id with control characters, as the gateway refuses such a token (400 printable)', async () => {
    for (const sub of ['alice\nadmin', 'al\tice', 'alice\u0085', 'alice\u2028', '\u001b[31m']) {
      const err = await asUser(t.db.admin, { sub }, (tx) => tx`select 1`).catch((e: { code: string; detail?: string }) => e);
      expect((err as { code: string }).code, JSON.stringify(sub)).toBe('22023');
      expect(JSON.parse((err as { detail: string }).detail)).toMatchObject({ field: '_sub', rule: 'printable' });
    }
    const ok = await asUser(t.db.admin, { sub: 'alice@example.com|ü' }, (tx) => tx<{ id: string }[]>`select app.current_user_id() as id`);
    expect(ok[0]!.id).toBe('alice@example.com|ü');
  });
});
