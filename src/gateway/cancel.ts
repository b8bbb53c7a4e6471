// A call whose client goes away before the answer: the HTTP layer tells the pool, which cancels the
// running statement (postgres.js' query.cancel()), so the transaction rolls back instead of committing.
import { ApiError } from './errors.ts';

/**
 * Calls `fn` once if the client goes away before its answer is sent; returns a function that stops
 * listening. (The HTTP layer's view of the connection.)
 */
export type GoneHook = (fn: () => void) => () => void;

/** Who a transaction runs for, and how to learn that nobody waits for it any more. */
export interface RunOptions {
  /** the anonymous role: may use the connections kept back from authenticated callers */
  anon?: boolean;
  onGone?: GoneHook;
}

/** The current group of statements of a transaction whose client may go away. */
export interface Cancel {
  gone: boolean;
  queries: { cancel(): unknown }[] | null;
}

/** postgres.js' cancel: a query not sent yet is dropped; a running one gets a cancel request (its promise is typed void). */
export function cancelQuery(q: { cancel(): unknown }): void {
  (q.cancel() as unknown as Promise<void> | null)?.catch(() => {});
}

/** The client went away before its answer: nothing is sent, the transaction was rolled back. nginx's 499. */
export function clientGone(): ApiError {
  return new ApiError(499, 'PGRST000', 'Client closed the request before the answer: the transaction was rolled back');
}
