// `npm run db:commit -- "message"`: fold migrations/current/ into the next migrations/committed/NNNNNN.sql
// with graphile-migrate's commit (verified on a shadow database), using a throw-away embedded cluster.
import postgres from 'postgres';
import { commit, Logger } from 'graphile-migrate';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from './embedded.ts';
import { ROOT } from './migrate.ts';

const message = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'lotline-commit-'));
const cluster = await startEmbedded({ dir, port: 20000 + Math.floor(Math.random() * 20000), password: 'commit', persistent: false, fast: true });
try {
  const root = postgres(cluster.superuserUrl('postgres'), { max: 1, onnotice: () => {} });
  await root.unsafe('create database lotline_dev');
  await root.unsafe('create database lotline_shadow');
  const dev = postgres(cluster.superuserUrl('lotline_dev'), { max: 1, onnotice: () => {} });
  await dev.unsafe(readFileSync(join(ROOT, 'migrations', 'afterReset.sql'), 'utf8'));
  await dev.end();
  await root.end();
  await commit(
    {
      connectionString: cluster.superuserUrl('lotline_dev'),
      shadowConnectionString: cluster.superuserUrl('lotline_shadow'),
      rootConnectionString: cluster.superuserUrl('postgres'),
      databaseOwner: 'postgres',
      migrationsFolder: join(ROOT, 'migrations'),
      logger: new Logger(() => (level, msg) => level !== 'debug' && console.log(msg)),
    },
    message,
  );
  // the convention on main: an empty migrations/current.sql instead of the current/ folder
  const cur = join(ROOT, 'migrations', 'current');
  if (existsSync(cur) && readdirSync(cur).every((f) => !/\S/.test(readFileSync(join(cur, f), 'utf8').replace(/--.*$/gm, '')))) {
    rmSync(cur, { recursive: true, force: true });
    writeFileSync(join(ROOT, 'migrations', 'current.sql'), '');
  }
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

