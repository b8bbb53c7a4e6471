// One PostgreSQL per test run: embedded (default), TEST_DATABASE_URL, or TEST_PG=container.
// The template database is migrated once; every test file clones its own database from it.
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbedded, type EmbeddedCluster } from '../../src/db/embedded.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';

export const TEMPLATE_DB = 'lotline_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pg: { superuserUrl: string; authenticatorPassword: string; jwtSecret: string; template: string };
  }
}

let cluster: EmbeddedCluster | undefined;
let dir: string | undefined;
let stopContainer: (() => Promise<void>) | undefined;

async function serverUrl(): Promise<string> {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  if (process.env.TEST_PG === 'container') {
    const { PostgreSqlContainer } = await import('./container.ts');
    const c = await PostgreSqlContainer();
    stopContainer = c.stop;
    return c.url;
  }
  dir = mkdtempSync(join(tmpdir(), 'lotline-test-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  cluster = await startEmbedded({ dir, port, password: 'test', persistent: false, fast: true });
  return cluster.superuserUrl('postgres');
}

export default async function setup(project: TestProject) {
  const superuserUrl = await serverUrl();
  const authenticatorPassword = randomBytes(16).toString('hex');
  const admin = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(superuserUrl);
  templateUrl.pathname = `/${TEMPLATE_DB}`;
  await migrateDatabase({ adminUrl: templateUrl.toString(), authenticatorPassword });
  project.provide('pg', {
    superuserUrl,
    authenticatorPassword,
    jwtSecret: randomBytes(32).toString('base64url'),
    template: TEMPLATE_DB,
  });
  return async () => {
    if (cluster) await cluster.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (stopContainer) await stopContainer();
  };
}
