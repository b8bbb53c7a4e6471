// Errors postgres.js (3.4.x) raises with nobody to catch them when a connection dies while it is being
// set up, so a process can log them instead of crashing and the test runner can tell them from real ones.
//
// On every new connection the driver looks up the array types (a query it starts from its message
// handler and never awaits); when the backend is terminated during that lookup the query's rejection is
// unhandled, and a write still queued for the destroyed socket throws. Both happen after the driver has
// already failed the connection, which the gateway's pool replaces; nothing a request waits on is lost.

interface DriverError {
  stack?: unknown;
  message?: unknown;
  query?: unknown;
}

/** True for exactly those two driver-internal errors of a connection lost during its set-up. */
export function isDriverConnectionLoss(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const err = e as DriverError;
  const stack = typeof err.stack === 'string' ? err.stack : '';
  if (typeof err.query === 'string' && /pg_catalog\.pg_type[\s\S]*typarray/.test(err.query)) return true;
  return stack.includes('postgres/src/connection.js') && /reading 'write'/.test(String(err.message ?? ''));
}

/** In a long-running process: log those errors as warnings; any other unhandled error still ends the process. */
export function survivePostgresConnectionLoss(warn: (message: string) => void): void {
  const onError = (e: unknown) => {
    if (isDriverConnectionLoss(e)) {
      warn(`database connection lost while it was being set up (${String((e as DriverError).message ?? e)}); the pool replaces it`);
      return;
    }
    console.error(e);
    process.exit(1);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
}
