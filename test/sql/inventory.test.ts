// Inventory through the SQL door (app.act_as in a transaction, as a DBA in psql), plus what only the SQL
// door can show: the tables themselves refuse direct writes and the ledger refuses changes.
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { asUser } from '../support/db.ts';
import { defineInventoryCases } from '../cases/inventory.ts';

const t = useDoor('sql');
defineInventoryCases(t.door);

describe('direct writes are refused (SQL door)', () => {
  it('authenticated has no write privilege on stock, the ledger, inbounds or transfers; the ledger is append-only even for a superuser', async () => {
    const sub = 'inv-direct';
    const [brand] = await asUser(t.db.admin, { sub }, (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => 'Direct')`);
    const brandId = brand!.id;
    const [loc] = await asUser(t.db.admin, { sub }, (tx) => tx<{ id: string }[]>`select id from api.create_location(_brand_id => ${brandId}, _name => 'L')`);
    const [product] = await asUser(t.db.admin, { sub }, (tx) => tx<{ id: string }[]>`select id from api.create_product(_brand_id => ${brandId}, _name => 'P')`);
    const [inb] = await asUser(t.db.admin, { sub }, (tx) => tx<{ lines: { batch_id: string }[] }[]>`
      select to_json(lines) as lines from api.receive_inbound(_brand_id => ${brandId}, _location_id => ${loc!.id},
        _lines => ${tx.json([{ product_id: product!.id, batch_number: 'D-1', quantity: 5 }])})`);
    const batchId = inb!.lines[0]!.batch_id;
    const attempts = [
      `update data.stock set quantity = 1000 where brand_id = '${brandId}'`,
      `insert into data.stock (brand_id, batch_id, location_id, quantity) values ('${brandId}', '${batchId}', '${loc!.id}', 1)`,
      `delete from data.stock where brand_id = '${brandId}'`,
      `insert into data.stock_movements (brand_id, kind, batch_id, location_id, quantity_delta, quantity_after, committed_after, reason, actor) values ('${brandId}', 'adjustment', '${batchId}', '${loc!.id}', 1, 6, 0, 'x', 'me')`,
      `update data.stock_movements set quantity_delta = 0 where brand_id = '${brandId}'`,
      `update data.transfers set status = 'accepted' where brand_id = '${brandId}'`,
      `insert into data.inbounds (brand_id, number, location_id, created_by) values ('${brandId}', 'IN-999999', '${loc!.id}', 'me')`,
      `delete from data.transfer_lines where brand_id = '${brandId}'`,
      `update data.locations set archived_at = now() where brand_id = '${brandId}'`,
      `delete from data.locations where brand_id = '${brandId}'`,
      `select app.stock_apply('${brandId}', array['adjustment'], array['${batchId}'::uuid], array['${loc!.id}'::uuid], array[100::numeric], array[0::numeric], array['cheat'])`,
    ];
    for (const q of attempts) {
      const err = await asUser(t.db.admin, { sub }, (tx) => tx.unsafe(q)).then(() => null, (e: { code?: string }) => e.code);
      expect(err, q).toBe('42501');
    }
    // even the superuser cannot rewrite history
    for (const q of [`update data.stock_movements set reason = 'x' where brand_id = '${brandId}'`, `delete from data.stock_movements where brand_id = '${brandId}'`]) {
      const err = await t.db.admin.unsafe(q).then(() => null, (e: { code?: string; message: string }) => e);
      expect(err, q).toMatchObject({ code: 'PT409' });
      expect((err as { message: string }).message).toContain('append-only');
    }
    const [s] = await t.db.admin`select quantity::float8 as q from data.stock where brand_id = ${brandId}`;
    expect(s!.q).toBe(5);
  });

  it('the definer helpers check the caller themselves', async () => {
    const [brand] = await asUser(t.db.admin, { sub: 'inv-helper-owner' }, (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => 'Helpers')`);
    const err = await asUser(t.db.admin, { sub: 'inv-intruder' }, (tx) =>
      tx`select app.inventory_adjust(${brand!.id}, gen_random_uuid(), gen_random_uuid(), 5, 'x')`).then(() => null, (e: { code?: string }) => e.code);
    expect(err).toBe('42501');
    const anon = await asUser(t.db.admin, { sub: null }, (tx) =>
      tx`select app.transfer_finish(${brand!.id}, gen_random_uuid(), 'accept', null)`).then(() => null, (e: { code?: string }) => e.code);
    expect(anon).toBe('PT401');
  });
});
