// "One of everything" in a brand, built through the api as the brand's owner (the isolation, fuzz and
// fault tests' fixture), and the brand's secrets: every value that identifies or describes it, so a
// response can be searched for a leak.
import type { Sql } from 'postgres';
import { must, type DoorResult, type Who } from './door.ts';
import { dataTables } from './data-fingerprint.ts';

/** How the fixture and the argument generator's callers reach the api (sqlCall or httpCall over a test database). */
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
  /** the draft due-diligence statement upsert_batches drafted for the synced batch */
  dds: string;
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
  /** the brand's verified claim to its product's GTIN */
  claim: string;
  /** a queued mint job (no worker runs in the security tests) */
  mintJob: string;
  /** made from `batch` by a production; recalled (recall) */
  producedBatch: string;
  recall: string;
  labResult: string;
  hold: string;
  pick: string;
  webhook: string;
  /** a webhook delivery with a logged attempt (when buildBrand is given the superuser connection to act as the delivery worker) */
  delivery: string | null;
  feedCursor: string;
}

/** The platform administrator who verifies the fixture brands' GTIN claims. */
export const PLATFORM_ADMIN = { sub: 'sec-platform-admin', scope: 'platform:admin' };

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
  // the brand owns its GTIN (verified claim): the public views answer for it, with this display name
  const claim = must<{ id: string }>(await call(owner, 'claim_gtin_prefix', {
    _brand_id: b, _prefix: gtin, _kind: 'gtin', _display_name: `${marker} brand`, _evidence: `${marker} licence`,
  }), 'claim_gtin_prefix');
  must(await call(PLATFORM_ADMIN, 'verify_gtin_claim', { _brand_id: b, _claim_id: claim.id, _note: `${marker} checked` }), 'verify_gtin_claim');
  must(await call(owner, 'set_serial_format', { _brand_id: b, _length: 12 }), 'set_serial_format');
  const batchNumber = `${marker}-LOT`;
  const batch = must<{ id: string; public_id: string }>(await call(owner, 'create_product_batch', {
    _brand_id: b, _product_id: product.id, _batch_number: batchNumber, _quantity: 10, _external_id: `${marker}-BEXT`,
    _facility_ref: `${marker}-FAC`, _attributes: { secret: `${marker} attribute` }, _production_date: '2026-01-15', _expiry_date: '2030-01-01',
  }), 'create_product_batch');
  const synced = must<{ ddsCreated: { ddsId: string }[] }>(await call(owner, 'upsert_batches', {
    _brand_id: b, _auto_create_dds: true,
    _batches: [{ externalId: `${marker}-SB`, productExternalId: `${marker}-ITEM`, batchNumber: `${marker}-SLOT`, quantity: 5, unit: 'kg' }],
  }), 'upsert_batches');
  must(await call(owner, 'update_due_diligence_statement', {
    _brand_id: b, _dds_id: synced.ddsCreated[0]!.ddsId, _patch: { description: `${marker} statement`, hs_code: '1801' },
  }), 'update_due_diligence_statement');
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
  const job = must<{ job_id: string }>(await call(owner, 'mint_serials', { _brand_id: b, _batch_id: batch.id, _count: 10_001 }), 'mint_serials (job)');
  const importedSerial = `${marker}X1`;
  must(await call(owner, 'import_serials', { _brand_id: b, _batch_id: batch.id, _serials: [importedSerial] }), 'import_serials');
  const serials = must<{ code: string; serial_number: string }[]>(await call(owner, 'list_batch_serials', { _brand_id: b, _batch_id: batch.id }), 'list_batch_serials');
  must(await call(owner, 'void_serial', { _brand_id: b, _batch_id: batch.id, _code: serials[1]!.code, _reason: `${marker} void` }), 'void_serial');
  // genealogy and a recall: a batch made from the main batch, then recalled (the main batch stays usable)
  const produced = must<{ outputs: { batch_id: string }[] }>(await call(owner, 'produce_batch', {
    _brand_id: b, _location_id: loc.id, _inputs: [{ batch_id: batch.id, quantity: 1 }], _quantity: 2, _product_id: product.id,
    _batch_number: `${marker}-OUT`, _note: `${marker} production note`,
  }), 'produce_batch');
  const producedBatch = produced.outputs[0]!.batch_id;
  const recall = must<{ recall: { id: string } }>(await call(owner, 'recall_batch', {
    _brand_id: b, _batch_id: producedBatch, _reason: `${marker} recall reason` }), 'recall_batch');
  // quality: a release rule, a lab result with analytes, a pick list reserved by first expiry, a hold at the second location
  must(await call(owner, 'set_release_rule', { _brand_id: b, _product_id: product.id, _requires_lab_result: false }), 'set_release_rule');
  const labResult = must<{ id: string }>(await call(owner, 'record_lab_result', {
    _brand_id: b, _batch_id: batch.id, _result: 'pass', _lab_name: `${marker} lab`, _sample_id: `${marker}-SAMPLE`,
    _analytes: [{ name: 'thc', display_name: `${marker} THC`, value: 20.5, unit: '%' }], _data: { secret: `${marker} lab data` },
  }), 'record_lab_result');
  const suggestion = must<{ lines: { batch_id: string; quantity: number }[] }>(await call(owner, 'suggest_picks', {
    _brand_id: b, _product_id: product.id, _location_id: loc.id, _quantity: 2,
  }), 'suggest_picks');
  const pick = must<{ id: string }>(await call(owner, 'reserve_picks', {
    _brand_id: b, _product_id: product.id, _location_id: loc.id, _note: `${marker} pick note`,
    _lines: suggestion.lines.map((l) => ({ batch_id: l.batch_id, quantity: l.quantity })),
  }), 'reserve_picks');
  const hold = must<{ id: string }>(await call(owner, 'place_hold', {
    _brand_id: b, _batch_id: batch.id, _reason_code: 'damaged', _note: `${marker} hold note`, _location_id: loc2.id,
  }), 'place_hold');
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
    syncedBatchExt: `${marker}-SB`, syncedBatchNumber: `${marker}-SLOT`, dds: synced.ddsCreated[0]!.ddsId,
    location: loc.id, location2: loc2.id, locationName: `${marker} warehouse`,
    inbound: inbound.id, inboundRef: `${marker}-REF`, inboundExtRef: `${marker}-XREF`,
    transfer: transfer.id,
    serialCode: serials[0]!.code, serialNumber: serials[0]!.serial_number, voidedCode: serials[1]!.code, importedSerial,
    cursor: page.next_cursor,
    digitalLink: `https://id.example.test/01/${gtin14}/10/${encodeURIComponent(batchNumber)}/21/${serials[0]!.serial_number}`,
    movementId: Number(moves[0]!.id),
    claim: claim.id,
    mintJob: job.job_id,
    producedBatch, recall: recall.recall.id,
    labResult: labResult.id, hold: hold.id, pick: pick.id,
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
  // the audit trail and the outbox copy values of the other tables (read there, with their kind)
  const tables = (await dataTables(admin)).filter((t) => t.name !== 'audit_events' && t.name !== 'events');
  const out = new Map<string, Secret>();
  const consumerCols = new Set(['brands.name', 'gtin_claims.display_name', 'products.name', 'batches.batch_number', 'products.gtin', 'batches.public_id', 'serials.serial_number', 'batches.recall_message']);
  const add = (value: string, where: string, kind: Secret['kind'] = 'internal') => {
    if (value.length < 6) return;
    const prev = out.get(value);
    if (!prev || (prev.kind === 'consumer' && kind === 'internal')) out.set(value, { value, kind, where });
  };
  for (const t of tables) {
    const rows = await admin.unsafe<{ j: Record<string, unknown> }[]>(
      `select to_jsonb(x) as j from data."${t.name}" x where x."${t.brandColumn}" = $1`, [fx.brand]);
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
