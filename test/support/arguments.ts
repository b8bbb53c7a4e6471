// The argument generator the isolation and fuzz tests share: for every argument name of every api
// function it knows (a) whether the argument identifies something of a brand ("id-like": ids, codes,
// external ids, idempotency keys, JSON payloads that reference rows) and (b) a valid value taken from
// a given brand's fixture. An argument name the generator does not know is reported by
// `unknownArguments`, and the tests fail on it, naming the argument to map — a new function cannot
// slip through.
import type { Catalog, PgFunction } from '../../src/catalog/introspect.ts';
import type { BrandFx } from './brand-fixture.ts';

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
  'claim_gtin_prefix._kind': val(() => 'gtin'),
  'list_gtin_claims._status': val(() => 'pending'),
  'list_mint_jobs._status': val(() => 'queued'),
  'add_brand_member._role': val(() => 'viewer'),
  'update_product._patch': id((c) => ({ supplier_id: c.src.supplier, external_id: c.src.productExt, sku: `${c.src.marker}-SKU` }),
    (c) => ({ supplier_id: c.src.supplier, external_id: k(c, 'NEWPEXT') })),
  'update_due_diligence_statement._patch': val((c) => ({ description: `${c.src.marker} statement ${c.n}`, hs_code: '1801' })),
  'list_due_diligence_statements._status': val(() => 'draft'),
  'record_due_diligence_decision._decision': val(() => 'accepted'),
  'produce_batch._kind': val(() => 'production'),
  'trace_batch._direction': val(() => 'both'),
  'list_recalls._status': val(() => 'active'),
  'reserve_picks._lines': id((c) => [{ batch_id: c.src.batch, quantity: 1 }]),
  'list_holds._status': val(() => 'open'),
  'list_picks._status': val(() => 'reserved'),
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
  _dds_id: id((c) => c.src.dds),
  _inbound_id: id((c) => c.src.inbound),
  _supplier_id: id((c) => c.src.supplier),
  _user_id: id((c) => c.src.viewer),
  _supersedes_id: id((c) => c.src.labResult),
  _hold_id: id((c) => c.src.hold),
  _pick_id: id((c) => c.src.pick),
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
  _claim_id: id((c) => c.src.claim),
  _job_id: id((c) => c.src.mintJob),
  _prefix: id((c) => c.src.gtin),
  _inputs: id((c) => [{ batch_id: c.src.batch, quantity: 1 }]),
  _parts: val(() => [{ quantity: 1 }]),
  _output_batch_id: id((c) => c.src.producedBatch),
  _output_location_id: id((c) => c.src.location2),
  _into_batch_id: id((c) => c.src.batch),
  _recall_id: id((c) => c.src.recall),
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
  _display_name: val((c) => `security test ${c.n}`),
  _evidence: val((c) => `security test evidence ${c.n}`),
  _scheme: val(() => 'random'),
  _alphabet: val(() => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'),
  _length: val(() => 12),
  _verification_number: val((c) => `VRF-${c.n}`),
  _max_depth: val(() => 10),
  _max_edges: val(() => 1000),
  _include_downstream: val(() => true),
  _result: val(() => 'pass'),
  _analytes: val(() => [{ name: 'cbd', value: 1.5, unit: '%', result: 'pass' }]),
  _lab_name: val((c) => `Lab ${c.n}`),
  _sample_id: val((c) => `S-${c.n}`),
  _sampled_on: val(() => '2026-01-02'),
  _tested_on: val(() => '2026-01-03'),
  _certificate_url: val((c) => `https://coa.example.test/${c.n}.pdf`),
  _certificate_sha256: val(() => 'c0ffee'.repeat(10) + 'c0ff'),
  _data: val(() => ({ panel: 'potency' })),
  _correction_reason: val((c) => `correction ${c.n}`),
  _include_superseded: val(() => true),
  _reason_code: val(() => 'regulatory'),
  _requires_lab_result: val(() => false),
  _within_days: val(() => 30),
  _include_expired: val(() => true),
  _min_remaining_days: val(() => 0),
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
