/**
 * Turns a recording's segments into one FFmpeg job: the recorded intervals are laid end to end
 * (pauses removed), each track becomes a "lane" (an ffconcat list placing its segments at their
 * times, gaps left empty), audio lanes are mixed, and the video lanes are composed in a layout that
 * follows who is on screen (composite-layout.ts). Pure: no I/O, so the arithmetic is unit-tested.
 */
import path from 'node:path';
import type { OutputSettings } from './config';
import { layoutSpans, placements, type LanePresence, type Rect, type VideoRole } from './composite-layout';
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
/** Gaps shorter than this inside a video lane (a restart) keep the last picture instead of hiding it. */
const PRESENCE_GAP_S = 1.5;
/** Overlay order: a picture drawn later covers an earlier one wherever two ever meet. */
const DRAW_ORDER: Record<VideoRole, number> = { screen: 0, host: 1, speaker: 2 };

type Lane =
  | { kind: 'audio'; pieces: Piece<PlanSegment>[] }
  | { kind: 'video'; role: VideoRole; pieces: Piece<PlanSegment>[] };

/** Builds the lists, the filter graph and the FFmpeg arguments of a finalize job. */
export function planFinalize(input: PlanInput): FinalizePlan {
  const intervals = [...input.intervals].filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const totalSeconds = round(intervals.reduce((sum, i) => sum + (i.end - i.start), 0) / 1000);
  const lanes = buildLanes(pieces(input.segments, intervals));
  const { width: W, height: H, fps } = input.output;
  const files: PlanFile[] = [];
  const inputArgs: string[] = [];
  lanes.forEach((lane, index) => {
    const list = path.join(input.workDir, `lane-${index}.ffconcat`);
    files.push({ path: list, content: ffconcat(lane.pieces) });
    if (lane.kind === 'video') inputArgs.push('-reinit_filter', '0');
    const first = lane.pieces[0]!;
    inputArgs.push('-itsoffset', seconds(first.finalStart), '-f', 'concat', '-safe', '0', '-i', list);
  });
  const graph = [
    ...videoGraph(lanes, { width: W, height: H, fps, totalSeconds }),
    ...audioGraph(lanes, totalSeconds),
  ];
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
 * The picture: a black canvas, and every video lane drawn on it in the rect its role has in the
 * layout of the moment (composite-layout.ts). A lane that changes rects over time is split, one
 * copy scaled per rect, each copy enabled only in that rect's windows.
 */
function videoGraph(
  lanes: Lane[],
  out: { width: number; height: number; fps: number; totalSeconds: number },
): string[] {
  const { width: W, height: H, fps, totalSeconds } = out;
  const graph = [`color=c=black:s=${W}x${H}:r=${fps}:d=${totalSeconds}[base0]`];
  const presences = new Map<number, LanePresence>();
  lanes.forEach((lane, index) => {
    if (lane.kind === 'video')
      presences.set(index, { role: lane.role, spans: presence(lane.pieces, PRESENCE_GAP_S) });
  });
  const spans = layoutSpans([...presences.values()], totalSeconds, W, H);
  let base = 0;
  for (const [index, lanePresence] of presences) {
    const shown = placements(lanePresence, spans);
    if (shown.length === 0) continue;
    const copies = shown.map((_, k) => `s${index}_${k}`);
    if (shown.length === 1) copies[0] = `${index}:v`;
    else graph.push(`[${index}:v]split=${shown.length}${copies.map((c) => `[${c}]`).join('')}`);
    shown.forEach(({ rect, windows }, k) => {
      const scaled = `v${index}_${k}`;
      // eval=frame: the size changes mid-stream (simulcast layer switches, a restarted track).
      graph.push(
        `[${copies[k]}]scale=${rect.w}:${rect.h}:force_original_aspect_ratio=decrease:eval=frame[${scaled}]`,
      );
      graph.push(`[base${base}][${scaled}]${overlay(rect, windows)}[base${base + 1}]`);
      base += 1;
    });
  }
  graph.push(`[base${base}]format=yuv420p[vout]`);
  return graph;
}

/**
 * Draws a scaled picture centred in its rect (black around it) during its windows. The windows
 * are half-open, gte·lt rather than between: at the instant one rect hands over to the next,
 * exactly one of them is enabled, so no frame shows the same person twice.
 */
function overlay(rect: Rect, windows: [number, number][]): string {
  const enable = windows.map(([a, b]) => `gte(t,${seconds(a)})*lt(t,${seconds(b)})`).join('+');
  const x = `${rect.x}+(${rect.w}-w)/2`;
  const y = `${rect.y}+(${rect.h}-h)/2`;
  return `overlay=x=${x}:y=${y}:eof_action=pass:enable='${enable}'`;
}

/** The sound: every audio lane mixed, gaps and the lead-in filled with silence; silence if none. */
function audioGraph(lanes: Lane[], totalSeconds: number): string[] {
  const graph: string[] = [];
  const mixed: string[] = [];
  lanes.forEach((lane, index) => {
    if (lane.kind !== 'audio') return;
    graph.push(`[${index}:a]aresample=async=1:first_pts=0[a${index}]`);
    mixed.push(`[a${index}]`);
  });
  if (mixed.length === 0) graph.push(`anullsrc=r=48000:cl=stereo,atrim=duration=${totalSeconds}[aout]`);
  else if (mixed.length === 1) graph.push(`${mixed[0]}apad=whole_dur=${totalSeconds}[aout]`);
  else {
    graph.push(
      `${mixed.join('')}amix=inputs=${mixed.length}:duration=longest:normalize=0,apad=whole_dur=${totalSeconds}[aout]`,
    );
  }
  return graph;
}

/**
 * Audio: one lane per producer, all mixed. Video: one lane per role (host camera, speaker camera,
 * screen share); where two tracks of a role overlap, the one that started later is shown. The
 * concat demuxer cannot switch codecs, so a role's lane is then split by codec.
 */
function buildLanes(all: Piece<PlanSegment>[]): Lane[] {
  const audio = new Map<string, Piece<PlanSegment>[]>();
  const video = new Map<VideoRole, Piece<PlanSegment>[]>();
  for (const piece of all) {
    const s = piece.segment;
    if (s.kind === 'audio') append(audio, s.producerId, piece);
    else append(video, roleOf(s), piece);
  }
  const lanes: Lane[] = [];
  const roles = [...video.keys()].sort((a, b) => DRAW_ORDER[a] - DRAW_ORDER[b]);
  for (const role of roles) {
    // Resolved across codecs first, so a role shows one track at a time whatever the codecs.
    const shown = resolveOverlaps(video.get(role)!);
    const codecs = [...new Set(shown.map((p) => p.segment.codec))].sort();
    for (const codec of codecs) {
      lanes.push({ kind: 'video', role, pieces: shown.filter((p) => p.segment.codec === codec) });
    }
  }
  for (const lanePieces of audio.values()) lanes.push({ kind: 'audio', pieces: resolveOverlaps(lanePieces) });
  return lanes.filter((l) => l.pieces.length > 0);
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The host's camera, any screen share, or the camera of someone given the floor. */
function roleOf(s: PlanSegment): VideoRole {
  if (s.source === 'screen') return 'screen';
  return s.isHost ? 'host' : 'speaker';
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
