import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DatabaseUnreachableError, isDatabaseClosed, refusedByDatabase } from './unreachable';

const serverError = (code: string) =>
  Object.assign(new pg.DatabaseError('refused', 0, 'error'), { code, severity: 'ERROR' });

describe('refusedByDatabase', () => {
  it('is true only for an answer from the server that is not about the connection', () => {
    expect(refusedByDatabase(serverError('23505'))).toBe(true);
    expect(refusedByDatabase(serverError('57P01'))).toBe(false);
    expect(refusedByDatabase(serverError('08006'))).toBe(false);
  });

  it('is false when nothing was heard from the server: the write may have committed', () => {
    expect(refusedByDatabase(new Error('Query read timeout'))).toBe(false);
    expect(refusedByDatabase(new DatabaseUnreachableError('Connection terminated unexpectedly'))).toBe(false);
    expect(refusedByDatabase(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      false,
    );
    expect(refusedByDatabase(undefined)).toBe(false);
  });
});

describe('isDatabaseClosed', () => {
  it('recognises a pool or PGlite closed by this process', () => {
    expect(isDatabaseClosed(new Error('Cannot use a pool after calling end on the pool'))).toBe(true);
    expect(isDatabaseClosed(new Error('PGlite is closed'))).toBe(true);
    expect(isDatabaseClosed(new Error('Query read timeout'))).toBe(false);
  });
});
