import { describe, expect, it } from 'vitest';
import { framesToSpans, intersect, merge, total, uncovered } from './coverage';

describe('coverage arithmetic', () => {
  it('merges overlapping spans and measures them', () => {
    const spans = merge([
      { start: 5, end: 8 },
      { start: 0, end: 3 },
      { start: 2, end: 4 },
    ]);
    expect(spans).toEqual([
      { start: 0, end: 4 },
      { start: 5, end: 8 },
    ]);
    expect(total(spans)).toBe(7);
  });

  it('keeps only the live time that the recording ran (pauses cut out)', () => {
    const live = [{ start: 0, end: 10_000 }];
    const recorded = [
      { start: 2_000, end: 4_000 },
      { start: 6_000, end: 12_000 },
    ];
    expect(intersect(live, recorded)).toEqual([
      { start: 2_000, end: 4_000 },
      { start: 6_000, end: 10_000 },
    ]);
  });

  it('holds each frame until the next one, up to the hold time', () => {
    // 25 fps for 1 s, then nothing for 2 s, then one frame.
    const times = [...Array.from({ length: 25 }, (_, i) => i * 40), 3_000];
    const spans = framesToSpans(times, 700);
    expect(spans).toEqual([
      { start: 0, end: 960 + 700 },
      { start: 3_000, end: 3_700 },
    ]);
  });

  it('lists the live periods with no frame as gaps, ignoring slivers', () => {
    const live = [{ start: 0, end: 10_000 }];
    const covered = [
      { start: 100, end: 4_000 },
      { start: 6_500, end: 10_000 },
    ];
    expect(uncovered(live, covered)).toEqual([{ start: 4_000, end: 6_500 }]);
  });
});
