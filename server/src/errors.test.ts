import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DatabaseUnreachableError } from './db/unreachable';
import { AppError, assertNever, DATABASE_UNAVAILABLE, DEPENDENCY_UNAVAILABLE, mapError } from './errors';

/** An ErrorResponse from PostgreSQL, as node-postgres throws it. */
function serverError(code: string, message: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(message, 0, 'error'), { code, severity: 'ERROR' });
}

/** A socket error as Node throws it. */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
}

const databaseUnavailable = {
  status: 503,
  body: { error: { code: 'unavailable', message: DATABASE_UNAVAILABLE } },
  unexpected: false,
};

describe('mapError', () => {
  it('keeps the code and message of an AppError, with the matching HTTP status', () => {
    expect(mapError(new AppError('invalid_state', 'the sitting is ended'))).toEqual({
      status: 409,
      body: { error: { code: 'invalid_state', message: 'the sitting is ended' } },
      unexpected: false,
    });
    expect(mapError(new AppError('rate_limited', 'slow down')).status).toBe(429);
  });

  it('turns a Fastify 4xx error into the code for its status, keeping its reason', () => {
    const validation = Object.assign(new Error('body/n must be integer'), {
      statusCode: 400,
      validation: [],
    });
    expect(mapError(validation).body).toEqual({
      error: { code: 'bad_request', message: 'body/n must be integer' },
    });
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(mapError(tooLarge)).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    const unsupported = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 });
    expect(mapError(unsupported)).toMatchObject({ status: 415, body: { error: { code: 'bad_request' } } });
  });

  it('hides anything else behind 500 internal and flags it as unexpected', () => {
    for (const thrown of [new Error('ECONNRESET at 10.0.0.3'), 'a string', null, { statusCode: 502 }]) {
      expect(mapError(thrown)).toEqual({
        status: 500,
        body: { error: { code: 'internal', message: 'Internal server error' } },
        unexpected: true,
      });
    }
  });
});

describe('mapError for a database out of reach', () => {
  it('answers unavailable (503) to the connection errors of node-postgres, pg-pool and PGlite', () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'Query read timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
      'Cannot use a pool after calling end on the pool',
      'PGlite is closed',
    ]) {
      expect(mapError(new Error(message)), message).toEqual(databaseUnavailable);
    }
    expect(mapError(new DatabaseUnreachableError('no answer'))).toEqual(databaseUnavailable);
  });

  it('looks through causes and AggregateErrors (Kysely and pg wrap the original)', () => {
    const wrapped = new Error('insert failed', { cause: new Error('Query read timeout') });
    expect(mapError(wrapped)).toEqual(databaseUnavailable);
    const everyAddress = new AggregateError([socketError('ECONNREFUSED'), new Error('Query read timeout')]);
    expect(mapError(everyAddress)).toEqual(databaseUnavailable);
  });

  it('answers unavailable to the server saying the connection is the problem', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '53300']) {
      expect(mapError(serverError(code, 'terminating connection')), code).toEqual(databaseUnavailable);
    }
  });

  it('answers unavailable to a bare socket error, without blaming the database', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']) {
      expect(mapError(socketError(code)), code).toEqual({
        status: 503,
        body: { error: { code: 'unavailable', message: DEPENDENCY_UNAVAILABLE } },
        unexpected: false,
      });
    }
  });

  it('keeps ordinary query errors internal: the database answered', () => {
    for (const [code, message] of [
      ['23505', 'duplicate key value violates unique constraint "chat_messages_pkey"'],
      ['23514', 'new row violates check constraint "chat_messages_text_check"'],
      ['40P01', 'deadlock detected'],
      ['42P01', 'relation "nope" does not exist'],
      ['57014', 'canceling statement due to user request'],
    ] as const) {
      expect(mapError(serverError(code, message)), code).toMatchObject({
        status: 500,
        body: { error: { code: 'internal' } },
        unexpected: true,
      });
    }
  });
});

describe('assertNever', () => {
  it('throws naming the unexpected value', () => {
    expect(() => assertNever('paused' as never)).toThrow('Unexpected value: "paused"');
  });
});
