/**
 * The domain's error vocabulary: one class with a small fixed set of stable codes, and the one
 * function that maps any thrown value to what goes on the wire (HTTP and signalling alike).
 */

import { reachabilityOf } from './db/unreachable';
import type { ErrorCode, WireError } from './protocol';

/** Stable error codes, shared by the HTTP API and the signalling protocol (defined in protocol/). */
export type { ErrorCode } from './protocol';

/** HTTP status for each error code. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  token_used: 401,
  forbidden: 403,
  not_found: 404,
  invalid_state: 409,
  rate_limited: 429,
  limit_reached: 429,
  payload_too_large: 413,
  timeout: 504,
  unavailable: 503,
  internal: 500,
  notice_too_short: 422,
  capacity: 409,
  attachment_too_large: 413,
  attachment_type: 415,
  wrong_password: 401,
  not_open_yet: 409,
};

/** A domain error with a stable code; its message is safe to show to the client. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** HTTP status matching the code. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** An HTTP error response body: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: WireError;
}

/** A wire error together with its HTTP status and whether it is a server fault worth logging. */
export interface MappedError {
  status: number;
  body: ErrorBody;
  /** true for unexpected errors (internal): log them with their stack, hide their message. */
  unexpected: boolean;
}

const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'invalid_state',
  413: 'payload_too_large',
  429: 'rate_limited',
};

/** The message of `unavailable` when the database is out of reach. */
export const DATABASE_UNAVAILABLE = 'the database is out of reach: try again shortly';
/** The message of `unavailable` for a bare socket error of unknown origin. */
export const DEPENDENCY_UNAVAILABLE = 'a service this server needs is out of reach: try again shortly';

/**
 * Maps any thrown value to its wire form: AppError keeps its code and message; a database out of
 * reach (no connection, a connection lost, no answer in time) is `unavailable` (503), as is a bare
 * socket error (ECONNREFUSED…); Fastify's validation and other 4xx errors become `bad_request` (or
 * the code matching their status) with their reason; anything else is `internal` with a generic
 * message.
 */
export function mapError(err: unknown): MappedError {
  if (err instanceof AppError) {
    return { status: err.status, body: wire(err.code, err.message), unexpected: err.code === 'internal' };
  }
  const reach = reachabilityOf(err);
  if (reach !== 'answered') {
    const message = reach === 'database' ? DATABASE_UNAVAILABLE : DEPENDENCY_UNAVAILABLE;
    return { status: ERROR_STATUS.unavailable, body: wire('unavailable', message), unexpected: false };
  }
  const status = statusOf(err);
  if (status !== undefined && status >= 400 && status < 500) {
    const message = err instanceof Error ? err.message : String(err);
    return { status, body: wire(CODE_BY_STATUS[status] ?? 'bad_request', message), unexpected: false };
  }
  return { status: 500, body: wire('internal', 'Internal server error'), unexpected: true };
}

/** Exhaustiveness check for switches over closed sets of literals. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

function wire(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { statusCode } = err as { statusCode?: unknown };
  return typeof statusCode === 'number' ? statusCode : undefined;
}
