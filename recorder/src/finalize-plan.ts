/**
 * Turns a recording's segments into one FFmpeg job: the recorded intervals are laid end to end
 * (pauses removed), each track becomes a "lane" (an ffconcat list placing its segments at their
 * times, gaps left empty), audio lanes are mixed, and the host's camera fills the picture with the
 * other video in a corner. Pure: no I/O, so the arithmetic is unit-tested on its own.
 */
import path from 'node:path';
import type { OutputSettings } from './config';
import { pieces, presence, resolveOverlaps, type Piece, type TimedSegment } from './timeline';

/** One segment as the planner sees it. */
export interface PlanSegment extends TimedSegment {
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone' | 'screen';
  isHost: boolean;
  producerId: string;
  codec: string;
}

/** Input of {@link planFinalize}. */
export interface PlanInput {
  /** Recorded periods, wall-clock ms. */
  intervals: { start: number; end: number }[];
  segments: PlanSegment[];
  output: OutputSettings;
  /** Directory for the lists and the filter script. */
  workDir: string;
  /** File FFmpeg writes (MP4). */
  outputFile: string;
}

/** A file the job needs written before FFmpeg starts. */
export interface PlanFile {
  path: string;
  content: string;
}

/** The FFmpeg job that produces the final file. */
export interface FinalizePlan {
  /** Length of the final file, seconds: the sum of the recorded intervals. */
  totalSeconds: number;
  files: PlanFile[];
  args: string[];
  /** Number of audio and video lanes, for logs and tests. */
  lanes: { audio: number; video: number };
}

/** Codec string stored for the final file. */
export const FINAL_CODEC = 'h264+aac';
/** Margin of the picture-in-picture from the frame's edges, as a fraction of the frame width. */
const PIP_MARGIN = 0.02;
/** Gaps shorter than this inside a video lane (a restart) keep the last picture instead of hiding it. */
const PRESENCE_GAP_S = 1.5;

interface Lane {
  kind: 'audio' | 'video';
  role: 'main' | 'pip' | 'mix';
  pieces: Piece<PlanSegment>[];
}

/** Builds the lists, the filter graph and the FFmpeg arguments of a finalize job. */
export function planFinalize(input: PlanInput): FinalizePlan {
  const intervals = [...input.intervals].filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const totalSeconds = round(intervals.reduce((sum, i) => sum + (i.end - i.start), 0) / 1000);
  const lanes = buildLanes(pieces(input.segments, intervals));
  const { width: W, height: H, fps } = input.output;
  const files: PlanFile[] = [];
  const inputArgs: string[] = [];
  const graph: string[] = [`color=c=black:s=${W}x${H}:r=${fps}:d=${totalSeconds}[base0]`];
  const mixed: string[] = [];
  let base = 0;
  lanes.forEach((lane, index) => {
    const list = path.join(input.workDir, `lane-${index}.ffconcat`);
    files.push({ path: list, content: ffconcat(lane.pieces) });
    const first = lane.pieces[0]!;
    if (lane.kind === 'video') inputArgs.push('-reinit_filter', '0');
    inputArgs.push('-itsoffset', seconds(first.finalStart), '-f', 'concat', '-safe', '0', '-i', list);
    if (lane.kind === 'audio') {
      graph.push(`[${index}:a]aresample=async=1:first_pts=0[a${index}]`);
      mixed.push(`[a${index}]`);
      return;
    }
    const enable = presence(lane.pieces, PRESENCE_GAP_S)
      .map(([a, b]) => `between(t,${seconds(a)},${seconds(b)})`)
      .join('+');
    const [w, h, x, y] =
      lane.role === 'main'
        ? [W, H, '(W-w)/2', '(H-h)/2']
        : [
            even(W / 4),
            even(H / 4),
            `W-w-${Math.round(W * PIP_MARGIN)}`,
            `H-h-${Math.round(W * PIP_MARGIN)}`,
          ];
    graph.push(`[${index}:v]scale=${w}:${h}:force_original_aspect_ratio=decrease:eval=frame[v${index}]`);
    graph.push(
      `[base${base}][v${index}]overlay=x=${x}:y=${y}:eof_action=pass:enable='${enable}'[base${base + 1}]`,
    );
    base += 1;
  });
  graph.push(`[base${base}]format=yuv420p[vout]`);
  if (mixed.length === 0) graph.push(`anullsrc=r=48000:cl=stereo,atrim=duration=${totalSeconds}[aout]`);
  else if (mixed.length === 1) graph.push(`${mixed[0]}apad=whole_dur=${totalSeconds}[aout]`);
  else {
    graph.push(
      `${mixed.join('')}amix=inputs=${mixed.length}:duration=longest:normalize=0,apad=whole_dur=${totalSeconds}[aout]`,
    );
  }
  const script = path.join(input.workDir, 'graph.txt');
  files.push({ path: script, content: graph.join(';\n') + '\n' });
  const args = [
    ...['-hide_banner', '-nostats', '-loglevel', 'warning', '-y'],
    ...inputArgs,
    ...['-filter_complex_script', script, '-map', '[vout]', '-map', '[aout]'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', String(input.output.crf), '-pix_fmt', 'yuv420p'],
    ...['-g', String(fps * 2), '-c:a', 'aac', '-b:a', '128k', '-ar', '48000'],
    ...[
      '-t',
      String(totalSeconds),
      '-movflags',
      '+faststart',
      '-progress',
      'pipe:1',
      '-f',
      'mp4',
      input.outputFile,
    ],
  ];
  return {
    totalSeconds,
    files,
    args,
    lanes: {
      audio: lanes.filter((l) => l.kind === 'audio').length,
      video: lanes.filter((l) => l.kind === 'video').length,
    },
  };
}

/**
 * Audio: one lane per producer, all mixed. Video: the host's camera is the main picture and every
 * other video (the speaker) the inset; without a host camera, all video is the main picture. The
 * concat demuxer cannot switch codecs, so video lanes are also split by codec.
 */
function buildLanes(all: Piece<PlanSegment>[]): Lane[] {
  const lanes = new Map<string, Lane>();
  const hostCamera = all.some(
    (p) => p.segment.kind === 'video' && p.segment.isHost && p.segment.source === 'camera',
  );
  for (const piece of all) {
    const s = piece.segment;
    let key: string;
    let lane: Omit<Lane, 'pieces'>;
    if (s.kind === 'audio') {
      key = `audio:${s.producerId}`;
      lane = { kind: 'audio', role: 'mix' };
    } else {
      const role = !hostCamera || (s.isHost && s.source === 'camera') ? 'main' : 'pip';
      key = `video:${role}:${s.codec}`;
      lane = { kind: 'video', role };
    }
    const existing = lanes.get(key) ?? { ...lane, pieces: [] };
    existing.pieces.push(piece);
    lanes.set(key, existing);
  }
  const result = [...lanes.values()].map((lane) => ({ ...lane, pieces: resolveOverlaps(lane.pieces) }));
  // Main pictures first, so the inset is drawn over them.
  const order = { main: 0, pip: 1, mix: 2 };
  return result.filter((l) => l.pieces.length > 0).sort((a, b) => order[a.role] - order[b.role]);
}

/** The ffconcat list of a lane: each piece held for the time until the next one starts. */
function ffconcat(lane: Piece<PlanSegment>[]): string {
  const lines = ['ffconcat version 1.0'];
  lane.forEach((piece, i) => {
    const next = lane[i + 1];
    const slot = (next ? next.finalStart : piece.finalEnd) - piece.finalStart;
    lines.push(`file ${quote(piece.segment.file)}`);
    if (piece.inpoint > 0.0005) lines.push(`inpoint ${seconds(piece.inpoint)}`);
    lines.push(`outpoint ${seconds(piece.inpoint + piece.finalEnd - piece.finalStart)}`);
    lines.push(`duration ${seconds(slot)}`);
  });
  return lines.join('\n') + '\n';
}

/** ffconcat quoting: single quotes, with a quote inside written as '\''. */
function quote(file: string): string {
  return `'${file.replace(/'/g, "'\\''")}'`;
}

function seconds(s: number): string {
  return round(s).toFixed(3);
}

function round(s: number): number {
  return Math.round(s * 1000) / 1000;
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}
