// Quality through the SQL door (app.act_as in a transaction, as a DBA in psql), plus what only the SQL door
// can show: the rules hold for direct writes to the tables — lab results never change, holds are kept, the
// release gate refuses a direct UPDATE of status — and the definer helpers check their caller.
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { asUser } from '../support/db.ts';
import { defineQualityCases } from '../cases/quality.ts';

const t = useDoor('sql');
defineQualityCases(t.door);

describe('direct writes meet the same rules (SQL door)', () => {
  const sub = 'q-direct';
  const as = <T>(q: string) => asUser(t.db.admin, { sub }, (tx) => tx.unsafe(q) as unknown as Promise<T>);
  const codeOf = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string }) => e.code);

  async function fixture() {
    const [b] = await as<{ id: string }[]>(`select id from api.create_brand(_name => 'Direct quality')`);
    const brand = b!.id;
    const [p] = await as<{ id: string }[]>(`select id from api.create_product(_brand_id => '${brand}', _name => 'Gated')`);
    await as(`select api.set_release_rule('${brand}', '${p!.id}', true)`);
    const [batch] = await as<{ id: string; status: string }[]>(
      `select id, status from api.create_product_batch(_brand_id => '${brand}', _product_id => '${p!.id}', _batch_number => 'G-1')`);
    const [r] = await as<{ id: string }[]>(`select id from api.record_lab_result(_brand_id => '${brand}', _batch_id => '${batch!.id}', _result => 'fail', _analytes => '[{"name": "moisture", "value": 18, "result": "fail"}]')`);
    return { brand, product: p!.id, batch: batch!.id, status: batch!.status, result: r!.id };
  }

  it('authenticated has no write privilege on lab results, holds or picks; an owner\'s direct UPDATE of status meets the release gate', async () => {
    const f = await fixture();
    expect(f.status).toBe('in_testing');
    for (const q of [
      `insert into data.lab_results (brand_id, batch_id, result, recorded_by) values ('${f.brand}', '${f.batch}', 'pass', 'me')`,
      `update data.lab_results set result = 'pass' where brand_id = '${f.brand}'`,
      `delete from data.lab_result_analytes where brand_id = '${f.brand}'`,
      `update data.holds set status = 'released', released_by = 'me', released_at = now() where brand_id = '${f.brand}'`,
      `delete from data.holds where brand_id = '${f.brand}'`,
      `insert into data.holds (brand_id, batch_id, reason_code, placed_by) values ('${f.brand}', '${f.batch}', 'other', 'me')`,
      `update data.picks set status = 'picked' where brand_id = '${f.brand}'`,
      `select app.hold_insert('${f.brand}', '${f.batch}', null, 'other', 'x', 'manual', null, true)`,
    ]) expect(await codeOf(as(q)), q).toBe('42501');
    // the gate is a rule of the table: the owner's own UPDATE (RLS allows it) is refused without a passing result
    const direct = await as(`update data.batches set status = 'ready_for_sale' where brand_id = '${f.brand}' and id = '${f.batch}'`)
      .then(() => null, (e: { code?: string; detail?: string }) => e);
    expect(direct).toMatchObject({ code: 'PT409' });
    expect(JSON.parse((direct as { detail: string }).detail)).toMatchObject({ rule: 'lab_result_required', latest_result: 'fail' });
    // so is a new batch inserted straight into the table as ready_for_sale
    const born = await codeOf(as(`insert into data.batches (brand_id, product_id, batch_number, status) values ('${f.brand}', '${f.product}', 'G-2', 'ready_for_sale')`));
    expect(born).toBe('PT409');
    // and a direct insert starts in_testing with its lab pending hold
    await as(`insert into data.batches (brand_id, product_id, batch_number) values ('${f.brand}', '${f.product}', 'G-3')`);
    const [g3] = await t.db.admin<{ status: string; holds: string[] }[]>`
      select b.status, array(select h.reason_code from data.holds h where h.brand_id = b.brand_id and h.batch_id = b.id and h.status = 'open') as holds
        from data.batches b where b.brand_id = ${f.brand} and b.batch_number = 'G-3'`;
    expect(g3).toEqual({ status: 'in_testing', holds: ['lab_pending'] });
  });

  it('even the superuser cannot change or delete a lab result or a hold, nor skip the gate', async () => {
    const f = await fixture();
    for (const q of [
      `update data.lab_results set result = 'pass' where brand_id = '${f.brand}'`,
      `delete from data.lab_results where brand_id = '${f.brand}'`,
      `update data.lab_result_analytes set value = 0 where brand_id = '${f.brand}'`,
      `delete from data.holds where brand_id = '${f.brand}'`,
      `update data.holds set reason_code = 'other' where brand_id = '${f.brand}'`,
      `update data.batches set status = 'ready_for_sale' where brand_id = '${f.brand}' and id = '${f.batch}'`,
    ]) expect(await codeOf(t.db.admin.unsafe(q)), q).toBe('PT409');
    // a lab failed hold goes only with a passing result, whoever releases it
    const released = await codeOf(t.db.admin.unsafe(
      `update data.holds set status = 'released', released_by = 'dba', released_at = now() where brand_id = '${f.brand}' and status = 'open'`));
    expect(released).toBe('PT409');
    // a result inserted by the superuser takes effect like one recorded through the API
    await t.db.admin.unsafe(`insert into data.lab_results (brand_id, batch_id, result, recorded_by) values ('${f.brand}', '${f.batch}', 'pass', 'dba')`);
    const [b] = await t.db.admin<{ status: string; open: number }[]>`
      select b.status, (select count(*)::int from data.holds h where h.brand_id = b.brand_id and h.batch_id = b.id and h.status = 'open') as open
        from data.batches b where b.brand_id = ${f.brand} and b.id = ${f.batch}`;
    expect(b).toEqual({ status: 'ready_for_sale', open: 0 });
    // a released hold stays released
    expect(await codeOf(t.db.admin.unsafe(`update data.holds set status = 'open' where brand_id = '${f.brand}'`))).toBe('PT409');
  });

  it('the definer helpers check the caller themselves', async () => {
    const f = await fixture();
    const intruder = (q: string) => asUser(t.db.admin, { sub: 'q-intruder' }, (tx) => tx.unsafe(q)).then(() => null, (e: { code?: string }) => e.code);
    expect(await intruder(`select app.hold_place('${f.brand}', '${f.batch}', 'damaged', null, null)`)).toBe('42501');
    expect(await intruder(`select app.lab_result_record('${f.brand}', '${f.batch}', 'pass', null, null, null, null, null, null, null, null, null, null)`)).toBe('42501');
    expect(await intruder(`select app.pick_finish('${f.brand}', gen_random_uuid(), 'release', null)`)).toBe('42501');
    const anon = await asUser(t.db.admin, { sub: null }, (tx) => tx.unsafe(`select app.hold_release('${f.brand}', gen_random_uuid(), null)`))
      .then(() => null, (e: { code?: string }) => e.code);
    expect(anon).toBe('PT401');
  });
});
