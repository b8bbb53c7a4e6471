// Traceability through the SQL door (app.act_as in a transaction, as a DBA in psql), plus what only the SQL
// door can show: the genealogy and recall tables refuse direct writes, and a cycle is refused even for a superuser.
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { asUser } from '../support/db.ts';
import { defineTraceabilityCases } from '../cases/traceability.ts';

const t = useDoor('sql');
defineTraceabilityCases(t.door);

describe('direct writes are refused (SQL door)', () => {
  it('authenticated cannot write genealogy or recalls, nor call the writers around their checks; history is append-only for everyone', async () => {
    const sub = 'tr-direct';
    const [brand] = await asUser(t.db.admin, { sub }, (tx) => tx<{ id: string }[]>`select id from api.create_brand(_name => 'Direct trace')`);
    const b = brand!.id;
    const [loc] = await asUser(t.db.admin, { sub }, (tx) => tx<{ id: string }[]>`select id from api.create_location(_brand_id => ${b}, _name => 'L')`);
    const [product] = await asUser(t.db.admin, { sub }, (tx) => tx<{ id: string }[]>`select id from api.create_product(_brand_id => ${b}, _name => 'P')`);
    const [inb] = await asUser(t.db.admin, { sub }, (tx) => tx<{ lines: { batch_id: string }[] }[]>`
      select to_json(lines) as lines from api.receive_inbound(_brand_id => ${b}, _location_id => ${loc!.id},
        _lines => ${tx.json([{ product_id: product!.id, batch_number: 'D-1', quantity: 5 }, { product_id: product!.id, batch_number: 'D-2', quantity: 5 }])})`);
    const [x, y] = inb!.lines.map((l) => l.batch_id);
    const [ev] = await asUser(t.db.admin, { sub }, (tx) => tx<{ id: string }[]>`
      select id from api.produce_batch(_brand_id => ${b}, _location_id => ${loc!.id}, _inputs => ${tx.json([{ batch_id: x!, quantity: 1 }])},
        _quantity => 1, _output_batch_id => ${y!})`);
    const attempts = [
      `insert into data.genealogy_edges (brand_id, input_batch_id, output_batch_id, event_id, kind, quantity) values ('${b}', '${y}', '${x}', '${ev!.id}', 'production', 1)`,
      `insert into data.genealogy_events (brand_id, kind, location_id, created_by) values ('${b}', 'production', '${loc!.id}', 'me')`,
      `update data.genealogy_edges set quantity = 99 where brand_id = '${b}'`,
      `insert into data.recalls (brand_id, number, batch_id, reason, include_downstream, created_by) values ('${b}', 'RC-999999', '${x}', 'x', true, 'me')`,
      `select app.recall_lift_allows('${b}', '${x}', 'active')`,
    ];
    for (const q of attempts.slice(0, 4)) {
      const err = await asUser(t.db.admin, { sub }, (tx) => tx.unsafe(q)).then(() => null, (e: { code?: string }) => e.code);
      expect(err, q).toBe('42501');
    }
    // the writer re-checks what it relies on: edges that do not account for the consumed quantity are refused
    const direct = await asUser(t.db.admin, { sub }, (tx) => tx.unsafe(
      `select app.genealogy_record('${b}', 'production', '${loc!.id}', '[{"batch_id":"${x}","quantity":3}]',
         '[{"batch_id":"${y}","quantity":100,"location_id":"${loc!.id}"}]', '[{"input_batch_id":"${x}","output_batch_id":"${y}","quantity":1}]', null)`))
      .then(() => null, (e: { code?: string; detail?: string }) => [e.code, JSON.parse(e.detail ?? '{}').field]);
    expect(direct).toEqual(['22023', '_edges']);
    // a superuser inserting a cycle is refused by the trigger
    const cyc = await t.db.admin.unsafe(`insert into data.genealogy_edges (brand_id, input_batch_id, output_batch_id, event_id, kind, quantity)
      values ('${b}', '${y}', '${x}', '${ev!.id}', 'production', 1)`).then(() => null, (e: { code?: string; detail?: string }) => [e.code, JSON.parse(e.detail ?? '{}').rule]);
    expect(cyc).toEqual(['PT409', 'cycle']);
    for (const q of [`update data.genealogy_edges set quantity = 2 where brand_id = '${b}'`, `delete from data.genealogy_events where brand_id = '${b}'`]) {
      const err = await t.db.admin.unsafe(q).then(() => null, (e: { code?: string; message: string }) => e);
      expect(err, q).toMatchObject({ code: 'PT409' });
      expect((err as { message: string }).message).toContain('append-only');
    }
  });
});
