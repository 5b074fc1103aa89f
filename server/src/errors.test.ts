import { describe, expect, it } from 'vitest';
import { AppError, assertNever, mapError } from './errors';

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

describe('assertNever', () => {
  it('throws naming the unexpected value', () => {
    expect(() => assertNever('paused' as never)).toThrow('Unexpected value: "paused"');
  });
});
