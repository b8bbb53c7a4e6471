// Type-level tests of generated/database.ts as @supabase/postgrest-js reads it. Compiled by
// `tsc --noEmit -p test/types/tsconfig.json` (test/codegen/typecheck.test.ts), never run.
// Each `@ts-expect-error TSxxxx` line must fail to compile with exactly that code: tsc reports an
// unused directive if it compiles, and the typecheck test recompiles without the directives to
// check the code, so a line cannot pass by failing for another reason.
import { PostgrestClient } from '@supabase/postgrest-js';
import type { CompositeType, Database, FunctionArgs, FunctionReturns, Json } from '../../generated/database.ts';
import { check, type Equal } from './util.ts';

type Batch = Database['api']['CompositeTypes']['batch'];
declare const brandId: string;
declare const productId: string;

// both ways of naming the schema work: the only schema key is the default, or pass it explicitly
const pg = new PostgrestClient<Database>('http://localhost:3000', { headers: { Authorization: 'Bearer x' } });
const pgApi = new PostgrestClient<Database, { PostgrestVersion: '12' }, 'api'>('http://localhost:3000');

export async function correctCalls(): Promise<void> {
  // a single composite result
  const created = await pg.rpc('create_product_batch', {
    _brand_id: brandId,
    _product_id: productId,
    _batch_number: 'L-2024-001',
    _quantity: 120.5,
    _production_date: '2024-05-01',
    _attributes: { line: 3, tags: ['organic'] },
  });
  check<Equal<typeof created.data, Batch | null>>();
  if (created.data) {
    check<Equal<typeof created.data.id, string | null>>();
    check<Equal<typeof created.data.quantity, number | null>>();
    check<Equal<typeof created.data.attributes, Json>>();
    check<Equal<typeof created.data.version, number | null>>();
  }
  // optional arguments may be omitted, or sent as null
  await pgApi.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-2', _expiry_date: null });

  // set-returning: the rows, shaped with select / eq / order / limit
  const list = await pg
    .rpc('list_product_batches', { _brand_id: brandId, _product_id: productId })
    .select('id, batch_number, quantity')
    .eq('status', 'active')
    .order('created_at', { ascending: false })
    .limit(10);
  check<Equal<typeof list.data, { id: string | null; batch_number: string | null; quantity: number | null }[] | null>>();
  const all = await pg.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId });
  check<Equal<typeof all.data, Batch[] | null>>();
  const one = await pg.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId }).eq('batch_number', 'L-1').single();
  check<Equal<typeof one.data, Batch | null>>();

  // no arguments
  const brands = await pg.rpc('list_my_brands');
  check<Equal<typeof brands.data, CompositeType<'brand'>[] | null>>();

  // nested composites: batch_page.items is api.batch[]
  const page = await pg.rpc('search_batches', { _brand_id: brandId, _limit: 20, _sort: 'created_at', _cursor: null });
  check<Equal<typeof page.data, CompositeType<'batch_page'> | null>>();
  const items: Batch[] | null | undefined = page.data?.items;
  check<Equal<typeof page.data extends null ? never : NonNullable<typeof page.data>['total'], number | null>>();
  void items;

  // jsonb argument
  await pg.rpc('update_product_batch', { _brand_id: brandId, _batch_id: 'b', _patch: { quantity: 3 }, _expected_version: 1 });

  // Known limitation of postgrest-js's rpc() signature (not of the generated type): once every
  // required argument is present, an extra or misspelled *optional* argument compiles, because the
  // literal itself becomes the inferred Args. The gateway answers 404 PGRST202 for it; the
  // server-side client rejects it at compile time (test/types/client.typecheck.ts).
  await pg.rpc('find_batch', { _brand_id: brandId, _batch_id: 'b', _product: productId });

  // the helper aliases
  check<Equal<FunctionReturns<'find_batch'>, Batch>>();
  check<Equal<FunctionArgs<'find_batch'>, { _brand_id: string; _batch_id: string }>>();
}

export async function compileErrors(): Promise<void> {
  // @ts-expect-error TS2345 misspelled function name
  await pg.rpc('create_product_bacth', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-1' });

  // @ts-expect-error TS2561 misspelled (required) argument name
  await pg.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_numbr: 'L-1' });

  // @ts-expect-error TS2322 wrong argument type (number for text)
  await pg.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 42 });

  // @ts-expect-error TS2322 wrong argument type (string for numeric)
  await pg.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-1', _quantity: '12' });

  // @ts-expect-error TS2741 missing required argument
  await pg.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId });

  // @ts-expect-error TS2322 arguments for a function that takes none
  await pg.rpc('list_my_brands', { _brand_id: brandId });

  const created = await pg.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-1' });
  // @ts-expect-error TS2339 reading a field the result does not have
  void created.data?.expiry;

  // @ts-expect-error TS2322 result fields are nullable (composite attributes cannot be NOT NULL)
  const id: string = created.data!.id;
  void id;

  const list = await pg.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId });
  // @ts-expect-error TS2339 a set-returning function's data is an array of rows
  void list.data?.batch_number;

  // @ts-expect-error TS2345 filtering on a column the rows do not have
  await pg.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId }).eq('colour', 'red');
}
