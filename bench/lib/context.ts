// What every section's `run(opts)` receives. Sections run in their own child process
// (bench/lib/section.ts); this object is rebuilt there from the serialisable SectionEnv.
import type { ClusterInfo, DatabaseUrls } from './cluster.ts';

export interface GatewayHandle {
  /** base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** HS256 development token for `sub` (role authenticated), optionally with a `scope` claim */
  token(sub: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export interface BenchOptions {
  /** smoke run: small sizes, short durations */
  quick: boolean;
  /** name of the section being run (sync, inventory, ...) */
  section: string;
  /** superuser connection to this section's own database (migrated, empty; bypasses RLS) */
  adminUrl: string;
  /** the same database as the gateway's login role `authenticator` (NOINHERIT; sets role per transaction) */
  databaseUrl: string;
  /** alias of databaseUrl */
  authenticatorUrl: string;
  /** superuser URL of the cluster's `postgres` database (for sections that create their own databases) */
  serverUrl: string;
  /** HS256 secret the gateway started by startGateway() accepts */
  jwtSecret: string;
  /** wall-clock ms (Date.now()) by which run() should have returned; the runner kills it later */
  deadline: number;
  log(line: string): void;
  /** Another fresh migrated database in the same cluster (name: lowercase letters, digits, _). */
  createDatabase(name: string): Promise<DatabaseUrls>;
  /** Start the gateway (src/gateway/server.ts) in its own process against databaseUrl (default: this section's). */
  startGateway(opts?: { databaseUrl?: string; poolSize?: number; env?: Record<string, string> }): Promise<GatewayHandle>;
  /** The cluster (for sections that need other databases). */
  cluster: ClusterInfo;
}

/** A section module: `export async function run(opts: BenchOptions): Promise<SectionResult>`. */
export type SectionResult = Record<string, unknown>;

/** Serialised into the section child's environment (BENCH_SECTION_ENV). */
export interface SectionEnv {
  section: string;
  module: string;
  quick: boolean;
  deadline: number;
  cluster: ClusterInfo;
  db: DatabaseUrls;
  /** the shared scale data set (growth/rls) */
  scaleDb?: DatabaseUrls;
  /** section-specific options merged into opts (sizes for quick runs) */
  extra?: Record<string, unknown>;
}
