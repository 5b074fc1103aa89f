import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUT } from './config';
import { planFinalize, type PlanSegment } from './finalize-plan';

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

  it('makes the host camera the main picture, the speaker the inset, and mixes every microphone', () => {
    expect(plan.lanes).toEqual({ audio: 2, video: 2 });
    const graph = file('graph.txt');
    expect(graph).toContain('[0:v]scale=1280:720:force_original_aspect_ratio=decrease');
    expect(graph).toContain('[1:v]scale=320:180:force_original_aspect_ratio=decrease');
    expect(graph).toContain("overlay=x=W-w-26:y=H-h-26:eof_action=pass:enable='between(t,30.000,60.000)'");
    expect(graph).toContain('[a2][a3]amix=inputs=2:duration=longest:normalize=0,apad=whole_dur=90[aout]');
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

  it('uses every video as the main picture when the host has no camera, and silence without microphones', () => {
    const p = planFinalize({
      ...base,
      intervals: [{ start: at(0), end: at(10) }],
      segments: [segment('spk-v', 'video', 0, 10)],
    });
    const graph = p.files.find((f) => f.path.endsWith('graph.txt'))!.content;
    expect(p.lanes).toEqual({ audio: 0, video: 1 });
    expect(graph).toContain('[0:v]scale=1280:720');
    expect(graph).toContain('anullsrc=r=48000:cl=stereo,atrim=duration=10[aout]');
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
