// One case list for the events room — audit trail, change feed, webhook management — run through two doors:
// test/sql/events.test.ts (app.act_as) and test/http/events.test.ts (the gateway). The feed proofs, the
// append-only checks and the delivery worker live in their own files.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { expectError, must, type Door } from '../support/door.ts';

/** GS1's EPCIS 2.0 JSON schema (test/fixtures/epcis/README.md says where it comes from). */
function epcisValidator() {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'epcis', 'EPCIS-JSON-Schema.json'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

export interface EventsDoor extends Door {
  /** superuser query on the test database */
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export const EV_USERS = {
  alice: { sub: 'ev-alice' }, // owner of A
  adam: { sub: 'ev-adam' }, // admin of A
  eve: { sub: 'ev-eve' }, // editor of A
  vic: { sub: 'ev-vic' }, // viewer of A
  bob: { sub: 'ev-bob' }, // owner of B
} as const;
const U = EV_USERS;

export interface Change { cursor: string; id: string; type: string; subject: string; data: Record<string, unknown>; actor: string | null }
export interface AuditRow {
  id: number; table_name: string; action: string; row_id: string; changed: string[] | null;
  old_values: Record<string, unknown> | null; new_values: Record<string, unknown> | null;
  actor: string | null; door: string; request_id: string | null; db_role: string;
}
interface Webhook { id: string; url: string; events: string[]; status: string; version: number; cursor: string; max_attempts: number }

/** Poll `fn` until it returns a value that is not undefined, or fail after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`eventually: ${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every change of a brand from the start (as its viewer), following cursors. */
export async function allChanges(door: Door, who: { sub: string }, brand: string, after: string | null = null): Promise<Change[]> {
  const out: Change[] = [];
  for (;;) {
    const page = must<Change[]>(await door.call(who, 'list_changes', { _brand_id: brand, _after: after, _limit: 1000 }));
    out.push(...page);
    if (page.length < 1000) return out;
    after = page[page.length - 1]!.cursor;
  }
}

export function defineEventCases(getDoor: () => EventsDoor): void {
  let door: EventsDoor;
  let brandA: string;
  let brandB: string;
  let product: string;
  const tag = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    door = getDoor();
    brandA = must<{ id: string }>(await door.call(U.alice, 'create_brand', { _name: `Events A ${tag}` })).id;
    brandB = must<{ id: string }>(await door.call(U.bob, 'create_brand', { _name: `Events B ${tag}` })).id;
    for (const [user, role] of [[U.adam, 'admin'], [U.eve, 'editor'], [U.vic, 'viewer']] as const) {
      must(await door.call(U.alice, 'add_brand_member', { _brand_id: brandA, _user_id: user.sub, _role: role }));
    }
    product = must<{ id: string }>(await door.call(U.eve, 'create_product', { _brand_id: brandA, _name: 'Oil', _gtin: '4006381333931', _serialized: true })).id;
  });

  const newBatch = async (n: string, quantity = 5) =>
    must<{ id: string; version: number }>(await door.call(U.eve, 'create_product_batch', { _brand_id: brandA, _product_id: product, _batch_number: n, _quantity: quantity }));

  describe('audit trail', () => {
    it('every write leaves an audit row: who, door, changed columns with old and new values', async () => {
      const b = await newBatch(`AUD-${tag}`);
      must(await door.call(U.eve, 'update_product_batch', { _brand_id: brandA, _batch_id: b.id, _patch: { quantity: 7 } }));
      const rows = must<AuditRow[]>(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _table: 'batches', _row_id: b.id }));
      expect(rows.map((r) => r.action)).toEqual(['update', 'insert']);
      const [upd, ins] = rows as [AuditRow, AuditRow];
      expect(upd.changed).toEqual(expect.arrayContaining(['quantity', 'updated_at', 'version']));
      expect(upd.old_values).toMatchObject({ quantity: 5, version: 1 });
      expect(upd.new_values).toMatchObject({ quantity: 7, version: 2 });
      expect(Object.keys(upd.new_values!)).toEqual(expect.not.arrayContaining(['batch_number']));
      expect(ins.new_values).toMatchObject({ id: b.id, batch_number: `AUD-${tag}`, quantity: 5 });
      expect(ins.old_values).toBeNull();
      for (const r of rows) expect(r).toMatchObject({ actor: U.eve.sub, door: door.name, db_role: 'authenticated' });
      if (door.name === 'http') expect(upd.request_id).toMatch(/\S/);
    });

    it('an update that changes nothing records nothing; deletes record the old row', async () => {
      const b = await newBatch(`AUD2-${tag}`);
      must(await door.call(U.eve, 'update_product_batch', { _brand_id: brandA, _batch_id: b.id, _patch: { quantity: 5 } }));
      must(await door.call(U.alice, 'delete_product_batch', { _brand_id: brandA, _batch_id: b.id }));
      const rows = must<AuditRow[]>(await door.call(U.alice, 'list_audit_events', { _brand_id: brandA, _table: 'batches', _row_id: b.id }));
      expect(rows.map((r) => r.action)).toEqual(['delete', 'insert']);
      expect(rows[0]!.old_values).toMatchObject({ id: b.id, batch_number: `AUD2-${tag}` });
      expect(rows[0]!.actor).toBe(U.alice.sub);
    });

    it('only admins read it; filters and the cursor work; input errors name the field', async () => {
      expectError(await door.call(U.eve, 'list_audit_events', { _brand_id: brandA }), '42501', 403);
      expectError(await door.call(U.bob, 'list_audit_events', { _brand_id: brandA }), '42501', 403);
      expectError(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _limit: 0 }), '22023', 400, '_limit');
      expectError(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _from: '2030-01-01T00:00:00Z', _to: '2029-01-01T00:00:00Z' }), '22023', 400, '_to');
      const mine = must<AuditRow[]>(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _user_id: U.alice.sub, _limit: 500 }));
      expect(mine.length).toBeGreaterThan(0);
      expect(new Set(mine.map((r) => r.actor))).toEqual(new Set([U.alice.sub]));
      expect(mine.map((r) => r.table_name)).toContain('brand_members');
      const all = must<AuditRow[]>(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _limit: 500 }));
      const paged: number[] = [];
      let before: number | null = null;
      for (let i = 0; i < 4; i++) {
        const page: AuditRow[] = must<AuditRow[]>(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _limit: 2, _before_id: before }));
        paged.push(...page.map((r) => r.id));
        before = page[page.length - 1]!.id;
      }
      expect(paged).toEqual(all.slice(0, 8).map((r) => r.id));
      const future = must<AuditRow[]>(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _from: '2100-01-01T00:00:00Z' }));
      expect(future).toEqual([]);
      // brand B's rows never appear
      const bRows = await door.query<{ n: number }>('select count(*)::int as n from data.audit_events where brand_id = $1', [brandB]);
      expect(bRows[0]!.n).toBeGreaterThan(0);
      expect(all.every((r) => r.row_id !== brandB)).toBe(true);
    });
  });

  describe('change feed', () => {
    it('a viewer reads domain events in order; a cursor continues after the last one seen', async () => {
      const start = await allChanges(door, U.vic, brandA);
      const after = start.length ? start[start.length - 1]!.cursor : null;
      const b = await newBatch(`FEED-${tag}`);
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: brandA, _batch_id: b.id, _status: 'recalled', _reason: 'Glass found' }));
      const changes = await eventually(async () => {
        const c = await allChanges(door, U.vic, brandA, after);
        return c.length >= 3 ? c : undefined;
      }, 30_000, 'three new events');
      expect(changes.map((c) => c.type)).toEqual(['batch.created', 'batch.status_changed', 'recall.issued']);
      expect(changes[0]!.data).toMatchObject({ id: b.id, batch_number: `FEED-${tag}`, status: 'active', quantity: 5 });
      expect(changes[1]!.data).toMatchObject({ id: b.id, from: 'active', to: 'recalled' });
      expect(changes[2]!.data).toMatchObject({ batch_id: b.id, message: 'Glass found' });
      expect(changes.every((c) => c.actor === U.eve.sub && c.subject === `batch/${b.id}`)).toBe(true);
      const rest = must<Change[]>(await door.call(U.vic, 'list_changes', { _brand_id: brandA, _after: changes[0]!.cursor }));
      expect(rest.map((c) => c.id)).toEqual(changes.slice(1).map((c) => c.id));
    });

    it('stock, transfer and serial events', async () => {
      const start = await allChanges(door, U.vic, brandA);
      const after = start.length ? start[start.length - 1]!.cursor : null;
      const main = must<{ id: string }>(await door.call(U.eve, 'create_location', { _brand_id: brandA, _name: `Main ${tag}` })).id;
      const shop = must<{ id: string }>(await door.call(U.eve, 'create_location', { _brand_id: brandA, _name: `Shop ${tag}` })).id;
      const inbound = must<{ lines: { batch_id: string }[] }>(await door.call(U.eve, 'receive_inbound', {
        _brand_id: brandA, _location_id: main, _lines: [{ product_id: product, batch_number: `STK-${tag}`, quantity: 10 }],
      }));
      const batch = inbound.lines[0]!.batch_id;
      const t = must<{ id: string }>(await door.call(U.eve, 'create_transfer', {
        _brand_id: brandA, _from_location_id: main, _to_location_id: shop, _lines: [{ batch_id: batch, quantity: 4 }],
      }));
      must(await door.call(U.alice, 'accept_transfer', { _brand_id: brandA, _transfer_id: t.id }));
      must(await door.call(U.alice, 'mint_serials', { _brand_id: brandA, _batch_id: batch, _count: 3 }));
      const changes = await eventually(async () => {
        const c = await allChanges(door, U.vic, brandA, after);
        return c.some((x) => x.type === 'serials.minted') ? c : undefined;
      }, 30_000, 'serials.minted');
      const types = changes.map((c) => c.type);
      expect(types).toEqual(expect.arrayContaining(['batch.created', 'stock.moved', 'transfer.created', 'transfer.accepted', 'serials.minted']));
      const moves = changes.filter((c) => c.type === 'stock.moved').map((c) => c.data.kind);
      expect(moves).toEqual(['receipt', 'reservation', 'release', 'transfer_out', 'transfer_in']);
      expect(changes.find((c) => c.type === 'serials.minted')!.data).toMatchObject({ batch_id: batch, count: 3, first_seq: 1, last_seq: 3 });
    });

    it('members only; a malformed cursor or limit names the field', async () => {
      expectError(await door.call(U.bob, 'list_changes', { _brand_id: brandA }), '42501', 403);
      expectError(await door.call(U.vic, 'list_changes', { _brand_id: brandA, _after: '12-x' }), '22023', 400, '_after');
      expectError(await door.call(U.vic, 'list_changes', { _brand_id: brandA, _limit: 1001 }), '22023', 400, '_limit');
      const bChanges = await allChanges(door, U.bob, brandB);
      expect(bChanges.every((c) => !JSON.stringify(c).includes(brandA))).toBe(true);
    });
  });

  describe('webhook endpoints', () => {
    it('an admin registers one and sees its secret once; others may not; bad input names the field', async () => {
      const created = must<{ webhook: Webhook; secret: string }>(await door.call(U.adam, 'create_webhook', {
        _brand_id: brandA, _url: 'https://hooks.example.com/lotline', _events: ['batch.*', 'recall.issued'], _description: 'ERP',
      }));
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(created.webhook).toMatchObject({ url: 'https://hooks.example.com/lotline', events: ['batch.*', 'recall.issued'], status: 'active', max_attempts: 10, version: 1 });
      expect(created.webhook.cursor).toMatch(/^\d+:0$/);
      const list = must<Record<string, unknown>[]>(await door.call(U.adam, 'list_webhooks', { _brand_id: brandA }));
      expect(list.map((w) => w.id)).toContain(created.webhook.id);
      expect(JSON.stringify(list)).not.toContain(created.secret);
      expect(list.every((w) => !('secret' in w))).toBe(true);
      expectError(await door.call(U.eve, 'create_webhook', { _brand_id: brandA, _url: 'https://x.example.com' }), '42501', 403);
      expectError(await door.call(U.eve, 'list_webhooks', { _brand_id: brandA }), '42501', 403);
      expectError(await door.call(U.adam, 'create_webhook', { _brand_id: brandA, _url: 'ftp://x.example.com' }), '22023', 400, '_url');
      expectError(await door.call(U.adam, 'create_webhook', { _brand_id: brandA, _url: 'https://user:pw@x.example.com/' }), '22023', 400, '_url');
      expectError(await door.call(U.adam, 'create_webhook', { _brand_id: brandA, _url: 'https://x.example.com', _events: ['Batch Created'] }), '22023', 400, '_events');
      expectError(await door.call(U.adam, 'create_webhook', { _brand_id: brandA, _url: 'https://x.example.com', _max_attempts: 0 }), '22023', 400, '_max_attempts');
      // the audit trail records the endpoint without its secret
      const audit = must<AuditRow[]>(await door.call(U.adam, 'list_audit_events', { _brand_id: brandA, _table: 'webhooks', _row_id: created.webhook.id }));
      expect(audit[0]!.new_values).toMatchObject({ secret: '[redacted]' });
      expect(JSON.stringify(audit)).not.toContain(created.secret);
    });

    it('update, optimistic version, disable, delete', async () => {
      const w = must<{ webhook: Webhook }>(await door.call(U.adam, 'create_webhook', { _brand_id: brandA, _url: 'https://a.example.com/h' })).webhook;
      const u = must<Webhook>(await door.call(U.adam, 'update_webhook', { _brand_id: brandA, _webhook_id: w.id, _events: ['stock.moved'], _expected_version: 1 }));
      expect(u).toMatchObject({ events: ['stock.moved'], url: 'https://a.example.com/h', version: 2 });
      expectError(await door.call(U.adam, 'update_webhook', { _brand_id: brandA, _webhook_id: w.id, _status: 'disabled', _expected_version: 1 }), 'PT412', 412, '_expected_version');
      expectError(await door.call(U.adam, 'update_webhook', { _brand_id: brandA, _webhook_id: w.id, _status: 'paused' }), '22023', 400, '_status');
      const d = must<Webhook & { disabled_reason: string }>(await door.call(U.adam, 'update_webhook', { _brand_id: brandA, _webhook_id: w.id, _status: 'disabled' }));
      expect(d).toMatchObject({ status: 'disabled', disabled_reason: `disabled by ${U.adam.sub}` });
      expectError(await door.call(U.bob, 'update_webhook', { _brand_id: brandB, _webhook_id: w.id, _status: 'active' }), 'PT404', 404, '_webhook_id');
      must(await door.call(U.adam, 'delete_webhook', { _brand_id: brandA, _webhook_id: w.id }));
      expectError(await door.call(U.adam, 'delete_webhook', { _brand_id: brandA, _webhook_id: w.id }), 'PT404', 404, '_webhook_id');
    });

    it('deliveries are listed with their attempts; only delivered or dead ones can be sent again', async () => {
      const w = must<{ webhook: Webhook }>(await door.call(U.adam, 'create_webhook', { _brand_id: brandA, _url: 'https://d.example.com/h', _events: ['batch.created'] })).webhook;
      const b = await newBatch(`DLV-${tag}`);
      const pending = await eventually(async () => {
        await door.query('select app.webhook_dispatch()');
        const rows = must<{ id: string; state: string; event_type: string }[]>(await door.call(U.adam, 'list_webhook_deliveries', { _brand_id: brandA, _webhook_id: w.id }));
        return rows.length ? rows : undefined;
      }, 30_000, 'a queued delivery');
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ state: 'pending', event_type: 'batch.created' });
      expectError(await door.call(U.adam, 'redeliver_webhook', { _brand_id: brandA, _delivery_id: pending[0]!.id }), 'PT409', 409, '_delivery_id');
      // a worker's attempt (as the delivery worker would make it), answered 200
      const [claim] = await door.query<{ delivery_id: string; attempt: number; payload: string }>(
        `select * from app.webhook_claim('test-worker') where webhook_id = $1`, [w.id]);
      expect(JSON.parse(claim!.payload)).toMatchObject({ type: 'batch.created', brand_id: brandA, data: { id: b.id } });
      await door.query(`select app.webhook_record($1, $2, $3, 'test-worker', now(), 200, null, 0)`, [brandA, claim!.delivery_id, claim!.attempt]);
      const again = must<{ id: string; state: string; redelivery_of: string }>(await door.call(U.adam, 'redeliver_webhook', { _brand_id: brandA, _delivery_id: claim!.delivery_id }));
      expect(again).toMatchObject({ state: 'pending', redelivery_of: claim!.delivery_id });
      const log = must<{ id: string; state: string; attempt_log: { attempt: number; status_code: number }[] }[]>(
        await door.call(U.adam, 'list_webhook_deliveries', { _brand_id: brandA, _webhook_id: w.id }));
      expect(log.map((x) => x.state)).toEqual(['pending', 'delivered']);
      expect(log[1]!.attempt_log).toMatchObject([{ attempt: 1, status_code: 200 }]);
      expectError(await door.call(U.adam, 'list_webhook_deliveries', { _brand_id: brandA, _state: 'lost' }), '22023', 400, '_state');
      expectError(await door.call(U.eve, 'list_webhook_deliveries', { _brand_id: brandA }), '42501', 403);
      expectError(await door.call(U.bob, 'redeliver_webhook', { _brand_id: brandB, _delivery_id: claim!.delivery_id }), 'PT404', 404, '_delivery_id');
      must(await door.call(U.adam, 'delete_webhook', { _brand_id: brandA, _webhook_id: w.id }));
    });
  });

  describe('EPCIS 2.0 export', () => {
    it('lots, commissioning, receipts, shipping/receiving and recalls as a document that validates against the EPCIS 2.0 schema', async () => {
      const main = must<{ id: string }>(await door.call(U.eve, 'create_location', { _brand_id: brandA, _name: `EPCIS main ${tag}` })).id;
      const shop = must<{ id: string }>(await door.call(U.eve, 'create_location', { _brand_id: brandA, _name: `EPCIS shop ${tag}` })).id;
      const inbound = must<{ lines: { batch_id: string }[] }>(await door.call(U.eve, 'receive_inbound', {
        _brand_id: brandA, _location_id: main, _lines: [{ product_id: product, batch_number: `EP/${tag} 1`, quantity: 12 }],
      }));
      const batch = inbound.lines[0]!.batch_id;
      const t = must<{ id: string }>(await door.call(U.eve, 'create_transfer', {
        _brand_id: brandA, _from_location_id: main, _to_location_id: shop, _lines: [{ batch_id: batch, quantity: 5 }],
      }));
      must(await door.call(U.alice, 'accept_transfer', { _brand_id: brandA, _transfer_id: t.id }));
      must(await door.call(U.alice, 'mint_serials', { _brand_id: brandA, _batch_id: batch, _count: 2 }));
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: brandA, _batch_id: batch, _status: 'recalled', _reason: 'Label error' }));
      const doc = must<Record<string, unknown> & { epcisBody: { eventList: Record<string, unknown>[] } }>(
        await door.call(U.vic, 'export_epcis', { _brand_id: brandA }));
      const validate = epcisValidator();
      expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
      // the validator bites: CBV has no "transforming" step, and an event needs its time zone offset
      const first = doc.epcisBody.eventList[0]!;
      expect(validate({ ...doc, epcisBody: { eventList: [{ ...first, bizStep: 'transforming' }] } })).toBe(false);
      expect(validate({ ...doc, epcisBody: { eventList: [{ ...first, eventTimeZoneOffset: undefined }] } })).toBe(false);
      expect(doc).toMatchObject({ type: 'EPCISDocument', schemaVersion: '2.0', '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'] });
      const lot = `https://id.gs1.org/01/04006381333931/10/EP%2F${tag}%201`;
      const mine = doc.epcisBody.eventList.filter((e) => JSON.stringify(e).includes(lot));
      const steps = mine.map((e) => `${e.action}:${e.bizStep}:${e.disposition}`);
      expect(steps).toEqual(expect.arrayContaining([
        'ADD:creating_class_instance:active', 'OBSERVE:receiving:in_progress', 'OBSERVE:shipping:in_transit',
        'ADD:commissioning:active', 'OBSERVE:holding:recalled',
      ]));
      const commissioning = mine.find((e) => e.bizStep === 'commissioning')!;
      // serial numbers are random unless the brand opted in to sequential ones (docs/serials.md)
      const serials = must<{ serial_number: string }[]>(await door.call(U.vic, 'list_batch_serials', { _brand_id: brandA, _batch_id: batch }));
      expect(commissioning.epcList).toEqual(serials.map((x) => `${lot}/21/${encodeURIComponent(x.serial_number)}`));
      expect(serials).toHaveLength(2);
      const shipping = mine.find((e) => e.bizStep === 'shipping')!;
      expect(shipping).toMatchObject({ quantityList: [{ epcClass: lot, quantity: 5 }], readPoint: { id: `urn:uuid:${main}` } });
      expect(mine.filter((e) => e.bizStep === 'receiving').map((e) => (e.readPoint as { id: string }).id).sort()).toEqual([`urn:uuid:${main}`, `urn:uuid:${shop}`].sort());
      for (const e of doc.epcisBody.eventList) expect(e.eventID).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      // the same export twice: the same event ids (they name what they record)
      const again = must<typeof doc>(await door.call(U.vic, 'export_epcis', { _brand_id: brandA }));
      expect(again.epcisBody.eventList.map((e) => e.eventID)).toEqual(doc.epcisBody.eventList.map((e) => e.eventID));
      // a window in the future is empty but still a valid document; other brands and bad ranges are refused
      const empty = must<typeof doc>(await door.call(U.vic, 'export_epcis', { _brand_id: brandA, _from: '2100-01-01T00:00:00Z' }));
      expect(empty.epcisBody.eventList).toEqual([]);
      expect(validate(empty)).toBe(true);
      expectError(await door.call(U.bob, 'export_epcis', { _brand_id: brandA }), '42501', 403);
      expectError(await door.call(U.vic, 'export_epcis', { _brand_id: brandA, _from: '2030-01-01T00:00:00Z', _to: '2029-01-01T00:00:00Z' }), '22023', 400, '_to');
    });
  });
}
