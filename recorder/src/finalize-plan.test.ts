import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUT } from './config';
import type { Rect } from './composite-layout';
import { planFinalize, type FinalizePlan, type PlanSegment } from './finalize-plan';

const T0 = Date.UTC(2030, 0, 1, 9, 0, 0);
const at = (s: number) => T0 + s * 1000;

function segment(
  producerId: string,
  kind: 'audio' | 'video',
  start: number,
  end: number,
  extra: Partial<PlanSegment> = {},
): PlanSegment {
  return {
    file: `/rec/${producerId}/${start}.webm`,
    start: at(start),
    end: at(end),
    kind,
    source: kind === 'audio' ? 'microphone' : 'camera',
    isHost: producerId.startsWith('host'),
    producerId,
    codec: kind === 'audio' ? 'opus' : 'vp8',
    ...extra,
  };
}

const base = { output: DEFAULT_OUTPUT, workDir: '/rec/work', outputFile: '/rec/final.partial.mp4' };

describe('planFinalize', () => {
  const plan = planFinalize({
    ...base,
    intervals: [
      { start: at(0), end: at(60) },
      { start: at(70), end: at(100) },
    ],
    segments: [
      segment('host-v', 'video', 1, 61),
      segment('host-v', 'video', 71, 100),
      segment('host-a', 'audio', 1, 61),
      segment('host-a', 'audio', 71, 100),
      segment('spk-v', 'video', 30, 60),
      segment('spk-a', 'audio', 30, 60),
    ],
  });
  const file = (name: string) => plan.files.find((f) => f.path.endsWith(name))?.content ?? '';

  it('lasts the sum of the recorded intervals: the pause is removed', () => {
    expect(plan.totalSeconds).toBe(90);
    expect(plan.args.slice(plan.args.indexOf('-t'), plan.args.indexOf('-t') + 2)).toEqual(['-t', '90']);
  });

  it('places the speaker beside the host while they speak, and mixes every microphone', () => {
    expect(plan.lanes).toEqual({ audio: 2, video: 2 });
    // Nothing in the first second (the host's camera starts at 1 s), then the host alone.
    expect(shown(plan, 'host-v')).toEqual([
      {
        rect: FULL,
        windows: [
          [1, 30],
          [60, 90],
        ],
      },
      { rect: LEFT_HALF, windows: [[30, 60]] },
    ]);
    expect(shown(plan, 'spk-v')).toEqual([{ rect: RIGHT_HALF, windows: [[30, 60]] }]);
    expect(file('graph.txt')).toContain(
      '[a2][a3]amix=inputs=2:duration=longest:normalize=0,apad=whole_dur=90[aout]',
    );
  });

  it('lists each lane for the concat demuxer, with the pause cut out of the segment that spans it', () => {
    expect(file('lane-0.ffconcat')).toBe(
      [
        'ffconcat version 1.0',
        "file '/rec/host-v/1.webm'",
        'outpoint 59.000',
        'duration 60.000',
        "file '/rec/host-v/71.webm'",
        'outpoint 29.000',
        'duration 29.000',
        '',
      ].join('\n'),
    );
    const idx = plan.args.indexOf('/rec/work/lane-0.ffconcat');
    expect(plan.args.slice(idx - 7, idx + 1)).toEqual([
      '-itsoffset',
      '1.000',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      '/rec/work/lane-0.ffconcat',
    ]);
  });

  it('writes H.264 and AAC into an MP4 with its index up front, reporting progress on stdout', () => {
    expect(plan.args).toEqual(
      expect.arrayContaining(['libx264', 'ultrafast', 'aac', '+faststart', 'pipe:1']),
    );
    expect(plan.args.at(-1)).toBe('/rec/final.partial.mp4');
  });

  it('quotes file names for the concat list', () => {
    const p = planFinalize({
      ...base,
      intervals: [{ start: at(0), end: at(10) }],
      segments: [segment('host-a', 'audio', 0, 10, { file: "/rec/it's.webm" })],
    });
    expect(p.files[0]!.content).toContain("file '/rec/it'\\''s.webm'");
  });
});

describe('the composite: who is on screen, where, and when', () => {
  const plan20 = (segments: PlanSegment[], seconds = 20) =>
    planFinalize({ ...base, intervals: [{ start: at(0), end: at(seconds) }], segments });

  it('fills the frame with the host camera when nobody else is on screen', () => {
    const p = plan20([segment('host-v', 'video', 0, 20), segment('host-a', 'audio', 0, 20)]);
    expect(p.lanes).toEqual({ audio: 1, video: 1 });
    expect(shown(p, 'host-v')).toEqual([{ rect: FULL, windows: [[0, 20]] }]);
    // One rect: the lane is scaled directly, not split.
    expect(graphOf(p)).not.toContain('split');
  });

  it('places a speaker beside the host while they speak, the host alone before and after', () => {
    const p = plan20([segment('host-v', 'video', 0, 20), segment('spk-v', 'video', 5, 13)]);
    expect(shown(p, 'host-v')).toEqual([
      {
        rect: FULL,
        windows: [
          [0, 5],
          [13, 20],
        ],
      },
      { rect: LEFT_HALF, windows: [[5, 13]] },
    ]);
    expect(shown(p, 'spk-v')).toEqual([{ rect: RIGHT_HALF, windows: [[5, 13]] }]);
    const graph = graphOf(p);
    expect(graph).toContain('[0:v]split=2[s0_0][s0_1]');
    // Each picture keeps its proportions, centred in its half, whatever size the camera sends.
    expect(graph).toContain('[s0_1]scale=640:720:force_original_aspect_ratio=decrease:eval=frame[v0_1]');
    expect(graph).toContain(
      "overlay=x=640+(640-w)/2:y=0+(720-h)/2:eof_action=pass:enable='gte(t,5.000)*lt(t,13.000)'",
    );
  });

  it('shows two speakers in turn beside the host, and the host alone between their turns', () => {
    const p = plan20(
      [
        segment('host-v', 'video', 0, 30),
        segment('spk1-v', 'video', 5, 12),
        segment('spk2-v', 'video', 15, 25),
      ],
      30,
    );
    // Both speakers' cameras are VP8: one speaker lane.
    expect(p.lanes.video).toBe(2);
    expect(shown(p, 'spk1-v')).toEqual([
      {
        rect: RIGHT_HALF,
        windows: [
          [5, 12],
          [15, 25],
        ],
      },
    ]);
    expect(shown(p, 'host-v')).toEqual([
      {
        rect: FULL,
        windows: [
          [0, 5],
          [12, 15],
          [25, 30],
        ],
      },
      {
        rect: LEFT_HALF,
        windows: [
          [5, 12],
          [15, 25],
        ],
      },
    ]);
    expect(laneList(p, 'spk1-v')).toEqual(['/rec/spk1-v/5.webm', '/rec/spk2-v/15.webm']);
  });

  it('shows the speaker who started last when two overlap, and the other again after', () => {
    const p = plan20([
      segment('host-v', 'video', 0, 20),
      segment('spk1-v', 'video', 5, 15),
      segment('spk2-v', 'video', 8, 11),
    ]);
    expect(laneList(p, 'spk1-v')).toEqual(['/rec/spk1-v/5.webm', '/rec/spk2-v/8.webm', '/rec/spk1-v/5.webm']);
    expect(shown(p, 'spk1-v')).toEqual([{ rect: RIGHT_HALF, windows: [[5, 15]] }]);
  });

  it('does the same across codecs: a VP8 and an H.264 speaker are never drawn at once', () => {
    const p = plan20([
      segment('host-v', 'video', 0, 20),
      segment('spk1-v', 'video', 5, 10),
      segment('spk2-v', 'video', 8, 15, { codec: 'h264' }),
    ]);
    expect(p.lanes.video).toBe(3);
    expect(shown(p, 'spk1-v')).toEqual([{ rect: RIGHT_HALF, windows: [[5, 8]] }]);
    expect(shown(p, 'spk2-v')).toEqual([{ rect: RIGHT_HALF, windows: [[8, 15]] }]);
    expect(shown(p, 'host-v')).toContainEqual({ rect: LEFT_HALF, windows: [[5, 15]] });
  });

  it('keeps the layout through a camera restart shorter than 1.5 s, and changes it for a longer gap', () => {
    const restart = plan20([
      segment('host-v', 'video', 0, 20),
      segment('spk-v', 'video', 5, 9),
      segment('spk-v', 'video', 10, 15),
    ]);
    expect(shown(restart, 'host-v')).toContainEqual({ rect: LEFT_HALF, windows: [[5, 15]] });
    const away = plan20([
      segment('spk-v', 'video', 0, 20),
      segment('host-v', 'video', 0, 8),
      segment('host-v', 'video', 12, 20),
    ]);
    expect(shown(away, 'spk-v')).toEqual([
      {
        rect: RIGHT_HALF,
        windows: [
          [0, 8],
          [12, 20],
        ],
      },
      { rect: FULL, windows: [[8, 12]] },
    ]);
  });

  it('shows a screen share large on the left while it is on, the cameras stacked in the right column', () => {
    const p = plan20(
      [
        segment('host-v', 'video', 0, 40),
        segment('host-s', 'video', 10, 30, { source: 'screen' }),
        segment('spk-v', 'video', 20, 35),
      ],
      40,
    );
    expect(p.lanes.video).toBe(3);
    expect(shown(p, 'host-s')).toEqual([{ rect: SCREEN, windows: [[10, 30]] }]);
    expect(shown(p, 'host-v')).toEqual([
      {
        rect: FULL,
        windows: [
          [0, 10],
          [35, 40],
        ],
      },
      { rect: COLUMN_MIDDLE, windows: [[10, 20]] },
      { rect: COLUMN_TOP, windows: [[20, 30]] },
      { rect: LEFT_HALF, windows: [[30, 35]] },
    ]);
    expect(shown(p, 'spk-v')).toEqual([
      { rect: COLUMN_BOTTOM, windows: [[20, 30]] },
      { rect: RIGHT_HALF, windows: [[30, 35]] },
    ]);
  });

  it('without a host camera, gives the speaker the whole frame, or the column beside a screen share', () => {
    const p = plan20([
      segment('spk-v', 'video', 0, 20),
      segment('spk-s', 'video', 5, 10, { source: 'screen' }),
    ]);
    expect(p.lanes).toEqual({ audio: 0, video: 2 });
    expect(shown(p, 'spk-v')).toEqual([
      {
        rect: FULL,
        windows: [
          [0, 5],
          [10, 20],
        ],
      },
      { rect: COLUMN_MIDDLE, windows: [[5, 10]] },
    ]);
    expect(shown(p, 'spk-s')).toEqual([{ rect: SCREEN, windows: [[5, 10]] }]);
    expect(graphOf(p)).toContain('anullsrc=r=48000:cl=stereo,atrim=duration=20[aout]');
  });

  it('chains every overlay on the black canvas, each picture used once, into the output', () => {
    const p = plan20(
      [
        segment('host-v', 'video', 0, 40),
        segment('host-s', 'video', 10, 30, { source: 'screen' }),
        segment('spk-v', 'video', 20, 35),
      ],
      40,
    );
    const lines = graphOf(p).trim().split(';\n');
    expect(lines[0]).toBe('color=c=black:s=1280x720:r=25:d=40[base0]');
    const overlays = lines.filter((l) => l.includes('overlay='));
    overlays.forEach((l, i) => expect(l.startsWith(`[base${i}]`) && l.endsWith(`[base${i + 1}]`)).toBe(true));
    expect(lines).toContain(`[base${overlays.length}]format=yuv420p[vout]`);
    // A filter's inputs are the labels before its name; a label consumed twice is an FFmpeg error.
    const consumed = lines.flatMap(
      (l) =>
        l
          .match(/^(?:\[[^\]]+\])+/)?.[0]
          .slice(1, -1)
          .split('][') ?? [],
    );
    expect(new Set(consumed).size).toBe(consumed.length);
    expect(consumed).toEqual(expect.arrayContaining(['0:v', '1:v', '2:v']));
  });
});

const FULL: Rect = { x: 0, y: 0, w: 1280, h: 720 };
const LEFT_HALF: Rect = { x: 0, y: 0, w: 640, h: 720 };
const RIGHT_HALF: Rect = { x: 640, y: 0, w: 640, h: 720 };
const SCREEN: Rect = { x: 0, y: 0, w: 960, h: 720 };
const COLUMN_TOP: Rect = { x: 960, y: 180, w: 320, h: 180 };
const COLUMN_MIDDLE: Rect = { x: 960, y: 270, w: 320, h: 180 };
const COLUMN_BOTTOM: Rect = { x: 960, y: 360, w: 320, h: 180 };

function graphOf(plan: FinalizePlan): string {
  return plan.files.find((f) => f.path.endsWith('graph.txt'))!.content;
}

/** The files of the lane holding `producer`'s segments, in list order. */
function laneList(plan: FinalizePlan, producer: string): string[] {
  const list = plan.files.find((f) => f.content.includes(`/rec/${producer}/`))!;
  return [...list.content.matchAll(/^file '(.*)'$/gm)].map((m) => m[1]!);
}

/**
 * Where and when the lane holding `producer` is drawn, read back from the filter script: the
 * lane's input, its split copies, each copy's scale and the overlay drawing it.
 */
function shown(plan: FinalizePlan, producer: string): { rect: Rect; windows: [number, number][] }[] {
  const list = plan.files.find((f) => f.content.includes(`/rec/${producer}/`))!.path;
  const input = plan.args.filter((a, i) => plan.args[i - 1] === '-i').indexOf(list);
  const lines = graphOf(plan).trim().split(';\n');
  const copies = new Set([`${input}:v`]);
  for (const l of lines) {
    const split = l.match(/^\[(\d+):v\]split=\d+((?:\[\w+\])+)$/);
    if (split && Number(split[1]) === input)
      for (const c of split[2]!.matchAll(/\[(\w+)\]/g)) copies.add(c[1]!);
  }
  const scaled = new Map<string, { w: number; h: number }>();
  for (const l of lines) {
    const m = l.match(
      /^\[([\w:]+)\]scale=(\d+):(\d+):force_original_aspect_ratio=decrease:eval=frame\[(\w+)\]$/,
    );
    if (m && copies.has(m[1]!)) scaled.set(m[4]!, { w: Number(m[2]), h: Number(m[3]) });
  }
  const result: { rect: Rect; windows: [number, number][] }[] = [];
  for (const l of lines) {
    const m = l.match(
      /^\[base\d+\]\[(\w+)\]overlay=x=(\d+)\+\((\d+)-w\)\/2:y=(\d+)\+\((\d+)-h\)\/2:eof_action=pass:enable='([^']*)'\[base\d+\]$/,
    );
    const size = m && scaled.get(m[1]!);
    if (!m || !size) continue;
    const rect = { x: Number(m[2]), y: Number(m[4]), w: Number(m[3]), h: Number(m[5]) };
    // The picture is scaled to fit the rect it is centred in.
    expect(size).toEqual({ w: rect.w, h: rect.h });
    const windows = m[6]!.split('+').map((term): [number, number] => {
      const w = term.match(/^gte\(t,([\d.]+)\)\*lt\(t,([\d.]+)\)$/);
      expect(w, term).not.toBeNull();
      return [Number(w![1]), Number(w![2])];
    });
    result.push({ rect, windows });
  }
  return result.sort((a, b) => a.windows[0]![0] - b.windows[0]![0]);
}
