import { resolve } from 'node:path';

/** The gateway module under test (written by the gateway engineer; the benchmark waits for it). */
export const GATEWAY_FILE = resolve(import.meta.dirname, '..', '..', 'src', 'gateway', 'server.ts');
