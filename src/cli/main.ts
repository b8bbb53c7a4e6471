#!/usr/bin/env node
// lotline CLI: serve, worker, migrate, token, seed, gen, db:commit.
import { Command } from 'commander';
import { resolve } from 'node:path';
import { databaseSettings, loadConfig, migrateSettings, type Config } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { survivePostgresConnectionLoss } from '../db/driver-quirks.ts';
import { migrateDatabase, ROOT } from '../db/migrate.ts';
import { commitMigration } from '../db/commit-migration.ts';
import { loadDevSecrets } from '../db/secrets.ts';
import { mintToken } from './token.ts';
import { DEMO_USER, seedDemo } from './seed.ts';
import { loadEventsConfig } from '../events/config.ts';
import { startWebhookWorker } from '../events/worker.ts';
import { runGen } from './gen.ts';
import { startJobWorkers } from '../jobs/index.ts';

const program = new Command().name('lotline').description('Postgres-native RPC backend for product batches');

function config(): Config {
  try {
    return loadConfig();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}

const log = (line: string) => {
  if (process.env.LOTLINE_VERBOSE) console.error(line);
};

/** Webhook attempts that failed (warn) and worker errors, one JSON line each; successes only when verbose. */
const workerLog = (line: Record<string, unknown>) => {
  if (line.level !== 'debug' || process.env.LOTLINE_VERBOSE) console.log(JSON.stringify(line));
};

program
  .command('serve', { isDefault: true })
  .description('start the HTTP gateway (embedded PostgreSQL when DATABASE_URL is unset)')
  .option('--no-migrate', 'do not migrate before serving')
  .option('--no-demo', 'do not create the demo brand')
  .option('--no-worker', 'do not run the background workers (LOTLINE_WORKER=false / LOTLINE_WEBHOOK_WORKER=false stop one kind)')
  .action(async (opts: { migrate: boolean; demo: boolean; worker: boolean }) => {
    survivePostgresConnectionLoss((m) => console.error(JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: m })));
    const cfg = config();
    const db = await openDatabase(cfg, { migrate: opts.migrate, log });
    // a start that fails after the database is up stops it again (no orphaned embedded server)
    const { createGateway, gatewaySettingsFromConfig } = await import('../gateway/server.ts');
    let gateway: Awaited<ReturnType<typeof createGateway>>;
    let url: string;
    try {
      gateway = await createGateway(gatewaySettingsFromConfig(cfg, { databaseUrl: db.databaseUrl, jwtSecret: db.jwtSecret }));
      url = await gateway.listen(cfg.PORT, cfg.HOST);
    } catch (e) {
      await db.close();
      throw e;
    }
    const workers = opts.worker && cfg.LOTLINE_WORKER ? startJobWorkers(workerOptions(cfg, db.databaseUrl)) : undefined;
    // the webhook delivery worker runs beside the gateway unless LOTLINE_WEBHOOK_WORKER=false (or --no-worker)
    const worker = opts.worker && loadEventsConfig().LOTLINE_WEBHOOK_WORKER
      ? startWebhookWorker(db.databaseUrl, { prepare: cfg.LOTLINE_DB_PREPARED_STATEMENTS, log: workerLog })
      : null;
    let stopping = false;
    const stop = async (signal: string, code = 0) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: finishing in-flight requests and stopping…`);
      await worker?.stop();
      await gateway.close();
      await workers?.stop();
      await db.close();
      process.exit(code);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));

    console.log(`lotline serving ${url}  (database: ${db.embedded ? `embedded PostgreSQL, data in ${cfg.LOTLINE_DATA_DIR}/pgdata` : 'DATABASE_URL'})`);
    if (db.jwtSecret && opts.demo) {
      let demo: Awaited<ReturnType<typeof seedDemo>>;
      try {
        demo = await seedDemo(db.databaseUrl);
      } catch (e) {
        console.error(`demo data could not be created: ${e instanceof Error ? e.message : String(e)}`);
        await stop('demo data failed', 1);
        return;
      }
      const token = await mintToken({ secret: db.jwtSecret, sub: DEMO_USER, ttl: '30d', aud: cfg.LOTLINE_JWT_AUD, iss: cfg.LOTLINE_JWT_ISS });
      const host = url.replace('127.0.0.1', 'localhost');
      console.log(`\nDevelopment token for ${DEMO_USER} (owner of the demo brand ${demo.brandId}), valid 30 days:\n\n  export TOKEN=${token}\n`);
      console.log('Try:\n');
      console.log(`  curl -s ${host}/rpc/list_product_batches -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`);
      console.log(`       -d '{"_brand_id":"${demo.brandId}","_product_id":"${demo.productId}"}'\n`);
      console.log(`API reference: ${host}/docs   OpenAPI: ${host}/   Ctrl-C stops the server${db.embedded ? ' and the database' : ''}.`);
    }
  });

program
  .command('worker')
  .description('run only the background workers (mint jobs, webhook deliveries); several may run against one database')
  .option('--no-migrate', 'do not migrate first')
  .action(async (opts: { migrate: boolean }) => {
    const cfg = config();
    const db = await openDatabase(cfg, { migrate: opts.migrate, log });
    const workers = startJobWorkers(workerOptions(cfg, db.databaseUrl));
    const webhooks = startWebhookWorker(db.databaseUrl, { prepare: cfg.LOTLINE_DB_PREPARED_STATEMENTS, log: workerLog });
    const stop = async (signal: string) => {
      console.log(`${signal}: finishing the running steps and stopping…`);
      await Promise.all([workers.stop(), webhooks.stop()]);
      await db.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    console.log(`lotline worker running: ${[...workers.loops.map((l) => l.name), `webhooks (${webhooks.name})`].join(', ')}`);
  });

program
  .command('migrate')
  .description('bootstrap roles, run migrations, apply sql/ (idempotent)')
  .action(async () => {
    const cfg = config();
    if (cfg.DATABASE_URL) {
      const adminUrl = cfg.LOTLINE_ADMIN_DATABASE_URL ?? cfg.DATABASE_URL;
      await migrateDatabase({ adminUrl, ...migrateSettings(cfg), settings: databaseSettings(cfg), log: console.log });
    } else {
      const db = await openDatabase(cfg, { migrate: true, log: console.log });
      await db.close();
    }
    console.log('migrated');
  });

program
  .command('token')
  .description('mint a development JWT (HS256) with the configured or generated secret')
  .option('--sub <sub>', 'subject (user id)', DEMO_USER)
  .option('--scope <scope>', 'space-separated scopes, e.g. "integration:batches:write"')
  .option('--role <role>', 'database role claim', 'authenticated')
  .option('--ttl <ttl>', 'lifetime (jose time span: 30m, 12h, 7d)', '24h')
  .action(async (opts: { sub: string; scope?: string; role: string; ttl: string }) => {
    const cfg = config();
    const secret = cfg.LOTLINE_JWT_SECRET ?? loadDevSecrets(cfg.LOTLINE_DATA_DIR).jwtSecret;
    console.log(await mintToken({ secret, secretIsBase64: cfg.LOTLINE_JWT_SECRET_IS_BASE64 && !!cfg.LOTLINE_JWT_SECRET, sub: opts.sub, scope: opts.scope, role: opts.role, ttl: opts.ttl, aud: cfg.LOTLINE_JWT_AUD, iss: cfg.LOTLINE_JWT_ISS }));
  });

program
  .command('seed')
  .description('create the demo brand, product and batch for the demo user (through the api functions)')
  .option('--sub <sub>', 'owner of the demo brand', DEMO_USER)
  .action(async (opts: { sub: string }) => {
    const cfg = config();
    const db = await openDatabase(cfg, { migrate: true, log });
    try {
      const ids = await seedDemo(db.databaseUrl, opts.sub);
      console.log(JSON.stringify(ids));
    } finally {
      await db.close();
    }
  });

program
  .command('gen')
  .description('write generated/ (Database type, zod schemas, server-side client) from the database catalog')
  .option('--out <dir>', 'output folder', resolve(ROOT, 'generated'))
  .option('--database-url <url>', 'a migrated database (default: DATABASE_URL, else the embedded default)')
  .option('--schema <names>', 'exposed schemas, comma separated (default: LOTLINE_DB_SCHEMAS or api)')
  .option('--fresh', 'migrate a throw-away embedded PostgreSQL and generate from it')
  .action(async (opts: { out: string; databaseUrl?: string; schema?: string; fresh?: boolean }) => {
    const cfg = config();
    const schemas = opts.schema ? opts.schema.split(',').map((s) => s.trim()).filter(Boolean) : cfg.LOTLINE_DB_SCHEMAS;
    await runGen(cfg, { out: opts.out, databaseUrl: opts.databaseUrl, schemas, fresh: opts.fresh });
  });

program
  .command('db:commit')
  .description('fold migrations/current/ into the next committed migration (checked on a throw-away shadow database)')
  .argument('[message]', 'the migration message')
  .action(async (message?: string) => {
    await commitMigration(message);
  });

/** The job workers' options from the configuration; their log lines go to stderr as JSON. */
function workerOptions(cfg: Config, databaseUrl: string) {
  return {
    databaseUrl,
    idleMs: cfg.LOTLINE_WORKER_IDLE_MS,
    log: (entry: Record<string, unknown>) => console.error(JSON.stringify({ time: new Date().toISOString(), ...entry })),
  };
}

program.parseAsync().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
