// One case list for quality (lab results, holds, the release gate, expiry, first-expiry-first-out picks),
// run through two doors: test/sql/quality.test.ts (app.act_as) and test/http/quality.test.ts (the gateway).
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door } from '../support/door.ts';
import { analytesFromRetail, retailFromResult, RETAIL_EXAMPLE, type Analyte, type RetailPotency } from './retail-potency.ts';

export const Q_USERS = {
  olga: { sub: 'q-olga' }, // owner of A
  adam: { sub: 'q-adam' }, // admin of A
  eve: { sub: 'q-eve' }, // editor of A
  vic: { sub: 'q-vic' }, // viewer of A
  bob: { sub: 'q-bob' }, // owner of B
} as const;
const U = Q_USERS;

interface Fx {
  brandA: string;
  brandB: string;
  flower: string; // product A, gated by a release rule (set in the release gate cases)
  oil: string; // product A, not gated
  productB: string;
  main: string;
  shop: string;
  locB: string;
  batchB: string;
}

export interface Reason { id: string; source: string; code: string; message: string; location_id: string | null }
export interface LabResult {
  id: string; batch_id: string; result: string; lab_name: string | null; sample_id: string | null; sampled_on: string | null;
  tested_on: string | null; certificate_url: string | null; certificate_sha256: string | null; data: Record<string, unknown>;
  analytes: Analyte[]; supersedes_id: string | null; superseded_by: string | null; correction_reason: string | null; recorded_by: string;
}
interface Batch {
  id: string; status: string; lab_testing_state: string; latest_lab_result: LabResult | null; unsellable: boolean; unsellable_reasons: Reason[];
}
interface Hold { id: string; batch_id: string; location_id: string | null; reason_code: string; status: string; source: string; note: string | null; released_by: string | null }
interface Quantity { batch_id: string; location_id: string; quantity: number; committed: number; available: number; unsellable: boolean; unsellable_reasons: Reason[] }
interface Line { batch_id: string; batch_number: string; expiry_date: string | null; available: number; quantity: number }
interface Suggestion { requested: number; suggested: number; shortfall: number; complete: boolean; lines: Line[]; skipped: { batch_id: string; reasons: Reason[] }[] }
interface Pick { id: string; number: string; status: string; quantity: number; lines: { position: number; batch_id: string; quantity: number }[] }

const isoDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);

export function defineQualityCases(getDoor: () => Door): void {
  let door: Door;
  let fx: Fx;
  let seq = 0;
  const uniq = (p: string) => `${p}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
  const A = () => fx.brandA;

  /** Receive `qty` of a new batch of `product` at `location`; returns the batch id. */
  async function receive(product: string, location: string, qty: number, expiry?: string): Promise<string> {
    const r = must<{ lines: { batch_id: string }[] }>(await door.call(U.eve, 'receive_inbound', {
      _brand_id: A(), _location_id: location,
      _lines: [{ product_id: product, batch_number: uniq('Q'), quantity: qty, ...(expiry ? { expiry_date: expiry } : {}) }],
    }));
    return r.lines[0]!.batch_id;
  }
  const batch = async (id: string) => must<Batch>(await door.call(U.vic, 'find_batch', { _brand_id: A(), _batch_id: id }));
  async function qty(product: string, batchId: string, location: string): Promise<Quantity> {
    const rows = must<Quantity[]>(await door.call(U.vic, 'batch_quantities_by_product', { _brand_id: A(), _product_id: product }));
    return rows.find((r) => r.batch_id === batchId && r.location_id === location)!;
  }
  const transfer = (batchId: string, quantity: number, from = fx.main, to = fx.shop) =>
    door.call(U.eve, 'create_transfer', { _brand_id: A(), _from_location_id: from, _to_location_id: to, _lines: [{ batch_id: batchId, quantity }] });
  const hold = async (batchId: string, code: string, extra: Record<string, unknown> = {}) =>
    must<Hold>(await door.call(U.eve, 'place_hold', { _brand_id: A(), _batch_id: batchId, _reason_code: code, ...extra }));
  const record = (batchId: string, result: string, extra: Record<string, unknown> = {}) =>
    door.call(U.eve, 'record_lab_result', { _brand_id: A(), _batch_id: batchId, _result: result, ...extra });

  beforeAll(async () => {
    door = getDoor();
    const tag = Math.random().toString(36).slice(2, 8);
    const brandA = must<{ id: string }>(await door.call(U.olga, 'create_brand', { _name: `Quality ${tag}` })).id;
    const brandB = must<{ id: string }>(await door.call(U.bob, 'create_brand', { _name: `Other Q ${tag}` })).id;
    for (const [who, role] of [[U.adam, 'admin'], [U.eve, 'editor'], [U.vic, 'viewer']] as const) {
      must(await door.call(U.olga, 'add_brand_member', { _brand_id: brandA, _user_id: who.sub, _role: role }));
    }
    const product = async (who: { sub: string }, brand: string, name: string) =>
      must<{ id: string }>(await door.call(who, 'create_product', { _brand_id: brand, _name: name })).id;
    const location = async (who: { sub: string }, brand: string, name: string) =>
      must<{ id: string }>(await door.call(who, 'create_location', { _brand_id: brand, _name: name })).id;
    const productB = await product(U.bob, brandB, 'B flower');
    fx = {
      brandA, brandB, flower: await product(U.eve, brandA, 'Flower'), oil: await product(U.eve, brandA, 'Oil'), productB,
      main: await location(U.eve, brandA, 'Main'), shop: await location(U.eve, brandA, 'Shop'), locB: await location(U.bob, brandB, 'B store'),
      batchB: must<{ id: string }>(await door.call(U.bob, 'create_product_batch', { _brand_id: brandB, _product_id: productB, _batch_number: 'B-1' })).id,
    };
  });

  describe('lab results', () => {
    it('records a result with analytes and a certificate; batch reads show the latest', async () => {
      const b = await receive(fx.oil, fx.main, 5);
      expect(await batch(b)).toMatchObject({ lab_testing_state: 'not_required', latest_lab_result: null, unsellable: false, unsellable_reasons: [] });
      const r = must<LabResult>(await record(b, 'pass', {
        _lab_name: 'SC Labs', _sample_id: 'S-1', _sampled_on: '2026-11-01', _tested_on: '2026-11-03',
        _certificate_url: 'https://labs.example/coa/S-1.pdf', _certificate_sha256: 'AB'.repeat(32), _data: { batch: 'x', panel: ['potency'] },
        _analytes: [{ name: 'thc', display_name: 'THC', value: 21.5, max: 24, unit: '%' }, { name: 'lead', value: 0.1, unit: 'ppm', limit: 0.5, result: 'pass' }],
      }));
      expect(r).toMatchObject({
        batch_id: b, result: 'pass', lab_name: 'SC Labs', sample_id: 'S-1', sampled_on: '2026-11-01', tested_on: '2026-11-03',
        certificate_url: 'https://labs.example/coa/S-1.pdf', certificate_sha256: 'ab'.repeat(32), data: { batch: 'x', panel: ['potency'] },
        supersedes_id: null, superseded_by: null, recorded_by: U.eve.sub,
      });
      expect(r.analytes).toEqual([
        { name: 'thc', display_name: 'THC', value: 21.5, max: 24, unit: '%', limit: null, result: null },
        { name: 'lead', display_name: null, value: 0.1, max: null, unit: 'ppm', limit: 0.5, result: 'pass' },
      ]);
      const read = await batch(b);
      expect(read.lab_testing_state).toBe('passed');
      expect(read.latest_lab_result).toEqual(r);
      const listed = must<LabResult[]>(await door.call(U.vic, 'list_lab_results', { _brand_id: A(), _batch_id: b }));
      expect(listed).toEqual([r]);
      // a batch read in lists carries the same quality fields
      const all = must<Batch[]>(await door.call(U.vic, 'list_product_batches', { _brand_id: A(), _product_id: fx.oil }));
      expect(all.find((x) => x.id === b)).toMatchObject({ lab_testing_state: 'passed', latest_lab_result: { id: r.id }, unsellable: false });
      const page = must<{ items: Batch[] }>(await door.call(U.vic, 'search_batches', { _brand_id: A(), _product_id: fx.oil, _limit: 100 }));
      expect(page.items.find((x) => x.id === b)).toMatchObject({ lab_testing_state: 'passed', latest_lab_result: { id: r.id } });
    });

    it('validates input naming the field, and writes nothing', async () => {
      const b = await receive(fx.oil, fx.main, 1);
      const before = await door.count('lab_results', A());
      const bad = async (extra: Record<string, unknown>, field: string, rule?: string, result = 'pass') => {
        const r = await record(b, result, extra);
        expectError(r, '22023', 400, field);
        if (rule) expect(details(r).rule).toBe(rule);
      };
      await bad({}, '_result', 'enum', 'maybe');
      await bad({ _analytes: { thc: 1 } }, '_analytes', 'array');
      await bad({ _analytes: [{ name: 'thc', colour: 'green' }] }, '_analytes[0].colour', 'unknown_key');
      await bad({ _analytes: [{ name: 'thc' }, { name: 'THC' }] }, '_analytes[1].name', 'unique');
      await bad({ _analytes: [{ value: 1 }] }, '_analytes[0].name', 'required');
      await bad({ _analytes: [{ name: 'thc', value: -1 }] }, '_analytes[0].value', 'min');
      await bad({ _analytes: [{ name: 'thc', value: '20' }] }, '_analytes[0].value', 'number');
      await bad({ _analytes: [{ name: 'thc', result: 'ok' }] }, '_analytes[0].result', 'enum');
      await bad({ _analytes: [{ name: 'lead', value: 2, limit: 0.5, result: 'fail' }] }, '_result', 'matches_analytes');
      await bad({ _tested_on: isoDays(30) }, '_tested_on', 'max');
      await bad({ _sampled_on: '2026-11-05', _tested_on: '2026-11-01' }, '_tested_on', 'after_sampled_on');
      await bad({ _certificate_url: 'ftp://x/y' }, '_certificate_url', 'url');
      await bad({ _certificate_sha256: 'abc' }, '_certificate_sha256', 'pattern');
      await bad({ _data: [1] }, '_data', 'object');
      await bad({ _correction_reason: 'typo' }, '_supersedes_id', 'required');
      expect(await door.count('lab_results', A())).toBe(before);
      expectError(await record(fx.batchB, 'pass'), 'PT404', 404, '_batch_id');
      expectError(await door.call(U.vic, 'record_lab_result', { _brand_id: A(), _batch_id: b, _result: 'pass' }), '42501', 403);
      expectError(await door.call(U.eve, 'record_lab_result', { _brand_id: fx.brandB, _batch_id: fx.batchB, _result: 'pass' }), '42501', 403);
      expectError(await door.call(U.vic, 'list_lab_results', { _brand_id: A(), _batch_id: fx.batchB }), 'PT404', 404, '_batch_id');
    });

    it('a correction supersedes the latest result (with a reason); older ones cannot be corrected', async () => {
      const b = await receive(fx.oil, fx.main, 1);
      const first = must<LabResult>(await record(b, 'fail', { _analytes: [{ name: 'moisture', value: 18, limit: 15, result: 'fail' }] }));
      const retest = must<LabResult>(await record(b, 'pass', { _analytes: [{ name: 'moisture', value: 11, limit: 15, result: 'pass' }] }));
      expectError(await record(b, 'pass', { _supersedes_id: first.id, _correction_reason: 'x' }), 'PT409', 409, '_supersedes_id');
      expectError(await record(b, 'pass', { _supersedes_id: retest.id }), '22023', 400, '_correction_reason');
      expectError(await record(b, 'pass', { _supersedes_id: '00000000-0000-4000-8000-000000000000', _correction_reason: 'x' }), 'PT404', 404, '_supersedes_id');
      const fixed = must<LabResult>(await record(b, 'pass', {
        _supersedes_id: retest.id, _correction_reason: 'unit typo', _analytes: [{ name: 'moisture', value: 10.9, limit: 15, result: 'pass' }],
      }));
      expect(fixed).toMatchObject({ supersedes_id: retest.id, correction_reason: 'unit typo', superseded_by: null });
      const listed = must<LabResult[]>(await door.call(U.vic, 'list_lab_results', { _brand_id: A(), _batch_id: b }));
      expect(listed.map((r) => [r.id, r.superseded_by])).toEqual([[fixed.id, null], [retest.id, fixed.id], [first.id, null]]);
      const current = must<LabResult[]>(await door.call(U.vic, 'list_lab_results', { _brand_id: A(), _batch_id: b, _include_superseded: false }));
      expect(current.map((r) => r.id)).toEqual([fixed.id, first.id]);
      expect((await batch(b)).latest_lab_result!.id).toBe(fixed.id);
      // a result is corrected once
      expectError(await record(b, 'pass', { _supersedes_id: retest.id, _correction_reason: 'again' }), 'PT409', 409, '_supersedes_id');
    });

    it('the retail API\'s example batch round-trips its potency data through record_lab_result', async () => {
      const realistic: RetailPotency = {
        ...RETAIL_EXAMPLE, thc: 21.4, thca: 24.1, cbd: 0.08, cbda: 0.12, cbn: 0.3, cbg: 1.05, thcName: 'Δ9-THC', thcaName: 'THCa',
        maxThc: 23, maxThca: 26.5, totalCannabinoids: 27.9, totalTerpenes: 2.31,
        potencyAmount: { ...RETAIL_EXAMPLE.potencyAmount, thc: 214, cbd: 0.8, thcName: 'THC per unit', maxThc: 230 },
        complianceInfo: { testingLab: 'Steep Hill' }, finalTestingDate: Date.parse('2026-10-20T00:00:00Z'),
        labResultData: { certificate: 'COA-77', moisture: 11.2 },
      };
      for (const retail of [RETAIL_EXAMPLE, realistic]) {
        const b = await receive(fx.oil, fx.main, 1);
        const r = must<LabResult>(await record(b, 'pass', analytesFromRetail(retail)));
        expect(retailFromResult(r)).toEqual(retail);
        const [listed] = must<LabResult[]>(await door.call(U.vic, 'list_lab_results', { _brand_id: A(), _batch_id: b }));
        expect(retailFromResult(listed!)).toEqual(retail);
      }
    });
  });

  describe('holds', () => {
    it('a held batch is unsellable: reads show the reason, available excludes it, transfers and picks are refused naming the hold', async () => {
      const b = await receive(fx.oil, fx.main, 10);
      const h = await hold(b, 'damaged', { _note: 'crushed pallet' });
      expect(h).toMatchObject({ batch_id: b, location_id: null, reason_code: 'damaged', status: 'open', source: 'manual', note: 'crushed pallet' });
      const read = await batch(b);
      expect(read.unsellable).toBe(true);
      expect(read.unsellable_reasons).toEqual([{ id: h.id, source: 'hold', code: 'damaged', location_id: null, message: expect.stringContaining('crushed pallet') }]);
      expect(await qty(fx.oil, b, fx.main)).toMatchObject({ quantity: 10, committed: 0, available: 0, unsellable: true });
      const t = await transfer(b, 1);
      expectError(t, 'PT409', 409, '_lines[0].batch_id');
      expect(details(t)).toMatchObject({ rule: 'unsellable', hold_id: h.id, reason_code: 'damaged', batch_id: b });
      expect(t.error?.message).toContain(h.id);
      // a request larger than the stock: every batch is considered, the held one is passed over
      const s = must<Suggestion>(await door.call(U.vic, 'suggest_picks', { _brand_id: A(), _product_id: fx.oil, _location_id: fx.main, _quantity: 100_000 }));
      expect(s.lines.map((l) => l.batch_id)).not.toContain(b);
      expect(s.skipped.find((x) => x.batch_id === b)?.reasons.map((r) => r.id)).toEqual([h.id]);
      const pick = await door.call(U.eve, 'reserve_picks', { _brand_id: A(), _product_id: fx.oil, _location_id: fx.main, _lines: [{ batch_id: b, quantity: 1 }] });
      expectError(pick, 'PT409', 409, '_lines[0].batch_id');
      expect(details(pick)).toMatchObject({ rule: 'unsellable', hold_id: h.id });

      // releasing is an admin's call; then the stock moves again
      expectError(await door.call(U.eve, 'release_hold', { _brand_id: A(), _hold_id: h.id }), '42501', 403);
      const released = must<Hold>(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: h.id, _note: 'inspected: fine' }));
      expect(released).toMatchObject({ status: 'released', released_by: U.adam.sub });
      expectError(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: h.id }), 'PT409', 409, '_hold_id');
      expect(await batch(b)).toMatchObject({ unsellable: false, unsellable_reasons: [] });
      must(await transfer(b, 1));
      expect(await qty(fx.oil, b, fx.main)).toMatchObject({ committed: 1, available: 9, unsellable: false });
    });

    it('a hold on one location blocks only the stock there', async () => {
      const b = await receive(fx.oil, fx.main, 10);
      must(await transfer(b, 4).then(async (r) => door.call(U.adam, 'accept_transfer', { _brand_id: A(), _transfer_id: must<{ id: string }>(r).id })));
      const h = await hold(b, 'regulatory', { _location_id: fx.shop });
      const read = await batch(b);
      expect(read.unsellable).toBe(false);
      expect(read.unsellable_reasons).toEqual([expect.objectContaining({ id: h.id, location_id: fx.shop, code: 'regulatory' })]);
      expect(await qty(fx.oil, b, fx.shop)).toMatchObject({ quantity: 4, available: 0, unsellable: true });
      expect(await qty(fx.oil, b, fx.main)).toMatchObject({ quantity: 6, available: 6, unsellable: false, unsellable_reasons: [] });
      expectError(await transfer(b, 1, fx.shop, fx.main), 'PT409', 409, '_lines[0].batch_id');
      must(await transfer(b, 1, fx.main, fx.shop));
      const open = must<Hold[]>(await door.call(U.vic, 'list_holds', { _brand_id: A(), _location_id: fx.shop }));
      expect(open.map((x) => x.id)).toContain(h.id);
    });

    it('stock held after a transfer was created does not move: accept is refused, decline releases it', async () => {
      const b = await receive(fx.oil, fx.main, 5);
      const t = must<{ id: string }>(await transfer(b, 2));
      const h = await hold(b, 'recalled', { _note: 'supplier recall' });
      const acc = await door.call(U.adam, 'accept_transfer', { _brand_id: A(), _transfer_id: t.id });
      expectError(acc, 'PT409', 409, '_transfer_id');
      expect(details(acc)).toMatchObject({ rule: 'unsellable', hold_id: h.id });
      must(await door.call(U.adam, 'decline_transfer', { _brand_id: A(), _transfer_id: t.id, _reason: 'held' }));
      expect(await qty(fx.oil, b, fx.main)).toMatchObject({ quantity: 5, committed: 0 });
    });

    it('validates, refuses a second open hold of the same reason, lists by status', async () => {
      const b = await receive(fx.oil, fx.main, 1);
      expectError(await door.call(U.eve, 'place_hold', { _brand_id: A(), _batch_id: b, _reason_code: 'bored' }), '22023', 400, '_reason_code');
      expectError(await door.call(U.eve, 'place_hold', { _brand_id: A(), _batch_id: b, _reason_code: 'other' }), '22023', 400, '_note');
      expectError(await door.call(U.eve, 'place_hold', { _brand_id: A(), _batch_id: fx.batchB, _reason_code: 'damaged' }), 'PT404', 404, '_batch_id');
      expectError(await door.call(U.eve, 'place_hold', { _brand_id: A(), _batch_id: b, _reason_code: 'damaged', _location_id: fx.locB }), 'PT404', 404, '_location_id');
      expectError(await door.call(U.vic, 'place_hold', { _brand_id: A(), _batch_id: b, _reason_code: 'damaged' }), '42501', 403);
      const h = await hold(b, 'damaged');
      const dup = await door.call(U.eve, 'place_hold', { _brand_id: A(), _batch_id: b, _reason_code: 'damaged' });
      expectError(dup, '23505', 409, '_reason_code');
      expect(details(dup).hold_id).toBe(h.id);
      await hold(b, 'damaged', { _location_id: fx.main }); // another scope: allowed
      expectError(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_hold_id');
      must(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: h.id }));
      const mine = (rows: Hold[]) => rows.filter((x) => x.batch_id === b).map((x) => x.status).sort();
      expect(mine(must<Hold[]>(await door.call(U.vic, 'list_holds', { _brand_id: A(), _batch_id: b })))).toEqual(['open']);
      expect(mine(must<Hold[]>(await door.call(U.vic, 'list_holds', { _brand_id: A(), _batch_id: b, _status: null })))).toEqual(['open', 'released']);
      expectError(await door.call(U.vic, 'list_holds', { _brand_id: A(), _status: 'closed' }), '22023', 400, '_status');
    });
  });

  describe('release gate', () => {
    it('a gated product: new batches start in_testing on hold; ready_for_sale only with a passing latest result', async () => {
      expectError(await door.call(U.eve, 'set_release_rule', { _brand_id: A(), _product_id: fx.flower, _requires_lab_result: true }), '42501', 403);
      expectError(await door.call(U.adam, 'set_release_rule', { _brand_id: A(), _product_id: fx.productB, _requires_lab_result: true }), 'PT404', 404, '_product_id');
      const rule = must<{ product_id: string; requires_lab_result: boolean; updated_by: string }>(
        await door.call(U.adam, 'set_release_rule', { _brand_id: A(), _product_id: fx.flower, _requires_lab_result: true }));
      expect(rule).toMatchObject({ product_id: fx.flower, requires_lab_result: true, updated_by: U.adam.sub });
      expect(must<{ product_id: string }[]>(await door.call(U.vic, 'list_release_rules', { _brand_id: A() })).map((r) => r.product_id)).toContain(fx.flower);

      const created = must<Batch>(await door.call(U.eve, 'create_product_batch', { _brand_id: A(), _product_id: fx.flower, _batch_number: uniq('F') }));
      expect(created).toMatchObject({ status: 'in_testing', lab_testing_state: 'pending', unsellable: true });
      expect(created.unsellable_reasons.map((r) => [r.source, r.code])).toEqual([['hold', 'lab_pending']]);
      const b = await receive(fx.flower, fx.main, 8);
      expect(await batch(b)).toMatchObject({ status: 'in_testing', lab_testing_state: 'pending', unsellable: true });
      const pending = must<Hold[]>(await door.call(U.vic, 'list_holds', { _brand_id: A(), _batch_id: b }));
      expect(pending.map((h) => [h.reason_code, h.source])).toEqual([['lab_pending', 'release_gate']]);

      const early = await door.call(U.eve, 'set_batch_status', { _brand_id: A(), _batch_id: b, _status: 'ready_for_sale' });
      expectError(early, 'PT409', 409, '_status');
      expect(details(early)).toMatchObject({ rule: 'lab_result_required', latest_result: null });
      const releaseEarly = await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: pending[0]!.id });
      expectError(releaseEarly, 'PT409', 409, '_hold_id');
      expect(details(releaseEarly).rule).toBe('lab_result_required');

      // a failed result: lab failed hold, still not for sale
      const fail = must<LabResult>(await record(b, 'fail', { _analytes: [{ name: 'yeast_mold', value: 20000, limit: 10000, result: 'fail' }] }));
      let read = await batch(b);
      expect(read).toMatchObject({ status: 'in_testing', lab_testing_state: 'failed', unsellable: true });
      expect(read.unsellable_reasons.map((r) => r.code)).toEqual(['lab_failed']);
      const failedHold = must<Hold[]>(await door.call(U.vic, 'list_holds', { _brand_id: A(), _batch_id: b }))[0]!;
      expect(failedHold).toMatchObject({ reason_code: 'lab_failed', source: 'lab_result' });
      expectError(await door.call(U.eve, 'set_batch_status', { _brand_id: A(), _batch_id: b, _status: 'ready_for_sale' }), 'PT409', 409, '_status');
      expectError(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: failedHold.id }), 'PT409', 409, '_hold_id');

      // a passing retest: holds released, ready for sale (an ordinary transition), sellable
      const pass = must<LabResult>(await record(b, 'pass', { _analytes: [{ name: 'yeast_mold', value: 900, limit: 10000, result: 'pass' }] }));
      read = await batch(b);
      expect(read).toMatchObject({ status: 'ready_for_sale', lab_testing_state: 'passed', unsellable: false, unsellable_reasons: [] });
      expect(read.latest_lab_result!.id).toBe(pass.id);
      expect(must<Hold[]>(await door.call(U.vic, 'list_holds', { _brand_id: A(), _batch_id: b }))).toEqual([]);
      must(await transfer(b, 1));

      // a correction that fails takes it off sale again
      must(await record(b, 'fail', { _supersedes_id: pass.id, _correction_reason: 'wrong sample' }));
      expect(await batch(b)).toMatchObject({ status: 'in_testing', lab_testing_state: 'failed', unsellable: true });
      expect(fail.id).not.toBe(pass.id);
    });

    it('without a rule, a failed result still holds the batch; an admin may release that hold', async () => {
      const b = await receive(fx.oil, fx.main, 3);
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: A(), _batch_id: b, _status: 'ready_for_sale' }));
      must(await record(b, 'fail'));
      const read = await batch(b);
      expect(read).toMatchObject({ status: 'in_testing', lab_testing_state: 'failed', unsellable: true });
      const [h] = must<Hold[]>(await door.call(U.vic, 'list_holds', { _brand_id: A(), _batch_id: b }));
      must(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: h!.id, _note: 'accepted by QA' }));
      expect(await batch(b)).toMatchObject({ unsellable: false });
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: A(), _batch_id: b, _status: 'ready_for_sale' }));
    });
  });

  describe('expiry', () => {
    it('expired stock is unsellable at once (no job); list_expiring_batches finds what expires soon', async () => {
      const expired = await receive(fx.oil, fx.main, 2, '2020-01-01');
      const soon = await receive(fx.oil, fx.main, 3, isoDays(10));
      const later = await receive(fx.oil, fx.main, 3, isoDays(400));
      const read = await batch(expired);
      expect(read.unsellable).toBe(true);
      expect(read.unsellable_reasons).toEqual([{ id: 'expired', source: 'expiry', code: 'expired', location_id: null, message: 'Expired on 2020-01-01' }]);
      expect(await qty(fx.oil, expired, fx.main)).toMatchObject({ quantity: 2, available: 0, unsellable: true });
      const t = await transfer(expired, 1);
      expectError(t, 'PT409', 409, '_lines[0].batch_id');
      expect(details(t)).toMatchObject({ rule: 'unsellable', reason_code: 'expired', hold_id: null });

      const list = must<{ batch_id: string; days_left: number; expired: boolean; on_hand: number; unsellable: boolean }[]>(
        await door.call(U.vic, 'list_expiring_batches', { _brand_id: A(), _within_days: 30, _product_id: fx.oil }));
      const ids = list.map((x) => x.batch_id);
      expect(ids).toContain(expired);
      expect(ids).toContain(soon);
      expect(ids).not.toContain(later);
      expect(ids.indexOf(expired)).toBeLessThan(ids.indexOf(soon));
      expect(list.find((x) => x.batch_id === soon)).toMatchObject({ expired: false, on_hand: 3, unsellable: false });
      expect(list.find((x) => x.batch_id === soon)!.days_left).toBeGreaterThanOrEqual(9);
      expect(list.find((x) => x.batch_id === expired)).toMatchObject({ expired: true, unsellable: true });
      const fresh = must<{ batch_id: string }[]>(await door.call(U.vic, 'list_expiring_batches', { _brand_id: A(), _within_days: 30, _include_expired: false, _location_id: fx.main }));
      expect(fresh.map((x) => x.batch_id)).toContain(soon);
      expect(fresh.map((x) => x.batch_id)).not.toContain(expired);
      expectError(await door.call(U.vic, 'list_expiring_batches', { _brand_id: A(), _within_days: -1 }), '22023', 400, '_within_days');
      expectError(await door.call(U.vic, 'list_expiring_batches', { _brand_id: A(), _within_days: 5, _location_id: fx.locB }), 'PT404', 404, '_location_id');
    });
  });

  describe('first expiry first out picks', () => {
    let product: string;
    let loc: string;
    const suggest = async (quantity: number, extra: Record<string, unknown> = {}) =>
      must<Suggestion>(await door.call(U.vic, 'suggest_picks', { _brand_id: A(), _product_id: product, _location_id: loc, _quantity: quantity, ...extra }));
    const reserve = (lines: { batch_id: string; quantity: number }[], extra: Record<string, unknown> = {}) =>
      door.call(U.eve, 'reserve_picks', { _brand_id: A(), _product_id: product, _location_id: loc, _lines: lines, ...extra });
    const linesOf = (s: Suggestion) => s.lines.map((l) => ({ batch_id: l.batch_id, quantity: l.quantity }));

    beforeAll(async () => {
      product = must<{ id: string }>(await door.call(U.eve, 'create_product', { _brand_id: A(), _name: 'Yoghurt', _expirable: true })).id;
      loc = must<{ id: string }>(await door.call(U.eve, 'create_location', { _brand_id: A(), _name: 'Cold store' })).id;
    });

    it('suggests by expiry, then by receipt; skips held, expired and short-dated stock; reports a shortfall', async () => {
      const late = await receive(product, loc, 5, isoDays(300));
      const early = await receive(product, loc, 4, isoDays(100));
      const held = await receive(product, loc, 9, isoDays(50));
      const gone = await receive(product, loc, 9, '2021-06-01');
      const soon = await receive(product, loc, 2, isoDays(5));
      const h = await hold(held, 'damaged');
      let s = await suggest(7);
      expect(s).toMatchObject({ requested: 7, suggested: 7, shortfall: 0, complete: true });
      expect(s.lines.map((l) => [l.batch_id, l.quantity])).toEqual([[soon, 2], [early, 4], [late, 1]]);
      expect(s.skipped.map((x) => [x.batch_id, x.reasons[0]!.code])).toEqual([[gone, 'expired'], [held, 'damaged']]);
      s = await suggest(7, { _min_remaining_days: 30 });
      expect(s.lines.map((l) => [l.batch_id, l.quantity])).toEqual([[early, 4], [late, 3]]);
      expect(s.skipped.find((x) => x.batch_id === soon)!.reasons[0]!.code).toBe('short_dated');
      s = await suggest(100);
      expect(s).toMatchObject({ suggested: 11, shortfall: 89, complete: false });
      must(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: h.id }));
      expect((await suggest(7)).lines.map((l) => l.batch_id)).toEqual([soon, held]);

      // the batches are read in order, a first window at a time: stock here behind 40 batches stocked elsewhere is found
      const kefir = must<{ id: string }>(await door.call(U.eve, 'create_product', { _brand_id: A(), _name: 'Kefir', _expirable: true })).id;
      must(await door.call(U.eve, 'receive_inbound', {
        _brand_id: A(), _location_id: fx.shop,
        _lines: Array.from({ length: 40 }, (_, i) => ({ product_id: kefir, batch_number: uniq('K'), quantity: 1, expiry_date: isoDays(20 + i) })),
      }));
      const here = await receive(kefir, loc, 3, isoDays(200));
      const k = must<Suggestion>(await door.call(U.vic, 'suggest_picks', { _brand_id: A(), _product_id: kefir, _location_id: loc, _quantity: 2 }));
      expect(k).toMatchObject({ suggested: 2, complete: true, skipped: [] });
      expect(k.lines.map((l) => [l.batch_id, l.quantity])).toEqual([[here, 2]]);

      expectError(await door.call(U.vic, 'suggest_picks', { _brand_id: A(), _product_id: product, _location_id: loc, _quantity: 0 }), '22023', 400, '_quantity');
      expectError(await door.call(U.vic, 'suggest_picks', { _brand_id: A(), _product_id: product, _location_id: loc, _quantity: 1, _min_remaining_days: -1 }), '22023', 400, '_min_remaining_days');
      expectError(await door.call(U.vic, 'suggest_picks', { _brand_id: A(), _product_id: fx.productB, _location_id: loc, _quantity: 1 }), 'PT404', 404, '_product_id');
      expectError(await door.call(U.vic, 'suggest_picks', { _brand_id: A(), _product_id: product, _location_id: fx.locB, _quantity: 1 }), 'PT404', 404, '_location_id');
    });

    it('reserve_picks reserves exactly the suggestion; a changed suggestion is 409 with the current one; confirm takes the stock out', async () => {
      const s = await suggest(6);
      const pick = must<Pick>(await reserve([...linesOf(s)].reverse(), { _note: 'order 1001' }));
      expect(pick.number).toMatch(/^PK-\d{6}$/);
      expect(pick).toMatchObject({ status: 'reserved', quantity: 6 });
      expect(pick.lines.map((l) => [l.position, l.batch_id, l.quantity])).toEqual(s.lines.map((l, i) => [i + 1, l.batch_id, l.quantity]));
      const first = s.lines[0]!;
      expect(await qty(product, first.batch_id, loc)).toMatchObject({ committed: first.quantity, available: first.available - first.quantity });

      // the same lines again: the first batch is now (partly) reserved, so the suggestion moved on
      const again = await reserve(linesOf(s));
      expectError(again, 'PT409', 409, '_lines');
      const d = details(again) as { rule: string; suggestion: Suggestion };
      expect(d.rule).toBe('suggestion_changed');
      expect(d.suggestion).toEqual(await suggest(6));
      const second = must<Pick>(await reserve(linesOf(d.suggestion)));

      // confirm: the stock leaves (release + pick in the ledger); a second confirm is 409
      const done = must<Pick>(await door.call(U.eve, 'confirm_picks', { _brand_id: A(), _pick_id: pick.id }));
      expect(done.status).toBe('picked');
      expect(await qty(product, first.batch_id, loc)).toMatchObject({ quantity: first.available - first.quantity, committed: 0 });
      const moves = must<{ kind: string; pick_id: string | null; quantity_delta: number; committed_delta: number }[]>(
        await door.call(U.vic, 'list_stock_movements', { _brand_id: A(), _batch_id: first.batch_id, _location_id: loc }));
      expect(moves.filter((m) => m.pick_id === pick.id).map((m) => [m.kind, m.quantity_delta, m.committed_delta])).toEqual([
        ['pick', -first.quantity, 0], ['release', 0, -first.quantity], ['reservation', 0, first.quantity],
      ]);
      expectError(await door.call(U.eve, 'confirm_picks', { _brand_id: A(), _pick_id: pick.id }), 'PT409', 409, '_pick_id');

      // stock held after reserving is not picked; releasing is always possible
      const h = await hold(second.lines[0]!.batch_id, 'damaged', { _location_id: loc });
      const refused = await door.call(U.eve, 'confirm_picks', { _brand_id: A(), _pick_id: second.id });
      expectError(refused, 'PT409', 409, '_pick_id');
      expect(details(refused)).toMatchObject({ rule: 'unsellable', hold_id: h.id });
      const released = must<Pick>(await door.call(U.eve, 'release_picks', { _brand_id: A(), _pick_id: second.id, _reason: 'damaged' }));
      expect(released.status).toBe('released');
      expect((await qty(product, second.lines[0]!.batch_id, loc)).committed).toBe(0);
      must(await door.call(U.adam, 'release_hold', { _brand_id: A(), _hold_id: h.id }));
      const listed = must<Pick[]>(await door.call(U.vic, 'list_picks', { _brand_id: A(), _location_id: loc }));
      expect(listed.slice(0, 2).map((p) => [p.id, p.status])).toEqual([[second.id, 'released'], [pick.id, 'picked']]);
      expect(must<Pick[]>(await door.call(U.vic, 'list_picks', { _brand_id: A(), _status: 'picked' })).map((p) => p.id)).toContain(pick.id);
    });

    it('validates reserve_picks input and roles', async () => {
      const s = await suggest(1);
      expectError(await reserve([]), '22023', 400, '_lines');
      expectError(await reserve([{ batch_id: s.lines[0]!.batch_id, quantity: 0 }]), '22023', 400, '_lines[0].quantity');
      expectError(await reserve([{ batch_id: fx.batchB, quantity: 1 }]), 'PT404', 404, '_lines[0].batch_id');
      expectError(await reserve(linesOf(s), { _min_remaining_days: 5000 }), '22023', 400, '_min_remaining_days');
      expectError(await door.call(U.vic, 'reserve_picks', { _brand_id: A(), _product_id: product, _location_id: loc, _lines: linesOf(s) }), '42501', 403);
      expectError(await door.call(U.eve, 'release_picks', { _brand_id: A(), _pick_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_pick_id');
      expectError(await door.call(U.vic, 'list_picks', { _brand_id: A(), _status: 'done' }), '22023', 400, '_status');
    });
  });
}
