// The connection pool (postgres.js; no session state besides its prepared statements) behind a
// semaphore that bounds concurrent transactions and turns a long wait into 504 PGRST003.
import postgres, { type Sql } from 'postgres';
import { ApiError, isPgError, pgrst } from './errors.ts';
import { Semaphore } from './semaphore.ts';
import { connectionLost, settle, transportError, type Settled } from './transport.ts';

import { clientGone, cancelQuery, type Cancel, type RunOptions } from './cancel.ts';

export { Semaphore } from './semaphore.ts';
export { transportError } from './transport.ts';
export type { GoneHook, RunOptions } from './cancel.ts';

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
  /** the request settings */
  settings: Stmt;
  /** the pre-request call */
  pre?: Stmt;
  /** the call: its first row is the result */
  main: Stmt;
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
  /** connections authenticated callers may not use (kept for the anonymous role); 0: none */
  anonReserved?: number;
  /** wait for a free connection before 504 PGRST003 */
  timeoutMs: number;
  /** use named prepared statements (postgres.js caches them per connection) */
  prepare: boolean;
  /** at most this many distinct statement texts are prepared (per connection); others run unprepared */
  maxPrepared: number;
  /** postgres.js debug hook: every statement text with its parameter values, as sent */
  debug?: (connection: number, text: string, params: unknown[]) => void;
  /** operational warnings (a transaction pooler detected, …) */
  warn?: (msg: string, detail?: Record<string, unknown>) => void;
}

const COMMIT: Stmt = { text: 'COMMIT' };
const ROLLBACK: Stmt = { text: 'ROLLBACK' };
const CONSTRAINTS_NOW: Stmt = { text: 'SET CONSTRAINTS ALL IMMEDIATE' };

type Reserved = Awaited<ReturnType<Sql['reserve']>>;
type Query = ReturnType<Reserved['unsafe']>;

/** One pooled connection: a postgres.js instance of its own (max 1) and the statement texts prepared on it. */
interface Conn {
  sql: Sql;
  /** texts prepared on the current server connection (postgres.js forgets them when it reconnects) */
  prepared: Set<string>;
  /** the server connection is open (then reserve() gets it at once) */
  open: boolean;
}

/** The statements prepared on a connection are gone (a transaction pooler, or DEALLOCATE by a function). */
class StaleStatements extends Error {
  constructor(readonly pgError: unknown) {
    super('prepared statement missing');
  }
}

/**
 * postgres.js re-sends a prepared statement the server no longer knows ("prepared statement … does not
 * exist") — out of order, after the rest of the pipeline, i.e. after our COMMIT, outside the
 * transaction and its role; with two of them in flight its protocol state breaks and the connection
 * hangs. A pipelined transaction must fail instead: `prepared` reads as postgres.js set it only while
 * it builds and writes the statement (the same synchronous turn), and false when the answer arrives.
 */
function noResend(q: Query): Query {
  let value: unknown = false;
  Object.defineProperty(q, 'prepared', {
    configurable: true,
    get: () => value,
    set: (v: unknown) => {
      value = v;
      queueMicrotask(() => {
        value = false;
      });
    },
  });
  return q;
}

/**
 * The pool: `size` connections, each a postgres.js instance of its own, so the gateway knows which
 * statements are prepared on the connection it uses. A request takes a connection, reserves it and
 * sends its whole transaction — BEGIN, request settings, pre-request, call, COMMIT — without waiting in
 * between: postgres.js pipelines them, so with warm prepared statements the transaction is ONE network
 * round trip. A statement postgres.js must describe first (parameters and no prepared statement on this
 * connection: always with `prepare` off) is sent last in its group: the next group follows when it has
 * run. (postgres.js would hold queued statements back anyway, and send them one per round trip.)
 *
 * A connection that failed (transport error, FATAL, refused, statements gone) is not reused: its
 * instance is ended and a fresh one takes its place. (postgres.js 3.4.9 can lose a reserve() request
 * queued on a connection that reconnects; a fresh instance never has one queued.)
 */
export class GatewayPool {
  readonly sem: Semaphore;
  /** authenticated transactions at once: the pool less the connections kept for anonymous callers */
  readonly authenticatedSem: Semaphore | null;
  private readonly idle: Conn[] = [];
  private readonly live = new Set<Conn>();
  private ending = false;
  /** prepared statements in use (turned off when they go missing: a transaction pooler) */
  private prepare: boolean;
  constructor(private readonly o: PoolOptions) {
    this.sem = new Semaphore(o.size);
    const reserved = Math.min(Math.max(0, o.anonReserved ?? 0), o.size - 1);
    this.authenticatedSem = reserved > 0 ? new Semaphore(o.size - reserved) : null;
    this.prepare = o.prepare;
  }

  get size(): number {
    return this.o.size;
  }

  private make(): Conn {
    const c: Conn = { sql: undefined as unknown as Sql, prepared: new Set(), open: false };
    c.sql = postgres(this.o.url, {
      max: 1,
      prepare: this.prepare,
      // no array-type query on connect: postgres.js 3.4.9 sends it without awaiting its promise, so a connection
      // killed meanwhile was an unhandled rejection (CONNECTION_CLOSED). Parameters are sent as text and the
      // result row holds no arrays, so the types are not needed; reserve() is helped instead (open()).
      fetch_types: false,
      onnotice: () => {},
      onclose: () => {
        c.open = false;
        c.prepared.clear();
      },
      idle_timeout: 60,
      max_lifetime: 60 * (30 + Math.random() * 30), // spread: connections made together do not all reconnect together
      connect_timeout: this.connectTimeoutS,
      // postgres.js' default back-off grows to 20 s; a request never waits on it here (failed instances are
      // replaced), but keep the instance's own retries short too
      backoff: (retries: number) => Math.min(0.5, 0.02 * 2 ** Math.min(retries, 10)),
      connection: { application_name: 'lotline-gateway' },
      ...(this.o.debug ? { debug: (id: number, text: string, params: unknown[]) => this.o.debug!(id, text, params) } : {}),
    });
    this.live.add(c);
    return c;
  }

  private discard(c: Conn): void {
    this.live.delete(c);
    void c.sql.end({ timeout: 0 }).catch(() => {});
  }

  /** A pool slot (and, for an authenticated caller, one of its class's) within the pool timeout. */
  private async slot(classSem: Semaphore | null): Promise<void> {
    const started = classSem && this.o.timeoutMs > 0 ? performance.now() : 0;
    if (classSem) {
      const w = classSem.acquire(this.o.timeoutMs);
      if (w) await w;
    }
    try {
      const left = started ? Math.max(1, this.o.timeoutMs - (performance.now() - started)) : this.o.timeoutMs;
      const wait = this.sem.acquire(left);
      if (wait) await wait;
    } catch (e) {
      classSem?.release();
      throw e;
    }
  }

  /**
   * Run a request's transaction (see TxPlan); returns the result row. When the connection's prepared
   * statements turn out to be gone, nothing ran (the transaction was aborted at that statement): it is
   * run once more on a fresh connection.
   */
  async run(plan: TxPlan, opts?: RunOptions): Promise<Row> {
    const classSem = opts?.anon ? null : this.authenticatedSem;
    let cancel: Cancel | null = null;
    let stopListening: (() => void) | undefined;
    if (opts?.onGone) {
      const c: Cancel = (cancel = { gone: false, queries: null });
      // the client went away: cancel the running statement (the transaction then rolls back, never commits)
      stopListening = opts.onGone(() => {
        c.gone = true;
        if (c.queries) c.queries.forEach(cancelQuery);
      });
    }
    try {
      await this.slot(classSem);
    } catch (e) {
      stopListening?.();
      throw e;
    }
    try {
      if (cancel?.gone) throw clientGone();
      try {
        return await this.attempt(plan, false, cancel);
      } catch (e) {
        if (!(e instanceof StaleStatements)) throw e;
        // nothing ran: the transaction stopped at the missing statement. Almost always a transaction
        // pooler (PgBouncer < 1.21) in front of the database: prepared statements cannot work there.
        if (this.prepare) {
          this.prepare = false;
          this.o.warn?.('prepared statements missing on a pooled connection (a transaction pooler in front of the database, or DEALLOCATE in a function): ' +
            'prepared statements turned off; behind a transaction pooler set LOTLINE_DB_PREPARED_STATEMENTS=false', { error: (e.pgError as Error).message });
        }
        try {
          return await this.attempt(plan, true, cancel);
        } catch (e2) {
          if (!(e2 instanceof StaleStatements)) throw e2;
          const pg = e2.pgError as { message?: string };
          throw pgrst.client(`${pg.message ?? 'prepared statement missing'} (behind a transaction pooler set LOTLINE_DB_PREPARED_STATEMENTS=false)`);
        }
      }
    } finally {
      stopListening?.();
      this.sem.release();
      classSem?.release();
    }
  }

  private async attempt(plan: TxPlan, fresh: boolean, cancel: Cancel | null): Promise<Row> {
    // most recently used first: busy connections stay warm, spare ones reach their idle timeout
    const c = (!fresh && this.idle.pop()) || this.make();
    let conn: Reserved | undefined;
    let healthy = false;
    try {
      try {
        conn = await this.reserve(c);
      } catch (e) {
        // opening the connection failed (refused, timed out, or the server said no: 57P03 shutting down,
        // 53300 too many connections, 28P01 …): a connection error, whatever Postgres called it
        throw pgrst.connection(isPgError(e) ? `${e.code}: ${e.message}` : (e as Error).message ?? String(e));
      }
      healthy = true;
      const decideLater = typeof plan.end === 'function';
      const ends = plan.end === 'commit' ? [COMMIT] : plan.end === 'rollback' ? [CONSTRAINTS_NOW, ROLLBACK] : [];
      const steps = [plan.settings, ...(plan.pre ? [plan.pre] : []), plan.main];
      const all: Stmt[] = [{ text: plan.begin }, ...steps, ...ends];
      const nSteps = 1 + steps.length;
      const { settled: res, queries } = await this.send(c, conn, all, cancel);
      const lost = res.find((x) => x.status === 'rejected' && connectionLost(x.reason));
      if (lost) {
        healthy = false;
        throw (lost as PromiseRejectedResult).reason;
      }
      const stepIndex = res.slice(0, nSteps).findIndex((x) => x.status === 'rejected');
      if (stepIndex >= 0) {
        const reason = (res[stepIndex] as PromiseRejectedResult).reason;
        // an aborted transaction is ended by a pipelined COMMIT/ROLLBACK; otherwise it is still open
        if (res.length < all.length || decideLater) healthy = await this.rollback(c, conn);
        if (isStale(reason, queries[stepIndex])) {
          healthy = false;
          throw new StaleStatements(reason);
        }
        throw reason;
      }
      const row = lastRow((res[nSteps - 1] as PromiseFulfilledResult<unknown>).value);
      if (typeof plan.end === 'function') {
        let end: 'commit' | 'rollback';
        try {
          plan.check?.(row);
          end = plan.end(row);
        } catch (e) {
          healthy = await this.rollback(c, conn);
          throw e;
        }
        if (cancel?.gone) {
          healthy = await this.rollback(c, conn);
          throw clientGone();
        }
        const { settled: fin } = await this.send(c, conn, end === 'commit' ? [COMMIT] : [CONSTRAINTS_NOW, ROLLBACK]);
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
      if (cancel?.gone) throw clientGone();
      throw isPgError(e) || e instanceof ApiError || e instanceof StaleStatements ? e : transportError(e);
    } finally {
      // a cancel request may still be on its way to this backend: it must not hit the next request's statement
      if (cancel?.gone) healthy = false;
      if (healthy && conn && !this.ending) {
        conn.release();
        this.idle.push(c);
      } else {
        this.discard(c);
      }
    }
  }

  /**
   * The instance's connection, reserved. With fetch_types off postgres.js 3.4.9 never hands a connection it
   * opens FOR reserve() to it, so a closed one is opened by a plain query first (awaited: postgres.js sends
   * a query a tick later, so reserve() would win the race); reserve() then takes the open connection. A reserve that still waits past the connect timeout (the connection closing just as
   * it was taken) is a connection error; the instance is then discarded.
   */
  private async reserve(c: Conn): Promise<Reserved> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('no connection within the connect timeout'), { code: 'CONNECT_TIMEOUT' })), this.connectTimeoutS * 1000 + 500);
    });
    late.catch(() => {});
    try {
      // open it first (its ReadyForQuery puts it among the open ones, which reserve() takes at once)
      if (!c.open) await Promise.race([c.sql.unsafe('SELECT 1').execute(), late]);
      const reserving = c.sql.reserve();
      reserving.catch(() => {}); // settled by end() when the instance is discarded
      const r = await Promise.race([reserving, late]);
      c.open = true;
      return r;
    } finally {
      clearTimeout(timer);
    }
  }

  private get connectTimeoutS(): number {
    return Math.max(1, Math.ceil(Math.min(this.o.timeoutMs || 10_000, 10_000) / 1000));
  }

  /** ROLLBACK an open transaction; false when the connection broke meanwhile. */
  private async rollback(c: Conn, conn: Reserved): Promise<boolean> {
    const { settled: [r] } = await this.send(c, conn, [ROLLBACK]);
    return !(r && r.status === 'rejected');
  }

  private describesFirst(c: Conn, s: Stmt): boolean {
    return !!s.params && s.params.length > 0 && !(this.prepare && c.prepared.has(s.text));
  }

  /** Send the statements, pipelined; a new group starts after a statement that is described first. Stops after a failed group. */
  private async send(c: Conn, conn: Reserved, stmts: Stmt[], cancel: Cancel | null = null): Promise<{ settled: Settled[]; queries: Query[] }> {
    const settled: Settled[] = [];
    const queries: Query[] = [];
    let i = 0;
    while (i < stmts.length) {
      const group: Query[] = [];
      while (i < stmts.length) {
        const s = stmts[i++]!;
        const first = this.describesFirst(c, s);
        group.push(this.issue(c, conn, s));
        if (first) break;
      }
      if (cancel) {
        if (cancel.gone) group.forEach(cancelQuery);
        cancel.queries = group;
      }
      const done = await settle(group);
      settled.push(...done);
      queries.push(...group);
      if (done.some((x) => x.status === 'rejected')) break;
    }
    return { settled, queries };
  }

  private issue(c: Conn, conn: Reserved, s: Stmt): Query {
    if (!s.params || s.params.length === 0) return conn.unsafe(s.text).execute();
    let prepare = false;
    if (this.prepare && (c.prepared.has(s.text) || c.prepared.size < this.o.maxPrepared)) {
      prepare = true;
      c.prepared.add(s.text);
    }
    const params = s.params.map((v) => conn.typed(v, 25)); // text: the SQL casts to the catalog type
    return noResend(conn.unsafe(s.text, params as never[], { prepare })).execute();
  }

  async end(timeoutSeconds = 5): Promise<void> {
    this.ending = true;
    await Promise.all([...this.live].map((c) => c.sql.end({ timeout: timeoutSeconds })));
    this.live.clear();
    this.idle.length = 0;
  }
}

/** "prepared statement "<its name>" does not exist" for one of our own statements. */
function isStale(e: unknown, q: Query | undefined): boolean {
  if (!isPgError(e) || e.code !== '26000' || !q) return false;
  const name = (q as unknown as { statement?: { name?: string } }).statement?.name;
  return !!name && e.message.includes(`"${name}"`);
}

function lastRow(res: unknown): Row {
  const arr = res as Row[];
  return arr[0] ?? {};
}
