// The webhook delivery worker: dispatch (queue deliveries for new feed events), claim (due head deliveries,
// one per endpoint, SKIP LOCKED, with a lease), deliver (signed HTTP POST), record (delivered / retry / dead).
// Each step is one short transaction run as lotline_worker (SET LOCAL ROLE: safe behind PgBouncer's
// transaction pooling); no transaction is open while a request is in flight, so the feed's horizon never
// waits for a slow receiver. Any number of workers may run at once (gateways, `lotline worker`): a claim
// bumps the attempt number under a row lock, so no attempt is ever sent by two of them.
import postgres, { type Sql } from 'postgres';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { deliver, type AttemptResult, type DeliverOptions } from './deliver.ts';
import { loadEventsConfig } from './config.ts';

export interface WorkerOptions extends DeliverOptions {
  /** the gateway's login role (authenticator), which may SET ROLE lotline_worker */
  databaseUrl: string;
  pollMs: number;
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** lease of a claimed attempt; a worker that dies mid-attempt is replaced after it */
  leaseMs?: number;
  /** deliveries one endpoint's run may take per round, sent one after another (default 20) */
  perEndpoint?: number;
  /** false behind PgBouncer < 1.21 in transaction mode */
  prepare?: boolean;
  name?: string;
  log?: (line: Record<string, unknown>) => void;
}

export interface Worker {
  readonly name: string;
  /** one round: dispatch, claim, deliver, record; resolves to the number of attempts made */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

interface Claim {
  brand_id: string;
  delivery_id: string;
  webhook_id: string;
  attempt: number;
  url: string;
  secret: string;
  msg_id: string;
  payload: string;
}

/** Delay before retry number `attempt` (1 = after the first failure): base·4^(n-1), ±20 %, capped. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, retryAfterMs: number | null = null): number {
  const jittered = Math.round(baseMs * 4 ** Math.max(0, attempt - 1) * (0.8 + Math.random() * 0.4));
  return Math.min(maxMs, Math.max(jittered, retryAfterMs ?? 0));
}

export function startWorker(opts: WorkerOptions, { autostart = true }: { autostart?: boolean } = {}): Worker {
  const name = opts.name ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const sql: Sql = postgres(opts.databaseUrl, {
    max: 2, prepare: opts.prepare ?? true, onnotice: () => {}, idle_timeout: 30, connect_timeout: 10,
    connection: { application_name: 'lotline-webhook-worker' },
  });
  const perEndpoint = opts.perEndpoint ?? 20;
  // a run of deliveries is sent one by one: the lease covers all of them timing out
  const leaseMs = opts.leaseMs ?? opts.timeoutMs * perEndpoint + 20_000;
  let running = autostart;
  let wake: (() => void) | null = null;
  let loop: Promise<void> | null = null;

  const asWorker = <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) =>
    sql.begin(async (tx) => {
      await tx`set local role lotline_worker`;
      return fn(tx);
    }) as Promise<T>;

  /** Log one attempt's outcome; the database decides what follows (delivered, retry later, dead). */
  async function record(tx: postgres.TransactionSql, c: Claim, startedAt: Date, r: AttemptResult): Promise<void> {
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    const delay = ok ? 0 : retryDelay(c.attempt, opts.retryBaseMs, opts.retryMaxMs, r.retryAfterMs);
    const [row] = await tx<{ state: string }[]>`
      select app.webhook_record(${c.brand_id}, ${c.delivery_id}, ${c.attempt}, ${name}, ${startedAt},
                                ${r.status}, ${r.error}, ${delay}) as state`;
    if (!ok || opts.log) {
      opts.log?.({ time: new Date().toISOString(), level: ok ? 'debug' : 'warn', msg: 'webhook attempt', worker: name,
        delivery: c.delivery_id, webhook: c.webhook_id, attempt: c.attempt, status: r.status, error: r.error ?? undefined, state: row?.state });
    }
  }

  /** One endpoint's claimed run, in order: send each, stop at the first failure, put the unsent back. */
  async function sendRun(run: Claim[]): Promise<void> {
    const done: [Claim, Date, AttemptResult][] = [];
    for (const c of run) {
      const startedAt = new Date();
      const r = await deliver({ url: c.url, secret: c.secret, msgId: c.msg_id, payload: c.payload, attemptId: `${c.delivery_id}:${c.attempt}` }, opts);
      done.push([c, startedAt, r]);
      if (r.status === null || r.status < 200 || r.status >= 300) break;
    }
    const unsent = run.slice(done.length);
    await asWorker(async (tx) => {
      for (const [c, startedAt, r] of done) await record(tx, c, startedAt, r);
      for (const c of unsent) await tx`select app.webhook_release(${c.brand_id}, ${c.delivery_id}, ${c.attempt})`;
    });
  }

  async function tick(): Promise<number> {
    await asWorker((tx) => tx`select app.webhook_dispatch()`);
    const claims = await asWorker((tx) => tx<Claim[]>`select * from app.webhook_claim(${name}, ${opts.concurrency}, ${leaseMs}, ${perEndpoint})`);
    const runs = new Map<string, Claim[]>();
    for (const c of claims) runs.set(c.webhook_id, [...(runs.get(c.webhook_id) ?? []), c]);
    await Promise.all([...runs.values()].map(sendRun));
    return claims.length;
  }

  async function run(): Promise<void> {
    while (running) {
      let worked = 0;
      try {
        worked = await tick();
      } catch (e) {
        opts.log?.({ time: new Date().toISOString(), level: 'error', msg: 'webhook worker round failed', worker: name, error: (e as Error).message });
      }
      if (!running) break;
      if (worked === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, opts.pollMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
      }
    }
  }

  if (autostart) loop = run();
  return {
    name,
    tick,
    async stop() {
      running = false;
      wake?.();
      await loop;
      await sql.end({ timeout: 5 });
    },
  };
}

/** The worker as `serve` and `lotline worker` run it: settings from the environment (src/events/config.ts). */
export function startWebhookWorker(databaseUrl: string, o: { prepare?: boolean; log?: WorkerOptions['log'] } = {}): Worker {
  const c = loadEventsConfig();
  return startWorker({
    databaseUrl, prepare: o.prepare, log: o.log,
    pollMs: c.LOTLINE_WEBHOOK_POLL_MS, concurrency: c.LOTLINE_WEBHOOK_CONCURRENCY, timeoutMs: c.LOTLINE_WEBHOOK_TIMEOUT_MS,
    retryBaseMs: c.LOTLINE_WEBHOOK_RETRY_BASE_MS, retryMaxMs: c.LOTLINE_WEBHOOK_RETRY_MAX_MS, allowPrivate: c.LOTLINE_WEBHOOK_ALLOW_PRIVATE,
  });
}
