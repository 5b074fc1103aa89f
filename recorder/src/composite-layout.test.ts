import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  layoutFor,
  layoutSpans,
  placements,
  type LanePresence,
  type Rect,
  type VideoRole,
} from './composite-layout';

const W = 1280;
const H = 720;
const FULL: Rect = { x: 0, y: 0, w: 1280, h: 720 };
const LEFT_HALF: Rect = { x: 0, y: 0, w: 640, h: 720 };
const RIGHT_HALF: Rect = { x: 640, y: 0, w: 640, h: 720 };
const SCREEN: Rect = { x: 0, y: 0, w: 960, h: 720 };
const COLUMN_TOP: Rect = { x: 960, y: 180, w: 320, h: 180 };
const COLUMN_BOTTOM: Rect = { x: 960, y: 360, w: 320, h: 180 };
const COLUMN_MIDDLE: Rect = { x: 960, y: 270, w: 320, h: 180 };

const ROLES: VideoRole[] = ['host', 'speaker', 'screen'];
const roles = (...r: VideoRole[]) => new Set(r);
/** Every non-empty set of roles. */
const ROLE_SETS = [1, 2, 3, 4, 5, 6, 7].map((bits) => new Set(ROLES.filter((_, i) => bits & (1 << i))));

describe('layoutFor', () => {
  it('gives the whole frame to a picture that is alone, whichever it is', () => {
    expect(layoutFor(roles('host'), W, H)).toEqual({ host: FULL });
    expect(layoutFor(roles('speaker'), W, H)).toEqual({ speaker: FULL });
    expect(layoutFor(roles('screen'), W, H)).toEqual({ screen: FULL });
  });

  it('shows nothing when nobody is on screen', () => {
    expect(layoutFor(roles(), W, H)).toEqual({});
  });

  it('puts the host and the speaker side by side, host on the left, in two equal halves', () => {
    expect(layoutFor(roles('host', 'speaker'), W, H)).toEqual({ host: LEFT_HALF, speaker: RIGHT_HALF });
  });

  it('gives a screen share the left three quarters and stacks the cameras, host above, in the right column', () => {
    expect(layoutFor(roles('screen', 'host', 'speaker'), W, H)).toEqual({
      screen: SCREEN,
      host: COLUMN_TOP,
      speaker: COLUMN_BOTTOM,
    });
  });

  it('centres the only camera beside a screen share in the column', () => {
    expect(layoutFor(roles('screen', 'host'), W, H)).toEqual({ screen: SCREEN, host: COLUMN_MIDDLE });
    expect(layoutFor(roles('screen', 'speaker'), W, H)).toEqual({ screen: SCREEN, speaker: COLUMN_MIDDLE });
  });

  it.each([
    [1280, 720],
    [1920, 1080],
    [854, 480],
    [640, 480],
    [720, 1280],
  ])(
    'at %i×%i, gives every role present an even, non-empty rect inside the frame, none overlapping',
    (w, h) => {
      for (const present of ROLE_SETS) {
        const layout = layoutFor(present, w, h);
        expect(Object.keys(layout).sort()).toEqual([...present].sort());
        const rects = Object.values(layout);
        for (const r of rects) {
          expect([r.x, r.y, r.w, r.h].every((n) => n % 2 === 0)).toBe(true);
          expect(r.w > 0 && r.h > 0 && r.x >= 0 && r.y >= 0 && r.x + r.w <= w && r.y + r.h <= h).toBe(true);
        }
        for (const [i, a] of rects.entries())
          for (const b of rects.slice(i + 1)) expect(overlap(a, b)).toBe(false);
      }
    },
  );
});

describe('layoutSpans', () => {
  it('cuts the timeline wherever the set of pictures on screen changes', () => {
    const host: LanePresence = { role: 'host', spans: [[0, 20]] };
    const speaker: LanePresence = { role: 'speaker', spans: [[5, 13]] };
    expect(layoutSpans([host, speaker], 20, W, H)).toEqual([
      { start: 0, end: 5, layout: { host: FULL } },
      { start: 5, end: 13, layout: { host: LEFT_HALF, speaker: RIGHT_HALF } },
      { start: 13, end: 20, layout: { host: FULL } },
    ]);
  });

  it('keeps one span where the pictures change hands but the layout does not', () => {
    // Two host-camera lanes (two codecs) one after the other: one picture throughout.
    const vp8: LanePresence = { role: 'host', spans: [[0, 8]] };
    const h264: LanePresence = { role: 'host', spans: [[8, 20]] };
    expect(layoutSpans([vp8, h264], 20, W, H)).toEqual([{ start: 0, end: 20, layout: { host: FULL } }]);
  });

  it('leaves the frame empty (black) where nothing is present, up to the end of the file', () => {
    const host: LanePresence = { role: 'host', spans: [[2, 6]] };
    expect(layoutSpans([host], 10, W, H)).toEqual([
      { start: 0, end: 2, layout: {} },
      { start: 2, end: 6, layout: { host: FULL } },
      { start: 6, end: 10, layout: {} },
    ]);
  });

  it('works to the millisecond, the precision of the filter script', () => {
    const host: LanePresence = { role: 'host', spans: [[0, 10]] };
    const speaker: LanePresence = { role: 'speaker', spans: [[4.00004, 6.0004]] };
    expect(layoutSpans([host, speaker], 10, W, H).map((s) => [s.start, s.end])).toEqual([
      [0, 4],
      [4, 6],
      [6, 10],
    ]);
  });
});

describe('placements', () => {
  it('groups the windows of a lane by the rect it has in them, joining adjacent ones', () => {
    const host: LanePresence = { role: 'host', spans: [[0, 40]] };
    const screen: LanePresence = { role: 'screen', spans: [[10, 30]] };
    const speaker: LanePresence = {
      role: 'speaker',
      spans: [
        [5, 8],
        [20, 35],
      ],
    };
    const spans = layoutSpans([host, screen, speaker], 40, W, H);
    expect(placements(host, spans)).toEqual([
      {
        rect: FULL,
        windows: [
          [0, 5],
          [8, 10],
          [35, 40],
        ],
      },
      {
        rect: LEFT_HALF,
        windows: [
          [5, 8],
          [30, 35],
        ],
      },
      { rect: COLUMN_MIDDLE, windows: [[10, 20]] },
      { rect: COLUMN_TOP, windows: [[20, 30]] },
    ]);
    expect(placements(screen, spans)).toEqual([{ rect: SCREEN, windows: [[10, 30]] }]);
    expect(placements(speaker, spans)).toEqual([
      {
        rect: RIGHT_HALF,
        windows: [
          [5, 8],
          [30, 35],
        ],
      },
      { rect: COLUMN_BOTTOM, windows: [[20, 30]] },
    ]);
  });

  const spansArb = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 1, max: 20_000 })), {
      maxLength: 4,
    })
    .map((list) => merged(list.map(([a, d]): [number, number] => [a / 1000, Math.min(60, (a + d) / 1000)])));

  it('shows each lane exactly while it is present, in one rect at a time, never over another picture', () => {
    fc.assert(
      fc.property(spansArb, spansArb, spansArb, (host, speaker, screen) => {
        const lanes: LanePresence[] = [
          { role: 'host', spans: host },
          { role: 'speaker', spans: speaker },
          { role: 'screen', spans: screen },
        ];
        const spans = layoutSpans(lanes, 60, W, H);
        const shown = lanes.map((lane) => placements(lane, spans));
        const wrong: string[] = [];
        for (let t = 0.0005; t < 60; t += 0.25) {
          const rects: Rect[] = [];
          lanes.forEach((lane, i) => {
            const at = shown[i]!.filter((p) => p.windows.some(([a, b]) => a <= t && t < b));
            // Present ⇔ drawn, and then in exactly one rect (the windows are half-open).
            const present = lane.spans.some(([a, b]) => a <= t && t < b);
            if (at.length !== (present ? 1 : 0)) wrong.push(`${lane.role} in ${at.length} rects at ${t}`);
            rects.push(...at.map((p) => p.rect));
          });
          for (const [i, a] of rects.entries())
            for (const b of rects.slice(i + 1)) if (overlap(a, b)) wrong.push(`overlap at ${t}`);
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

function overlap(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Sorted, disjoint spans, as presence() makes them. */
function merged(list: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...list].sort((p, q) => p[0] - q[0])) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
