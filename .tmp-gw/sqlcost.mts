import postgres from 'postgres';
const authUrl = `postgres://authenticator:authpw@127.0.0.1:45432/perf`;
const admin = postgres(`postgres://postgres:test@127.0.0.1:45432/perf`, { max: 1, onnotice: () => {} });
const [b] = await admin`select brand_id, product_id, id from data.batches limit 1`;
const sql = postgres(authUrl, { max: 1, prepare: false, onnotice: () => {} });
const claims = JSON.stringify({ sub: 'owner-1', role: 'authenticated' });
const body = JSON.stringify({ _brand_id: b!.brand_id, _product_id: b!.product_id, _batch_id: b!.id });
const settings = `SELECT pg_catalog.set_config('search_path', '"api", "public"', true), pg_catalog.set_config('role', 'authenticated', true), pg_catalog.set_config('request.jwt.claims', '${claims}', true), pg_catalog.set_config('request.method', 'POST', true), pg_catalog.set_config('request.path', '/rpc/get_product_batch', true), pg_catalog.set_config('request.headers', '{"host":"127.0.0.1:3000","authorization":"Bearer xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","content-type":"application/json","content-length":"120"}', true), pg_catalog.set_config('request.cookies', '{}', true)`;
const main = `WITH pgrst_source AS (SELECT pgrst_call.* FROM pg_catalog.json_to_record('${body}'::json) AS pgrst_args("_brand_id" uuid, "_product_id" uuid, "_batch_id" uuid), LATERAL "api"."get_product_batch"("_brand_id" := pgrst_args."_brand_id", "_product_id" := pgrst_args."_product_id", "_batch_id" := pgrst_args."_batch_id") pgrst_call) SELECT NULL::bigint AS total, pg_catalog.count(_postgrest_t) AS page_total, coalesce(pg_catalog.json_agg(_postgrest_t)->0, 'null')::text AS body, nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, nullif(pg_catalog.current_setting('response.status', true), '') AS response_status FROM (SELECT pgrst_source.* FROM pgrst_source) _postgrest_t`;
const lits = `"_brand_id" := '${b!.brand_id}'::uuid, "_product_id" := '${b!.product_id}'::uuid, "_batch_id" := '${b!.id}'::uuid`;
const mainLit = `WITH pgrst_source AS (SELECT pgrst_call.* FROM "api"."get_product_batch"(${lits}) pgrst_call) SELECT NULL::bigint AS total, pg_catalog.count(_postgrest_t) AS page_total, coalesce(pg_catalog.json_agg(_postgrest_t)->0, 'null')::text AS body, nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, nullif(pg_catalog.current_setting('response.status', true), '') AS response_status FROM (SELECT pgrst_source.* FROM pgrst_source) _postgrest_t`;
const simple = `SELECT pg_catalog.to_json(pgrst_call)::text AS body FROM "api"."get_product_batch"(${lits}) pgrst_call`;
const bare = `SELECT * FROM "api"."get_product_batch"(${lits})`;
const variants: Record<string, () => Promise<unknown>> = {
  flat: () => sql.unsafe(`SET TRANSACTION READ ONLY; ${settings}; SELECT NULL::bigint AS total, pg_catalog.count(*) AS page_total, coalesce(pg_catalog.json_agg(pgrst_call)->0, 'null')::text AS body, nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, nullif(pg_catalog.current_setting('response.status', true), '') AS response_status FROM pg_catalog.json_to_record('${body}'::json) AS pgrst_args("_brand_id" uuid, "_product_id" uuid, "_batch_id" uuid), LATERAL "api"."get_product_batch"("_brand_id" := pgrst_args."_brand_id", "_product_id" := pgrst_args."_product_id", "_batch_id" := pgrst_args."_batch_id") pgrst_call`),
  main_literals: () => sql.unsafe(`SET TRANSACTION READ ONLY; ${settings}; ${mainLit}`),
  main_simple: () => sql.unsafe(`SET TRANSACTION READ ONLY; ${settings}; ${simple}`),
  main_bare: () => sql.unsafe(`SET TRANSACTION READ ONLY; ${settings}; ${bare}`),
  bare_alone_norole: () => sql.unsafe(`select set_config('role','authenticated',true), set_config('request.jwt.claims', '${claims}', true); ${bare}`),
  gateway_1rt: () => sql.unsafe(`SET TRANSACTION READ ONLY; ${settings}; ${main}`),
  settings_only: () => sql.unsafe(`SET TRANSACTION READ ONLY; ${settings}`),
  select1: () => sql.unsafe(`select 1`),
  direct_prepared_3rt: () => prep.begin('read only', (tx) => [tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`, tx`select * from api.get_product_batch(_brand_id => ${b!.brand_id}::uuid, _product_id => ${b!.product_id}::uuid, _batch_id => ${b!.id}::uuid)`.raw()]),
};
const prep = postgres(authUrl, { max: 1, onnotice: () => {} });
for (let round = 0; round < 3; round++) for (const [k, f] of Object.entries(variants)) {
  for (let i = 0; i < 200; i++) await f();
  const t0 = performance.now(); const N = 2000;
  for (let i = 0; i < N; i++) await f();
  console.log(k, ((performance.now() - t0) / N * 1000).toFixed(0), 'µs/call');
}
await sql.end(); await prep.end(); await admin.end();
