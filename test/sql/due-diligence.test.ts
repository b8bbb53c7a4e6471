// Due-diligence statements through the SQL door; and the state machine held by the table itself.
import { describe, expect, it } from 'vitest';
import { useDoor } from '../support/doors.ts';
import { defineDueDiligenceCases } from '../cases/due-diligence.ts';

const t = useDoor('sql');
defineDueDiligenceCases(t.door);

describe('the lifecycle trigger: a direct write cannot skip a state, even as the table owner', () => {
  it('refuses a new statement that is not a draft, draft → accepted, edits after submission and moving back', async () => {
    const [b] = await t.db.admin<{ id: string }[]>`insert into data.brands (name, slug, created_by) values ('Raw', 'raw-dds', 'x') returning id`;
    const [p] = await t.db.admin<{ id: string }[]>`insert into data.products (brand_id, name) values (${b!.id}, 'Cocoa') returning id`;
    const [bt] = await t.db.admin<{ id: string }[]>`insert into data.batches (brand_id, product_id, batch_number) values (${b!.id}, ${p!.id}, 'R-1') returning id`;
    const code = (q: Promise<unknown>) => q.then(() => 'ok', (e: { code: string }) => e.code);
    expect(await code(t.db.admin`insert into data.due_diligence_statements (brand_id, batch_id, status, reference_number, submitted_at) values (${b!.id}, ${bt!.id}, 'submitted', 'R', now())`)).toBe('PT409');
    const [d] = await t.db.admin<{ id: string }[]>`insert into data.due_diligence_statements (brand_id, batch_id) values (${b!.id}, ${bt!.id}) returning id`;
    expect(await code(t.db.admin`update data.due_diligence_statements set status = 'accepted', decided_at = now(), reference_number = 'R', submitted_at = now() where id = ${d!.id}`)).toBe('PT409');
    expect(await code(t.db.admin`update data.due_diligence_statements set status = 'submitted', reference_number = 'R', submitted_at = now() where id = ${d!.id}`)).toBe('ok');
    expect(await code(t.db.admin`update data.due_diligence_statements set hs_code = '1801' where id = ${d!.id}`)).toBe('PT409');
    expect(await code(t.db.admin`update data.due_diligence_statements set status = 'draft', reference_number = null, submitted_at = null where id = ${d!.id}`)).toBe('PT409');
    // authenticated has no write privilege at all: only the api's definers write
    const [priv] = await t.db.admin<{ u: boolean; i: boolean }[]>`
      select has_table_privilege('authenticated', 'data.due_diligence_statements', 'update') as u,
             has_table_privilege('authenticated', 'data.due_diligence_statements', 'insert') as i`;
    expect(priv).toEqual({ u: false, i: false });
  });
});
