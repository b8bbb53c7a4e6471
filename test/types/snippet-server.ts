// The server-side snippet of docs/typed-clients.md, compiled by tsc (test/codegen/typecheck.test.ts
// also checks that the docs show exactly the code below the marker).
declare const brandId: string;
declare const productId: string;
// --- snippet ---
import postgres from 'postgres';
import { createClient, RpcError } from '../../generated/client.ts';

// connect as the gateway does: the `authenticator` role, which may switch to anon/authenticated
const sql = postgres(process.env.DATABASE_URL!);
const lotline = createClient(sql);

// every call: one transaction, role + request.jwt.claims set locally, the function, zod-checked JSON
const editor = lotline.as({ sub: 'user-123', scope: 'batches:read batches:write' });
try {
  const batch = await editor.rpc('create_product_batch', {
    _brand_id: brandId,
    _product_id: productId,
    _batch_number: 'L-2024-002',
  });
  const page = await editor.rpc('search_batches', { _brand_id: brandId, _status: 'active', _limit: 50 });
  const next = await editor.rpc('search_batches', { _brand_id: brandId, _status: 'active', _limit: 50, _cursor: page.next_cursor });
  console.log(batch.id, page.items?.length, next.total);
} catch (e) {
  // SQL errors keep PostgREST's shape: code, message, details (JSON text from app.raise), hint
  if (e instanceof RpcError && e.code === '23505') console.log('duplicate', e.detailsJson);
  else throw e;
}

// public functions run as the anonymous role
const view = await lotline.anon().rpc('get_public_batch', { _public_id: 'Zk3…' });
console.log(view.product_name, view.recalled);
await sql.end();
