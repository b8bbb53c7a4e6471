// Type-level tests of the generated server-side client (generated/client.ts) and of the zod
// schemas' agreement with the Database type. Compiled by test/codegen/typecheck.test.ts, never run.
import postgres from 'postgres';
import type { z } from 'zod';
import { createClient, RpcError } from '../../generated/client.ts';
import type { CompositeType, FunctionArgs, FunctionName, FunctionReturns } from '../../generated/database.ts';
import { api } from '../../generated/zod.ts';
import { check, type Equal } from './util.ts';

declare const brandId: string;
declare const productId: string;
const lotline = createClient(postgres('postgres://authenticator@localhost/lotline'));

export async function correctCalls(): Promise<void> {
  const editor = lotline.as({ sub: 'user-1', scope: 'batches:read batches:write' });
  const batch = await editor.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-1', _quantity: 5 });
  check<Equal<typeof batch, CompositeType<'batch'>>>();
  check<Equal<typeof batch.id, string | null>>();

  const rows = await editor.rpc('list_product_batches', { _brand_id: brandId, _product_id: productId });
  check<Equal<typeof rows, CompositeType<'batch'>[]>>();

  const brands = await lotline.as({ sub: 'user-1' }).rpc('list_my_brands');
  check<Equal<typeof brands, CompositeType<'brand'>[]>>();
  await lotline.as({ sub: 'user-1' }).rpc('list_my_brands', {});

  // paging: next_cursor (string | null) goes straight back in
  const page = await editor.rpc('search_batches', { _brand_id: brandId, _limit: 10 });
  await editor.rpc('search_batches', { _brand_id: brandId, _limit: 10, _cursor: page.next_cursor });

  // traceability: nested composites come back typed
  const trace = await editor.rpc('trace_batch', { _brand_id: brandId, _batch_id: 'b-1', _direction: 'down', _max_depth: 5 });
  check<Equal<typeof trace, CompositeType<'trace'>>>();
  const report = await lotline.as({ sub: 'admin-1', scope: 'recall:write' }).rpc('recall_batch', { _brand_id: brandId, _batch_id: 'b-1', _reason: 'allergen' });
  check<Equal<typeof report, CompositeType<'recall_report'>>>();

  try {
    await editor.rpc('find_batch', { _brand_id: brandId, _batch_id: 'nope' });
  } catch (e) {
    if (e instanceof RpcError) {
      check<Equal<typeof e.code, string>>();
      check<Equal<typeof e.details, string | null>>();
      check<Equal<typeof e.hint, string | null>>();
    }
  }
}

export async function compileErrors(): Promise<void> {
  const u = lotline.as({ sub: 'user-1' });
  // @ts-expect-error TS2345 misspelled function name
  await u.rpc('create_product_bacth', { _brand_id: brandId, _product_id: productId, _batch_number: 'L-1' });

  // @ts-expect-error TS2561 misspelled required argument name
  await u.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_numbr: 'L-1' });

  // @ts-expect-error TS2322 misspelled optional argument (postgrest-js's rpc() lets this one through)
  await u.rpc('search_batches', { _brand_id: brandId, _limt: 10 });

  // @ts-expect-error TS2322 wrong argument type
  await u.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId, _batch_number: 42 });

  // @ts-expect-error TS2345 missing required argument
  await u.rpc('create_product_batch', { _brand_id: brandId, _product_id: productId });

  // @ts-expect-error TS2554 required arguments not given at all
  await u.rpc('create_product_batch');

  // @ts-expect-error TS2322 arguments for a function that takes none
  await u.rpc('list_my_brands', { _brand_id: brandId });

  const batch = await u.rpc('find_batch', { _brand_id: brandId, _batch_id: 'b' });
  // @ts-expect-error TS2339 reading a field the result does not have
  void batch.expiry;
}

// The zod schemas describe exactly the Database types: every function's parsed result is its
// Returns type and back; its Args type is accepted by the args schema, and a parsed args object is an Args.
type Fns = typeof api.Functions;
type ResultsAgree = {
  [N in FunctionName]: [z.output<Fns[N]['Returns']>] extends [FunctionReturns<N>]
    ? [FunctionReturns<N>] extends [z.output<Fns[N]['Returns']>] ? true : N
    : N;
}[FunctionName];
type ArgsAgree = {
  [N in FunctionName]: [FunctionArgs<N>] extends [z.input<Fns[N]['Args']>]
    ? [z.output<Fns[N]['Args']>] extends [FunctionArgs<N>] ? true : N
    : N;
}[FunctionName];
check<Equal<ResultsAgree, true>>();
check<Equal<ArgsAgree, true>>();
