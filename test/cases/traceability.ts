// One case list for traceability (production, split, merge, trace, recall), run through two doors:
// test/sql/traceability.test.ts (app.act_as) and test/http/traceability.test.ts (the gateway).
import { beforeAll, describe, expect, it } from 'vitest';
import { details, expectError, must, type Door, type DoorResult } from '../support/door.ts';

export const TRACE_USERS = {
  olga: { sub: 'tr-olga' }, // owner of A
  adam: { sub: 'tr-adam' }, // admin of A
  eve: { sub: 'tr-eve' }, // editor of A
  vic: { sub: 'tr-vic' }, // viewer of A
  bob: { sub: 'tr-bob' }, // owner of B
  oscar: { sub: 'tr-oscar' }, // member of nothing
} as const;
const U = TRACE_USERS;
const GTIN = '5901234123457';
const PLATFORM_ADMIN = { sub: 'tr-ops', scope: 'platform:admin' };

interface Fx {
  brandA: string;
  brandB: string;
  flour: string; // product, kg
  bread: string; // product, pcs, expirable, GTIN
  sauce: string; // product, l
  productB: string;
  main: string;
  shop: string;
  back: string;
  locB: string;
  batchB: string; // a batch of B with stock at locB
}

interface Line { batch_id: string; batch_number: string; product_id: string; location_id: string; quantity: number; unit: string | null }
export interface GenealogyEvent {
  id: string;
  kind: string;
  location_id: string;
  created_by: string;
  inputs: Line[];
  outputs: Line[];
  edges: { input_batch_id: string; output_batch_id: string; quantity: number; unit: string | null }[];
}
interface StockAt { location_id: string; location_name: string; quantity: number; committed: number; available: number }
export interface TraceNode { batch_id: string; batch_number: string; status: string; direction: string; depth: number; quantity: number; stock: StockAt[]; supplier_name: string | null; product_name: string }
export interface Trace {
  truncated: boolean;
  truncated_by: string[];
  node_count: number;
  edge_count: number;
  nodes: TraceNode[];
  edges: { input_batch_id: string; output_batch_id: string; event_id: string; kind: string; quantity: number; direction: string; depth: number }[];
}
interface RecallBatch { batch_id: string; batch_number: string; depth: number; status: string; previous_status: string | null; changed: boolean; quantity: number; serials: number; serials_active: number; stock: StockAt[] }
interface RecallTransfer { transfer_id: string; number: string; status: string; batch_id: string; quantity: number; to_location_id: string; accepted_by: string | null }
export interface RecallReport {
  recall: { id: string; number: string; batch_id: string; reason: string; status: string; created_by: string; lifted_by: string | null; lift_reason: string | null; batch_count: number; changed_count: number };
  batches: RecallBatch[];
  locations: { location_id: string; batches: number; quantity: number }[];
  pending_transfers: RecallTransfer[];
  accepted_transfers: RecallTransfer[];
  quantity: number;
  serials: number;
}

async function setup(door: Door): Promise<Fx> {
  const tag = Math.random().toString(36).slice(2, 8);
  const brandA = must<{ id: string }>(await door.call(U.olga, 'create_brand', { _name: `Bakery ${tag}` })).id;
  const brandB = must<{ id: string }>(await door.call(U.bob, 'create_brand', { _name: `Other ${tag}` })).id;
  for (const [who, role] of [[U.adam, 'admin'], [U.eve, 'editor'], [U.vic, 'viewer']] as const) {
    must(await door.call(U.olga, 'add_brand_member', { _brand_id: brandA, _user_id: who.sub, _role: role }));
  }
  const product = async (who: { sub: string }, brand: string, args: Record<string, unknown>) =>
    must<{ id: string }>(await door.call(who, 'create_product', { _brand_id: brand, ...args })).id;
  const loc = async (who: { sub: string }, brand: string, name: string) =>
    must<{ id: string }>(await door.call(who, 'create_location', { _brand_id: brand, _name: name })).id;
  const fx = {
    brandA, brandB,
    flour: await product(U.eve, brandA, { _name: 'Flour', _unit: 'kg' }),
    bread: await product(U.eve, brandA, { _name: 'Bread', _unit: 'pcs', _expirable: true, _gtin: GTIN, _serialized: true }),
    sauce: await product(U.eve, brandA, { _name: 'Sauce', _unit: 'l' }),
    productB: await product(U.bob, brandB, { _name: 'B goods' }),
    main: await loc(U.eve, brandA, 'Main'),
    shop: await loc(U.eve, brandA, 'Shop'),
    back: await loc(U.eve, brandA, 'Back'),
    locB: await loc(U.bob, brandB, 'B store'),
    batchB: '',
  };
  // the consumer view answers only for a verified GTIN owner (docs/gtin-ownership.md)
  const claim = must<{ id: string }>(await door.call(U.olga, 'claim_gtin_prefix', { _brand_id: brandA, _prefix: GTIN, _kind: 'gtin', _display_name: 'Bakery' }));
  must(await door.call(PLATFORM_ADMIN, 'verify_gtin_claim', { _brand_id: brandA, _claim_id: claim.id }));
  fx.batchB = must<{ lines: { batch_id: string }[] }>(await door.call(U.bob, 'receive_inbound', {
    _brand_id: brandB, _location_id: fx.locB, _lines: [{ product_id: fx.productB, batch_number: 'B-LOT', quantity: 50 }],
  })).lines[0]!.batch_id;
  return fx;
}

export function defineTraceabilityCases(getDoor: () => Door): void {
  let door: Door;
  let fx: Fx;
  let seq = 0;
  const uniq = (p: string) => `${p}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;

  /** Receive `qty` of a new batch of `product` at `location`; returns the batch id. */
  async function receive(location: string, qty: number, product = fx.flour, expiry?: string): Promise<string> {
    const r = must<{ lines: { batch_id: string }[] }>(await door.call(U.eve, 'receive_inbound', {
      _brand_id: fx.brandA, _location_id: location,
      _lines: [{ product_id: product, batch_number: uniq('LOT'), quantity: qty, ...(expiry ? { expiry_date: expiry } : {}) }],
    }));
    return r.lines[0]!.batch_id;
  }
  const produce = (args: Record<string, unknown>, who: { sub: string } = U.eve): Promise<DoorResult> =>
    door.call(who, 'produce_batch', { _brand_id: fx.brandA, _location_id: fx.main, ...args });
  /** Produce `quantity` of a new `product` batch from [batch, qty] inputs at main; returns the output batch id. */
  async function make(inputs: [string, number][], quantity: number, product = fx.sauce, location = fx.main): Promise<string> {
    const ev = must<GenealogyEvent>(await produce({
      _location_id: location, _inputs: inputs.map(([batch_id, q]) => ({ batch_id, quantity: q })), _quantity: quantity,
      _product_id: product, _batch_number: uniq('OUT'), _expiry_date: product === fx.bread ? '2030-01-01' : undefined,
    }));
    return ev.outputs[0]!.batch_id;
  }
  async function stock(batch: string, location: string): Promise<number> {
    const t = must<Trace>(await door.call(U.vic, 'trace_batch', { _brand_id: fx.brandA, _batch_id: batch, _max_depth: 1, _max_edges: 1 }));
    return t.nodes.find((n) => n.batch_id === batch)!.stock.find((s) => s.location_id === location)?.quantity ?? 0;
  }
  const trace = (batch: string, extra: Record<string, unknown> = {}) =>
    door.call(U.vic, 'trace_batch', { _brand_id: fx.brandA, _batch_id: batch, ...extra });
  const recall = (batch: string, extra: Record<string, unknown> = {}, who: { sub: string } = U.adam) =>
    door.call(who, 'recall_batch', { _brand_id: fx.brandA, _batch_id: batch, _reason: 'Undeclared allergen', ...extra });

  beforeAll(async () => {
    door = getDoor();
    fx = await setup(door);
  });

  describe('produce_batch', () => {
    it('consumes the inputs through the ledger, creates the output and records one edge per input', async () => {
      const f1 = await receive(fx.main, 100);
      const f2 = await receive(fx.main, 40);
      const number = uniq('BREAD');
      const ev = must<GenealogyEvent>(await produce({
        _inputs: [{ batch_id: f1, quantity: 30 }, { batch_id: f2, quantity: 12.5 }], _quantity: 200,
        _product_id: fx.bread, _batch_number: number, _expiry_date: '2030-06-30', _output_location_id: fx.shop, _note: 'morning shift',
      }));
      expect(ev).toMatchObject({ kind: 'production', location_id: fx.main, created_by: U.eve.sub });
      expect(ev.inputs.map((l) => [l.batch_id, l.quantity, l.unit]).sort()).toEqual([[f1, 30, 'kg'], [f2, 12.5, 'kg']].sort());
      expect(ev.outputs).toEqual([expect.objectContaining({ batch_number: number, product_id: fx.bread, location_id: fx.shop, quantity: 200, unit: 'pcs' })]);
      const out = ev.outputs[0]!.batch_id;
      expect(ev.edges.map((e) => [e.input_batch_id, e.output_batch_id, e.quantity]).sort()).toEqual([[f1, out, 30], [f2, out, 12.5]].sort());
      expect(await stock(f1, fx.main)).toBe(70);
      expect(await stock(f2, fx.main)).toBe(27.5);
      expect(await stock(out, fx.shop)).toBe(200);
      const batch = must<{ status: string; expiry_date: string; quantity: number; unit: string }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: out }));
      expect(batch).toMatchObject({ status: 'active', expiry_date: '2030-06-30', quantity: 200, unit: 'pcs' });
      // the ledger: one consumption per input, one production, all linked to the event, with who
      const moves = must<{ kind: string; quantity_delta: number; trace_event_id: string; actor: string }[]>(
        await door.call(U.vic, 'list_stock_movements', { _brand_id: fx.brandA, _batch_id: f1 }));
      expect(moves[0]).toMatchObject({ kind: 'consumption', quantity_delta: -30, trace_event_id: ev.id, actor: U.eve.sub });
      const made = must<{ kind: string; quantity_delta: number; trace_event_id: string }[]>(
        await door.call(U.vic, 'list_stock_movements', { _brand_id: fx.brandA, _batch_id: out }));
      expect(made).toEqual([expect.objectContaining({ kind: 'production', quantity_delta: 200, trace_event_id: ev.id })]);
    });

    it('adds to an existing output batch (by id or by number); a new expirable output takes the earliest input expiry', async () => {
      const m1 = await receive(fx.main, 10, fx.bread, '2031-03-01');
      const m2 = await receive(fx.main, 10, fx.bread, '2030-12-01');
      const number = uniq('PACK');
      const first = must<GenealogyEvent>(await produce({
        _kind: 'repack', _inputs: [{ batch_id: m1, quantity: 2 }, { batch_id: m2, quantity: 2 }], _quantity: 4, _product_id: fx.bread, _batch_number: number,
      }));
      expect(first.kind).toBe('repack');
      const out = first.outputs[0]!.batch_id;
      expect(must<{ expiry_date: string }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: out })).expiry_date).toBe('2030-12-01');
      const byNumber = must<GenealogyEvent>(await produce({ _inputs: [{ batch_id: m1, quantity: 1 }], _quantity: 1, _product_id: fx.bread, _batch_number: number }));
      expect(byNumber.outputs[0]!.batch_id).toBe(out);
      const byId = must<GenealogyEvent>(await produce({ _inputs: [{ batch_id: m2, quantity: 3 }], _quantity: 3, _output_batch_id: out }));
      expect(byId.outputs[0]!.batch_id).toBe(out);
      expect(await stock(out, fx.main)).toBe(8);
      const up = must<Trace>(await trace(out, { _direction: 'up' }));
      expect(up.edges.length).toBe(4); // one edge per (input, event)
      // an existing batch keeps its expiry date: a different one is refused
      expectError(await produce({ _inputs: [{ batch_id: m1, quantity: 1 }], _quantity: 1, _output_batch_id: out, _expiry_date: '2040-01-01' }), 'PT409', 409, '_expiry_date');
    });

    it('validates input naming the field, and a failed input leaves nothing behind', async () => {
      const f = await receive(fx.main, 5);
      const before = { batches: await door.count('batches', fx.brandA), moves: await door.count('stock_movements', fx.brandA), events: await door.count('genealogy_events', fx.brandA), edges: await door.count('genealogy_edges', fx.brandA) };
      const ok = { _inputs: [{ batch_id: f, quantity: 1 }], _quantity: 1, _product_id: fx.sauce, _batch_number: uniq('X') };
      expectError(await produce({ ...ok, _inputs: [] }), '22023', 400, '_inputs');
      expectError(await produce({ ...ok, _inputs: [{ batch_id: f, quantity: 0 }] }), '22023', 400, '_inputs[0].quantity');
      expectError(await produce({ ...ok, _inputs: [{ batch_id: f, quantity: 1, lot: 'x' }] }), '22023', 400, '_inputs[0].lot');
      expectError(await produce({ ...ok, _inputs: [{ batch_id: f, quantity: 1 }, { batch_id: f, quantity: 1 }] }), '22023', 400, '_inputs[1].batch_id');
      expectError(await produce({ ...ok, _quantity: 0 }), '22023', 400, '_quantity');
      expectError(await produce({ ...ok, _quantity: null }), '22023', 400, '_quantity');
      expectError(await produce({ ...ok, _kind: 'magic' }), '22023', 400, '_kind');
      expectError(await produce({ ...ok, _batch_number: undefined }), '22023', 400, '_batch_number');
      expectError(await produce({ ...ok, _product_id: undefined }), '22023', 400, '_product_id');
      expectError(await produce({ ...ok, _product_id: fx.productB }), 'PT404', 404, '_product_id');
      expectError(await produce({ ...ok, _inputs: [{ batch_id: fx.batchB, quantity: 1 }] }), 'PT404', 404, '_inputs[0].batch_id');
      expectError(await produce({ ...ok, _output_location_id: fx.locB }), 'PT404', 404, '_output_location_id');
      expectError(await produce({ ...ok, _location_id: fx.locB }), 'PT404', 404, '_location_id');
      // an expirable product needs an expiry date when no input has one
      expectError(await produce({ ...ok, _product_id: fx.bread }), '22023', 400, '_expiry_date');
      // the second input is short: nothing of the first stays consumed, no batch, no event
      const g = await receive(fx.main, 2);
      const short = await produce({ ...ok, _inputs: [{ batch_id: f, quantity: 5 }, { batch_id: g, quantity: 3 }] });
      expectError(short, 'PT409', 409, '_inputs[1].quantity');
      expect(details(short)).toMatchObject({ rule: 'available', batch_id: g, requested: 3, available: 2, shortfall: 1 });
      expect(await door.count('batches', fx.brandA)).toBe(before.batches + 1); // only g
      expect(await door.count('stock_movements', fx.brandA)).toBe(before.moves + 1); // only g's receipt
      expect(await door.count('genealogy_events', fx.brandA)).toBe(before.events);
      expect(await door.count('genealogy_edges', fx.brandA)).toBe(before.edges);
      expect(await stock(f, fx.main)).toBe(5);
    });

    it('refuses an output made from itself, and an edge that would close a cycle', async () => {
      const a = await receive(fx.main, 10, fx.sauce);
      const self = await produce({ _inputs: [{ batch_id: a, quantity: 1 }], _quantity: 1, _output_batch_id: a });
      expectError(self, 'PT409', 409, '_output_batch_id');
      expect(details(self).rule).toBe('cycle');
      const b = await make([[a, 2]], 2);
      const c = await make([[b, 1]], 1);
      // a is an ancestor of c: putting c into a would close a → b → c → a
      const cycle = await produce({ _inputs: [{ batch_id: c, quantity: 1 }], _quantity: 1, _output_batch_id: a });
      expectError(cycle, 'PT409', 409, '_output_batch_id');
      expect(details(cycle)).toMatchObject({ rule: 'cycle', input_batch_id: c, output_batch_id: a });
      expect(await stock(c, fx.main)).toBe(1);
    });
  });

  describe('split_batch', () => {
    it('moves quantities into new batches (numbers given or generated), the parent keeps the remainder', async () => {
      const p = await receive(fx.main, 50, fx.bread, '2030-05-05');
      const parentNumber = must<{ batch_number: string }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: p })).batch_number;
      const ev = must<GenealogyEvent>(await door.call(U.eve, 'split_batch', {
        _brand_id: fx.brandA, _batch_id: p, _location_id: fx.main,
        _parts: [{ quantity: 10 }, { quantity: 5, batch_number: 'GIVEN-' + parentNumber, location_id: fx.shop }, { quantity: 7.5 }],
      }));
      expect(ev.kind).toBe('split');
      expect(ev.inputs).toEqual([expect.objectContaining({ batch_id: p, quantity: 22.5 })]);
      expect(ev.outputs.map((o) => [o.batch_number, o.quantity, o.location_id]).sort()).toEqual([
        [`${parentNumber}-1`, 10, fx.main], [`${parentNumber}-2`, 7.5, fx.main], [`GIVEN-${parentNumber}`, 5, fx.shop]].sort());
      expect(ev.edges.every((e) => e.input_batch_id === p)).toBe(true);
      expect(await stock(p, fx.main)).toBe(27.5);
      const child = must<{ product_id: string; status: string; expiry_date: string; unit: string }>(
        await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: ev.outputs[0]!.batch_id }));
      expect(child).toMatchObject({ product_id: fx.bread, status: 'received', expiry_date: '2030-05-05', unit: 'pcs' });
      // the next split continues the numbering
      const again = must<GenealogyEvent>(await door.call(U.eve, 'split_batch', { _brand_id: fx.brandA, _batch_id: p, _location_id: fx.main, _parts: [{ quantity: 1 }] }));
      expect(again.outputs[0]!.batch_number).toBe(`${parentNumber}-3`);
    });

    it('refuses bad parts, taken numbers and more than the parent has', async () => {
      const p = await receive(fx.main, 5);
      const split = (parts: unknown, extra: Record<string, unknown> = {}) =>
        door.call(U.eve, 'split_batch', { _brand_id: fx.brandA, _batch_id: p, _location_id: fx.main, _parts: parts, ...extra });
      expectError(await split([]), '22023', 400, '_parts');
      expectError(await split({ quantity: 1 }), '22023', 400, '_parts');
      expectError(await split([{ quantity: -1 }]), '22023', 400, '_parts[0].quantity');
      expectError(await split([{ quantity: 1, colour: 'red' }]), '22023', 400, '_parts[0].colour');
      expectError(await split([{ quantity: 1, batch_number: 'S' }, { quantity: 1, batch_number: 'S' }]), '22023', 400, '_parts[1].batch_number');
      expectError(await split([{ quantity: 1, location_id: 'nowhere' }]), '22023', 400, '_parts[0].location_id');
      expectError(await split([{ quantity: 1, location_id: fx.locB }]), 'PT404', 404, '_parts[0].location_id');
      expectError(await split([{ quantity: 1 }], { _batch_id: fx.batchB }), 'PT404', 404, '_batch_id');
      const taken = must<{ batch_number: string }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: p })).batch_number;
      expectError(await split([{ quantity: 1 }, { quantity: 1, batch_number: taken }]), '23505', 409, '_parts[1].batch_number');
      const short = await split([{ quantity: 3 }, { quantity: 3 }]);
      expectError(short, 'PT409', 409, '_parts');
      expect(details(short)).toMatchObject({ rule: 'available', requested: 6, available: 5, shortfall: 1 });
      expect(await stock(p, fx.main)).toBe(5);
    });
  });

  describe('merge_batches', () => {
    it('merges into a new batch with the earliest dates, or into an existing one', async () => {
      const a = await receive(fx.main, 10, fx.bread, '2030-09-01');
      const b = await receive(fx.main, 10, fx.bread, '2030-08-01');
      const ev = must<GenealogyEvent>(await door.call(U.eve, 'merge_batches', {
        _brand_id: fx.brandA, _location_id: fx.main, _inputs: [{ batch_id: a, quantity: 4 }, { batch_id: b, quantity: 6 }],
      }));
      expect(ev.kind).toBe('merge');
      const merged = ev.outputs[0]!;
      expect(merged.quantity).toBe(10);
      expect(merged.batch_number).toMatch(/-M1$/);
      const row = must<{ status: string; expiry_date: string }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: merged.batch_id }));
      expect(row).toMatchObject({ status: 'received', expiry_date: '2030-08-01' });
      // into an existing batch: every input expires no earlier than it
      const c = await receive(fx.main, 3, fx.bread, '2030-10-01');
      const into = must<GenealogyEvent>(await door.call(U.eve, 'merge_batches', {
        _brand_id: fx.brandA, _location_id: fx.main, _inputs: [{ batch_id: c, quantity: 3 }], _into_batch_id: merged.batch_id,
      }));
      expect(into.outputs[0]).toMatchObject({ batch_id: merged.batch_id, quantity: 3 });
      expect(await stock(merged.batch_id, fx.main)).toBe(13);
      const early = await receive(fx.main, 3, fx.bread, '2030-01-01');
      const refused = await door.call(U.eve, 'merge_batches', {
        _brand_id: fx.brandA, _location_id: fx.main, _inputs: [{ batch_id: early, quantity: 1 }], _into_batch_id: merged.batch_id,
      });
      expectError(refused, 'PT409', 409, '_inputs[0].batch_id');
      expect(details(refused)).toMatchObject({ rule: 'expiry', expiry_date: '2030-01-01', target_expiry_date: '2030-08-01' });
    });

    it('refuses batches of different products, statuses or the target among the inputs', async () => {
      const a = await receive(fx.main, 5);
      const b = await receive(fx.main, 5);
      const s = await receive(fx.main, 5, fx.sauce);
      const merge = (inputs: unknown, extra: Record<string, unknown> = {}) =>
        door.call(U.eve, 'merge_batches', { _brand_id: fx.brandA, _location_id: fx.main, _inputs: inputs, ...extra });
      expectError(await merge([{ batch_id: a, quantity: 1 }]), '22023', 400, '_inputs');
      expectError(await merge([{ batch_id: a, quantity: 1 }], { _into_batch_id: a }), '22023', 400, '_inputs[0].batch_id');
      expectError(await merge([{ batch_id: a, quantity: 1 }], { _into_batch_id: b, _batch_number: 'X' }), '22023', 400, '_batch_number');
      const product = await merge([{ batch_id: a, quantity: 1 }, { batch_id: s, quantity: 1 }]);
      expectError(product, 'PT409', 409, '_inputs[1].batch_id');
      expect(details(product).rule).toBe('same_product');
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: b, _status: 'in_testing' }));
      const status = await merge([{ batch_id: a, quantity: 1 }, { batch_id: b, quantity: 1 }]);
      expectError(status, 'PT409', 409, '_inputs[1].batch_id');
      expect(details(status)).toMatchObject({ rule: 'same_status', status: 'in_testing', expected_status: 'received' });
      expect(await stock(a, fx.main)).toBe(5);
    });
  });

  describe('trace_batch', () => {
    it('returns nodes and edges up, down or both, with stock per location, from one call', async () => {
      const f = await receive(fx.main, 100);
      const mid = await make([[f, 10]], 20);
      const leaf1 = await make([[mid, 5]], 5);
      const leaf2 = await make([[mid, 5]], 5, fx.sauce, fx.main);
      const down = must<Trace>(await trace(f, { _direction: 'down' }));
      expect(down).toMatchObject({ truncated: false, truncated_by: [], node_count: 4, edge_count: 3 });
      expect(down.nodes[0]).toMatchObject({ batch_id: f, direction: 'root', depth: 0, product_name: 'Flour', quantity: 90 });
      expect(down.nodes.find((n) => n.batch_id === mid)).toMatchObject({ direction: 'down', depth: 1, stock: [expect.objectContaining({ location_id: fx.main, quantity: 10, available: 10 })] });
      expect(down.nodes.filter((n) => n.depth === 2).map((n) => n.batch_id).sort()).toEqual([leaf1, leaf2].sort());
      expect(down.edges.every((e) => e.direction === 'down' && e.kind === 'production')).toBe(true);
      const up = must<Trace>(await trace(leaf1, { _direction: 'up' }));
      expect(up.nodes.map((n) => [n.batch_id, n.direction, n.depth])).toEqual([[leaf1, 'root', 0], [mid, 'up', 1], [f, 'up', 2]]);
      const both = must<Trace>(await trace(mid));
      expect(both.nodes.map((n) => n.batch_id).sort()).toEqual([f, mid, leaf1, leaf2].sort());
      expect(both.edges.filter((e) => e.direction === 'up').length).toBe(1);
      // a batch with no genealogy is its own trace
      const lone = must<Trace>(await trace(await receive(fx.main, 1)));
      expect(lone).toMatchObject({ node_count: 1, edge_count: 0, truncated: false });
    });

    it('says when a bound cut the trace (depth, edges)', async () => {
      let b = await receive(fx.main, 100);
      const root = b;
      for (let i = 0; i < 4; i++) b = await make([[b, 1]], 10);
      const deep = must<Trace>(await trace(root, { _direction: 'down', _max_depth: 2 }));
      expect(deep).toMatchObject({ truncated: true, truncated_by: ['depth'], node_count: 3, edge_count: 2 });
      const exact = must<Trace>(await trace(root, { _direction: 'down', _max_depth: 4 }));
      expect(exact).toMatchObject({ truncated: false, node_count: 5 });
      const fan = await receive(fx.main, 100);
      for (let i = 0; i < 3; i++) await make([[fan, 1]], 1);
      const wide = must<Trace>(await trace(fan, { _max_edges: 2 }));
      expect(wide).toMatchObject({ truncated: true, truncated_by: ['edges'], edge_count: 2, node_count: 3 });
    });

    it('validates its bounds, and never reads another brand', async () => {
      const f = await receive(fx.main, 1);
      expectError(await trace(f, { _direction: 'sideways' }), '22023', 400, '_direction');
      expectError(await trace(f, { _max_depth: 0 }), '22023', 400, '_max_depth');
      expectError(await trace(f, { _max_depth: 101 }), '22023', 400, '_max_depth');
      expectError(await trace(f, { _max_edges: 0 }), '22023', 400, '_max_edges');
      expectError(await trace(fx.batchB), 'PT404', 404, '_batch_id');
      expectError(await door.call(U.vic, 'trace_batch', { _brand_id: fx.brandB, _batch_id: fx.batchB }), '42501', 403);
      expectError(await door.call(U.oscar, 'trace_batch', { _brand_id: fx.brandA, _batch_id: f }), '42501', 403);
    });
  });

  describe('roles and scopes', () => {
    it('editors produce, split and merge (trace:write); viewers read (trace:read); admins recall (recall:write)', async () => {
      const f = await receive(fx.main, 10);
      const ok = { _inputs: [{ batch_id: f, quantity: 1 }], _quantity: 1, _product_id: fx.sauce, _batch_number: uniq('R') };
      expectError(await produce(ok, U.vic), '42501', 403);
      expectError(await produce(ok, U.oscar), '42501', 403);
      expectError(await produce(ok, { sub: U.eve.sub, scope: 'trace:read' } as never), '42501', 403);
      must(await produce({ ...ok, _batch_number: uniq('R') }, { sub: U.eve.sub, scope: 'trace:write' } as never));
      expectError(await door.call(U.vic, 'split_batch', { _brand_id: fx.brandA, _batch_id: f, _location_id: fx.main, _parts: [{ quantity: 1 }] }), '42501', 403);
      expectError(await door.call({ sub: U.vic.sub, scope: 'inventory:read' }, 'trace_batch', { _brand_id: fx.brandA, _batch_id: f }), '42501', 403);
      must(await door.call({ sub: U.vic.sub, scope: 'trace:read' }, 'trace_batch', { _brand_id: fx.brandA, _batch_id: f }));
      expectError(await recall(f, {}, U.eve), '42501', 403);
      expectError(await recall(f, {}, { sub: U.adam.sub, scope: 'trace:write' } as never), '42501', 403);
      expectError(await door.call(U.vic, 'list_recalls', { _brand_id: fx.brandB }), '42501', 403);
    });
  });

  describe('recall_batch and lift_recall', () => {
    it('recalls a batch and its downstream, blocks their stock, shows the public recall, and reports it', async () => {
      const f = await receive(fx.main, 100);
      const bread = await make([[f, 20]], 40, fx.bread);
      const minted = must<{ first_serial_number: string }>(await door.call(U.adam, 'mint_serials', { _brand_id: fx.brandA, _batch_id: bread, _count: 3 }));
      // bread reaches the shop (accepted) and another transfer is pending
      const t1 = must<{ id: string; number: string }>(await door.call(U.eve, 'create_transfer', {
        _brand_id: fx.brandA, _from_location_id: fx.main, _to_location_id: fx.shop, _lines: [{ batch_id: bread, quantity: 10 }] }));
      must(await door.call(U.adam, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t1.id }));
      const t2 = must<{ id: string }>(await door.call(U.eve, 'create_transfer', {
        _brand_id: fx.brandA, _from_location_id: fx.main, _to_location_id: fx.back, _lines: [{ batch_id: bread, quantity: 5 }] }));
      const other = await receive(fx.main, 9); // not made from f: untouched

      const report = must<RecallReport>(await recall(f));
      expect(report.recall).toMatchObject({ batch_id: f, reason: 'Undeclared allergen', status: 'active', created_by: U.adam.sub, batch_count: 2, changed_count: 2 });
      expect(report.recall.number).toMatch(/^RC-\d{6}$/);
      expect(report.batches.map((b) => [b.batch_id, b.depth, b.status, b.previous_status, b.changed])).toEqual([
        [f, 0, 'recalled', 'received', true], [bread, 1, 'recalled', 'active', true]]);
      const breadRow = report.batches[1]!;
      expect(breadRow).toMatchObject({ quantity: 40, serials: 3, serials_active: 3 });
      expect(breadRow.stock.map((s) => [s.location_id, s.quantity, s.committed]).sort()).toEqual([[fx.main, 30, 5], [fx.shop, 10, 0]].sort());
      expect(report.locations.find((l) => l.location_id === fx.shop)).toMatchObject({ batches: 1, quantity: 10 });
      expect(report.quantity).toBe(120);
      expect(report.serials).toBe(3);
      expect(report.accepted_transfers).toEqual([expect.objectContaining({ transfer_id: t1.id, batch_id: bread, quantity: 10, to_location_id: fx.shop, accepted_by: U.adam.sub })]);
      expect(report.pending_transfers).toEqual([expect.objectContaining({ transfer_id: t2.id, status: 'pending', quantity: 5 })]);

      // blocked: no reservation, acceptance, production, split or merge takes it
      const reserve = await door.call(U.eve, 'create_transfer', { _brand_id: fx.brandA, _from_location_id: fx.shop, _to_location_id: fx.main, _lines: [{ batch_id: bread, quantity: 1 }] });
      expectError(reserve, 'PT409', 409, '_lines[0].batch_id');
      expect(details(reserve)).toMatchObject({ rule: 'recalled', batch_id: bread, recall_id: report.recall.id, recall_number: report.recall.number, reason: 'Undeclared allergen' });
      expect(reserve.error?.message).toContain(report.recall.number);
      expectError(await door.call(U.adam, 'accept_transfer', { _brand_id: fx.brandA, _transfer_id: t2.id }), 'PT409', 409, '_transfer_id');
      expectError(await produce({ _inputs: [{ batch_id: bread, quantity: 1 }], _quantity: 1, _product_id: fx.sauce, _batch_number: uniq('X') }), 'PT409', 409, '_inputs[0].batch_id');
      expectError(await produce({ _inputs: [{ batch_id: other, quantity: 1 }], _quantity: 1, _output_batch_id: bread }), 'PT409', 409, '_output_batch_id');
      expectError(await door.call(U.eve, 'split_batch', { _brand_id: fx.brandA, _batch_id: f, _location_id: fx.main, _parts: [{ quantity: 1 }] }), 'PT409', 409, '_batch_id');
      expectError(await door.call(U.eve, 'merge_batches', { _brand_id: fx.brandA, _location_id: fx.main, _inputs: [{ batch_id: other, quantity: 1 }], _into_batch_id: f }), 'PT409', 409, '_into_batch_id');
      // the pending transfer can still be cancelled (its reservation released), and recalled stock written off
      must(await door.call(U.eve, 'cancel_transfer', { _brand_id: fx.brandA, _transfer_id: t2.id }));
      must(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: bread, _location_id: fx.shop, _delta: -10, _reason: 'destroyed (recall)' }));
      // the consumer sees the recall with its message
      const pub = must<{ public_id: string }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: bread }));
      expect(must(await door.call(null, 'get_public_batch', { _public_id: pub.public_id }))).toMatchObject({ recalled: true, recall_message: 'Undeclared allergen', status: 'recalled' });
      const batchNumber = breadRow.batch_number;
      expect(must(await door.call(null, 'resolve_digital_link', { _uri: `https://id.example.com/01/${GTIN}/10/${encodeURIComponent(batchNumber)}/21/${encodeURIComponent(minted.first_serial_number)}` })))
        .toMatchObject({ recalled: true, recall_message: 'Undeclared allergen', level: 'serial' });
      // recalling it again is a 409 naming the recall; other's recall is unaffected
      const again = await recall(bread);
      expectError(again, 'PT409', 409, '_batch_id');
      expect(details(again)).toMatchObject({ rule: 'already_recalled', recall_id: report.recall.id });
      expect(await stock(other, fx.main)).toBe(9);
      // the report read later: current stock, the transfer cancelled (no longer pending)
      const later = must<RecallReport>(await door.call(U.vic, 'get_recall', { _brand_id: fx.brandA, _recall_id: report.recall.id }));
      expect(later.pending_transfers).toEqual([]);
      expect(later.quantity).toBe(110);
      const listed = must<{ id: string }[]>(await door.call(U.vic, 'list_recalls', { _brand_id: fx.brandA, _batch_id: bread }));
      expect(listed.map((r) => r.id)).toEqual([report.recall.id]);
      expectError(await door.call(U.vic, 'get_recall', { _brand_id: fx.brandA, _recall_id: '00000000-0000-4000-8000-000000000000' }), 'PT404', 404, '_recall_id');
      expectError(await door.call(U.vic, 'list_recalls', { _brand_id: fx.brandA, _status: 'maybe' }), '22023', 400, '_status');
    });

    it('recalls only the batch when asked; validates; archived descendants are listed unchanged', async () => {
      const f = await receive(fx.main, 10);
      const kid = await make([[f, 1]], 1);
      const gone = await make([[f, 1]], 1);
      must(await door.call(U.eve, 'adjust_stock', { _brand_id: fx.brandA, _batch_id: gone, _location_id: fx.main, _delta: -1, _reason: 'used' }));
      must(await door.call(U.adam, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: gone, _status: 'archived' }));
      expectError(await recall(f, { _reason: ' ' }), '22023', 400, '_reason');
      expectError(await recall(f, { _reason: 'x'.repeat(2001) }), '22023', 400, '_reason');
      expectError(await recall(fx.batchB), 'PT404', 404, '_batch_id');
      const only = must<RecallReport>(await recall(kid, { _include_downstream: false }));
      expect(only.batches.map((b) => b.batch_id)).toEqual([kid]);
      const all = must<RecallReport>(await recall(f));
      expect(all.batches.map((b) => [b.batch_id, b.status, b.changed]).sort()).toEqual([
        [f, 'recalled', true], [kid, 'recalled', false], [gone, 'archived', false]].sort());
      expect(all.recall).toMatchObject({ batch_count: 3, changed_count: 1 });
    });

    it('lifting (admin, with a reason) returns each batch to its status before; a batch under two recalls waits for both', async () => {
      const f = await receive(fx.main, 10);
      const kid = await make([[f, 2]], 2);
      must(await door.call(U.eve, 'set_batch_status', { _brand_id: fx.brandA, _batch_id: kid, _status: 'ready_for_sale' }));
      const r1 = must<RecallReport>(await recall(kid, { _reason: 'first' }));
      const r2 = must<RecallReport>(await recall(f, { _reason: 'second' }));
      expect(r2.batches.find((b) => b.batch_id === kid)).toMatchObject({ changed: false, previous_status: 'ready_for_sale' });
      expectError(await door.call(U.eve, 'lift_recall', { _brand_id: fx.brandA, _recall_id: r1.recall.id, _reason: 'ok' }), '42501', 403);
      expectError(await door.call(U.adam, 'lift_recall', { _brand_id: fx.brandA, _recall_id: r1.recall.id, _reason: '' }), '22023', 400, '_reason');
      const lifted1 = must<RecallReport>(await door.call(U.adam, 'lift_recall', { _brand_id: fx.brandA, _recall_id: r1.recall.id, _reason: 'lab retest negative' }));
      expect(lifted1.recall).toMatchObject({ status: 'lifted', lifted_by: U.adam.sub, lift_reason: 'lab retest negative' });
      expect(lifted1.batches[0]).toMatchObject({ batch_id: kid, status: 'recalled' }); // still under r2
      const twice = await door.call(U.adam, 'lift_recall', { _brand_id: fx.brandA, _recall_id: r1.recall.id, _reason: 'again' });
      expectError(twice, 'PT409', 409, '_recall_id');
      expect(details(twice).state).toBe('lifted');
      const lifted2 = must<RecallReport>(await door.call(U.adam, 'lift_recall', { _brand_id: fx.brandA, _recall_id: r2.recall.id, _reason: 'supplier cleared' }));
      expect(lifted2.batches.map((b) => [b.batch_id, b.status]).sort()).toEqual([[f, 'received'], [kid, 'ready_for_sale']].sort());
      const row = must<{ status: string; recall_message: string | null }>(await door.call(U.vic, 'find_batch', { _brand_id: fx.brandA, _batch_id: kid }));
      expect(row).toMatchObject({ status: 'ready_for_sale', recall_message: null });
      // usable again
      must(await produce({ _inputs: [{ batch_id: kid, quantity: 1 }], _quantity: 1, _product_id: fx.sauce, _batch_number: uniq('OK') }));
      expect(must<{ status: string }[]>(await door.call(U.vic, 'list_recalls', { _brand_id: fx.brandA, _status: 'lifted', _limit: 100 }))
        .every((r) => r.status === 'lifted')).toBe(true);
    });

    it('a recall of a batch whose descendants span 5 levels and several locations blocks every unit', async () => {
      const root = await receive(fx.main, 1000);
      const levels: { id: string; loc: string }[][] = [[{ id: root, loc: fx.main }]];
      const locations = [fx.main, fx.shop, fx.back];
      for (let depth = 1; depth <= 5; depth++) {
        const next: { id: string; loc: string }[] = [];
        for (const [i, parent] of levels[depth - 1]!.entries()) {
          if (depth % 2 === 1) {
            // a production where the parent lies (the output stays there)
            next.push({ id: await make([[parent.id, 2]], 20, fx.sauce, parent.loc), loc: parent.loc });
          } else {
            // a split: the parts spread over the other locations
            const to = [locations[(i + 1) % 3]!, locations[(i + 2) % 3]!].map((l) => (l === parent.loc ? locations[i % 3]! : l));
            const ev = must<GenealogyEvent>(await door.call(U.eve, 'split_batch', {
              _brand_id: fx.brandA, _batch_id: parent.id, _location_id: parent.loc,
              _parts: to.map((location_id) => ({ quantity: 3, location_id })),
            }));
            next.push(...ev.outputs.map((o) => ({ id: o.batch_id, loc: o.location_id })));
          }
        }
        levels.push(next);
      }
      const all = levels.flat().map((x) => x.id);
      const report = must<RecallReport>(await recall(root));
      expect(report.batches.length).toBe(all.length);
      expect(Math.max(...report.batches.map((b) => b.depth))).toBe(5);
      expect(report.batches.every((b) => b.status === 'recalled')).toBe(true);
      expect(new Set(report.batches.flatMap((b) => b.stock.map((s) => s.location_id)))).toEqual(new Set(locations));
      // every unit, everywhere: no reservation and no consumption takes any of it
      let blocked = 0;
      for (const b of report.batches) {
        for (const s of b.stock) {
          const t = await door.call(U.eve, 'create_transfer', {
            _brand_id: fx.brandA, _from_location_id: s.location_id, _to_location_id: s.location_id === fx.main ? fx.shop : fx.main,
            _lines: [{ batch_id: b.batch_id, quantity: s.available }] });
          expectError(t, 'PT409', 409, '_lines[0].batch_id');
          const p = await produce({ _location_id: s.location_id, _inputs: [{ batch_id: b.batch_id, quantity: s.available }], _quantity: 1, _product_id: fx.sauce, _batch_number: uniq('NO') });
          expectError(p, 'PT409', 409, '_inputs[0].batch_id');
          expect(details(p).rule).toBe('recalled');
          blocked += s.quantity;
        }
      }
      expect(blocked).toBe(report.quantity);
      expect(report.quantity).toBeGreaterThan(0);
    });
  });
}
