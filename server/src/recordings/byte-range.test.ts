import { describe, expect, it } from 'vitest';
import { parseByteRange } from './byte-range';

describe('parseByteRange', () => {
  it('sends the whole file without a Range header', () => {
    expect(parseByteRange(undefined, 100)).toBeUndefined();
  });

  it('reads a closed range, inclusive at both ends', () => {
    expect(parseByteRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
  });

  it('reads an open range to the end of the file', () => {
    expect(parseByteRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
  });

  it('reads a suffix range as the last N bytes, clamped to the file', () => {
    expect(parseByteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });

  it('clamps an end past the file to its last byte', () => {
    expect(parseByteRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 });
  });

  it('reports a range starting past the end as unsatisfiable', () => {
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 100)).toBe('unsatisfiable');
  });

  it('ignores other units, several ranges and malformed headers (the whole file is sent)', () => {
    expect(parseByteRange('items=0-1', 100)).toBeUndefined();
    expect(parseByteRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseByteRange('bytes=20-10', 100)).toBeUndefined();
    expect(parseByteRange('bytes=-', 100)).toBeUndefined();
    expect(parseByteRange('bytes=abc', 100)).toBeUndefined();
  });
});
