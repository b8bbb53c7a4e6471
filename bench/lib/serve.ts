// Child process: the gateway under test, alone in its process (the load generator is another process).
// Environment: the gateway's usual LOTLINE_* / DATABASE_URL settings; the port is chosen here and the
// URL is sent to the parent over IPC as { type: 'ready', url } (or { type: 'error', message }).
import { loadConfig } from '../../src/config.ts';
import { createGateway, gatewaySettingsFromConfig, type Gateway } from '../../src/gateway/server.ts';
import { exitWithParent, sendToParent } from './proc.ts';

let gateway: Gateway | undefined;
exitWithParent(async () => {
  if (gateway) await gateway.close();
});

try {
  const config = loadConfig(process.env);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  gateway = await createGateway(gatewaySettingsFromConfig(config, { databaseUrl, jwtSecret: process.env.LOTLINE_JWT_SECRET }));
  const url = await gateway.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
  await sendToParent({ type: 'ready', url, pid: process.pid });
} catch (e) {
  await sendToParent({ type: 'error', message: (e as Error).stack ?? String(e) });
  process.exit(1);
}
