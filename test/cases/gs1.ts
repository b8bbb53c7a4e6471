// One case list for GTIN ownership (claims, verification by a platform administrator, the verified owner the
// resolver answers for), run through two doors: test/sql/gs1.test.ts (app.act_as) and test/http/gs1.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door, type DoorResult } from '../support/door.ts';
import { CONSUMER_KEYS } from './serials.ts';

export const GS1_USERS = {
  vera: { sub: 'g1-vera' }, // owner of V, the real owner of the company prefix 5012345
  adam: { sub: 'g1-adam' }, // admin of V
  eve: { sub: 'g1-eve' }, // editor of V
  vic: { sub: 'g1-vic' }, // viewer of V
  mallory: { sub: 'g1-mallory' }, // owner of M, a competitor who names their brand like V
  ops: { sub: 'g1-ops', scope: 'platform:admin' }, // platform administrator
  opsUnscoped: { sub: 'g1-ops' }, // the same person with a token that does not carry platform:admin
} as const;
const U = GS1_USERS;

type Row = Record<string, unknown>;

/** A GTIN-13 from 12 digits, with its GS1 check digit. */
export function gtin13(body: string): string {
  const sum = body.split('').reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return body + String((10 - (sum % 10)) % 10);
}

const PREFIX = '5012345';
const G = gtin13('501234500001'); // V's olive oil
const G2 = gtin13('501234500002'); // another GTIN under V's prefix
const LOT = 'L-2026-05';
const PHISHING = 'RECALL: call +1-555-0100 or visit https://refund.example to claim your refund';

interface Fx {
  brandV: string;
  brandM: string;
  productV: string;
  batchV: { id: string; public_id: string };
}

function rule(r: DoorResult): unknown {
  return details(r).rule;
}

async function setup(door: Door): Promise<Fx> {
  const tag = Math.random().toString(36).slice(2, 8);
  const brandV = must<{ id: string }>(await door.call(U.vera, 'create_brand', { _name: `vera-record-${tag}` })).id;
  for (const [user, role] of [[U.adam, 'admin'], [U.eve, 'editor'], [U.vic, 'viewer']] as const) {
    must(await door.call(U.vera, 'add_brand_member', { _brand_id: brandV, _user_id: user.sub, _role: role }));
  }
  const productV = must<{ id: string }>(await door.call(U.eve, 'create_product', { _brand_id: brandV, _name: 'Extra virgin olive oil', _gtin: G, _serialized: true })).id;
  must(await door.call(U.eve, 'create_product', { _brand_id: brandV, _name: 'Olive oil 5L', _gtin: G2 }));
  const batchV = must<{ id: string; public_id: string }>(await door.call(U.eve, 'create_product_batch', { _brand_id: brandV, _product_id: productV, _batch_number: LOT }));
  // the competitor's brand carries the victim's name
  const brandM = must<{ id: string }>(await door.call(U.mallory, 'create_brand', { _name: 'Vera Olive Oils Ltd' })).id;
  return { brandV, brandM, productV, batchV };
}

export function defineGs1Cases(getDoor: () => Door): void {
  let door: Door;
  let fx: Fx;
  let claimV: Row;

  beforeAll(async () => {
    door = getDoor();
    fx = await setup(door);
  });

  describe('claims', () => {
    it('a brand admin claims a company prefix; pending, it changes nothing a scan shows', async () => {
      expectError(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G}` }), 'PT404', 404, '_uri');
      claimV = must<Row>(await door.call(U.adam, 'claim_gtin_prefix', {
        _brand_id: fx.brandV, _prefix: ` ${PREFIX} `, _display_name: 'Vera Olive Oils Ltd', _evidence: 'GS1 UK licence certificate 12345, GLN 5012345000009',
      }));
      expect(claimV).toEqual({
        brand_id: fx.brandV, id: expect.any(String), kind: 'company_prefix', value: PREFIX, display_name: 'Vera Olive Oils Ltd',
        evidence: 'GS1 UK licence certificate 12345, GLN 5012345000009', status: 'pending', decision_note: null,
        created_by: U.adam.sub, created_at: expect.any(String), decided_by: null, decided_at: null,
      });
      expectError(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G}` }), 'PT404', 404, '_uri');
      expectError(await door.call(null, 'get_public_batch', { _public_id: fx.batchV.public_id }), 'PT404', 404, '_public_id');
      const listed = must<Row[]>(await door.call(U.vic, 'list_gtin_claims', { _brand_id: fx.brandV }));
      expect(listed).toEqual([claimV]);
      expect(must<Row[]>(await door.call(U.vic, 'list_gtin_claims', { _brand_id: fx.brandV, _status: 'verified' }))).toEqual([]);
    });

    it('validates the claim and needs the admin role', async () => {
      const base = { _brand_id: fx.brandV, _display_name: 'Vera' };
      const bad: [Row, string, string, string][] = [
        [{ _prefix: '12345' }, '22023', '_prefix', 'company_prefix'],
        [{ _prefix: '1234567890123' }, '22023', '_prefix', 'company_prefix'],
        [{ _prefix: '50123a5' }, '22023', '_prefix', 'company_prefix'],
        [{ _prefix: null }, '22023', '_prefix', 'required'],
        [{ _prefix: '5012345000011', _kind: 'gtin' }, '22023', '_prefix', 'gtin_check_digit'],
        [{ _prefix: '501234500001', _kind: 'gtin' }, '22023', '_prefix', 'gtin_check_digit'],
        [{ _prefix: PREFIX, _kind: 'brand' }, '22023', '_kind', 'enum'],
        [{ _prefix: PREFIX, _display_name: ' ' }, '22023', '_display_name', 'required'],
        [{ _prefix: PREFIX, _display_name: 'x'.repeat(201) }, '22023', '_display_name', 'max_length'],
        [{ _prefix: PREFIX, _evidence: 'x'.repeat(2001) }, '22023', '_evidence', 'max_length'],
      ];
      for (const [args, code, field, r] of bad) {
        const res = await door.call(U.adam, 'claim_gtin_prefix', { ...base, ...args });
        expectError(res, code, 400, field);
        expect(rule(res), JSON.stringify(args)).toBe(r);
      }
      const dup = await door.call(U.vera, 'claim_gtin_prefix', { ...base, _prefix: PREFIX });
      expectError(dup, '23505', 409, '_prefix');
      expect(details(dup)).toMatchObject({ rule: 'unique', value: PREFIX });
      for (const who of [U.eve, U.vic, U.mallory]) expectError(await door.call(who, 'claim_gtin_prefix', { ...base, _prefix: '5012346' }), '42501', 403);
      expectError(await door.call(null, 'claim_gtin_prefix', { ...base, _prefix: '5012346' }), '42501', 401);
      expectError(await door.call({ ...U.vera, scope: 'brands:read' }, 'claim_gtin_prefix', { ...base, _prefix: '5012346' }), '42501', 403);
      expectError(await door.call(U.mallory, 'list_gtin_claims', { _brand_id: fx.brandV }), '42501', 403);
    });
  });

  describe('verification', () => {
    it('only a platform administrator (scope platform:admin) decides; verifying makes the scan answer with the claim\'s name', async () => {
      const args = { _brand_id: fx.brandV, _claim_id: claimV.id, _note: 'matches the GS1 registry' };
      for (const who of [U.vera, U.adam, U.opsUnscoped, { sub: 'g1-ops', scope: 'brands:write' }]) {
        const r = await door.call(who, 'verify_gtin_claim', args);
        expectError(r, '42501', 403);
        expect(details(r)).toMatchObject({ rule: 'platform_admin', scope: 'platform:admin' });
      }
      expectError(await door.call(null, 'verify_gtin_claim', args), '42501', 401);
      expectError(await door.call({ sub: null, scope: 'platform:admin' }, 'verify_gtin_claim', args), 'PT401', 401);
      expectError(await door.call(U.vera, 'list_gtin_claims', {}), '42501', 403);
      expectError(await door.call(U.ops, 'verify_gtin_claim', { ...args, _claim_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_claim_id');
      expectError(await door.call(U.ops, 'verify_gtin_claim', { ...args, _brand_id: fx.brandM }), 'PT404', 404, '_claim_id');

      const v = must<Row>(await door.call(U.ops, 'verify_gtin_claim', args));
      expect(v).toMatchObject({ status: 'verified', decided_by: U.ops.sub, decision_note: 'matches the GS1 registry', decided_at: expect.any(String) });
      const again = await door.call(U.ops, 'verify_gtin_claim', args);
      expectError(again, 'PT409', 409, '_claim_id');
      expect(details(again)).toMatchObject({ rule: 'transition', from: 'verified', to: 'verified' });

      const view = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `https://id.example.com/01/${G}/10/${LOT}` }));
      expect(Object.keys(view).sort()).toEqual(CONSUMER_KEYS);
      expect(view).toMatchObject({ level: 'batch', valid: true, brand_name: 'Vera Olive Oils Ltd', product_name: 'Extra virgin olive oil', batch_number: LOT });
      expect(JSON.stringify(view)).not.toContain('vera-record'); // the brand's own record name is not what consumers see
      expect(must<Row>(await door.call(null, 'get_public_batch', { _public_id: fx.batchV.public_id }))).toMatchObject({ brand_name: 'Vera Olive Oils Ltd' });
      // the review queue: every brand's claims, for platform administrators
      const queue = must<Row[]>(await door.call(U.ops, 'list_gtin_claims', { _status: 'verified' }));
      expect(queue.map((c) => c.id)).toContain(claimV.id);
      expectError(await door.call(U.ops, 'list_gtin_claims', { _status: 'maybe' }), '22023', 400, '_status');
    });

    it('a competitor named like the owner cannot take over the consumer view of the owner\'s GTIN', async () => {
      // the competitor registers the owner's GTIN and lot, imports a serial and recalls it with a phishing message
      const p = must<{ id: string }>(await door.call(U.mallory, 'create_product', { _brand_id: fx.brandM, _name: 'Extra virgin olive oil', _gtin: G, _serialized: true }));
      const b = must<{ id: string; public_id: string }>(await door.call(U.mallory, 'create_product_batch', { _brand_id: fx.brandM, _product_id: p.id, _batch_number: LOT }));
      must(await door.call(U.mallory, 'import_serials', { _brand_id: fx.brandM, _batch_id: b.id, _serials: ['S-1'] }));
      const code = must<Row[]>(await door.call(U.mallory, 'list_batch_serials', { _brand_id: fx.brandM, _batch_id: b.id }))[0]!.code;
      must(await door.call(U.mallory, 'set_batch_status', { _brand_id: fx.brandM, _batch_id: b.id, _status: 'recalled', _reason: PHISHING }));
      // and claims the owner's prefix, and the GTIN itself
      const c1 = must<Row>(await door.call(U.mallory, 'claim_gtin_prefix', { _brand_id: fx.brandM, _prefix: PREFIX, _display_name: 'Vera Olive Oils Ltd' }));
      const c2 = must<Row>(await door.call(U.mallory, 'claim_gtin_prefix', { _brand_id: fx.brandM, _prefix: G, _kind: 'gtin', _display_name: 'Vera Olive Oils Ltd' }));
      expect([c1.status, c2.status]).toEqual(['pending', 'pending']);

      const scanned = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G}/10/${LOT}/21/S-1` }));
      expect(scanned).toMatchObject({
        level: 'batch', requested_level: 'serial', valid: false, reason: 'serial_unknown', recalled: false, recall_message: null,
        brand_name: 'Vera Olive Oils Ltd', public_id: fx.batchV.public_id,
      });
      expect(JSON.stringify(scanned)).not.toContain('refund');
      expectError(await door.call(null, 'resolve_serial', { _code: code }), 'PT404', 404, '_code');
      expectError(await door.call(null, 'get_public_batch', { _public_id: b.public_id }), 'PT404', 404, '_public_id');

      // a careless verification cannot hand the owner's GTINs over: both claims overlap the verified one
      for (const c of [c1, c2]) {
        const r = await door.call(U.ops, 'verify_gtin_claim', { _brand_id: fx.brandM, _claim_id: c.id });
        expectError(r, 'PT409', 409, '_claim_id');
        expect(details(r)).toMatchObject({ rule: 'overlap', claim_id: claimV.id, value: PREFIX });
        must(await door.call(U.ops, 'reject_gtin_claim', { _brand_id: fx.brandM, _claim_id: c.id, _note: 'not the licensee of this prefix' }));
      }
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G}/10/${LOT}/21/S-1` }))).toEqual(scanned);
      const mine = must<Row[]>(await door.call(U.mallory, 'list_gtin_claims', { _brand_id: fx.brandM }));
      expect(mine.map((c) => [c.status, c.decision_note])).toEqual([['rejected', 'not the licensee of this prefix'], ['rejected', 'not the licensee of this prefix']]);
    });

    it('within one brand the longest verified claim wins; revoking a claim stops the answers at once', async () => {
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G2}` }))).toMatchObject({ brand_name: 'Vera Olive Oils Ltd', product_name: 'Olive oil 5L' });
      const g = must<Row>(await door.call(U.vera, 'claim_gtin_prefix', { _brand_id: fx.brandV, _prefix: G, _kind: 'gtin', _display_name: 'Vera Premium' }));
      expect(g).toMatchObject({ kind: 'gtin', value: `0${G}` });
      must(await door.call(U.ops, 'verify_gtin_claim', { _brand_id: fx.brandV, _claim_id: g.id }));
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G}` }))).toMatchObject({ brand_name: 'Vera Premium' });
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G2}` }))).toMatchObject({ brand_name: 'Vera Olive Oils Ltd' });

      expectError(await door.call(U.ops, 'reject_gtin_claim', { _brand_id: fx.brandV, _claim_id: claimV.id, _note: ' ' }), '22023', 400, '_note');
      const revoked = must<Row>(await door.call(U.ops, 'reject_gtin_claim', { _brand_id: fx.brandV, _claim_id: claimV.id, _note: 'licence lapsed' }));
      expect(revoked).toMatchObject({ status: 'rejected', decision_note: 'licence lapsed', decided_by: U.ops.sub });
      expectError(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G2}` }), 'PT404', 404, '_uri');
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${G}` }))).toMatchObject({ brand_name: 'Vera Premium' });
      const twice = await door.call(U.ops, 'reject_gtin_claim', { _brand_id: fx.brandV, _claim_id: claimV.id, _note: 'again' });
      expectError(twice, 'PT409', 409, '_claim_id');
      expect(details(twice)).toMatchObject({ rule: 'transition', from: 'rejected', to: 'rejected' });
      // a rejected claim may be filed again (a new claim, pending)
      expect(must<Row>(await door.call(U.vera, 'claim_gtin_prefix', { _brand_id: fx.brandV, _prefix: PREFIX, _display_name: 'Vera Olive Oils Ltd' }))).toMatchObject({ status: 'pending' });
    });
  });
}
