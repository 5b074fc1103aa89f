import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { AppError, mapError } from '../errors';
import {
  boundsProblem,
  MAX_REQUEST_BYTES,
  RequestSchemas,
  type Reply,
  type RequestType,
  type WireError,
} from '../protocol';
import { TokenBucket } from '../sittings/limits';
import { PERMISSIONS } from '../sittings/permissions';
import { handlers, type Connection, type HandlerDeps } from './handlers';
import type { RequestLabel } from './metrics';

const checks = Object.fromEntries(
  Object.entries(RequestSchemas).map(([type, schema]) => [type, TypeCompiler.Compile(schema as TSchema)]),
) as Record<RequestType, TypeCheck<TSchema>>;

const isRequestType = (t: unknown): t is RequestType =>
  typeof t === 'string' && Object.hasOwn(RequestSchemas, t);

/** Size of a message as JSON text; non-serialisable input counts as too large. */
function jsonSize(msg: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(msg) ?? '');
  } catch {
    return Infinity;
  }
}

/** Decodes and validates a raw message into a typed request, or throws `bad_request`. */
export function decodeRequest(msg: unknown): { type: RequestType } & Record<string, unknown> {
  // First the bounds (iterative, cheap), so that nothing below recurses into a hostile object.
  const problem = boundsProblem(msg);
  if (problem !== undefined) {
    throw new AppError(problem.code, `the request is out of bounds: ${problem.message}`);
  }
  if (jsonSize(msg) > MAX_REQUEST_BYTES) {
    throw new AppError('payload_too_large', `requests are limited to ${MAX_REQUEST_BYTES} bytes`);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new AppError('bad_request', 'a request is an object with a "type"');
  }
  const type = (msg as { type?: unknown }).type;
  if (!isRequestType(type))
    throw new AppError('bad_request', `unknown request type: ${String(type).slice(0, 40)}`);
  const check = checks[type];
  if (!check.Check(msg)) {
    const first = check.Errors(msg).First();
    throw new AppError('bad_request', `${type}: ${first?.path || '/'} ${first?.message ?? 'is invalid'}`);
  }
  return msg as { type: RequestType } & Record<string, unknown>;
}

/** Maps any thrown error to the wire format: errors.ts's mapping plus mediasoup's parameter errors. */
export function toWireError(err: unknown): WireError {
  // mediasoup validates the parameter objects a client sends and throws these on malformed ones.
  if (err instanceof TypeError || (err instanceof Error && err.name === 'UnsupportedError')) {
    return { code: 'bad_request', message: err.message };
  }
  if (err instanceof Error && err.name === 'InvalidStateError')
    return { code: 'invalid_state', message: err.message };
  return mapError(err).body.error;
}

/** Each connection's request budget (SIGNALLING_RATE_PER_S, SIGNALLING_BURST), and whether it ran out. */
const budgets = new WeakMap<Connection, { bucket: TokenBucket; refused: number }>();

/** Throws `rate_limited` when the connection sends faster than its budget; logs once per flood. */
function spend(c: Connection, deps: HandlerDeps): void {
  let budget = budgets.get(c);
  if (!budget) {
    const { requestsPerSecond, requestBurst } = deps.sittings.limits;
    budget = { bucket: new TokenBucket(requestsPerSecond, requestBurst), refused: 0 };
    budgets.set(c, budget);
  }
  if (budget.bucket.take()) {
    if (budget.refused > 0) {
      deps.logger.warn(
        { sittingId: c.sittingId, connectionId: c.id, refused: budget.refused },
        'requests were rate-limited',
      );
      budget.refused = 0;
    }
    return;
  }
  if (budget.refused++ === 0) {
    deps.logger.warn({ sittingId: c.sittingId, connectionId: c.id }, 'too many requests: rate-limiting');
  }
  throw new AppError('rate_limited', `too many requests: wait ${budget.bucket.retryAfterMs} ms`);
}

/**
 * Handles one request end to end: rate, decode, validate, check permission, call one domain
 * method. Always resolves to exactly one reply; never throws. `elsewhere`: the connection's
 * sitting is hosted by another node (cluster/edge.ts), which handles the validated request instead
 * (and checks that the connection joined).
 */
export async function dispatch(
  c: Connection,
  msg: unknown,
  deps: HandlerDeps,
  elsewhere?: (req: { type: RequestType } & Record<string, unknown>) => Promise<unknown>,
): Promise<Reply<unknown>> {
  // The metric label: only the protocol's types, so a client cannot grow the label set.
  const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  const label: RequestLabel = isRequestType(type) ? type : 'unknown';
  try {
    spend(c, deps);
    const req = decodeRequest(msg);
    const permission = PERMISSIONS[req.type];
    if (!permission.roles.includes(c.identity.role)) {
      throw new AppError('forbidden', `a ${c.identity.role} may not ${req.type}`);
    }
    if (elsewhere) {
      const data = await elsewhere(req);
      deps.metrics?.request(label, undefined);
      return { ok: true, data };
    }
    if (permission.joined && !c.joined) throw new AppError('invalid_state', 'join the sitting first');
    const handler = handlers[req.type] as (c: Connection, m: unknown, d: HandlerDeps) => Promise<unknown>;
    const data = await handler(c, req, deps);
    deps.metrics?.request(label, undefined);
    return { ok: true, data };
  } catch (err) {
    const error = toWireError(err);
    if (error.code === 'internal') {
      deps.logger.error({ err, sittingId: c.sittingId, connectionId: c.id }, 'request failed');
    }
    deps.metrics?.request(label, error.code);
    return { ok: false, error };
  }
}
