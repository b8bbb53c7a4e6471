// One case list for serial numbers, the public batch view and the GS1 Digital Link resolver, run through
// two doors: test/sql/serials.test.ts (app.act_as) and test/http/serials.test.ts (the gateway; anon = no
// Authorization header). Catalog, concurrency and helper-level checks live in test/sql/serials.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door, type DoorResult } from '../support/door.ts';

export const SERIAL_USERS = {
  alice: { sub: 'sr-alice' }, // owner of A
  adam: { sub: 'sr-adam' }, // admin of A
  eve: { sub: 'sr-eve' }, // editor of A
  vic: { sub: 'sr-vic' }, // viewer of A
  bob: { sub: 'sr-bob' }, // owner of B
  oscar: { sub: 'sr-oscar' }, // member of nothing: a logged-in consumer
} as const;
const U = SERIAL_USERS;

/** Exactly the fields anon may see (api.consumer_view). */
export const CONSUMER_KEYS = [
  'valid', 'reason', 'message', 'level', 'requested_level', 'brand_name', 'product_name', 'gtin', 'batch_number',
  'production_date', 'expiry_date', 'expired', 'status', 'recalled', 'recall_message', 'serial_number',
  'serial_status', 'public_id', 'digital_link',
].sort();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const CODE = /^[A-Za-z0-9_-]{16}$/;
/** Every character of GS1 AI set 82 that is not a letter or digit (20 of them). */
export const SET82_SYMBOLS = `!"%&'()*+,-./:;<=>?_`;

export interface SerialFixture {
  brandA: string;
  brandB: string;
  gtinA: string; // GTIN-14 of the serialized product of A
  productA: string; // serialized, GTIN 4006381333931
  productPlain: string; // not serialized
  productNoGtin: string; // serialized, no GTIN
  productB: string; // brand B, serialized, GTIN 09506000134352
  batchA: string; // 'A/B 1%' on productA, dated
  batchAPublic: string;
  batchPlain: string;
  batchNoGtin: string;
  batchB: string;
  batchBPublic: string;
}

type Row = Record<string, unknown>;

function errorRule(r: DoorResult): unknown {
  return details(r).rule;
}

async function setup(door: Door): Promise<SerialFixture> {
  const tag = Math.random().toString(36).slice(2, 8);
  const brandA = must<{ id: string }>(await door.call(U.alice, 'create_brand', { _name: `Serial A ${tag}` })).id;
  const brandB = must<{ id: string }>(await door.call(U.bob, 'create_brand', { _name: `Serial B ${tag}` })).id;
  for (const [user, role] of [[U.adam, 'admin'], [U.eve, 'editor'], [U.vic, 'viewer']] as const) {
    must(await door.call(U.alice, 'add_brand_member', { _brand_id: brandA, _user_id: user.sub, _role: role }));
  }
  const product = async (brand: string, who: { sub: string }, args: Row) =>
    must<{ id: string; gtin: string | null }>(await door.call(who, 'create_product', { _brand_id: brand, ...args }));
  const pA = await product(brandA, U.eve, { _name: 'Olive oil 1L', _gtin: '4006381333931', _serialized: true });
  const pPlain = await product(brandA, U.eve, { _name: 'Vinegar', _gtin: '5901234123457' });
  const pNoGtin = await product(brandA, U.eve, { _name: 'Unlabelled', _serialized: true });
  const pB = await product(brandB, U.bob, { _name: 'Secret sauce', _gtin: '09506000134352', _serialized: true });
  const batch = async (brand: string, who: { sub: string }, productId: string, args: Row) =>
    must<{ id: string; public_id: string }>(await door.call(who, 'create_product_batch', { _brand_id: brand, _product_id: productId, ...args }));
  const bA = await batch(brandA, U.eve, pA.id, {
    _batch_number: 'A/B 1%', _production_date: '2026-01-15', _expiry_date: '2099-12-31', _quantity: 500,
  });
  const bPlain = await batch(brandA, U.eve, pPlain.id, { _batch_number: 'PLAIN-1' });
  const bNoGtin = await batch(brandA, U.eve, pNoGtin.id, { _batch_number: 'NG-1' });
  const bB = await batch(brandB, U.bob, pB.id, { _batch_number: 'LOT-B-1', _quantity: 99 });
  return {
    brandA, brandB, gtinA: pA.gtin!, productA: pA.id, productPlain: pPlain.id, productNoGtin: pNoGtin.id, productB: pB.id,
    batchA: bA.id, batchAPublic: bA.public_id, batchPlain: bPlain.id, batchNoGtin: bNoGtin.id, batchB: bB.id, batchBPublic: bB.public_id,
  };
}

/** A fresh batch of productA (own serial space). */
async function newBatch(door: Door, fx: SerialFixture, number: string, extra: Row = {}, productId?: string): Promise<{ id: string; public_id: string }> {
  return must(await door.call(U.eve, 'create_product_batch', {
    _brand_id: fx.brandA, _product_id: productId ?? fx.productA, _batch_number: number, ...extra,
  }));
}

async function listAll(door: Door, brand: string, batch: string, who: { sub: string } = U.vic): Promise<Row[]> {
  const out: Row[] = [];
  let after: number | null = null;
  for (;;) {
    const page = must<Row[]>(await door.call(who, 'list_batch_serials', { _brand_id: brand, _batch_id: batch, _after_seq: after, _limit: 1000 }));
    out.push(...page);
    if (page.length < 1000) return out;
    after = page[page.length - 1]!.seq as number;
  }
}

export function defineSerialCases(getDoor: () => Door): void {
  let door: Door;
  let fx: SerialFixture;

  beforeAll(async () => {
    door = getDoor();
    fx = await setup(door);
  });

  describe('mint_serials', () => {
    it('mints sequential serial numbers with unique 16-character codes, continuing across calls', async () => {
      const b = await newBatch(door, fx, 'MINT-1');
      const r = must<Row>(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: b.id, _count: 1500 }));
      expect(r).toEqual({
        brand_id: fx.brandA, batch_id: b.id, minted: 1500, first_seq: 1, last_seq: 1500, first_serial_number: '1', last_serial_number: '1500',
      });
      const again = must<Row>(await door.call(U.alice, 'mint_serials', { _brand_id: fx.brandA, _batch_id: b.id, _count: 5 }));
      expect(again).toMatchObject({ minted: 5, first_seq: 1501, last_seq: 1505, first_serial_number: '1501', last_serial_number: '1505' });

      const rows = await listAll(door, fx.brandA, b.id);
      expect(rows).toHaveLength(1505);
      expect(rows.map((x) => x.seq)).toEqual(Array.from({ length: 1505 }, (_, i) => i + 1));
      expect(rows.map((x) => x.serial_number)).toEqual(Array.from({ length: 1505 }, (_, i) => String(i + 1)));
      const codes = rows.map((x) => x.code as string);
      expect(codes.every((c) => CODE.test(c))).toBe(true);
      expect(new Set(codes).size).toBe(1505);
      expect(rows.every((x) => x.status === 'active' && x.source === 'minted' && x.batch_id === b.id && [U.adam.sub, U.alice.sub].includes(x.created_by as 'sr-adam'))).toBe(true);
      expect(rows[0]!.digital_link).toBe(`/01/${fx.gtinA}/10/MINT-1/21/1`);
    });

    it('mints 100,000 serials in one call', async () => {
      const b = await newBatch(door, fx, 'MINT-100K');
      const t0 = performance.now();
      const r = must<Row>(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: b.id, _count: 100_000 }));
      const ms = performance.now() - t0;
      expect(r).toMatchObject({ minted: 100_000, first_seq: 1, last_seq: 100_000, last_serial_number: '100000' });
      expect(ms).toBeLessThan(25_000);
      const tail = must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: b.id, _after_seq: 99_998 }));
      expect(tail.map((x) => x.serial_number)).toEqual(['99999', '100000']);
    }, 60_000);

    it('refuses products that are not serialized, and archived or recalled batches (409), writing nothing', async () => {
      const r = await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: fx.batchPlain, _count: 3 });
      expectError(r, 'PT409', 409, '_batch_id');
      expect(errorRule(r)).toBe('serialized');
      const recalled = await newBatch(door, fx, 'RECALLED-MINT');
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: recalled.id, _status: 'recalled', _reason: 'x' }));
      const r2 = await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: recalled.id, _count: 3 });
      expectError(r2, 'PT409', 409, '_batch_id');
      expect(details(r2)).toMatchObject({ rule: 'status', status: 'recalled' });
      const r3 = await door.call(U.adam, 'import_serials', { _brand_id: fx.brandA, _batch_id: fx.batchPlain, _serials: ['X'] });
      expectError(r3, 'PT409', 409, '_batch_id');
      expect(must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: fx.batchPlain }))).toEqual([]);
    });

    it('validates _count and the batch', async () => {
      for (const n of [0, -1, 1_000_001]) {
        const r = await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: fx.batchA, _count: n });
        expectError(r, '22023', 400, '_count');
        expect(errorRule(r)).toBe('range');
      }
      expectError(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: fx.batchA, _count: null }), '22023', 400, '_count');
      const unknown = await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: '00000000-0000-4000-8000-000000000000', _count: 1 });
      expectError(unknown, 'PT404', 404, '_batch_id');
      // another brand's batch through my brand: not found, not written
      expectError(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: fx.batchB, _count: 1 }), 'PT404', 404, '_batch_id');
      expect(must<Row[]>(await door.call(U.bob, 'list_batch_serials', { _brand_id: fx.brandB, _batch_id: fx.batchB }))).toEqual([]);
    });

    it('needs the admin role and, for scoped tokens, serials:write', async () => {
      const args = { _brand_id: fx.brandA, _batch_id: fx.batchNoGtin, _count: 1 };
      for (const who of [U.eve, U.vic, U.oscar, U.bob]) expectError(await door.call(who, 'mint_serials', args), '42501', 403);
      expectError(await door.call(null, 'mint_serials', args), '42501', 401);
      expectError(await door.call({ sub: null }, 'mint_serials', args), 'PT401', 401);
      expectError(await door.call({ ...U.adam, scope: 'serials:read batches:write' }, 'mint_serials', args), '42501', 403);
      must(await door.call({ ...U.adam, scope: 'serials:write' }, 'mint_serials', args));
      // reading: viewer and serials:read
      must(await door.call({ ...U.vic, scope: 'serials:read' }, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: fx.batchNoGtin }));
      expectError(await door.call({ ...U.vic, scope: 'batches:read' }, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: fx.batchNoGtin }), '42501', 403);
      expectError(await door.call(U.bob, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: fx.batchNoGtin }), '42501', 403);
      expectError(await door.call(null, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: fx.batchNoGtin }), '42501', 401);
    });

    it('a serial of a product without GTIN has a code but no Digital Link', async () => {
      const rows = must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: fx.batchNoGtin }));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows[0]).toMatchObject({ digital_link: null, status: 'active' });
      const view = must<Row>(await door.call(null, 'resolve_serial', { _code: rows[0]!.code }));
      expect(view).toMatchObject({ level: 'serial', valid: true, gtin: null, digital_link: null, product_name: 'Unlabelled' });
    });
  });

  describe('import_serials', () => {
    it('reports every bad record (0-based index, field, rule) and imports nothing by default', async () => {
      const b = await newBatch(door, fx, 'IMP-1');
      must(await door.call(U.adam, 'import_serials', { _brand_id: fx.brandA, _batch_id: b.id, _serials: ['EXIST-1'] }));
      const payload = [
        'OK-1', // 0 ok
        'OK-1', // 1 duplicate of 0
        'has space', // 2 charset
        'X'.repeat(21), // 3 max_length
        { serial_number: 'EXIST-1' }, // 4 existing
        7, // 5 type
        { serial_number: 'OK-2', extra: 1 }, // 6 unknown_key
        '', // 7 required
        'tilde~', // 8 charset (~ is not in set 82)
        { serial_number: 'OK-3' }, // 9 ok
        'é', // 10 charset
        `a${SET82_SYMBOLS.slice(0, 19)}`, // 11 ok: 20 characters of set 82
        { serial: 'OK-4' }, // 12 unknown_key
        null, // 13 type
      ];
      const r = must<Row>(await door.call(U.adam, 'import_serials', { _brand_id: fx.brandA, _batch_id: b.id, _serials: payload }));
      expect(r).toMatchObject({ success: false, imported: 0, failed: 11, first_seq: null, last_seq: null });
      const errors = r.errors as Row[];
      expect(errors.map((e) => [e.index, e.rule])).toEqual([
        [1, 'duplicate_in_payload'], [2, 'charset'], [3, 'max_length'], [4, 'duplicate_existing'], [5, 'type'],
        [6, 'unknown_key'], [7, 'required'], [8, 'charset'], [10, 'charset'], [12, 'unknown_key'], [13, 'type'],
      ]);
      expect(errors[0]).toMatchObject({ serial_number: 'OK-1', field: 'serial_number', message: expect.stringContaining('record 0') });
      expect(errors[3]).toMatchObject({ serial_number: 'EXIST-1', message: expect.stringContaining('already exists') });
      const rows = await listAll(door, fx.brandA, b.id);
      expect(rows.map((x) => x.serial_number)).toEqual(['EXIST-1']);
    });

    it('with _on_error = proceed imports the valid records in payload order, seq continuing the batch', async () => {
      const b = await newBatch(door, fx, 'IMP-2');
      must(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: b.id, _count: 2 }));
      const r = must<Row>(await door.call(U.adam, 'import_serials', {
        _brand_id: fx.brandA, _batch_id: b.id, _serials: ['Z-9', 'bad one', { serial_number: 'A-1' }, '2', 'Z-9'], _on_error: 'proceed',
      }));
      expect(r).toMatchObject({ success: false, imported: 2, failed: 3, first_seq: 3, last_seq: 4 });
      expect((r.errors as Row[]).map((e) => [e.index, e.rule])).toEqual([[1, 'charset'], [3, 'duplicate_existing'], [4, 'duplicate_in_payload']]);
      const rows = await listAll(door, fx.brandA, b.id);
      expect(rows.map((x) => [x.seq, x.serial_number, x.source])).toEqual([
        [1, '1', 'minted'], [2, '2', 'minted'], [3, 'Z-9', 'imported'], [4, 'A-1', 'imported'],
      ]);
      expect(rows.every((x) => CODE.test(x.code as string))).toBe(true);
    });

    it('a clean import succeeds; minting afterwards never collides with imported numbers', async () => {
      const b = await newBatch(door, fx, 'IMP-3');
      const r = must<Row>(await door.call(U.adam, 'import_serials', { _brand_id: fx.brandA, _batch_id: b.id, _serials: ['7', '0009', 'SN-1'] }));
      expect(r).toEqual({ success: true, imported: 3, failed: 0, first_seq: 1, last_seq: 3, errors: [] });
      const m = must<Row>(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: b.id, _count: 3 }));
      expect(m).toMatchObject({ first_seq: 8, last_seq: 10, first_serial_number: '8', last_serial_number: '10' });
      const rows = await listAll(door, fx.brandA, b.id);
      expect(rows.map((x) => x.serial_number)).toEqual(['7', '0009', 'SN-1', '8', '9', '10']);
    });

    it('validates the payload and needs the admin role', async () => {
      const base = { _brand_id: fx.brandA, _batch_id: fx.batchA };
      expectError(await door.call(U.adam, 'import_serials', { ...base, _serials: { serial_number: 'x' } }), '22023', 400, '_serials');
      expectError(await door.call(U.adam, 'import_serials', { ...base, _serials: [] }), '22023', 400, '_serials');
      expectError(await door.call(U.adam, 'import_serials', { ...base, _serials: ['x'], _on_error: 'ignore' }), '22023', 400, '_on_error');
      expectError(await door.call(U.eve, 'import_serials', { ...base, _serials: ['x'] }), '42501', 403);
      expectError(await door.call(null, 'import_serials', { ...base, _serials: ['x'] }), '42501', 401);
    });
  });

  describe('list, lookup, void', () => {
    let batch: string;
    let rows: Row[];
    beforeAll(async () => {
      batch = (await newBatch(door, fx, 'LLV-1')).id;
      must(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: batch, _count: 25 }));
      rows = await listAll(door, fx.brandA, batch);
    });

    it('pages by keyset in a stable order and filters by status', async () => {
      const p1 = must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: batch, _limit: 10 }));
      const p2 = must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: batch, _limit: 10, _after_seq: p1[9]!.seq }));
      const p3 = must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: batch, _limit: 10, _after_seq: p2[9]!.seq }));
      expect([...p1, ...p2, ...p3]).toEqual(rows);
      expect(p3).toHaveLength(5);
      for (const [k, v] of [['_limit', 0], ['_limit', 1001], ['_after_seq', -1], ['_status', 'gone']] as const) {
        const r = await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: batch, [k]: v });
        expectError(r, '22023', 400, k);
      }
      expectError(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: fx.batchB }), 'PT404', 404, '_batch_id');
    });

    it('looks a serial up by code (batch given or not) or by serial number in the batch', async () => {
      const s = rows[4]!;
      expect(must<Row>(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: s.code }))).toEqual(s);
      expect(must<Row>(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: null, _code: s.code }))).toEqual(s);
      expect(must<Row>(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: '5' }))).toEqual(s);
      expectError(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: 'nope' }), 'PT404', 404, '_code');
      expectError(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: '' }), '22023', 400, '_code');
      expectError(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: fx.batchB, _code: s.code }), 'PT404', 404, '_batch_id');
      // a member of B cannot see A's serial through B, nor through A
      expectError(await door.call(U.bob, 'lookup_serial', { _brand_id: fx.brandB, _batch_id: null, _code: s.code }), 'PT404', 404, '_code');
      expectError(await door.call(U.bob, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: null, _code: s.code }), '42501', 403);
    });

    it('voids with a reason (admin); void is final and the resolver says not valid', async () => {
      const s = rows[9]!;
      expectError(await door.call(U.eve, 'void_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: s.code, _reason: 'x' }), '42501', 403);
      expectError(await door.call(U.adam, 'void_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: s.code, _reason: ' ' }), '22023', 400, '_reason');
      expectError(await door.call(U.adam, 'void_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: 'missing', _reason: 'x' }), 'PT404', 404, '_code');
      const v = must<Row>(await door.call(U.adam, 'void_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: s.code, _reason: 'label misprinted' }));
      expect(v).toMatchObject({ code: s.code, seq: s.seq, status: 'void', void_reason: 'label misprinted', voided_by: U.adam.sub });
      expect(typeof v.voided_at).toBe('string');
      const again = await door.call(U.adam, 'void_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: s.code, _reason: 'again' });
      expectError(again, 'PT409', 409, '_code');
      expect(details(again)).toMatchObject({ rule: 'state', status: 'void' });
      // by serial number
      const w = must<Row>(await door.call(U.adam, 'void_serial', { _brand_id: fx.brandA, _batch_id: batch, _code: '11', _reason: 'lost' }));
      expect(w).toMatchObject({ serial_number: '11', status: 'void' });
      const voided = must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: batch, _status: 'void' }));
      expect(voided.map((x) => x.serial_number)).toEqual(['10', '11']);

      const view = must<Row>(await door.call(null, 'resolve_serial', { _code: s.code }));
      expect(view).toMatchObject({ valid: false, reason: 'serial_voided', level: 'serial', serial_status: 'void', serial_number: '10' });
      expect(view.message).toMatch(/not valid/);
      expect(JSON.stringify(view)).not.toContain('misprinted'); // the internal reason stays internal
      const dl = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `https://id.example.com/01/${fx.gtinA}/10/LLV-1/21/10` }));
      expect(dl).toMatchObject({ valid: false, reason: 'serial_voided', level: 'serial' });
    });
  });

  describe('public view (anon)', () => {
    let codeA: string;
    let codeB: string;
    beforeAll(async () => {
      must(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: fx.batchA, _count: 3 }));
      must(await door.call(U.bob, 'mint_serials', { _brand_id: fx.brandB, _batch_id: fx.batchB, _count: 1 }));
      codeA = must<Row>(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: fx.batchA, _code: '2' })).code as string;
      codeB = must<Row[]>(await door.call(U.bob, 'list_batch_serials', { _brand_id: fx.brandB, _batch_id: fx.batchB }))[0]!.code as string;
    });

    it('resolve_serial returns exactly the consumer fields, no internal id or quantity', async () => {
      const v = must<Row>(await door.call(null, 'resolve_serial', { _code: codeA }));
      expect(Object.keys(v).sort()).toEqual(CONSUMER_KEYS);
      expect(v).toEqual({
        valid: true, reason: null, message: null, level: 'serial', requested_level: 'serial',
        brand_name: expect.stringMatching(/^Serial A /), product_name: 'Olive oil 1L', gtin: '04006381333931', batch_number: 'A/B 1%',
        production_date: '2026-01-15', expiry_date: '2099-12-31', expired: false, status: 'active', recalled: false, recall_message: null,
        serial_number: '2', serial_status: 'active', public_id: fx.batchAPublic,
        digital_link: '/01/04006381333931/10/A%2FB%201%25/21/2',
      });
      const text = JSON.stringify(v);
      expect(text).not.toMatch(UUID);
      expect(Object.values(v)).not.toContain(500); // the batch quantity
      expect(text).not.toContain(fx.brandA);
    });

    it('get_public_batch returns the batch view; logged-in non-members may scan too', async () => {
      const v = must<Row>(await door.call(null, 'get_public_batch', { _public_id: fx.batchAPublic }));
      expect(Object.keys(v).sort()).toEqual(CONSUMER_KEYS);
      expect(v).toMatchObject({
        valid: true, level: 'batch', requested_level: 'batch', product_name: 'Olive oil 1L', batch_number: 'A/B 1%',
        serial_number: null, serial_status: null, digital_link: '/01/04006381333931/10/A%2FB%201%25',
      });
      expect(JSON.stringify(v)).not.toMatch(UUID);
      const asOscar = must<Row>(await door.call(U.oscar, 'get_public_batch', { _public_id: fx.batchAPublic }));
      expect(asOscar).toEqual(v);
      const b = must<Row>(await door.call(U.oscar, 'resolve_serial', { _code: codeB }));
      expect(b).toMatchObject({ product_name: 'Secret sauce', batch_number: 'LOT-B-1', gtin: '09506000134352', brand_name: expect.stringMatching(/^Serial B /) });
      expect(JSON.stringify(b)).not.toContain('Olive');
    });

    it('unknown or malformed codes and public ids', async () => {
      expectError(await door.call(null, 'resolve_serial', { _code: 'AAAAAAAAAAAAAAAA' }), 'PT404', 404, '_code');
      expectError(await door.call(null, 'resolve_serial', { _code: 'short' }), '22023', 400, '_code');
      expectError(await door.call(null, 'resolve_serial', { _code: null }), '22023', 400, '_code');
      expectError(await door.call(null, 'get_public_batch', { _public_id: 'AAAAAAAAAAAAAAAAAAAAAA' }), 'PT404', 404, '_public_id');
      expectError(await door.call(null, 'get_public_batch', { _public_id: 'a b' }), '22023', 400, '_public_id');
    });

    it('shows a recall with its message, and expiry', async () => {
      const b = await newBatch(door, fx, 'RECALL-1', { _expiry_date: '2001-01-01', _production_date: '2000-01-01' });
      must(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: b.id, _count: 1 }));
      const code = must<Row[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: fx.brandA, _batch_id: b.id }))[0]!.code;
      const before = must<Row>(await door.call(null, 'resolve_serial', { _code: code }));
      expect(before).toMatchObject({ recalled: false, recall_message: null, expired: true, status: 'active' });
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: b.id, _status: 'recalled', _reason: 'Glass fragments: do not use' }));
      const after = must<Row>(await door.call(null, 'resolve_serial', { _code: code }));
      expect(after).toMatchObject({ valid: true, recalled: true, recall_message: 'Glass fragments: do not use', status: 'recalled' });
      const batchView = must<Row>(await door.call(null, 'get_public_batch', { _public_id: b.public_id }));
      expect(batchView).toMatchObject({ recalled: true, recall_message: 'Glass fragments: do not use' });
      // archived after the recall: the recall stays visible
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: b.id, _status: 'archived' }));
      expect(must<Row>(await door.call(null, 'resolve_serial', { _code: code }))).toMatchObject({ recalled: true, status: 'archived' });
    });
  });

  describe('GS1 Digital Link', () => {
    it('builds percent-encoded links and resolves them back, with and without domain and serial', async () => {
      const s = must<Row>(await door.call(U.vic, 'lookup_serial', { _brand_id: fx.brandA, _batch_id: fx.batchA, _code: '1' }));
      expect(s.digital_link).toBe('/01/04006381333931/10/A%2FB%201%25/21/1');
      for (const uri of [
        s.digital_link as string,
        `https://id.example.com${s.digital_link as string}`,
        `https://brand.example/resolver/path${s.digital_link as string}?17=991231&linkType=gs1:pip#top`,
        'id.example.com/01/4006381333931/10/A%2fB%201%25/21/1', // GTIN-13, lower-case escape, no scheme
        'gtin/04006381333931/lot/A%2FB%201%25/ser/1', // convenience names, no leading slash
      ]) {
        const v = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: uri }));
        expect(v, uri).toMatchObject({
          level: 'serial', requested_level: 'serial', valid: true, serial_number: '1', batch_number: 'A/B 1%', gtin: '04006381333931',
          digital_link: s.digital_link,
        });
        expect(Object.keys(v).sort()).toEqual(CONSUMER_KEYS);
      }
      const batchOnly = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: 'https://id.example.com/01/4006381333931/10/A%2FB%201%25' }));
      expect(batchOnly).toMatchObject({ level: 'batch', requested_level: 'batch', valid: true, serial_number: null, public_id: fx.batchAPublic });
      const productOnly = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: '/01/04006381333931/' }));
      expect(productOnly).toMatchObject({
        level: 'product', requested_level: 'product', valid: true, batch_number: null, status: null, public_id: null,
        product_name: 'Olive oil 1L', digital_link: '/01/04006381333931',
      });
    });

    it('round-trips every character of set 82 and non-ASCII batch numbers', async () => {
      const symbols = SET82_SYMBOLS; // 20 characters: a valid AI 10 and AI 21 value
      const b = await newBatch(door, fx, symbols);
      const imp = must<Row>(await door.call(U.adam, 'import_serials', { _brand_id: fx.brandA, _batch_id: b.id, _serials: [symbols, 'Zz09-._'] }));
      expect(imp).toMatchObject({ success: true, imported: 2 });
      const rows = await listAll(door, fx.brandA, b.id);
      const link = rows[0]!.digital_link as string;
      const enc = (x: string) => x.replace(/[^A-Za-z0-9._~-]/g, (c) => [...Buffer.from(c, 'utf8')].map((n) => `%${n.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
      expect(link).toBe(`/01/04006381333931/10/${enc(symbols)}/21/${enc(symbols)}`);
      expect(link).toMatch(/^[A-Za-z0-9._~%/-]+$/);
      expect(link.split('/')).toHaveLength(7);
      expect(rows[1]!.digital_link).toBe(`/01/04006381333931/10/${enc(symbols)}/21/Zz09-._`);
      const v = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `https://x.example${link}` }));
      expect(v).toMatchObject({ level: 'serial', valid: true, batch_number: symbols, serial_number: symbols, digital_link: link });

      const uni = await newBatch(door, fx, 'Lot é/ü 1');
      const u = must<Row>(await door.call(null, 'get_public_batch', { _public_id: uni.public_id }));
      expect(u.digital_link).toBe('/01/04006381333931/10/Lot%20%C3%A9%2F%C3%BC%201');
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: u.digital_link }))).toMatchObject({ level: 'batch', batch_number: 'Lot é/ü 1' });
    });

    it('falls back serial → batch → product and says which level matched', async () => {
      const g = '04006381333931';
      const unknownSerial = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${g}/10/A%2FB%201%25/21/NOPE` }));
      expect(unknownSerial).toMatchObject({ level: 'batch', requested_level: 'serial', valid: false, reason: 'serial_unknown', batch_number: 'A/B 1%', serial_number: null });
      const unknownBatch = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${g}/10/NO-SUCH-LOT/21/1` }));
      expect(unknownBatch).toMatchObject({ level: 'product', requested_level: 'serial', valid: false, reason: 'batch_unknown', batch_number: null });
      const unknownBatchOnly = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${g}/10/NO-SUCH-LOT` }));
      expect(unknownBatchOnly).toMatchObject({ level: 'product', requested_level: 'batch', valid: false, reason: 'batch_unknown' });
      // no lot in the link: a serial number found in exactly one batch resolves; in several it cannot
      const solo = await newBatch(door, fx, 'SOLO-1');
      must(await door.call(U.adam, 'import_serials', { _brand_id: fx.brandA, _batch_id: solo.id, _serials: ['ONLY-HERE'] }));
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${g}/21/ONLY-HERE` })))
        .toMatchObject({ level: 'serial', valid: true, batch_number: 'SOLO-1', serial_number: 'ONLY-HERE', digital_link: `/01/${g}/10/SOLO-1/21/ONLY-HERE` });
      const amb = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${g}/21/1` }));
      expect(amb).toMatchObject({ level: 'product', requested_level: 'serial', valid: false, reason: 'serial_ambiguous', serial_number: null });
      const nowhere = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `/01/${g}/21/NOWHERE` }));
      expect(nowhere).toMatchObject({ level: 'product', valid: false, reason: 'serial_unknown' });
      expectError(await door.call(null, 'resolve_digital_link', { _uri: '/01/4000000000006' }), 'PT404', 404, '_uri');
    });

    it('the finest match wins when two brands claim one GTIN; other brands never leak', async () => {
      // brand B registers A's GTIN (lotline does not police GS1 ownership) with its own batch
      const p = must<{ id: string }>(await door.call(U.bob, 'create_product', { _brand_id: fx.brandB, _name: 'Copycat oil', _gtin: '4006381333931', _serialized: true }));
      must(await door.call(U.bob, 'create_product_batch', { _brand_id: fx.brandB, _product_id: p.id, _batch_number: 'COPY-1' }));
      const own = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: '/01/04006381333931/10/COPY-1' }));
      expect(own).toMatchObject({ level: 'batch', product_name: 'Copycat oil', brand_name: expect.stringMatching(/^Serial B /) });
      const product = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: '/01/04006381333931' }));
      expect(product).toMatchObject({ level: 'product', product_name: 'Olive oil 1L' }); // the earliest registration
      expect(must<Row>(await door.call(null, 'resolve_digital_link', { _uri: '/01/04006381333931/10/A%2FB%201%25' })))
        .toMatchObject({ product_name: 'Olive oil 1L', brand_name: expect.stringMatching(/^Serial A /) });
    });

    it('accepts GTIN-8, -12, -13 and -14 (published GS1 examples) and pads them to 14 digits', async () => {
      const cases: [string, string, string][] = [
        ['96385074', '00000096385074', 'EAN-8 example'],
        ['614141000036', '00614141000036', 'UPC-A (GS1 US) example'],
        ['5901234123457', '05901234123457', 'EAN-13 example'],
        ['09506000134352', '09506000134352', 'GTIN-14 (GS1 Digital Link) example'],
      ];
      for (const [input, gtin14, name] of cases) {
        const existing = await door.call(null, 'resolve_digital_link', { _uri: `/01/${input}` });
        if (!existing.ok) must(await door.call(U.eve, 'create_product', { _brand_id: fx.brandA, _name: name, _gtin: input }));
        const v = must<Row>(await door.call(null, 'resolve_digital_link', { _uri: `https://id.gs1.org/01/${input}` }));
        expect(v, input).toMatchObject({ level: 'product', gtin: gtin14, digital_link: `/01/${gtin14}` });
      }
      // the same examples with a wrong check digit are refused, in create_product and in the resolver
      for (const bad of ['96385075', '614141000037', '5901234123458', '09506000134353', '4006381333932']) {
        const r = await door.call(U.eve, 'create_product', { _brand_id: fx.brandA, _name: 'bad', _gtin: bad });
        expectError(r, '22023', 400, '_gtin');
        expect(errorRule(r)).toBe('gtin_check_digit');
        const d = await door.call(null, 'resolve_digital_link', { _uri: `/01/${bad}` });
        expectError(d, '22023', 400, '_uri');
        expect(errorRule(d)).toBe('gtin_check_digit');
      }
    });

    it('rejects malformed links with a rule', async () => {
      const g = '04006381333931';
      const bad: [string | null, string][] = [
        [null, 'required'],
        ['   ', 'required'],
        ['https://id.example.com/about', 'gtin_missing'],
        ['/10/LOT/21/1', 'gtin_missing'],
        ['/01/12345678901', 'gtin_length'],
        [`/01/${g}/21/1/10/LOT`, 'qualifier_order'],
        [`/01/${g}/10/A/10/B`, 'qualifier_order'],
        [`/01/${g}/235/XYZ`, 'unsupported_qualifier'],
        [`/01/${g}/10/%ZZ`, 'percent_encoding'],
        [`/01/${g}/10/%C3`, 'percent_encoding'],
        [`/01/${g}/10/a%00b`, 'percent_encoding'],
        [`/01/${g}/10//21/1`, 'value_required'],
        [`/01/${'1'.repeat(3000)}`, 'max_length'],
      ];
      for (const [uri, rule] of bad) {
        const r = await door.call(null, 'resolve_digital_link', { _uri: uri });
        expectError(r, '22023', 400, '_uri');
        expect(errorRule(r), String(uri)).toBe(rule);
      }
    });
  });
}
