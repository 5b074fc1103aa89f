/**
 * Coverage of a recording: for each producer that was live while the recording ran, the seconds
 * it was live against the seconds its segment files hold in decodable frames. The live periods
 * come from the sitting's own events (the producer appearing, pausing, resuming, closing), kept in
 * `recording_tracks`; the frames are decoded from the per-track originals with ffprobe.
 */
import path from 'node:path';
import { capture } from './probe';
import type { RecordingRow, RecordingsRepo, SegmentRow, TrackRow } from './recordings-repo';

/** A period in wall-clock ms. */
export interface Span {
  start: number;
  end: number;
}

/** How one track of a recording is covered. */
export interface TrackCoverage {
  producerId: string;
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone' | 'screen';
  participantName: string;
  /** Seconds the producer was live while the recording ran (pauses excluded). */
  liveSeconds: number;
  /** Of those, seconds with decodable frames in the files. */
  recordedSeconds: number;
  /** recordedSeconds / liveSeconds (1 when it was never live). */
  ratio: number;
  /** Live periods with no decodable frame, wall-clock ms. */
  gaps: Span[];
  /** When the track was first live while recorded (wall-clock ms), if it was. */
  liveFrom: number | undefined;
}

/**
 * A frame stands for this long after its timestamp when the next one does not come sooner: one
 * frame of a 2 fps screen share still counts, a stall of a camera does not. Audio: a silent
 * microphone with DTX sends one comfort-noise packet every 400 ms, and that is recorded silence.
 */
export const FRAME_HOLD_MS = { video: 700, audio: 450 } as const;
/** Gaps shorter than this are left out of the gap list (they still count against the ratio). */
const MIN_GAP_MS = 250;

/** The overlap of two sorted lists of disjoint spans. */
export function intersect(a: Span[], b: Span[]): Span[] {
  const out: Span[] = [];
  for (const x of a)
    for (const y of b) {
      const start = Math.max(x.start, y.start);
      const end = Math.min(x.end, y.end);
      if (end > start) out.push({ start, end });
    }
  return merge(out);
}

/** Sorts and merges overlapping spans. */
export function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((p, q) => p.start - q.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** Total length of disjoint spans, ms. */
export function total(spans: Span[]): number {
  return spans.reduce((sum, s) => sum + (s.end - s.start), 0);
}

/** The periods covered by frames at `times` (ms), each held up to `holdMs` or the next frame. */
export function framesToSpans(times: number[], holdMs: number): Span[] {
  const sorted = [...times].sort((p, q) => p - q);
  return merge(sorted.map((t, i) => ({ start: t, end: Math.min(t + holdMs, sorted[i + 1] ?? Infinity) })));
}

/** `within` minus `covered`: the uncovered parts, each at least MIN_GAP_MS long. */
export function uncovered(within: Span[], covered: Span[]): Span[] {
  const gaps: Span[] = [];
  for (const w of within) {
    let at = w.start;
    for (const c of covered) {
      if (c.end <= at || c.start >= w.end) continue;
      if (c.start > at) gaps.push({ start: at, end: c.start });
      at = Math.max(at, c.end);
    }
    if (at < w.end) gaps.push({ start: at, end: w.end });
  }
  return gaps.filter((g) => g.end - g.start >= MIN_GAP_MS);
}

/** Wall-clock times (ms) of the decodable frames of one segment file. */
export async function frameTimes(ffprobePath: string, file: string, startedAt: number): Promise<number[]> {
  const out = await capture(ffprobePath, [
    ...['-v', 'quiet', '-show_entries', 'frame=best_effort_timestamp_time', '-of', 'csv=p=0', file],
  ]).catch(() => '');
  const times: number[] = [];
  for (const line of out.split('\n')) {
    const t = Number(line.split(',')[0]);
    if (line.trim() !== '' && Number.isFinite(t)) times.push(startedAt + t * 1000);
  }
  return times;
}

/** The coverage of every track of a recording (its files decoded with ffprobe). */
export async function recordingCoverage(deps: {
  repo: RecordingsRepo;
  recordingsDir: string;
  ffprobePath: string;
  row: RecordingRow;
}): Promise<TrackCoverage[]> {
  const { repo, row } = deps;
  const intervals = merge(
    row.intervals.map((i) => ({
      start: Date.parse(i.start),
      end: i.end === null ? (row.stopped_at?.getTime() ?? Date.now()) : Date.parse(i.end),
    })),
  );
  const segments = await repo.segments(row.id);
  const result: TrackCoverage[] = [];
  for (const track of await repo.tracks(row.id)) {
    const mine = segments.filter((s) => s.producer_id === track.producer_id);
    result.push(await trackCoverage(deps, track, mine, intervals, row.stopped_at?.getTime() ?? Date.now()));
  }
  return result;
}

async function trackCoverage(
  deps: { recordingsDir: string; ffprobePath: string },
  track: TrackRow,
  segments: SegmentRow[],
  intervals: Span[],
  stoppedAt: number,
): Promise<TrackCoverage> {
  const live = intersect(
    merge(
      track.live.map((p) => ({
        start: Date.parse(p.start),
        end: p.end === null ? stoppedAt : Date.parse(p.end),
      })),
    ),
    intervals,
  );
  const times: number[] = [];
  for (const segment of segments) {
    const file = path.join(deps.recordingsDir, segment.file);
    times.push(...(await frameTimes(deps.ffprobePath, file, segment.started_at.getTime())));
  }
  const covered = intersect(framesToSpans(times, FRAME_HOLD_MS[track.kind]), live);
  const liveMs = total(live);
  const recordedMs = total(covered);
  return {
    producerId: track.producer_id,
    kind: track.kind,
    source: track.source,
    participantName: track.participant_name,
    liveSeconds: round(liveMs / 1000),
    recordedSeconds: round(recordedMs / 1000),
    ratio: liveMs === 0 ? 1 : round(recordedMs / liveMs),
    gaps: uncovered(live, covered),
    liveFrom: live[0]?.start,
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
