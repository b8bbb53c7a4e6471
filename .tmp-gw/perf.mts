import postgres from 'postgres';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createGateway } from '../src/gateway/server.ts';
import { defaultSettings } from '../src/gateway/settings.ts';

const base = 'postgres://postgres:test@127.0.0.1:45432';
const dbName = 'perf';
const root = postgres(base + '/postgres', { max: 1, onnotice: () => {} });
const [exists] = await root`select count(*)::int n from pg_database where datname = ${dbName}`;
if (!exists!.n) {
  await root.unsafe(`create database ${dbName}`);
  await migrateDatabase({ adminUrl: `${base}/${dbName}`, authenticatorPassword: 'authpw' });
}
await root.end();
const admin = postgres(`${base}/${dbName}`, { max: 1, onnotice: () => {} });
const secret = 'a-very-long-development-secret-of-32+chars';
const key = new TextEncoder().encode(secret);
const token = await new SignJWT({ sub: 'owner-1', role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
// data
const [b] = await admin.begin(async (tx) => {
  await tx`select app.act_as('owner-1', null)`;
  const [brand] = await tx`select (api.create_brand(_name => 'Perf', _slug => ${'perf-' + Date.now()})).id as id`;
  const [prod] = await tx`select (api.create_product(_brand_id => ${brand!.id}, _name => 'P')).id as id`;
  const [bat] = await tx`select (api.create_product_batch(_brand_id => ${brand!.id}, _product_id => ${prod!.id}, _batch_number => 'B1')).id as id`;
  return [{ brand: brand!.id, product: prod!.id, batch: bat!.id }];
});
const authUrl = `postgres://authenticator:authpw@127.0.0.1:45432/${dbName}`;
const gw = await createGateway({ ...defaultSettings, databaseUrl: authUrl, jwtSecret: secret, logLevel: 'silent', poolSize: 10 });
const url = await gw.listen(0, '127.0.0.1');
const body = JSON.stringify({ _brand_id: b!.brand, _product_id: b!.product, _batch_id: b!.batch });
const conns = Number(process.env.C ?? 8);
const dur = Number(process.env.D ?? 4);
const cpu0 = process.cpuUsage();
const r = await autocannon({ url: `${url}/rpc/get_product_batch`, method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, connections: conns, duration: dur });
const cpu1 = process.cpuUsage(cpu0);
console.log('http rps', r.requests.average, 'p50', r.latency.p50, 'non2xx', r.non2xx, 'cpu ms/req (gw+ac)', ((cpu1.user + cpu1.system) / 1000 / r.requests.total).toFixed(3));
await gw.close();
// direct
const sql = postgres(authUrl, { max: conns, onnotice: () => {} });
const claims = JSON.stringify({ sub: 'owner-1', role: 'authenticated' });
let n = 0; const end = Date.now() + dur * 1000;
await Promise.all(Array.from({ length: conns }, async () => {
  while (Date.now() < end) {
    await sql.begin('read only', (tx) => [tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`,
      tx`select * from api.get_product_batch(_brand_id => ${b!.brand}::uuid, _product_id => ${b!.product}::uuid, _batch_id => ${b!.batch}::uuid)`.raw()]);
    n++;
  }
}));
console.log('direct rps', n / dur);
await sql.end(); await admin.end();
