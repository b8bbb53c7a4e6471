// Products through the SQL door (app.act_as in a transaction, as a DBA in psql).
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { defineProductCases } from '../cases/products.ts';

const t = useDoor('sql');
defineProductCases(t.door);

describe('archived products in the database itself', () => {
  it('a direct UPDATE of an archived product or INSERT of a batch of it fails, even as the table owner', async () => {
    const [b] = await t.db.admin<{ id: string }[]>`insert into data.brands (name, slug, created_by) values ('Raw', 'raw-products', 'x') returning id`;
    const [p] = await t.db.admin<{ id: string }[]>`insert into data.products (brand_id, name, archived_at) values (${b!.id}, 'Gone', now()) returning id`;
    const upd = await t.db.admin`update data.products set name = 'Back' where id = ${p!.id}`.catch((e: { code: string }) => e);
    expect((upd as { code: string }).code).toBe('PT409');
    const ins = await t.db.admin`insert into data.batches (brand_id, product_id, batch_number) values (${b!.id}, ${p!.id}, 'N-1')`.catch((e: { code: string }) => e);
    expect((ins as { code: string }).code).toBe('PT409');
  });
});
