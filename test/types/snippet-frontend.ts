// The frontend snippet of docs/typed-clients.md, compiled by tsc (test/codegen/typecheck.test.ts
// also checks that the docs show exactly the code below the marker).
declare const token: string;
declare const brandId: string;
declare const productId: string;
declare const formValues: unknown;
// --- snippet ---
import { PostgrestClient } from '@supabase/postgrest-js';
import type { Database } from '../../generated/database.ts';
import { api } from '../../generated/zod.ts';

const lotline = new PostgrestClient<Database>('http://localhost:3000', {
  headers: { Authorization: `Bearer ${token}` },
});

// name, argument names and types are checked; optional arguments may be left out
const { data: batch, error } = await lotline.rpc('create_product_batch', {
  _brand_id: brandId,
  _product_id: productId,
  _batch_number: 'L-2024-001',
  _quantity: 120,
  _expiry_date: '2025-06-30',
});
if (error) throw new Error(`${error.code} ${error.message} ${error.details ?? ''}`);
console.log(batch?.id, batch?.status, batch?.quantity); // string | null, string | null, number | null

// set-returning functions are shaped on the server: select, filters, order, limit
const { data: rows } = await lotline
  .rpc('list_product_batches', { _brand_id: brandId, _product_id: productId })
  .select('id, batch_number, quantity')
  .eq('status', 'active')
  .order('created_at', { ascending: false })
  .limit(20);
rows?.forEach((r) => console.log(r.batch_number, r.quantity));

// the same contract at run time: check a form before sending it
const args = api.Functions.create_product_batch.Args.parse(formValues);
await lotline.rpc('create_product_batch', args);
