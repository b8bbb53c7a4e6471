// Child process: the gateway under test, alone in its process (the load generator is another process).
// Environment: the gateway's usual LOTLINE_* / DATABASE_URL settings; the port is chosen here and the
// URL is sent to the parent over IPC as { type: 'ready', url } (or { type: 'error', message }).
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { exitWithParent, sendToParent } from './proc.ts';
import { GATEWAY_FILE } from './gateway-file.ts';

interface Gateway {
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void> | void;
}
interface GatewayModule {
  createGateway(settings: unknown): Gateway | Promise<Gateway>;
  gatewaySettingsFromConfig(config: unknown, extra: { databaseUrl: string; jwtSecret?: string }): unknown;
}

let gateway: Gateway | undefined;
exitWithParent(async () => {
  if (gateway) await gateway.close();
});

try {
  if (!existsSync(GATEWAY_FILE)) throw new Error(`${GATEWAY_FILE} does not exist yet`);
  const mod = (await import(pathToFileURL(GATEWAY_FILE).href)) as Partial<GatewayModule>;
  if (typeof mod.createGateway !== 'function' || typeof mod.gatewaySettingsFromConfig !== 'function') {
    throw new Error('src/gateway/server.ts does not export createGateway and gatewaySettingsFromConfig');
  }
  const config = loadConfig(process.env);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const settings = mod.gatewaySettingsFromConfig(config, { databaseUrl, jwtSecret: process.env.LOTLINE_JWT_SECRET });
  gateway = await mod.createGateway(settings);
  const url = await gateway.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
  await sendToParent({ type: 'ready', url, pid: process.pid });
} catch (e) {
  await sendToParent({ type: 'error', message: (e as Error).stack ?? String(e) });
  process.exit(1);
}
