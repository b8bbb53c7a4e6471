// Background job workers, started by `lotline serve` and `lotline worker` (src/cli/main.ts): one loop per kind
// of job, each on its own connection, all doing their work in SQL. Several processes may run them against one
// database: every step claims its work with FOR UPDATE SKIP LOCKED.
import postgres from 'postgres';
import { startWorkerLoop, type WorkerLoop } from './loop.ts';
import { mintJobStep } from './mint-jobs.ts';

export { startWorkerLoop, type WorkerLoop, type WorkerLoopOptions } from './loop.ts';
export { mintJobStep, type MintJobProgress } from './mint-jobs.ts';

export interface JobWorkerOptions {
  /** the gateway's connection (the authenticator role, which may SET ROLE lotline_worker) */
  databaseUrl: string;
  /** poll interval when idle (default 1000 ms) */
  idleMs?: number;
  /** serials per mint chunk (default: the database setting lotline.mint_job_chunk) */
  mintChunk?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface JobWorkers {
  loops: WorkerLoop[];
  /** finish the running steps, then close the connections */
  stop(): Promise<void>;
}

export function startJobWorkers(opts: JobWorkerOptions): JobWorkers {
  // no prepared statements: the connection may go through PgBouncer in transaction mode
  const sql = postgres(opts.databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
  const loops = [
    startWorkerLoop({
      name: 'mint-jobs',
      idleMs: opts.idleMs,
      log: opts.log,
      step: async () => {
        const job = await mintJobStep(sql, opts.mintChunk);
        if (job && (job.status === 'done' || job.status === 'failed')) {
          opts.log?.({ worker: 'mint-jobs', msg: `job ${job.status}`, job: job.id, brand: job.brand_id, minted: job.minted, requested: job.requested, error: job.error_code });
        }
        return job !== null;
      },
    }),
  ];
  return {
    loops,
    stop: async () => {
      await Promise.all(loops.map((l) => l.stop()));
      await sql.end({ timeout: 5 });
    },
  };
}
