// The connection pool (postgres.js, `prepare: false`, no session state) behind a semaphore that
// bounds concurrent transactions and turns a long wait into 504 PGRST003.
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

export interface Outcome {
  row: Row;
  /** commit or roll back (only for transactions run with `runExplicit`) */
  end?: 'commit' | 'rollback';
}

/** A transport failure (not an error Postgres reported) → 503. */
export function transportError(e: unknown): ApiError {
  const code = (e as { code?: string }).code ?? '';
  const msg = (e as Error).message ?? String(e);
  if (['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'EPIPE'].includes(code)) {
    return pgrst.connection(msg);
  }
  return pgrst.client(msg);
}

export class GatewayPool {
  readonly sql: Sql;
  readonly sem: Semaphore;
  constructor(url: string, readonly size: number, private readonly timeoutMs: number) {
    this.sql = postgres(url, {
      max: size,
      prepare: false,
      // fetch_types stays on: postgres.js 3.4.9 never hands a fresh connection to reserve() when it is off
      onnotice: () => {},
      idle_timeout: 60,
      max_lifetime: 60 * 30,
      connect_timeout: Math.max(1, Math.ceil(Math.min(timeoutMs || 10_000, 10_000) / 1000)),
      connection: { application_name: 'lotline-gateway' },
    });
    this.sem = new Semaphore(size);
  }

  private async slot(): Promise<void> {
    const wait = this.sem.acquire(this.timeoutMs);
    if (wait) await wait;
  }

  /**
   * One round trip: a multi-statement simple query, which Postgres runs as ONE implicit
   * transaction (committed at its end, rolled back entirely on any error). Returns the last result's row.
   */
  async runImplicit(text: string): Promise<Row> {
    await this.slot();
    try {
      const res = await this.sql.unsafe(text);
      return lastRow(res);
    } catch (e) {
      throw isPgError(e) ? e : transportError(e);
    } finally {
      this.sem.release();
    }
  }

  /**
   * Two round trips: `text` starts with BEGIN and leaves the transaction open; `decide` looks at the
   * result and the transaction is committed or rolled back (SET CONSTRAINTS ALL IMMEDIATE first, so
   * deferred constraint errors still surface on a requested rollback).
   */
  async runExplicit<T>(text: string, decide: (row: Row) => { end: 'commit' | 'rollback'; value: T }): Promise<T> {
    await this.slot();
    let conn: Awaited<ReturnType<Sql['reserve']>> | undefined;
    try {
      conn = await this.sql.reserve();
      let row: Row;
      try {
        row = lastRow(await conn.unsafe(text));
      } catch (e) {
        await conn.unsafe('ROLLBACK').catch(() => {});
        throw e;
      }
      let d: { end: 'commit' | 'rollback'; value: T };
      try {
        d = decide(row);
      } catch (e) {
        await conn.unsafe('ROLLBACK').catch(() => {});
        throw e;
      }
      if (d.end === 'commit') {
        await conn.unsafe('COMMIT');
      } else {
        try {
          await conn.unsafe('SET CONSTRAINTS ALL IMMEDIATE');
        } finally {
          await conn.unsafe('ROLLBACK').catch(() => {});
        }
      }
      return d.value;
    } catch (e) {
      throw isPgError(e) || e instanceof ApiError ? e : transportError(e);
    } finally {
      conn?.release();
      this.sem.release();
    }
  }

  async end(timeoutSeconds = 5): Promise<void> {
    await this.sql.end({ timeout: timeoutSeconds });
  }
}

function lastRow(res: unknown): Row {
  // a multi-statement query returns one result per statement; a single statement returns its rows
  const arr = res as unknown[];
  const last = Array.isArray(arr[arr.length - 1]) ? (arr[arr.length - 1] as Row[]) : (arr as Row[]);
  return last[0] ?? {};
}
