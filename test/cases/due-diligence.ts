// Due-diligence statements: list, get, patch the draft, submit (reference number), record the decision —
// the state machine of docs/state-machine.md. Run by test/sql/due-diligence.test.ts and test/http/due-diligence.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door } from '../support/door.ts';

interface Dds { id: string; batch_id: string; status: string; reference_number: string | null; verification_number: string | null; version: number; [k: string]: unknown }

export const COMPLETE = {
  activity_type: 'import', hs_code: '1801.00', description: 'Cocoa beans', net_mass_kg: 1200.5, country_of_production: 'gh',
  geolocation: { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [-1.6, 6.7] }, properties: {} }] },
};

export function defineDueDiligenceCases(getDoor: () => Door): void {
  let door: Door;
  const tag = Math.random().toString(36).slice(2, 8);
  const owner = { sub: `do-${tag}` };
  const admin = { sub: `da-${tag}` };
  const editor = { sub: `de-${tag}` };
  const viewer = { sub: `dv-${tag}` };
  const outsider = { sub: `dx-${tag}` };
  const erp = { sub: `derp-${tag}`, scope: 'integration:products:write integration:batches:write' };
  let brand: string;
  let other: string;
  let drafts: { ddsId: string; batchId: string }[];
  let foreignDds: string;

  const draftsFor = async (b: string, who: { sub: string; scope?: string }, n: number, prefix: string) => {
    must(await door.call(who, 'upsert_products', { _brand_id: b, _products: [{ externalId: `${prefix}-P`, name: 'Cocoa' }] }));
    const r = must<{ ddsCreated: { ddsId: string; batchId: string }[] }>(await door.call(who, 'upsert_batches', {
      _brand_id: b, _auto_create_dds: true,
      _batches: Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}-${i}`, productExternalId: `${prefix}-P`, batchNumber: `${prefix}-L${i}` })),
    }));
    return r.ddsCreated;
  };
  const get = async (id: string) => must<Dds>(await door.call(viewer, 'get_due_diligence_statement', { _brand_id: brand, _dds_id: id }));

  beforeAll(async () => {
    door = getDoor();
    brand = must<{ id: string }>(await door.call(owner, 'create_brand', { _name: `DDS ${tag}` })).id;
    other = must<{ id: string }>(await door.call(outsider, 'create_brand', { _name: `DDS other ${tag}` })).id;
    for (const [who, role] of [[admin, 'admin'], [editor, 'editor'], [viewer, 'viewer'], [erp, 'editor']] as const) {
      must(await door.call(owner, 'add_brand_member', { _brand_id: brand, _user_id: who.sub, _role: role }));
    }
    drafts = await draftsFor(brand, erp, 4, `B-${tag}`);
    foreignDds = (await draftsFor(other, outsider, 1, `X-${tag}`))[0]!.ddsId;
  });

  describe('list and get', () => {
    it('lists drafted statements newest first, filtered by status (either spelling) and batch, with limit/offset', async () => {
      const all = must<Dds[]>(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand }));
      expect(all.map((d) => d.id).sort()).toEqual(drafts.map((d) => d.ddsId).sort());
      expect(all.every((d) => d.status === 'draft' && d.reference_number === null && d.source === 'sync')).toBe(true);
      const upper = must<Dds[]>(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand, _status: 'DRAFT' }));
      expect(upper.length).toBe(4);
      const one = must<Dds[]>(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand, _batch_id: drafts[2]!.batchId }));
      expect(one.map((d) => d.id)).toEqual([drafts[2]!.ddsId]);
      const page = must<Dds[]>(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand, _limit: 2, _offset: 1 }));
      expect(page.map((d) => d.id)).toEqual(all.slice(1, 3).map((d) => d.id));
      expectError(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand, _status: 'available' }), '22023', 400, '_status');
      expectError(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand, _limit: 101 }), '22023', 400, '_limit');
      expectError(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand, _offset: -1 }), '22023', 400, '_offset');
      expectError(await door.call(outsider, 'list_due_diligence_statements', { _brand_id: brand }), '42501', 403);
      expect(await get(drafts[0]!.ddsId)).toEqual(all.find((d) => d.id === drafts[0]!.ddsId));
      expectError(await door.call(viewer, 'get_due_diligence_statement', { _brand_id: brand, _dds_id: foreignDds }), 'PT404', 404, '_dds_id');
    });
  });

  describe('the draft', () => {
    it('is patched with the patch rules: unknown and read-only keys, bad values, stale versions', async () => {
      const id = drafts[0]!.ddsId;
      const patch = (p: unknown, extra: Record<string, unknown> = {}) =>
        door.call(editor, 'update_due_diligence_statement', { _brand_id: brand, _dds_id: id, _patch: p, ...extra });
      expectError(await patch({ colour: 'red' }), '22023', 400, '_patch.colour');
      for (const k of ['status', 'reference_number', 'batch_id', 'version']) expectError(await patch({ [k]: 'x' }), '22023', 400, `_patch.${k}`);
      expectError(await patch({ activity_type: 'smuggling' }), '22023', 400, '_patch.activity_type');
      expectError(await patch({ hs_code: '18' }), '22023', 400, '_patch.hs_code');
      expectError(await patch({ net_mass_kg: 0 }), '22023', 400, '_patch.net_mass_kg');
      expectError(await patch({ net_mass_kg: '12' }), '22023', 400, '_patch.net_mass_kg');
      expectError(await patch({ country_of_production: 'Ghana' }), '22023', 400, '_patch.country_of_production');
      expectError(await patch({ geolocation: { type: 'Point' } }), '22023', 400, '_patch.geolocation');
      expectError(await door.call(viewer, 'update_due_diligence_statement', { _brand_id: brand, _dds_id: id, _patch: {} }), '42501', 403);
      expectError(await patch({ description: 'x' }, { _expected_version: 7 }), 'PT412', 412, '_expected_version');
      expectError(await door.call(editor, 'update_due_diligence_statement', { _brand_id: brand, _dds_id: foreignDds, _patch: {} }), 'PT404', 404, '_dds_id');
      const d = must<Dds>(await patch({ activity_type: 'IMPORT', hs_code: '1801.00', net_mass_kg: 10 }, { _expected_version: 1 }));
      expect(d).toMatchObject({ status: 'draft', activity_type: 'import', hs_code: '180100', net_mass_kg: 10, version: 2 });
      const cleared = must<Dds>(await patch({ net_mass_kg: null, description: 'Beans' }));
      expect(cleared).toMatchObject({ activity_type: 'import', hs_code: '180100', net_mass_kg: null, description: 'Beans', version: 3 });
    });
  });

  describe('submit and decide: draft → submitted → accepted | rejected', () => {
    it('submits a complete draft with a reference number; incomplete drafts, second submissions and editors deciding are refused', async () => {
      const [a, r] = [drafts[1]!.ddsId, drafts[2]!.ddsId];
      const incomplete = await door.call(editor, 'submit_due_diligence_statement', { _brand_id: brand, _dds_id: a });
      expectError(incomplete, 'PT409', 409, '_dds_id');
      expect(details(incomplete)).toMatchObject({ rule: 'incomplete', missing: ['activity_type', 'hs_code', 'net_mass_kg', 'country_of_production', 'geolocation'] });
      // deciding a draft skips a state
      expectError(await door.call(admin, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: a, _decision: 'accepted', _verification_number: 'V-1' }), 'PT409', 409, '_dds_id');
      for (const id of [a, r]) must(await door.call(editor, 'update_due_diligence_statement', { _brand_id: brand, _dds_id: id, _patch: COMPLETE }));
      expectError(await door.call(viewer, 'submit_due_diligence_statement', { _brand_id: brand, _dds_id: a }), '42501', 403);
      const s = must<Dds>(await door.call(editor, 'submit_due_diligence_statement', { _brand_id: brand, _dds_id: a }));
      expect(s).toMatchObject({ status: 'submitted', submitted_by: editor.sub, country_of_production: 'GH' });
      expect(s.reference_number).toMatch(new RegExp(`^DDS-${new Date().getUTCFullYear()}-[0-9A-F]{12}$`));
      expect(s.submitted_at).not.toBeNull();
      const again = await door.call(editor, 'submit_due_diligence_statement', { _brand_id: brand, _dds_id: a });
      expectError(again, 'PT409', 409, '_dds_id');
      expect(details(again)).toMatchObject({ rule: 'state', state: 'submitted', allowed_states: ['draft'] });
      expectError(await door.call(editor, 'update_due_diligence_statement', { _brand_id: brand, _dds_id: a, _patch: { description: 'late' } }), 'PT409', 409, '_dds_id');
      const rs = must<Dds>(await door.call(editor, 'submit_due_diligence_statement', { _brand_id: brand, _dds_id: r }));
      expect(rs.reference_number).not.toBe(s.reference_number);

      // the decision: admin only, accepted needs the verification number, rejected a reason
      expectError(await door.call(editor, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: a, _decision: 'accepted', _verification_number: 'V-1' }), '42501', 403);
      expectError(await door.call(admin, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: a, _decision: 'maybe' }), '22023', 400, '_decision');
      expectError(await door.call(admin, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: a, _decision: 'accepted' }), '22023', 400, '_verification_number');
      expectError(await door.call(admin, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: r, _decision: 'rejected' }), '22023', 400, '_reason');
      const ok = must<Dds>(await door.call(admin, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: a, _decision: 'ACCEPTED', _verification_number: 'VRF-0001' }));
      expect(ok).toMatchObject({ status: 'accepted', verification_number: 'VRF-0001', decided_by: admin.sub, reference_number: s.reference_number });
      const no = must<Dds>(await door.call(admin, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: r, _decision: 'rejected', _reason: 'Plot outside the declared country' }));
      expect(no).toMatchObject({ status: 'rejected', decision_reason: 'Plot outside the declared country', verification_number: null });
      // final
      const final = await door.call(admin, 'record_due_diligence_decision', { _brand_id: brand, _dds_id: a, _decision: 'rejected', _reason: 'second thoughts' });
      expectError(final, 'PT409', 409, '_dds_id');
      expect((await get(a)).status).toBe('accepted');
      const byStatus = must<Dds[]>(await door.call(viewer, 'list_due_diligence_statements', { _brand_id: brand, _status: 'accepted' }));
      expect(byStatus.map((d) => d.id)).toEqual([a]);
    });
  });
}
