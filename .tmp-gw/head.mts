import { createGateway } from '../src/gateway/server.ts';
import { defaultSettings } from '../src/gateway/settings.ts';
import http from 'node:http';
const gw = await createGateway({ ...defaultSettings, databaseUrl: 'postgres://authenticator:authpw@127.0.0.1:45432/perf', jwtSecret: 'a-very-long-development-secret-of-32+chars', logLevel: 'silent' });
const url = new URL(await gw.listen(0, '127.0.0.1'));
for (const path of ['/rpc/list_my_brands', '/rpc/nope', '/']) {
  await new Promise<void>((res) => {
    const r = http.request({ host: url.hostname, port: url.port, path, method: 'HEAD' }, (resp) => { console.log(path, resp.statusCode, JSON.stringify(resp.headers)); resp.resume(); resp.on('end', res); });
    r.end();
  });
}
await gw.close();
