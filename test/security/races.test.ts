// Conflicting writes at the same time: exactly one wins, the other is refused (404/409/412 …), never two
// successes — and a call whose row vanished or whose caller lost the role while it waited answers 404,
// never a 200 for a write that did not happen. Read from the catalog: every volatile api function must
// be listed below, either with a conflicting pair of calls or with the reason it has none; a function
// added later fails the first test until it is.
// Adversarial interleaving: a superuser "gate" transaction holds the lock both calls will need, the test
// waits (with a deadline) until both are blocked on it, then lets them go, so both have passed their
// first checks before either writes. Calls run through the SQL door (app.act_as), each on its own
// connection and committed; one case also runs over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres, { type Sql } from 'postgres';
import { createTestDb, type TestDb } from '../support/db.ts';
import type { Who, DoorResult } from '../support/door.ts';
import { sqlCall } from '../support/sqldoor.ts';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { httpCall } from '../support/httpdoor.ts';
import { COMPLETE } from '../cases/due-diligence.ts';

let db: TestDb;
let pool: Sql;

const OWNER: Who = { sub: 'race-owner' };
const ADMIN: Who = { sub: 'race-admin' };
const ADMIN2: Who = { sub: 'race-admin2' };
const EDITOR: Who = { sub: 'race-editor' };
const OPS: Who = { sub: 'race-ops', scope: 'platform:admin' };

interface Fx { brand: string; product: string; l1: string; l2: string }
let fx: Fx;
let n = 0;
const uniq = (p: string) => `${p}-${++n}`;

async function ok<T = Record<string, unknown>>(who: Who, fn: string, args: Record<string, unknown>): Promise<T> {
  const r = await sqlCall(pool, who, fn, args);
  if (!r.ok) throw new Error(`${fn}: ${JSON.stringify(r.error)}`);
  return r.data as T;
}

const newBatch = async (quantity = 0) =>
  (await ok<{ id: string }>(EDITOR, 'create_product_batch', { _brand_id: fx.brand, _product_id: fx.product, _batch_number: uniq('RB'), _quantity: quantity })).id;
async function stocked(units: number): Promise<string> {
  const b = await newBatch();
  await ok(EDITOR, 'adjust_stock', { _brand_id: fx.brand, _batch_id: b, _location_id: fx.l1, _delta: units, _reason: 'count' });
  return b;
}
async function pendingTransfer(): Promise<{ batch: string; transfer: string }> {
  const batch = await stocked(10);
  const t = await ok<{ id: string }>(EDITOR, 'create_transfer', {
    _brand_id: fx.brand, _from_location_id: fx.l1, _to_location_id: fx.l2, _lines: [{ batch_id: batch, quantity: 5 }] });
  return { batch, transfer: t.id };
}
/** A product of its own with one batch holding `units` at l1 (pick suggestions read a product's batches). */
async function ownProductStock(units: number): Promise<{ product: string; batch: string }> {
  const product = (await ok<{ id: string }>(EDITOR, 'create_product', { _brand_id: fx.brand, _name: uniq('Pick product') })).id;
  const batch = (await ok<{ id: string }>(EDITOR, 'create_product_batch', { _brand_id: fx.brand, _product_id: product, _batch_number: uniq('PB') })).id;
  await ok(EDITOR, 'adjust_stock', { _brand_id: fx.brand, _batch_id: batch, _location_id: fx.l1, _delta: units, _reason: 'count' });
  return { product, batch };
}
async function reservedPick(): Promise<string> {
  const { product, batch } = await ownProductStock(5);
  return (await ok<{ id: string }>(EDITOR, 'reserve_picks', { _brand_id: fx.brand, _product_id: product, _location_id: fx.l1,
    _lines: [{ batch_id: batch, quantity: 5 }] })).id;
}
/** A due-diligence statement drafted by a sync push; `complete` fills in what submitting needs, `submitted` submits it. */
async function statement(stage: 'draft' | 'complete' | 'submitted'): Promise<string> {
  const r = await ok<{ ddsCreated: { ddsId: string }[] }>(EDITOR, 'upsert_batches', { _brand_id: fx.brand, _auto_create_dds: true,
    _batches: [{ externalId: uniq('RDDS'), productExternalId: 'RACE-ITEM', batchNumber: uniq('RDN') }] });
  const id = r.ddsCreated[0]!.ddsId;
  if (stage !== 'draft') await ok(EDITOR, 'update_due_diligence_statement', { _brand_id: fx.brand, _dds_id: id, _patch: COMPLETE });
  if (stage === 'submitted') await ok(EDITOR, 'submit_due_diligence_statement', { _brand_id: fx.brand, _dds_id: id });
  return id;
}
const claim = async () => (await ok<{ id: string }>(ADMIN, 'claim_gtin_prefix', {
  _brand_id: fx.brand, _prefix: String(80_000_000 + ++n), _display_name: 'Race & Co' })).id;
const newWebhook = async () => (await ok<{ webhook: { id: string } }>(ADMIN, 'create_webhook', {
  _brand_id: fx.brand, _url: `https://race.example.test/${uniq('hook')}`, _events: ['batch.*'] })).webhook.id;
/** A delivered delivery: an endpoint, a new batch's event, and the worker's steps (queue, claim, a 200) as the superuser. */
async function deliveredDelivery(): Promise<string> {
  const w = await newWebhook();
  await newBatch();
  for (let i = 0; i < 200; i++) {
    await db.admin`select app.webhook_dispatch()`;
    for (const c of await db.admin<{ brand_id: string; delivery_id: string; attempt: number }[]>`select * from app.webhook_claim('race')`) {
      await db.admin`select app.webhook_record(${c.brand_id}, ${c.delivery_id}, ${c.attempt}, 'race', now(), 200, null, 0)`;
    }
    const [d] = await db.admin<{ id: string }[]>`select id from data.webhook_deliveries where webhook_id = ${w} and state = 'delivered' limit 1`;
    if (d) return d.id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no delivery was delivered');
}
const stockKey = (batch: string) => `select pg_advisory_xact_lock(app.stock_lock_key('${fx.brand}', '${batch}', '${fx.l1}'))`;
const rowLock = (table: string, id: string) => `select 1 from data.${table} where brand_id = '${fx.brand}' and id = '${id}' for update`;
const brandLock = () => `select 1 from data.brands where id = '${fx.brand}' for no key update`;

interface Call { who: Who; fn: string; args: Record<string, unknown> }
interface Conflict {
  /** builds a fresh target; returns the two calls and the gate's lock statements (none: plain parallel calls) */
  setup(): Promise<{ calls: [Call, Call]; gate?: string[] }>;
  /** SQLSTATEs the loser may answer */
  loser: string[];
}
interface NoConflict {
  /** why two calls at once may both succeed */
  none: string;
  /** two calls at once, both succeed, and what must hold afterwards */
  setup(): Promise<{ calls: [Call, Call]; check(results: DoorResult[]): Promise<void> }>;
}

const RACES: Record<string, Conflict | NoConflict> = {
  accept_transfer: {
    async setup() {
      const { transfer } = await pendingTransfer();
      const a = { _brand_id: fx.brand, _transfer_id: transfer };
      return { calls: [{ who: ADMIN, fn: 'accept_transfer', args: a }, { who: ADMIN2, fn: 'accept_transfer', args: a }], gate: [rowLock('transfers', transfer)] };
    },
    loser: ['PT409'],
  },
  decline_transfer: {
    async setup() {
      const { transfer } = await pendingTransfer();
      const a = { _brand_id: fx.brand, _transfer_id: transfer, _reason: 'no' };
      return { calls: [{ who: ADMIN, fn: 'decline_transfer', args: a }, { who: ADMIN2, fn: 'decline_transfer', args: a }], gate: [rowLock('transfers', transfer)] };
    },
    loser: ['PT409'],
  },
  cancel_transfer: {
    async setup() {
      const { transfer } = await pendingTransfer();
      const a = { _brand_id: fx.brand, _transfer_id: transfer };
      return { calls: [{ who: EDITOR, fn: 'cancel_transfer', args: a }, { who: ADMIN, fn: 'cancel_transfer', args: a }], gate: [rowLock('transfers', transfer)] };
    },
    loser: ['PT409'],
  },
  update_transfer: {
    async setup() {
      const { batch, transfer } = await pendingTransfer();
      const a = (q: number) => ({ _brand_id: fx.brand, _transfer_id: transfer, _lines: [{ batch_id: batch, quantity: q }], _expected_version: 1 });
      return { calls: [{ who: EDITOR, fn: 'update_transfer', args: a(3) }, { who: ADMIN, fn: 'update_transfer', args: a(4) }], gate: [rowLock('transfers', transfer)] };
    },
    loser: ['PT412'],
  },
  add_brand_member: {
    async setup() {
      const a = { _brand_id: fx.brand, _user_id: uniq('race-new'), _role: 'viewer' };
      return { calls: [{ who: ADMIN, fn: 'add_brand_member', args: a }, { who: ADMIN2, fn: 'add_brand_member', args: a }], gate: [brandLock()] };
    },
    loser: ['23505'],
  },
  remove_brand_member: {
    async setup() {
      const user = uniq('race-gone');
      await ok(OWNER, 'add_brand_member', { _brand_id: fx.brand, _user_id: user, _role: 'editor' });
      const a = { _brand_id: fx.brand, _user_id: user };
      return { calls: [{ who: ADMIN, fn: 'remove_brand_member', args: a }, { who: ADMIN2, fn: 'remove_brand_member', args: a }], gate: [brandLock()] };
    },
    loser: ['PT404'],
  },
  adjust_stock: {
    async setup() {
      const b = await stocked(5);
      const a = { _brand_id: fx.brand, _batch_id: b, _location_id: fx.l1, _delta: -5, _reason: 'breakage' };
      return { calls: [{ who: EDITOR, fn: 'adjust_stock', args: a }, { who: ADMIN, fn: 'adjust_stock', args: a }], gate: [stockKey(b)] };
    },
    loser: ['PT409'],
  },
  archive_location: {
    async setup() {
      const l = (await ok<{ id: string }>(EDITOR, 'create_location', { _brand_id: fx.brand, _name: uniq('Race room') })).id;
      const a = { _brand_id: fx.brand, _location_id: l };
      return { calls: [{ who: ADMIN, fn: 'archive_location', args: a }, { who: ADMIN2, fn: 'archive_location', args: a }], gate: [rowLock('locations', l)] };
    },
    loser: ['PT409'],
  },
  create_brand: {
    async setup() {
      const a = { _name: 'Race brand', _slug: uniq('race-brand') };
      return { calls: [{ who: ADMIN, fn: 'create_brand', args: a }, { who: ADMIN2, fn: 'create_brand', args: a }] };
    },
    loser: ['23505'],
  },
  create_location: {
    async setup() {
      const a = { _brand_id: fx.brand, _name: uniq('Twin room') };
      return { calls: [{ who: EDITOR, fn: 'create_location', args: a }, { who: ADMIN, fn: 'create_location', args: a }] };
    },
    loser: ['23505'],
  },
  create_product: {
    async setup() {
      const a = { _brand_id: fx.brand, _name: 'Twin', _external_id: uniq('RP') };
      return { calls: [{ who: EDITOR, fn: 'create_product', args: a }, { who: ADMIN, fn: 'create_product', args: a }] };
    },
    loser: ['23505'],
  },
  create_product_batch: {
    async setup() {
      const a = { _brand_id: fx.brand, _product_id: fx.product, _batch_number: uniq('TWIN') };
      return { calls: [{ who: EDITOR, fn: 'create_product_batch', args: a }, { who: ADMIN, fn: 'create_product_batch', args: a }] };
    },
    loser: ['23505'],
  },
  create_transfer: {
    async setup() {
      const b = await stocked(5);
      const a = { _brand_id: fx.brand, _from_location_id: fx.l1, _to_location_id: fx.l2, _lines: [{ batch_id: b, quantity: 5 }] };
      return { calls: [{ who: EDITOR, fn: 'create_transfer', args: a }, { who: ADMIN, fn: 'create_transfer', args: a }], gate: [stockKey(b)] };
    },
    loser: ['PT409'],
  },
  delete_product_batch: {
    async setup() {
      const b = await newBatch();
      const a = { _brand_id: fx.brand, _batch_id: b };
      return { calls: [{ who: ADMIN, fn: 'delete_product_batch', args: a }, { who: ADMIN2, fn: 'delete_product_batch', args: a }], gate: [rowLock('batches', b)] };
    },
    loser: ['PT404'],
  },
  import_serials: {
    none: 'a bulk call answers per record: the serial the other call imported first is reported as duplicate_existing',
    async setup() {
      const b = await newBatch();
      const a = { _brand_id: fx.brand, _batch_id: b, _serials: [uniq('SN')] };
      return {
        calls: [{ who: ADMIN, fn: 'import_serials', args: a }, { who: ADMIN2, fn: 'import_serials', args: a }],
        async check(results) {
          const out = results.map((r) => r.data as { success: boolean; imported: number; errors: { rule: string }[] });
          expect(out.map((o) => o.success).sort()).toEqual([false, true]);
          expect(out.find((o) => !o.success)!.errors.map((e) => e.rule)).toEqual(['duplicate_existing']);
          const [r] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.serials where batch_id = ${b}`;
          expect(r!.n).toBe(1);
        },
      };
    },
  },
  mint_serials: {
    none: 'each call mints serial numbers of its own; the batch lock keeps their ranges apart',
    async setup() {
      const b = await newBatch();
      const a = { _brand_id: fx.brand, _batch_id: b, _count: 3 };
      return {
        calls: [{ who: ADMIN, fn: 'mint_serials', args: a }, { who: ADMIN2, fn: 'mint_serials', args: a }],
        async check() {
          const [r] = await db.admin<{ n: number; d: number }[]>`select count(*)::int as n, count(distinct serial_number)::int as d from data.serials where batch_id = ${b}`;
          expect(r).toEqual({ n: 6, d: 6 });
        },
      };
    },
  },
  receive_inbound: {
    async setup() {
      const a = { _brand_id: fx.brand, _location_id: fx.l1, _external_reference: uniq('ASN'),
                  _lines: [{ product_id: fx.product, batch_number: uniq('IN'), quantity: 3 }] };
      return { calls: [{ who: EDITOR, fn: 'receive_inbound', args: a }, { who: ADMIN, fn: 'receive_inbound', args: a }] };
    },
    loser: ['23505', 'PT409'],
  },
  rename_location: {
    async setup() {
      const make = async () => (await ok<{ id: string }>(EDITOR, 'create_location', { _brand_id: fx.brand, _name: uniq('Room') })).id;
      const [x, y] = [await make(), await make()];
      const name = uniq('Same name');
      return { calls: [{ who: EDITOR, fn: 'rename_location', args: { _brand_id: fx.brand, _location_id: x, _name: name } },
                       { who: ADMIN, fn: 'rename_location', args: { _brand_id: fx.brand, _location_id: y, _name: name } }] };
    },
    loser: ['23505'],
  },
  set_batch_status: {
    async setup() {
      const b = await newBatch();
      const a = { _brand_id: fx.brand, _batch_id: b, _status: 'archived' };
      return { calls: [{ who: EDITOR, fn: 'set_batch_status', args: a }, { who: ADMIN, fn: 'set_batch_status', args: a }], gate: [rowLock('batches', b)] };
    },
    loser: ['PT409'],
  },
  update_product_batch: {
    async setup() {
      const b = await newBatch();
      const a = (q: number) => ({ _brand_id: fx.brand, _batch_id: b, _patch: { quantity: q }, _expected_version: 1 });
      return { calls: [{ who: EDITOR, fn: 'update_product_batch', args: a(1) }, { who: ADMIN, fn: 'update_product_batch', args: a(2) }], gate: [rowLock('batches', b)] };
    },
    loser: ['PT412'],
  },
  void_serial: {
    async setup() {
      const b = await newBatch();
      const sn = uniq('VS');
      await ok(ADMIN, 'import_serials', { _brand_id: fx.brand, _batch_id: b, _serials: [sn] });
      const a = { _brand_id: fx.brand, _batch_id: b, _code: sn, _reason: 'damaged' };
      return { calls: [{ who: ADMIN, fn: 'void_serial', args: a }, { who: ADMIN2, fn: 'void_serial', args: a }],
               gate: [`select 1 from data.serials where brand_id = '${fx.brand}' and batch_id = '${b}' for update`] };
    },
    loser: ['PT409'],
  },
  archive_product: {
    async setup() {
      const p = (await ok<{ id: string }>(EDITOR, 'create_product', { _brand_id: fx.brand, _name: uniq('Archived') })).id;
      const a = { _brand_id: fx.brand, _product_id: p };
      return { calls: [{ who: ADMIN, fn: 'archive_product', args: a }, { who: ADMIN2, fn: 'archive_product', args: a }], gate: [rowLock('products', p)] };
    },
    loser: ['PT409'],
  },
  update_product: {
    async setup() {
      const p = (await ok<{ id: string }>(EDITOR, 'create_product', { _brand_id: fx.brand, _name: uniq('Patched') })).id;
      const a = (sku: string) => ({ _brand_id: fx.brand, _product_id: p, _patch: { sku }, _expected_version: 1 });
      return { calls: [{ who: EDITOR, fn: 'update_product', args: a('S1') }, { who: ADMIN, fn: 'update_product', args: a('S2') }], gate: [rowLock('products', p)] };
    },
    loser: ['PT412'],
  },
  claim_gtin_prefix: {
    async setup() {
      const a = { _brand_id: fx.brand, _prefix: String(90_000_000 + ++n), _display_name: 'Race & Co' };
      return { calls: [{ who: ADMIN, fn: 'claim_gtin_prefix', args: a }, { who: ADMIN2, fn: 'claim_gtin_prefix', args: a }] };
    },
    loser: ['23505'],
  },
  verify_gtin_claim: {
    async setup() {
      const c = await claim();
      const a = { _brand_id: fx.brand, _claim_id: c };
      return { calls: [{ who: OPS, fn: 'verify_gtin_claim', args: a }, { who: OPS, fn: 'verify_gtin_claim', args: a }], gate: [rowLock('gtin_claims', c)] };
    },
    loser: ['PT409'],
  },
  reject_gtin_claim: {
    async setup() {
      const c = await claim();
      const a = { _brand_id: fx.brand, _claim_id: c, _note: 'no licence' };
      return { calls: [{ who: OPS, fn: 'reject_gtin_claim', args: a }, { who: OPS, fn: 'reject_gtin_claim', args: a }], gate: [rowLock('gtin_claims', c)] };
    },
    loser: ['PT409'],
  },
  set_serial_format: {
    none: 'an upsert of the brand\'s one format row: the later call\'s format stands, both succeed',
    async setup() {
      return {
        calls: [{ who: ADMIN, fn: 'set_serial_format', args: { _brand_id: fx.brand, _length: 12 } },
                { who: ADMIN2, fn: 'set_serial_format', args: { _brand_id: fx.brand, _length: 14 } }],
        async check() {
          const rows = await db.admin<{ length: number }[]>`select length from data.serial_formats where brand_id = ${fx.brand}`;
          expect(rows.length).toBe(1);
          expect([12, 14]).toContain(rows[0]!.length);
        },
      };
    },
  },
  update_due_diligence_statement: {
    async setup() {
      const d = await statement('draft');
      const a = (description: string) => ({ _brand_id: fx.brand, _dds_id: d, _patch: { description }, _expected_version: 1 });
      return { calls: [{ who: EDITOR, fn: 'update_due_diligence_statement', args: a('one') }, { who: ADMIN, fn: 'update_due_diligence_statement', args: a('two') }],
               gate: [rowLock('due_diligence_statements', d)] };
    },
    loser: ['PT412'],
  },
  submit_due_diligence_statement: {
    async setup() {
      const d = await statement('complete');
      const a = { _brand_id: fx.brand, _dds_id: d };
      return { calls: [{ who: EDITOR, fn: 'submit_due_diligence_statement', args: a }, { who: ADMIN, fn: 'submit_due_diligence_statement', args: a }],
               gate: [rowLock('due_diligence_statements', d)] };
    },
    loser: ['PT409'],
  },
  record_due_diligence_decision: {
    async setup() {
      const d = await statement('submitted');
      const a = { _brand_id: fx.brand, _dds_id: d, _decision: 'accepted', _verification_number: uniq('VRF') };
      return { calls: [{ who: ADMIN, fn: 'record_due_diligence_decision', args: a }, { who: ADMIN2, fn: 'record_due_diligence_decision', args: a }],
               gate: [rowLock('due_diligence_statements', d)] };
    },
    loser: ['PT409'],
  },
  produce_batch: {
    async setup() {
      const b = await stocked(5);
      const a = () => ({ _brand_id: fx.brand, _location_id: fx.l1, _inputs: [{ batch_id: b, quantity: 5 }], _quantity: 1,
                         _product_id: fx.product, _batch_number: uniq('OUT') });
      return { calls: [{ who: EDITOR, fn: 'produce_batch', args: a() }, { who: ADMIN, fn: 'produce_batch', args: a() }], gate: [stockKey(b)] };
    },
    loser: ['PT409'],
  },
  split_batch: {
    async setup() {
      const b = await stocked(5);
      const a = { _brand_id: fx.brand, _batch_id: b, _location_id: fx.l1, _parts: [{ quantity: 5 }] };
      return { calls: [{ who: EDITOR, fn: 'split_batch', args: a }, { who: ADMIN, fn: 'split_batch', args: a }], gate: [stockKey(b)] };
    },
    loser: ['PT409'],
  },
  merge_batches: {
    async setup() {
      const [b1, b2] = [await stocked(5), await stocked(5)];
      const a = { _brand_id: fx.brand, _location_id: fx.l1, _inputs: [{ batch_id: b1, quantity: 5 }, { batch_id: b2, quantity: 5 }] };
      return { calls: [{ who: EDITOR, fn: 'merge_batches', args: a }, { who: ADMIN, fn: 'merge_batches', args: a }], gate: [stockKey(b1)] };
    },
    loser: ['PT409'],
  },
  recall_batch: {
    async setup() {
      const b = await newBatch();
      const a = { _brand_id: fx.brand, _batch_id: b, _reason: 'Undeclared allergen' };
      return { calls: [{ who: ADMIN, fn: 'recall_batch', args: a }, { who: ADMIN2, fn: 'recall_batch', args: a }], gate: [rowLock('batches', b)] };
    },
    loser: ['PT409'],
  },
  lift_recall: {
    async setup() {
      const b = await newBatch();
      const r = await ok<{ recall: { id: string } }>(ADMIN, 'recall_batch', { _brand_id: fx.brand, _batch_id: b, _reason: 'Suspected' });
      const a = { _brand_id: fx.brand, _recall_id: r.recall.id, _reason: 'false alarm' };
      return { calls: [{ who: ADMIN, fn: 'lift_recall', args: a }, { who: ADMIN2, fn: 'lift_recall', args: a }], gate: [rowLock('recalls', r.recall.id)] };
    },
    loser: ['PT409'],
  },
  place_hold: {
    async setup() {
      const b = await newBatch();
      const a = { _brand_id: fx.brand, _batch_id: b, _reason_code: 'damaged' };
      return { calls: [{ who: EDITOR, fn: 'place_hold', args: a }, { who: ADMIN, fn: 'place_hold', args: a }] };
    },
    loser: ['23505'],
  },
  release_hold: {
    async setup() {
      const b = await newBatch();
      const h = (await ok<{ id: string }>(EDITOR, 'place_hold', { _brand_id: fx.brand, _batch_id: b, _reason_code: 'damaged' })).id;
      const a = { _brand_id: fx.brand, _hold_id: h };
      return { calls: [{ who: ADMIN, fn: 'release_hold', args: a }, { who: ADMIN2, fn: 'release_hold', args: a }], gate: [rowLock('holds', h)] };
    },
    loser: ['PT409'],
  },
  set_release_rule: {
    none: 'an upsert of the product\'s one rule row: the later call\'s setting stands, both succeed',
    async setup() {
      const p = (await ok<{ id: string }>(EDITOR, 'create_product', { _brand_id: fx.brand, _name: uniq('Gated') })).id;
      return {
        calls: [{ who: ADMIN, fn: 'set_release_rule', args: { _brand_id: fx.brand, _product_id: p, _requires_lab_result: true } },
                { who: ADMIN2, fn: 'set_release_rule', args: { _brand_id: fx.brand, _product_id: p, _requires_lab_result: false } }],
        async check() {
          const [r] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.release_rules where brand_id = ${fx.brand} and product_id = ${p}`;
          expect(r!.n).toBe(1);
        },
      };
    },
  },
  record_lab_result: {
    async setup() {
      const b = await newBatch();
      const first = (await ok<{ id: string }>(EDITOR, 'record_lab_result', { _brand_id: fx.brand, _batch_id: b, _result: 'pass' })).id;
      // two corrections of the same result: a result is corrected at most once
      const a = { _brand_id: fx.brand, _batch_id: b, _result: 'fail', _supersedes_id: first, _correction_reason: 'retest' };
      return { calls: [{ who: EDITOR, fn: 'record_lab_result', args: a }, { who: ADMIN, fn: 'record_lab_result', args: a }], gate: [rowLock('batches', b)] };
    },
    loser: ['PT409', '23505'],
  },
  reserve_picks: {
    async setup() {
      const { product, batch } = await ownProductStock(5);
      const a = { _brand_id: fx.brand, _product_id: product, _location_id: fx.l1, _lines: [{ batch_id: batch, quantity: 5 }] };
      return { calls: [{ who: EDITOR, fn: 'reserve_picks', args: a }, { who: ADMIN, fn: 'reserve_picks', args: a }], gate: [stockKey(batch)] };
    },
    loser: ['PT409'],
  },
  confirm_picks: {
    async setup() {
      const k = await reservedPick();
      const a = { _brand_id: fx.brand, _pick_id: k };
      return { calls: [{ who: EDITOR, fn: 'confirm_picks', args: a }, { who: ADMIN, fn: 'confirm_picks', args: a }], gate: [rowLock('picks', k)] };
    },
    loser: ['PT409'],
  },
  release_picks: {
    async setup() {
      const k = await reservedPick();
      const a = { _brand_id: fx.brand, _pick_id: k };
      return { calls: [{ who: EDITOR, fn: 'release_picks', args: a }, { who: ADMIN, fn: 'release_picks', args: a }], gate: [rowLock('picks', k)] };
    },
    loser: ['PT409'],
  },
  create_webhook: {
    none: 'each call creates an endpoint of its own (its own id and secret); the same URL twice is allowed',
    async setup() {
      const url = `https://race.example.test/${uniq('twin')}`;
      const a = { _brand_id: fx.brand, _url: url };
      return {
        calls: [{ who: ADMIN, fn: 'create_webhook', args: a }, { who: ADMIN2, fn: 'create_webhook', args: a }],
        async check() {
          const [r] = await db.admin<{ n: number; s: number }[]>`
            select count(*)::int as n, count(distinct secret)::int as s from data.webhooks where brand_id = ${fx.brand} and url = ${url}`;
          expect(r).toEqual({ n: 2, s: 2 });
        },
      };
    },
  },
  update_webhook: {
    async setup() {
      const w = await newWebhook();
      const a = (d: string) => ({ _brand_id: fx.brand, _webhook_id: w, _description: d, _expected_version: 1 });
      return { calls: [{ who: ADMIN, fn: 'update_webhook', args: a('one') }, { who: ADMIN2, fn: 'update_webhook', args: a('two') }], gate: [rowLock('webhooks', w)] };
    },
    loser: ['PT412'],
  },
  delete_webhook: {
    async setup() {
      const w = await newWebhook();
      const a = { _brand_id: fx.brand, _webhook_id: w };
      return { calls: [{ who: ADMIN, fn: 'delete_webhook', args: a }, { who: ADMIN2, fn: 'delete_webhook', args: a }], gate: [rowLock('webhooks', w)] };
    },
    loser: ['PT404'],
  },
  redeliver_webhook: {
    none: 'each call queues one more delivery of the same event at the end of the queue (receivers deduplicate on webhook-id)',
    async setup() {
      const d = await deliveredDelivery();
      const a = { _brand_id: fx.brand, _delivery_id: d };
      return {
        calls: [{ who: ADMIN, fn: 'redeliver_webhook', args: a }, { who: ADMIN2, fn: 'redeliver_webhook', args: a }],
        async check() {
          const [r] = await db.admin<{ n: number }[]>`select count(*)::int as n from data.webhook_deliveries where redelivery_of = ${d}`;
          expect(r!.n).toBe(2);
        },
      };
    },
  },
  ...Object.fromEntries(([
    ['upsert_suppliers', '_suppliers', () => [{ externalId: uniq('RS'), name: 'Race supplier' }], 'suppliers'],
    ['upsert_products', '_products', () => [{ externalId: uniq('RPX'), name: 'Race product' }], 'products'],
    ['upsert_batches', '_batches', () => [{ externalId: uniq('RBX'), productExternalId: 'RACE-ITEM', batchNumber: uniq('RBN'), quantity: 1 }], 'batches'],
  ] as const).map(([fn, arg, payload, table]) => [fn, {
    none: 'idempotent by external id: the same push twice at once converges on one row, both succeed',
    async setup() {
      const p = payload();
      const a = { _brand_id: fx.brand, [arg]: p };
      return {
        calls: [{ who: EDITOR, fn, args: a }, { who: ADMIN, fn, args: a }] as [Call, Call],
        async check() {
          const [r] = await db.admin.unsafe<{ n: number }[]>(`select count(*)::int as n from data.${table} where brand_id = $1 and external_id = $2`, [fx.brand, p[0]!.externalId]);
          expect(r!.n).toBe(1);
        },
      };
    },
  } satisfies NoConflict])),
};

/** Waits (deadline 15 s) until `count` other sessions of this database wait on a lock. */
async function waitForWaiters(count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [r] = await db.admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    if (r!.n >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${r!.n} of ${count} calls blocked on the gate's lock`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Runs `calls` at once; with `gate`, while a superuser transaction holds those locks until all calls wait on them. */
async function race(calls: Call[], gate?: string[], during?: (gate: postgres.ReservedSql) => Promise<void>,
                    door: (c: Call) => Promise<DoorResult> = (c) => sqlCall(pool, c.who, c.fn, c.args)): Promise<DoorResult[]> {
  if (!gate?.length) return Promise.all(calls.map(door));
  const g = await db.admin.reserve();
  try {
    await g.unsafe('begin');
    for (const s of gate) await g.unsafe(s);
    const running = calls.map(door);
    await waitForWaiters(calls.length);
    if (during) await during(g);
    await g.unsafe('commit');
    return await Promise.all(running);
  } finally {
    await g.unsafe('rollback').catch(() => {});
    g.release();
  }
}

function oneWins(results: DoorResult[], loser: string[]): void {
  const wins = results.filter((r) => r.ok);
  expect(wins.length, `exactly one call succeeds: ${JSON.stringify(results.map((r) => r.error ?? 'ok'))}`).toBe(1);
  const lost = results.find((r) => !r.ok)!;
  expect(loser, `the loser's answer: ${JSON.stringify(lost.error)}`).toContain(lost.error!.code);
}

beforeAll(async () => {
  db = await createTestDb();
  pool = postgres(db.adminUrl, { max: 6, onnotice: () => {} });
  const brand = await ok<{ id: string }>(OWNER, 'create_brand', { _name: 'Race & Co' });
  for (const [u, role] of [[ADMIN, 'admin'], [ADMIN2, 'admin'], [EDITOR, 'editor']] as const) {
    await ok(OWNER, 'add_brand_member', { _brand_id: brand.id, _user_id: u.sub, _role: role });
  }
  const product = await ok<{ id: string }>(EDITOR, 'create_product', { _brand_id: brand.id, _name: 'Race oil', _serialized: true });
  await ok(EDITOR, 'upsert_products', { _brand_id: brand.id, _products: [{ externalId: 'RACE-ITEM', name: 'Race item' }] });
  const l1 = await ok<{ id: string }>(EDITOR, 'create_location', { _brand_id: brand.id, _name: 'Race A' });
  const l2 = await ok<{ id: string }>(EDITOR, 'create_location', { _brand_id: brand.id, _name: 'Race B' });
  fx = { brand: brand.id, product: product.id, l1: l1.id, l2: l2.id };
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('conflicting calls at once: one wins, the other is refused', () => {
  it('every volatile api function is listed, with its conflicting pair or the reason it has none', async () => {
    const rows = await db.admin<{ name: string }[]>`
      select distinct p.proname as name from pg_proc p where p.pronamespace = 'api'::regnamespace and p.provolatile = 'v' order by 1`;
    const missing = rows.map((r) => r.name).filter((f) => !(f in RACES));
    expect(missing, 'add them to RACES in test/security/races.test.ts').toEqual([]);
    expect(Object.keys(RACES).filter((f) => !rows.some((r) => r.name === f)), 'listed but not in api').toEqual([]);
  });

  for (const [fn, entry] of Object.entries(RACES)) {
    if ('none' in entry) {
      it(`${fn}: no conflict (${entry.none}); both succeed and the state is right`, async () => {
        const { calls, check } = await entry.setup();
        const results = await race(calls);
        expect(results.map((r) => r.error ?? 'ok')).toEqual(['ok', 'ok']);
        await check(results);
      });
    } else {
      it(`${fn}: exactly one of two conflicting calls succeeds, the other answers ${entry.loser.join(' or ')}`, async () => {
        const { calls, gate } = await entry.setup();
        oneWins(await race(calls, gate), entry.loser);
      });
    }
  }
});

describe('the caller loses the role while the call waits: the write did not happen, so no success', () => {
  // invoker functions that read a row, then update or delete it under the caller's RLS
  const cases: [string, () => Promise<{ call: Call; table: string; id: string; unchanged: string }>][] = [
    ['set_batch_status', async () => {
      const b = await newBatch();
      return { call: { who: EDITOR, fn: 'set_batch_status', args: { _brand_id: fx.brand, _batch_id: b, _status: 'recalled', _reason: 'x' } },
               table: 'batches', id: b, unchanged: `select status = 'active' as v from data.batches where id = '${b}'` };
    }],
    ['update_product_batch', async () => {
      const b = await newBatch();
      return { call: { who: EDITOR, fn: 'update_product_batch', args: { _brand_id: fx.brand, _batch_id: b, _patch: { quantity: 9 } } },
               table: 'batches', id: b, unchanged: `select quantity = 0 as v from data.batches where id = '${b}'` };
    }],
    ['delete_product_batch', async () => {
      const b = await newBatch();
      return { call: { who: ADMIN, fn: 'delete_product_batch', args: { _brand_id: fx.brand, _batch_id: b } },
               table: 'batches', id: b, unchanged: `select count(*) = 1 as v from data.batches where id = '${b}'` };
    }],
    ['rename_location', async () => {
      const l = (await ok<{ id: string }>(EDITOR, 'create_location', { _brand_id: fx.brand, _name: uniq('Old name') })).id;
      return { call: { who: EDITOR, fn: 'rename_location', args: { _brand_id: fx.brand, _location_id: l, _name: uniq('New name') } },
               table: 'locations', id: l, unchanged: `select name like 'Old name%' as v from data.locations where id = '${l}'` };
    }],
  ];
  for (const [fn, setup] of cases) {
    it(`${fn}: 404, and the row is unchanged`, async () => {
      const { call, table, id, unchanged } = await setup();
      try {
        const [r] = await race([call], [rowLock(table, id)], async (gate) => {
          await gate.unsafe(`delete from data.brand_members where brand_id = $1 and user_id = $2`, [fx.brand, call.who.sub!]);
        });
        expect(r!.error?.code, JSON.stringify(r)).toBe('PT404');
        const [u] = await db.admin.unsafe<{ v: boolean }[]>(unchanged);
        expect(u!.v).toBe(true);
      } finally {
        // the member comes back for the next case
        await db.admin`insert into data.brand_members (brand_id, user_id, role)
                       values (${fx.brand}, ${call.who.sub!}, ${call.who === ADMIN ? 'admin' : 'editor'}) on conflict do nothing`;
      }
    });
  }
});

describe('two owners remove each other at once', () => {
  async function twoOwners(): Promise<[Who, Who]> {
    const a = { sub: uniq('owner-a') };
    const b = { sub: uniq('owner-b') };
    for (const u of [a, b]) await ok(OWNER, 'add_brand_member', { _brand_id: fx.brand, _user_id: u.sub, _role: 'owner' });
    return [a, b];
  }
  // the gate holds the brand row and both owners' member rows: each call is past its first checks
  const gate = (a: Who, b: Who) => [brandLock(),
    `select 1 from data.brand_members where brand_id = '${fx.brand}' and user_id in ('${a.sub}', '${b.sub}') for update`];
  const calls = (a: Who, b: Who): Call[] => [
    { who: a, fn: 'remove_brand_member', args: { _brand_id: fx.brand, _user_id: b.sub } },
    { who: b, fn: 'remove_brand_member', args: { _brand_id: fx.brand, _user_id: a.sub } },
  ];
  async function owners(a: Who, b: Who): Promise<string[]> {
    const rows = await db.admin<{ user_id: string }[]>`
      select user_id from data.brand_members where brand_id = ${fx.brand} and user_id in (${a.sub!}, ${b.sub!}) and role = 'owner'`;
    return rows.map((r) => r.user_id);
  }

  it('SQL door: one 200, the other refused (the loser is no longer a member: 403), one of them stays owner', async () => {
    const [a, b] = await twoOwners();
    const results = await race(calls(a, b), gate(a, b));
    oneWins(results, ['42501', 'PT404', 'PT409']);
    const winner = results[0]!.ok ? a : b;
    expect(await owners(a, b)).toEqual([winner.sub]);
  });

  it('HTTP door: the same', async () => {
    const gw: TestGateway = await startGateway(db);
    try {
      const [a, b] = await twoOwners();
      const results = await race(calls(a, b), gate(a, b), undefined, (c) => httpCall(gw.url, c.who, c.fn, c.args));
      oneWins(results, ['42501', 'PT404', 'PT409']);
      expect(results.find((r) => !r.ok)!.status).toBe(403);
      expect((await owners(a, b)).length).toBe(1);
    } finally {
      await gw.close();
    }
  });
});
