import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same text for the same value whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: 'é', z: null })).toBe(canonicalJson({ z: null, y: 'é', x: 1 }));
  });

  it('writes undefined array items as null, like JSON.stringify', () => {
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('escapes strings exactly as JSON.stringify does', () => {
    expect(canonicalJson({ 'k"\n': 'a\u2028b' })).toBe(
      `{${JSON.stringify('k"\n')}:${JSON.stringify('a\u2028b')}}`,
    );
  });

  it('rejects values JSON cannot represent', () => {
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
  });
});
