// GTIN ownership through the SQL door (app.act_as in a transaction, as a DBA in psql), plus what only the SQL
// door can show: direct writes to data.gtin_claims meet the same rules as the functions.
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { asUser } from '../support/db.ts';
import { must } from '../support/door.ts';
import { defineGs1Cases, gtin13 } from '../cases/gs1.ts';

const t = useDoor('sql');
defineGs1Cases(t.door);

describe('direct writes to data.gtin_claims (SQL door)', () => {
  it('a brand cannot verify its own claim, insert a verified one, or change a claim\'s value; a platform administrator is held to the transitions', async () => {
    const d = t.door();
    const owner = { sub: 'g1-direct' };
    const ops = { sub: 'g1-direct-ops', scope: 'platform:admin' };
    const brand = must<{ id: string }>(await d.call(owner, 'create_brand', { _name: 'Direct writes' })).id;
    const claim = must<{ id: string }>(await d.call(owner, 'claim_gtin_prefix', { _brand_id: brand, _prefix: '7612345', _display_name: 'Direct' })).id;
    const status = async () => (await t.db.admin<{ status: string }[]>`select status from data.gtin_claims where id = ${claim}`)[0]!.status;

    // the brand's owner: the update policy hides the row (only platform administrators decide) → nothing changes
    const n = await asUser(t.db.admin, owner, (tx) => tx`update data.gtin_claims set status = 'verified' where id = ${claim}`);
    expect(n.count).toBe(0);
    expect(await status()).toBe('pending');
    await expect(asUser(t.db.admin, owner, (tx) => tx`
      insert into data.gtin_claims (brand_id, kind, value, display_name, status) values (${brand}, 'company_prefix', '7612346', 'x', 'verified')`))
      .rejects.toMatchObject({ code: '42501' }); // no insert grant on status
    // whatever is inserted starts pending, stamped with its creator
    await asUser(t.db.admin, owner, (tx) => tx`
      insert into data.gtin_claims (brand_id, kind, value, display_name) values (${brand}, 'company_prefix', '7612347', 'x')`);
    const [row] = await t.db.admin<{ status: string; created_by: string }[]>`select status, created_by from data.gtin_claims where value = '7612347'`;
    expect(row).toEqual({ status: 'pending', created_by: owner.sub });
    await expect(asUser(t.db.admin, { sub: 'g1-stranger' }, (tx) => tx`
      insert into data.gtin_claims (brand_id, kind, value, display_name) values (${brand}, 'company_prefix', '7612348', 'x')`))
      .rejects.toMatchObject({ code: '42501' }); // not an admin of the brand (RLS)

    // the platform administrator: the value never changes, and the transitions hold
    await expect(asUser(t.db.admin, ops, (tx) => tx`update data.gtin_claims set value = '7612349' where id = ${claim}`))
      .rejects.toMatchObject({ code: '42501' }); // no update grant on value
    await asUser(t.db.admin, ops, (tx) => tx`update data.gtin_claims set status = 'verified' where id = ${claim}`);
    expect(await status()).toBe('verified');
    await expect(asUser(t.db.admin, ops, (tx) => tx`update data.gtin_claims set status = 'pending' where id = ${claim}`))
      .rejects.toMatchObject({ code: 'PT409' });
    // even the superuser cannot move a claim to another brand or value
    await expect(t.db.admin`update data.gtin_claims set value = '7612340' where id = ${claim}`).rejects.toMatchObject({ code: 'PT409' });
    // and a second verified owner of one value is impossible (the lookup key)
    const other = must<{ id: string }>(await d.call({ sub: 'g1-direct-2' }, 'create_brand', { _name: 'Other' })).id;
    await t.db.admin`insert into data.gtin_claims (brand_id, kind, value, display_name) values (${other}, 'gtin', ${`0${gtin13('761234500001')}`}, 'x')`;
    await expect(asUser(t.db.admin, ops, (tx) => tx`update data.gtin_claims set status = 'verified' where brand_id = ${other}`))
      .rejects.toMatchObject({ code: 'PT409' }); // overlaps the verified prefix 7612345
  });
});
