import { describe, expect, it } from 'vitest';
import { boundsProblem, MAX_ARRAY_ITEMS, MAX_REQUEST_NODES } from './bounds';

/** `{ n: { n: … } }`, `levels` deep. */
function nested(levels: number): unknown {
  let o: unknown = {};
  for (let i = 0; i < levels; i++) o = { n: o };
  return o;
}

describe('request bounds', () => {
  it('accepts what a browser sends: capabilities with 60 codecs, each with parameters and feedback', () => {
    const codec = {
      kind: 'video',
      mimeType: 'video/VP8',
      clockRate: 90000,
      parameters: { 'x-google-start-bitrate': 1000 },
      rtcpFeedback: [{ type: 'nack', parameter: 'pli' }],
    };
    const caps = { codecs: Array.from({ length: 60 }, () => codec), headerExtensions: [] };
    expect(boundsProblem({ type: 'media.capabilities', rtpCapabilities: caps })).toBeUndefined();
  });

  it('refuses 2,000 levels of nesting, and 100,000 without recursion', () => {
    expect(boundsProblem({ type: 'x', o: nested(2000) })).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/nested deeper than 10 levels/),
    });
    // A recursive walk would overflow the stack here; how fast it is belongs to the benchmark.
    expect(boundsProblem(nested(100_000))?.code).toBe('bad_request');
  });

  it('refuses too many keys, items, values, and too long a string (payload_too_large)', () => {
    const wide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    expect(boundsProblem({ o: wide })?.message).toMatch(/more than 64 keys/);
    expect(boundsProblem({ a: new Array(MAX_ARRAY_ITEMS + 1).fill(0) })?.message).toMatch(/items/);
    const many = { a: Array.from({ length: 50 }, () => new Array(200).fill(0)) };
    expect(boundsProblem(many)?.message).toBe(`more than ${MAX_REQUEST_NODES} values`);
    expect(boundsProblem({ s: 'x'.repeat(4097) })).toMatchObject({ code: 'payload_too_large' });
  });
});
