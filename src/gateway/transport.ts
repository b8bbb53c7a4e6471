// Telling a lost connection from an error Postgres reported, and waiting for pipelined statements
// without waiting forever for those a lost connection will never answer.
import { ApiError, isPgError, pgrst } from './errors.ts';

export type Settled = PromiseSettledResult<unknown>;

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
export function connectionLost(e: unknown): boolean {
  if (isPgError(e)) return e.severity === 'FATAL' || e.severity === 'PANIC';
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (TRANSPORT.has(code) || /^E[A-Z]+$/.test(code));
}

/**
 * Like Promise.allSettled, but when the connection is lost the statements that were never sent would
 * never settle (postgres.js keeps them in the reserved connection's queue): answer at once.
 */
export function settle(qs: readonly Promise<unknown>[]): Promise<Settled[]> {
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
