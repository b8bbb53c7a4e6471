// Fold migrations/current/ into the next migrations/committed/NNNNNN.sql with graphile-migrate's
// commit (verified on a shadow database), using a throw-away embedded cluster (`lotline db:commit`).
import postgres from 'postgres';
import { commit, Logger } from 'graphile-migrate';
import { rmSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withThrowawayCluster } from './throwaway.ts';
import { ROOT } from './migrate.ts';

/** Commit the current migration (message optional); an emptied current/ becomes an empty current.sql. */
export async function commitMigration(message?: string): Promise<void> {
  await withThrowawayCluster('commit', async (cluster) => {
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
  });
  // the convention on main: an empty migrations/current.sql instead of the current/ folder
  const cur = join(ROOT, 'migrations', 'current');
  if (existsSync(cur) && readdirSync(cur).every((f) => !/\S/.test(readFileSync(join(cur, f), 'utf8').replace(/--.*$/gm, '')))) {
    rmSync(cur, { recursive: true, force: true });
    writeFileSync(join(ROOT, 'migrations', 'current.sql'), '');
  }
}
