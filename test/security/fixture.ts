// "One of everything" in a brand, built through the api as the brand's owner, plus the argument
// generator the isolation and fuzz tests share: for every argument name of every api function it
// knows (a) whether the argument identifies something of a brand ("id-like": ids, codes, external
// ids, idempotency keys, JSON payloads that reference rows) and (b) a valid value taken from a given
// brand's fixture. An argument name the generator does not know is reported by `unknownArguments`,
// and the tests fail on it, naming the argument to map — a new function cannot slip through.
import type { Sql } from 'postgres';
import type { Catalog, PgFunction } from '../../src/catalog/introspect.ts';
import type { DoorResult } from '../cases/core.ts';

export type Who = { sub: string; scope?: string };
export type Call = (who: Who | null, fn: string, args: Record<string, unknown>) => Promise<DoorResult>;

export interface BrandFx {
  label: string;
  /** a string that every free-text value of this brand contains */
  marker: string;
  owner: string;
  viewer: string;
  brand: string;
  brandName: string;
  slug: string;
  supplier: string;
  supplierExt: string;
  product: string;
  productExt: string;
  syncedProductExt: string;
  gtin: string;
  sku: string;
  ean: string;
  articleCode: string;
  batch: string;
  batchNumber: string;
  batchExt: string;
  publicId: string;
  syncedBatchExt: string;
  syncedBatchNumber: string;
  location: string;
  location2: string;
  locationName: string;
  inbound: string;
  inboundRef: string;
  inboundExtRef: string;
  transfer: string;
  serialCode: string;
  serialNumber: string;
  voidedCode: string;
  importedSerial: string;
  cursor: string | null;
  digitalLink: string;
  movementId: number;
  webhook: string;
  /** a webhook delivery (queued when buildBrand is given the superuser connection to run the worker's dispatch) */
  delivery: string | null;
  feedCursor: string;
}

function must<T>(r: DoorResult, what: string): T {
  if (!r.ok) throw new Error(`fixture: ${what} failed: ${r.status ?? ''} ${JSON.stringify(r.error)}`);
  return r.data as T;
}

/** A GTIN-13 with a valid check digit. */
export function gtin13(seed: string): string {
  let digits = '';
  for (const ch of seed) digits += String(ch.charCodeAt(0) % 10);
  digits = ('4' + digits + '000000000000').slice(0, 12);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[11 - i]) * (i % 2 === 0 ? 3 : 1);
  return digits + String((10 - (sum % 10)) % 10);
}

const rand = (n: number) => Array.from({ length: n }, () => 'abcdefghjkmnpqrstuvwxyz23456789'[Math.floor(Math.random() * 31)]).join('');

/** Build one of everything in a new brand owned by `sec-<label>-owner-<tag>`. */
export async function buildBrand(call: Call, label: string, admin?: Sql): Promise<BrandFx> {
  const tag = rand(6);
  const marker = `Zq${label}${tag}`; // distinctive: appears in every free-text value of the brand
  const owner = { sub: `sec-${label.toLowerCase()}-owner-${tag}` };
  const viewer = `sec-${label.toLowerCase()}-viewer-${tag}`;
  const slug = `${marker.toLowerCase()}-slug`;
  const brand = must<{ id: string; name: string }>(await call(owner, 'create_brand', { _name: `${marker} brand`, _slug: slug }), 'create_brand');
  const b = brand.id;
  must(await call(owner, 'add_brand_member', { _brand_id: b, _user_id: viewer, _role: 'viewer' }), 'add_brand_member');
  const sup = must<{ records: { internalId: string }[] }>(await call(owner, 'upsert_suppliers', {
    _brand_id: b, _suppliers: [{ externalId: `${marker}-SUP`, name: `${marker} supplier`, country: 'DE', email: `${marker.toLowerCase()}@example.test` }],
  }), 'upsert_suppliers');
  const gtin = gtin13(tag + label);
  const ean = gtin13(`${label}${tag}e`);
  const product = must<{ id: string; gtin: string }>(await call(owner, 'create_product', {
    _brand_id: b, _name: `${marker} product`, _gtin: gtin, _sku: `${marker}-SKU`, _ean: ean, _article_code: `${marker}-ART`,
    _unit: 'kg', _serialized: true, _external_id: `${marker}-PEXT`, _supplier_id: sup.records[0]!.internalId, _attributes: { secret: `${marker} attribute` },
  }), 'create_product');
  must(await call(owner, 'upsert_products', {
    _brand_id: b, _products: [{ externalId: `${marker}-ITEM`, name: `${marker} synced product`, supplierExternalId: `${marker}-SUP`, sku: `${marker}-SSKU` }],
  }), 'upsert_products');
  const batchNumber = `${marker}-LOT`;
  const batch = must<{ id: string; public_id: string }>(await call(owner, 'create_product_batch', {
    _brand_id: b, _product_id: product.id, _batch_number: batchNumber, _quantity: 10, _external_id: `${marker}-BEXT`,
    _facility_ref: `${marker}-FAC`, _attributes: { secret: `${marker} attribute` }, _production_date: '2026-01-15', _expiry_date: '2030-01-01',
  }), 'create_product_batch');
  must(await call(owner, 'upsert_batches', {
    _brand_id: b, _auto_create_dds: true,
    _batches: [{ externalId: `${marker}-SB`, productExternalId: `${marker}-ITEM`, batchNumber: `${marker}-SLOT`, quantity: 5, unit: 'kg' }],
  }), 'upsert_batches');
  const loc = must<{ id: string }>(await call(owner, 'create_location', { _brand_id: b, _name: `${marker} warehouse`, _kind: 'warehouse', _note: `${marker} note` }), 'create_location');
  const loc2 = must<{ id: string }>(await call(owner, 'create_location', { _brand_id: b, _name: `${marker} shop`, _kind: 'shop' }), 'create_location');
  const inbound = must<{ id: string }>(await call(owner, 'receive_inbound', {
    _brand_id: b, _location_id: loc.id, _reference: `${marker}-REF`, _external_reference: `${marker}-XREF`, _note: `${marker} inbound note`,
    _lines: [{ product_id: product.id, batch_number: batchNumber, quantity: 50 }],
  }), 'receive_inbound');
  must(await call(owner, 'adjust_stock', { _brand_id: b, _batch_id: batch.id, _location_id: loc.id, _delta: -1, _reason: `${marker} breakage` }), 'adjust_stock');
  const transfer = must<{ id: string }>(await call(owner, 'create_transfer', {
    _brand_id: b, _from_location_id: loc.id, _to_location_id: loc2.id, _lines: [{ batch_id: batch.id, quantity: 5 }], _note: `${marker} transfer note`,
  }), 'create_transfer');
  must(await call(owner, 'mint_serials', { _brand_id: b, _batch_id: batch.id, _count: 3 }), 'mint_serials');
  const importedSerial = `${marker}X1`;
  must(await call(owner, 'import_serials', { _brand_id: b, _batch_id: batch.id, _serials: [importedSerial] }), 'import_serials');
  const serials = must<{ code: string; serial_number: string }[]>(await call(owner, 'list_batch_serials', { _brand_id: b, _batch_id: batch.id }), 'list_batch_serials');
  must(await call(owner, 'void_serial', { _brand_id: b, _batch_id: batch.id, _code: serials[1]!.code, _reason: `${marker} void` }), 'void_serial');
  const page = must<{ next_cursor: string | null }>(await call(owner, 'search_batches', { _brand_id: b, _limit: 1 }), 'search_batches');
  const moves = must<{ id: number }[]>(await call(owner, 'list_stock_movements', { _brand_id: b }), 'list_stock_movements');
  const gtin14 = product.gtin;
  const webhook = must<{ webhook: { id: string } }>(await call(owner, 'create_webhook', {
    _brand_id: b, _url: `https://${marker.toLowerCase()}.example.test/hook`, _description: `${marker} webhook`,
  }), 'create_webhook').webhook.id;
  must(await call(owner, 'set_batch_status', { _brand_id: b, _batch_id: batch.id, _status: 'received' }), 'set_batch_status');
  const changes = must<{ cursor: string }[]>(await call(owner, 'list_changes', { _brand_id: b }), 'list_changes');
  let delivery: string | null = null;
  if (admin) {
    // what the delivery worker would do: queue a delivery for the brand's events and log an attempt
    for (let i = 0; i < 400 && !delivery; i++) {
      await admin`select app.webhook_dispatch()`;
      for (const c of await admin<{ brand_id: string; delivery_id: string; attempt: number }[]>`select * from app.webhook_claim('fixture')`) {
        await admin`select app.webhook_record(${c.brand_id}, ${c.delivery_id}, ${c.attempt}, 'fixture', now(), 503, 'fixture', 0)`;
      }
      const rows = await admin<{ id: string }[]>`select delivery_id as id from data.webhook_attempts where brand_id = ${b} limit 1`;
      delivery = rows[0]?.id ?? null;
      if (!delivery) await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    label, marker, owner: owner.sub, viewer, brand: b, brandName: brand.name, slug,
    supplier: sup.records[0]!.internalId, supplierExt: `${marker}-SUP`,
    product: product.id, productExt: `${marker}-PEXT`, syncedProductExt: `${marker}-ITEM`,
    gtin, sku: `${marker}-SKU`, ean, articleCode: `${marker}-ART`,
    batch: batch.id, batchNumber, batchExt: `${marker}-BEXT`, publicId: batch.public_id,
    syncedBatchExt: `${marker}-SB`, syncedBatchNumber: `${marker}-SLOT`,
    location: loc.id, location2: loc2.id, locationName: `${marker} warehouse`,
    inbound: inbound.id, inboundRef: `${marker}-REF`, inboundExtRef: `${marker}-XREF`,
    transfer: transfer.id,
    serialCode: serials[0]!.code, serialNumber: serials[0]!.serial_number, voidedCode: serials[1]!.code, importedSerial,
    cursor: page.next_cursor,
    digitalLink: `https://id.example.test/01/${gtin14}/10/${encodeURIComponent(batchNumber)}/21/${serials[0]!.serial_number}`,
    movementId: Number(moves[0]!.id),
    webhook, delivery, feedCursor: changes[0]?.cursor ?? '0:0',
  };
}

export interface Secret {
  value: string;
  /** consumer: may legitimately appear in the public consumer view of the brand's own codes */
  kind: 'internal' | 'consumer';
  where: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Everything that identifies or describes the brand, read from its rows as the superuser: every uuid,
 * every string containing the marker, serial codes, public ids, the GTIN, member subs.
 */
export async function brandSecrets(admin: Sql, fx: BrandFx): Promise<Secret[]> {
  const tables = await admin<{ name: string; has_brand: boolean }[]>`
    select c.relname as name, exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'brand_id') as has_brand
      from pg_class c where c.relnamespace = 'data'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
       -- the audit trail and the outbox copy values of the other tables (read there, with their kind)
       and c.relname not in ('audit_events', 'events')`;
  const out = new Map<string, Secret>();
  const consumerCols = new Set(['brands.name', 'products.name', 'batches.batch_number', 'products.gtin', 'batches.public_id', 'serials.serial_number', 'batches.recall_message']);
  const add = (value: string, where: string, kind: Secret['kind'] = 'internal') => {
    if (value.length < 6) return;
    const prev = out.get(value);
    if (!prev || (prev.kind === 'consumer' && kind === 'internal')) out.set(value, { value, kind, where });
  };
  for (const t of tables) {
    const rows = await admin.unsafe<{ j: Record<string, unknown> }[]>(
      `select to_jsonb(x) as j from data."${t.name}" x where x."${t.has_brand ? 'brand_id' : 'id'}" = $1`, [fx.brand]);
    for (const { j } of rows) {
      const walk = (v: unknown, col: string) => {
        if (typeof v === 'string') {
          const where = `${t.name}.${col}`;
          if (UUID.test(v)) add(v.toLowerCase(), where);
          else if (v.includes(fx.marker) || v.toLowerCase().includes(fx.marker.toLowerCase())) add(v, where, consumerCols.has(where) ? 'consumer' : 'internal');
          else if (['serials.code', 'batches.public_id', 'products.gtin', 'products.ean'].includes(where)) add(v, where, consumerCols.has(where) ? 'consumer' : 'internal');
        } else if (Array.isArray(v)) v.forEach((x) => walk(x, col));
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${col}.${k}`);
      };
      for (const [col, v] of Object.entries(j)) walk(v, col);
    }
  }
  add(fx.owner, 'brand_members.user_id');
  add(fx.viewer, 'brand_members.user_id');
  return [...out.values()];
}

/**
 * Secrets found in `text` that were not sent in `sent` (an echo of the caller's own input is not a leak).
 * A consumer value contained in another consumer value (the GTIN-13 inside the GTIN-14) counts once.
 */
export function leakedSecrets(text: string, sent: string, secrets: Secret[], kinds: Secret['kind'][] = ['internal', 'consumer']): Secret[] {
  const lower = text.toLowerCase();
  const sentLower = sent.toLowerCase();
  return secrets.filter((s) => kinds.includes(s.kind) && lower.includes(s.value.toLowerCase()) && !sentLower.includes(s.value.toLowerCase()));
}

// ---------------------------------------------------------------- argument generator

export interface GenContext {
  fn: string;
  /** the brand the argument's value comes from */
  src: BrandFx;
  /** a counter for unique free-text values */
  n: number;
}

interface ArgSpec {
  /** identifies something of a brand (or a JSON payload that references brand rows) */
  idLike: boolean;
  /** an existing value of the source brand */
  gen: (c: GenContext) => unknown;
  /** for unique keys (external ids, numbers, slugs): a new value in the source brand, colliding with nothing */
  fresh?: (c: GenContext) => unknown;
}

const id = (gen: ArgSpec['gen'], fresh?: ArgSpec['fresh']): ArgSpec => ({ idLike: true, gen, fresh });
const val = (gen: ArgSpec['gen']): ArgSpec => ({ idLike: false, gen });
const k = (c: GenContext, what: string) => `${c.src.marker}-${what}${c.n}`;

/** Per-function meaning of an argument name, where the name alone is ambiguous (key `fn.arg`). */
const BY_FUNCTION: Record<string, ArgSpec> = {
  'create_transfer._lines': id((c) => [{ batch_id: c.src.batch, quantity: 1 }]),
  'update_transfer._lines': id((c) => [{ batch_id: c.src.batch, quantity: 2 }]),
  'receive_inbound._lines': id((c) => [{ product_id: c.src.product, batch_number: c.src.batchNumber, quantity: 1 }],
    (c) => [{ product_id: c.src.product, batch_number: k(c, 'NEWLOT'), quantity: 1 }]),
  'create_product._external_id': id((c) => c.src.productExt, (c) => k(c, 'NEWPEXT')),
  'create_product._name': id((c) => `${c.src.marker} product ${c.n}`),
  'create_location._name': id((c) => `${c.src.marker} place ${c.n}`),
  'rename_location._name': id((c) => `${c.src.marker} renamed ${c.n}`),
  'create_brand._name': id((c) => `${c.src.marker} brand ${c.n}`),
  'set_batch_status._status': val(() => 'blocked'),
  'list_transfers._status': val(() => 'pending'),
  'list_batch_serials._status': val(() => 'active'),
  'search_batches._status': val(() => 'active'),
  'lookup_serial._code': id((c) => c.src.serialCode),
  'void_serial._code': id((c) => c.src.serialCode),
  'resolve_serial._code': id((c) => c.src.serialCode),
  'add_brand_member._role': val(() => 'viewer'),
};

/** Meaning of an argument name in every function that has it. */
const BY_NAME: Record<string, ArgSpec> = {
  // ids of brand rows
  _brand_id: id((c) => c.src.brand),
  _product_id: id((c) => c.src.product),
  _batch_id: id((c) => c.src.batch),
  _location_id: id((c) => c.src.location),
  _from_location_id: id((c) => c.src.location),
  _to_location_id: id((c) => c.src.location2),
  _transfer_id: id((c) => c.src.transfer),
  _inbound_id: id((c) => c.src.inbound),
  _supplier_id: id((c) => c.src.supplier),
  _user_id: id((c) => c.src.viewer),
  // codes, external keys and search terms that name brand rows
  _code: id((c) => c.src.serialCode),
  _public_id: id((c) => c.src.publicId),
  _uri: id((c) => c.src.digitalLink),
  _cursor: id((c) => c.src.cursor),
  _external_id: id((c) => c.src.batchExt, (c) => k(c, 'NEWBEXT')),
  _external_reference: id((c) => c.src.inboundExtRef, (c) => k(c, 'NEWXREF')),
  _reference: id((c) => c.src.inboundRef, (c) => k(c, 'NEWREF')),
  _batch_number: id((c) => c.src.batchNumber, (c) => k(c, 'NEWLOT')),
  _gtin: id((c) => c.src.gtin),
  _ean: id((c) => c.src.ean),
  _sku: id((c) => c.src.sku),
  _article_code: id((c) => c.src.articleCode),
  _term: id((c) => c.src.marker),
  _slug: id((c) => c.src.slug, (c) => k(c, 'newslug').toLowerCase()),
  _name: id((c) => `${c.src.marker} ${c.n}`),
  _serials: id((c) => [`${c.src.importedSerial}`], (c) => [`${c.src.marker}N${c.n}`]),
  _patch: id((c) => ({ batch_number: `${c.src.batchNumber}`, external_id: c.src.batchExt, facility_ref: `${c.src.marker}-FAC` }),
    (c) => ({ batch_number: k(c, 'NEWLOT'), external_id: k(c, 'NEWBEXT') })),
  _suppliers: id((c) => [{ externalId: c.src.supplierExt, name: `${c.src.marker} supplier` }],
    (c) => [{ externalId: k(c, 'NEWSUP'), name: `${c.src.marker} supplier ${c.n}` }]),
  _products: id((c) => [{ externalId: c.src.syncedProductExt, name: `${c.src.marker} synced product`, supplierExternalId: c.src.supplierExt }],
    (c) => [{ externalId: k(c, 'NEWITEM'), name: `${c.src.marker} product ${c.n}`, supplierExternalId: c.src.supplierExt }]),
  _batches: id((c) => [{ externalId: c.src.syncedBatchExt, productExternalId: c.src.syncedProductExt, batchNumber: c.src.syncedBatchNumber, quantity: 1 }],
    (c) => [{ externalId: k(c, 'NEWSB'), productExternalId: c.src.syncedProductExt, batchNumber: k(c, 'NEWSLOT'), quantity: 1 }]),
  _lines: id((c) => [{ batch_id: c.src.batch, quantity: 1 }]),
  // events room: endpoints, deliveries, feed cursors, audit row ids
  _webhook_id: id((c) => c.src.webhook),
  _delivery_id: id((c) => c.src.delivery ?? '00000000-0000-4000-8000-000000000000'),
  _after: id((c) => c.src.feedCursor),
  _row_id: id((c) => c.src.batch),
  _url: id((c) => `https://${c.src.marker.toLowerCase()}.example.test/hook${c.n}`),
  _description: val((c) => `security test ${c.n}`),
  // plain values
  _quantity: val(() => 3),
  _delta: val(() => 1),
  _count: val(() => 2),
  _reason: val((c) => `security test ${c.n}`),
  _note: val((c) => `security test ${c.n}`),
  _status: val(() => 'active'),
  _kind: val(() => 'warehouse'),
  _role: val(() => 'viewer'),
  _limit: val(() => 5),
  _offset: val(() => 0),
  _page: val(() => 1),
  _after_seq: val(() => 0),
  _before_id: val(() => 2_000_000_000),
  _since: val(() => '2000-01-01T00:00:00Z'),
  _created_from: val(() => '2000-01-01T00:00:00Z'),
  _created_to: val(() => '2100-01-01T00:00:00Z'),
  _updated_from: val(() => '2000-01-01T00:00:00Z'),
  _updated_to: val(() => '2100-01-01T00:00:00Z'),
  _received_from: val(() => '2000-01-01'),
  _received_to: val(() => '2100-01-01'),
  _production_date: val(() => '2026-01-01'),
  _expiry_date: val(() => '2031-01-01'),
  _received_date: val(() => '2026-02-01'),
  _include_archived: val(() => true),
  _include_empty: val(() => true),
  _include_total: val(() => true),
  _auto_create_dds: val(() => true),
  _expirable: val(() => false),
  _serialized: val(() => true),
  _on_error: val(() => 'proceed'),
  _sort: val(() => 'id'),
  _direction: val(() => 'asc'),
  _unit: val(() => 'kg'),
  _facility_ref: val((c) => `FAC-${c.n}`),
  _attributes: val(() => ({ origin: 'security-test' })),
  _expected_version: val(() => 1),
  _events: val(() => ['batch.*']),
  _max_attempts: val(() => 5),
  _table: val(() => 'batches'),
  _state: val(() => 'pending'),
  _before_seq: val(() => 2_000_000_000),
  _from: val(() => '2000-01-01T00:00:00Z'),
  _to: val(() => '2100-01-01T00:00:00Z'),
};

export function argSpec(fn: string, arg: string): ArgSpec | undefined {
  return BY_FUNCTION[`${fn}.${arg}`] ?? BY_NAME[arg];
}

/** `fn(arg)` for every argument of the exposed functions that the generator cannot fill. */
export function unknownArguments(catalog: Catalog): string[] {
  const out: string[] = [];
  for (const f of catalog.functions) {
    for (const a of f.inputs) {
      if (a.name === '' || !argSpec(f.name, a.name)) out.push(`api.${f.name}(${a.name || '<unnamed>'})`);
    }
  }
  return out;
}

export function idLikeArgs(f: PgFunction): string[] {
  return f.inputs.filter((a) => argSpec(f.name, a.name)?.idLike).map((a) => a.name);
}

/**
 * Arguments for one call: every required argument and every id-like optional one. `from(arg)` picks
 * the brand fixture each argument's value comes from; `fresh(arg)` asks for a new unique key instead
 * of an existing one (so a call is not stopped early by a duplicate of the caller's own data).
 */
export function buildArgs(
  f: PgFunction, from: (arg: string) => BrandFx, n: number, fresh: (arg: string) => boolean = () => false,
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const a of f.inputs) {
    const spec = argSpec(f.name, a.name);
    if (!spec) throw new Error(`no generator for api.${f.name}(${a.name})`);
    if (a.hasDefault && !spec.idLike) continue;
    const c = { fn: f.name, src: from(a.name), n };
    args[a.name] = fresh(a.name) && spec.fresh ? spec.fresh(c) : spec.gen(c);
  }
  return args;
}

/** A valid value for any argument (the fuzz test's "well-formed" alternative). */
export function validValue(fn: string, arg: string, src: BrandFx, n: number): unknown {
  const spec = argSpec(fn, arg);
  if (!spec) throw new Error(`no generator for api.${fn}(${arg})`);
  return spec.gen({ fn, src, n });
}
