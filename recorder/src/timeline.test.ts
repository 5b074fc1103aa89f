import { describe, expect, it } from 'vitest';
import { pieces, presence, resolveOverlaps } from './timeline';

const seg = (file: string, start: number, end: number) => ({ file, start: start * 1000, end: end * 1000 });
const iv = (start: number, end: number) => ({ start: start * 1000, end: end * 1000 });

describe('pieces', () => {
  it('cuts a segment spanning a pause in two and closes the gap on the final timeline', () => {
    const s = seg('a', 100, 110);
    expect(pieces([s], [iv(100, 104), iv(106, 120)])).toEqual([
      { segment: s, inpoint: 0, finalStart: 0, finalEnd: 4 },
      { segment: s, inpoint: 6, finalStart: 4, finalEnd: 8 },
    ]);
  });

  it('drops what was written outside every interval, and slivers shorter than 20 ms', () => {
    const early = seg('early', 90, 99);
    const late = seg('late', 119.99, 125);
    const inside = seg('inside', 101, 103);
    expect(pieces([early, late, inside], [iv(100, 120)])).toEqual([
      { segment: inside, inpoint: 0, finalStart: 1, finalEnd: 3 },
    ]);
  });

  it('places segments of later intervals after the earlier intervals, in final-time order', () => {
    const a = seg('a', 10, 15);
    const b = seg('b', 30, 32);
    const result = pieces([b, a], [iv(10, 20), iv(30, 40)]);
    expect(result.map((p) => [p.segment.file, p.finalStart, p.finalEnd])).toEqual([
      ['a', 0, 5],
      ['b', 10, 12],
    ]);
  });
});

describe('resolveOverlaps', () => {
  it('shows the later of two overlapping pieces, then the earlier one again after it ends', () => {
    const a = { segment: seg('a', 0, 10), inpoint: 0, finalStart: 0, finalEnd: 10 };
    const b = { segment: seg('b', 3, 5), inpoint: 0, finalStart: 3, finalEnd: 5 };
    expect(resolveOverlaps([b, a]).map((p) => [p.segment.file, p.inpoint, p.finalStart, p.finalEnd])).toEqual(
      [
        ['a', 0, 0, 3],
        ['b', 0, 3, 5],
        ['a', 5, 5, 10],
      ],
    );
  });

  it('leaves disjoint pieces alone and does not modify its input', () => {
    const a = { segment: seg('a', 0, 4), inpoint: 0, finalStart: 0, finalEnd: 4 };
    const b = { segment: seg('b', 4, 8), inpoint: 0, finalStart: 4, finalEnd: 8 };
    expect(resolveOverlaps([a, b])).toEqual([a, b]);
    const c = { segment: seg('c', 2, 6), inpoint: 0, finalStart: 2, finalEnd: 6 };
    resolveOverlaps([a, c]);
    expect(a.finalEnd).toBe(4);
  });
});

describe('presence', () => {
  it('merges gaps up to the threshold (a restart) and keeps longer ones (an absence)', () => {
    const p = (s: number, e: number) => ({ segment: seg('x', s, e), inpoint: 0, finalStart: s, finalEnd: e });
    expect(presence([p(0, 4), p(5, 9), p(20, 30)], 1.5)).toEqual([
      [0, 9],
      [20, 30],
    ]);
  });
});
