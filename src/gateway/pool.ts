// The connection pool (postgres.js; no session state besides its prepared statements) behind a
// semaphore that bounds concurrent transactions and turns a long wait into 504 PGRST003.
import postgres, { type Sql } from 'postgres';
import { ApiError, isPgError, pgrst } from './errors.ts';

export class Semaphore {
  inUse = 0;
  private readonly queue: { resolve: () => void; timer: NodeJS.Timeout | null }[] = [];
  constructor(readonly max: number) {}
  get waiting(): number {
    return this.queue.length;
  }
  acquire(timeoutMs: number): Promise<void> | null {
    if (this.inUse < this.max) {
      this.inUse++;
      return null;
    }
    return new Promise<void>((resolve, reject) => {
      const entry = { resolve, timer: null as NodeJS.Timeout | null };
      if (timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(pgrst.poolTimeout());
        }, timeoutMs);
      }
      this.queue.push(entry);
    });
  }
  release(): void {
    const next = this.queue.shift();
    if (next) {
      if (next.timer) clearTimeout(next.timer);
      next.resolve(); // the slot passes on
    } else {
      this.inUse--;
    }
  }
}

export type Row = Record<string, unknown>;

/** A statement of a request's transaction: constant text, or text with `$n` placeholders and their values. */
export interface Stmt {
  text: string;
  /** bound parameter values (sent as `text`; the SQL casts them); absent or empty: no parameters */
  params?: (string | null)[];
}

/** One request's transaction. */
export interface TxPlan {
  /** `BEGIN …` (isolation level, access mode) */
  begin: string;
  /** request settings, pre-request, the call: the LAST step's first row is the result */
  steps: Stmt[];
  /**
   * `commit` / `rollback`: decided in advance, sent in the same pipeline as the steps.
   * A function: decided from the result row, sent afterwards (one more round trip).
   */
  end: 'commit' | 'rollback' | ((row: Row) => 'commit' | 'rollback');
  /** Checks the result row (singular, max-affected); its error is the answer. With `commit` it runs after the commit. */
  check?: (row: Row) => void;
}

export interface PoolOptions {
  url: string;
  size: number;
  /** wait for a free connection before 504 PGRST003 */
  timeoutMs: number;
  /** use named prepared statements (postgres.js caches them per connection) */
  prepare: boolean;
  /** at most this many distinct statement texts are prepared (per connection); others run unprepared */
  maxPrepared: number;
  /** postgres.js debug hook: every statement text with its parameter values, as sent */
  debug?: (connection: number, text: string, params: unknown[]) => void;
}

const TRANSPORT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'EPIPE']);

/** A transport failure (not an error Postgres reported) → 503. */
export function transportError(e: unknown): ApiError {
  const code = (e as { code?: string }).code ?? '';
  const msg = (e as Error).message ?? String(e);
  if (TRANSPORT.has(code)) return pgrst.connection(msg);
  return pgrst.client(msg);
}

/**
 * The connection is gone (or going): a socket error, postgres.js' CONNECTION_* errors, or a FATAL/PANIC
 * from the server. (postgres.js' own errors such as MAX_PARAMETERS_EXCEEDED leave the connection usable.)
 */
function connectionLost(e: unknown): boolean {
  if (isPgError(e)) return e.severity === 'FATAL' || e.severity === 'PANIC';
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (TRANSPORT.has(code) || /^E[A-Z]+$/.test(code));
}

const COMMIT: Stmt = { text: 'COMMIT' };
const ROLLBACK: Stmt = { text: 'ROLLBACK' };
const CONSTRAINTS_NOW: Stmt = { text: 'SET CONSTRAINTS ALL IMMEDIATE' };

type Reserved = Awaited<ReturnType<Sql['reserve']>>;
type Settled = PromiseSettledResult<unknown>;

/**
 * The pool. A request reserves a connection and sends its whole transaction — BEGIN, the request
 * settings, the pre-request call, the call, COMMIT — without waiting in between: postgres.js pipelines
 * the statements, so with warm prepared statements the transaction is ONE network round trip.
 * A statement postgres.js must describe first (parameters and no prepared statement: always with
 * `prepare` off, or the first time a text is used on a connection) holds back what follows it until it
 * has run, so statements after such a one are sent as the next group.
 */
export class GatewayPool {
  readonly sql: Sql;
  readonly sem: Semaphore;
  private readonly prepared = new Set<string>();
  constructor(private readonly o: PoolOptions) {
    this.sql = postgres(o.url, {
      max: o.size,
      prepare: o.prepare,
      // fetch_types stays on: postgres.js 3.4.9 never hands a fresh connection to reserve() when it is off
      onnotice: () => {},
      idle_timeout: 60,
      max_lifetime: 60 * 30,
      connect_timeout: Math.max(1, Math.ceil(Math.min(o.timeoutMs || 10_000, 10_000) / 1000)),
      connection: { application_name: 'lotline-gateway' },
      ...(o.debug ? { debug: (c: number, text: string, params: unknown[]) => o.debug!(c, text, params) } : {}),
    });
    this.sem = new Semaphore(o.size);
  }

  get size(): number {
    return this.o.size;
  }

  /** Forget which texts may be prepared (after a schema reload the texts change). */
  resetPrepared(): void {
    this.prepared.clear();
  }

  private usePrepared(text: string): boolean {
    if (!this.o.prepare) return false;
    if (this.prepared.has(text)) return true;
    if (this.prepared.size >= this.o.maxPrepared) return false;
    this.prepared.add(text);
    return true;
  }

  private async slot(): Promise<void> {
    const wait = this.sem.acquire(this.o.timeoutMs);
    if (wait) await wait;
  }

  /** Run a request's transaction (see TxPlan); returns the result row. */
  async run(plan: TxPlan): Promise<Row> {
    await this.slot();
    let conn: Reserved | undefined;
    let healthy = true;
    try {
      conn = await this.sql.reserve();
      const decideLater = typeof plan.end === 'function';
      const ends = plan.end === 'commit' ? [COMMIT] : plan.end === 'rollback' ? [CONSTRAINTS_NOW, ROLLBACK] : [];
      const all: Stmt[] = [{ text: plan.begin }, ...plan.steps, ...ends];
      const nSteps = 1 + plan.steps.length;
      const res = await this.send(conn, all);
      const lost = res.find((x) => x.status === 'rejected' && connectionLost(x.reason));
      if (lost) {
        healthy = false;
        throw (lost as PromiseRejectedResult).reason;
      }
      const stepError = res.slice(0, nSteps).find((x) => x.status === 'rejected') as PromiseRejectedResult | undefined;
      if (stepError) {
        // an aborted transaction is ended by a pipelined COMMIT/ROLLBACK; otherwise it is still open
        if (res.length < all.length || decideLater) await this.rollback(conn);
        throw stepError.reason;
      }
      const row = lastRow((res[nSteps - 1] as PromiseFulfilledResult<unknown>).value);
      if (typeof plan.end === 'function') {
        let end: 'commit' | 'rollback';
        try {
          plan.check?.(row);
          end = plan.end(row);
        } catch (e) {
          await this.rollback(conn);
          throw e;
        }
        const fin = await this.send(conn, end === 'commit' ? [COMMIT] : [CONSTRAINTS_NOW, ROLLBACK]);
        const bad = fin.find((x) => x.status === 'rejected') as PromiseRejectedResult | undefined;
        if (bad) {
          if (connectionLost(bad.reason)) healthy = false;
          throw bad.reason;
        }
        return row;
      }
      const endError = res.slice(nSteps).find((x) => x.status === 'rejected') as PromiseRejectedResult | undefined;
      if (plan.end === 'commit') {
        if (endError) throw endError.reason;
        plan.check?.(row);
      } else {
        // rolled back anyway: the check's error wins over a deferred constraint's
        plan.check?.(row);
        if (endError) throw endError.reason;
      }
      return row;
    } catch (e) {
      throw isPgError(e) || e instanceof ApiError ? e : transportError(e);
    } finally {
      // a connection that broke is not handed back: postgres.js reconnects it when it is next needed
      if (conn && healthy) conn.release();
      this.sem.release();
    }
  }

  private async rollback(conn: Reserved): Promise<void> {
    const [r] = await this.send(conn, [ROLLBACK]);
    if (r && r.status === 'rejected') throw r.reason;
  }

  private describesFirst(s: Stmt): boolean {
    return !!s.params && s.params.length > 0 && !(this.o.prepare && this.prepared.has(s.text));
  }

  /** Send the statements, pipelined; a new group starts after a statement that is described first. Stops after a failed group. */
  private async send(conn: Reserved, stmts: Stmt[]): Promise<Settled[]> {
    const out: Settled[] = [];
    let i = 0;
    while (i < stmts.length) {
      const group: Promise<unknown>[] = [];
      while (i < stmts.length) {
        const s = stmts[i++]!;
        group.push(this.issue(conn, s));
        if (this.describesFirst(s)) break;
      }
      const settled = await settle(group);
      out.push(...settled);
      if (settled.some((x) => x.status === 'rejected')) break;
    }
    return out;
  }

  private issue(conn: Reserved, s: Stmt): Promise<unknown> {
    if (!s.params || s.params.length === 0) return conn.unsafe(s.text).execute();
    const params = s.params.map((v) => conn.typed(v, 25)); // text: the SQL casts to the catalog type
    return conn.unsafe(s.text, params as never[], { prepare: this.usePrepared(s.text) }).execute();
  }

  async end(timeoutSeconds = 5): Promise<void> {
    await this.sql.end({ timeout: timeoutSeconds });
  }
}

/**
 * Like Promise.allSettled, but when the connection is lost the statements that were never sent would
 * never settle (postgres.js keeps them in the reserved connection's queue): answer at once.
 */
function settle(qs: Promise<unknown>[]): Promise<Settled[]> {
  return new Promise((resolve) => {
    const results: (Settled | undefined)[] = new Array(qs.length);
    let left = qs.length;
    let done = false;
    const finish = (fill?: unknown) => {
      if (done) return;
      done = true;
      resolve(results.map((x) => x ?? { status: 'rejected', reason: fill }) as Settled[]);
    };
    qs.forEach((q, i) => {
      q.then(
        (value) => {
          results[i] = { status: 'fulfilled', value };
          if (--left === 0) finish();
        },
        (reason: unknown) => {
          results[i] = { status: 'rejected', reason };
          if (--left === 0 || connectionLost(reason)) finish(reason);
        },
      );
    });
    if (qs.length === 0) finish();
  });
}

function lastRow(res: unknown): Row {
  const arr = res as Row[];
  return arr[0] ?? {};
}
