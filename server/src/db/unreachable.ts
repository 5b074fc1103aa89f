/**
 * Telling a database that is out of reach from a database that refused a query. The first kind
 * (no connection, a connection lost, no answer in time) is a transient condition the client may
 * retry: the wire calls it `unavailable`. The second (a constraint, a syntax error) is a fault.
 */

/** The database did not answer: no connection, a connection lost, or no reply in time. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
}

/** How a thrown value relates to the database's reachability. */
export type Reachability =
  /** A connection-level failure known to come from the database driver. */
  | 'database'
  /** A bare socket error (ECONNREFUSED…) whose origin is not known. */
  | 'socket'
  /** Anything else: the database (if any) answered. */
  | 'answered';

// pg and pg-pool's own messages for a connection that failed or never came (they carry no code).
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^Query read timeout$/,
  /^timeout exceeded when trying to connect$/,
  /is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^driver has already been destroyed$/,
  /^PGlite is clos(ed|ing)$/,
];

// SQLSTATEs the server sends when the connection itself is the problem: class 08 (connection
// exception), admin/crash shutdown, cannot connect now, too many connections.
const CONNECTION_SQLSTATE = /^(08...|57P0[123]|53300)$/;

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether err (or its cause, or one of an AggregateError's errors) says the database is out of
 * reach: `database` for the driver's connection errors, `socket` for a bare socket error.
 */
export function reachabilityOf(err: unknown, depth = 0): Reachability {
  if (depth > 5 || typeof err !== 'object' || err === null) return 'answered';
  if (err instanceof DatabaseUnreachableError) return 'database';
  const { code, message, severity, cause } = err as {
    code?: unknown;
    message?: unknown;
    severity?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && typeof severity === 'string') {
    // An ErrorResponse from the server: it answered, unless it speaks of the connection itself.
    return CONNECTION_SQLSTATE.test(code) ? 'database' : 'answered';
  }
  if (typeof message === 'string' && DRIVER_MESSAGES.some((re) => re.test(message))) return 'database';
  let found: Reachability = typeof code === 'string' && SOCKET_CODES.has(code) ? 'socket' : 'answered';
  const inner = err instanceof AggregateError ? [...(err.errors as unknown[]), cause] : [cause];
  for (const e of inner) {
    const r = reachabilityOf(e, depth + 1);
    if (r === 'database') return r;
    if (r === 'socket') found = r;
  }
  return found;
}

/** Whether err says the database is out of reach (see reachabilityOf). */
export function isDatabaseUnreachable(err: unknown): boolean {
  return reachabilityOf(err) !== 'answered';
}

/**
 * Whether the database itself refused the statement (an ErrorResponse not about the connection):
 * then it certainly did not commit. Any other failure leaves a write's fate unknown.
 */
export function refusedByDatabase(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, severity } = err as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && typeof severity === 'string' && !CONNECTION_SQLSTATE.test(code);
}

/** Whether err says the database handle was closed (the process is shutting down). */
export function isDatabaseClosed(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /^(Cannot use a pool after calling end on the pool|driver has already been destroyed|PGlite is clos(ed|ing))$/.test(
    message,
  );
}
