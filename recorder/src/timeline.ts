/**
 * Time arithmetic of the final file: wall-clock segments are cut to the recorded intervals and
 * placed on the final timeline, where the intervals follow each other with the pauses removed.
 */

/** A media file covering a wall-clock period (ms since the epoch). */
export interface TimedSegment {
  /** Absolute path. */
  file: string;
  start: number;
  end: number;
}

/** The part of a segment that lands on the final timeline. Times in seconds. */
export interface Piece<S extends TimedSegment = TimedSegment> {
  segment: S;
  /** Where in the file the piece starts. */
  inpoint: number;
  finalStart: number;
  finalEnd: number;
}

/** Pieces shorter than this are dropped (rounding noise at interval edges). */
const MIN_PIECE_MS = 20;
const EPSILON_S = 0.001;

/** Cuts every segment to the intervals (sorted, non-overlapping) and places each part on the final timeline. */
export function pieces<S extends TimedSegment>(
  segments: S[],
  intervals: { start: number; end: number }[],
): Piece<S>[] {
  const result: Piece<S>[] = [];
  let offset = 0;
  for (const interval of intervals) {
    for (const segment of segments) {
      const a = Math.max(segment.start, interval.start);
      const b = Math.min(segment.end, interval.end);
      if (b - a < MIN_PIECE_MS) continue;
      const finalStart = offset + (a - interval.start) / 1000;
      result.push({
        segment,
        inpoint: (a - segment.start) / 1000,
        finalStart,
        finalEnd: finalStart + (b - a) / 1000,
      });
    }
    offset += (interval.end - interval.start) / 1000;
  }
  return result.sort((p, q) => p.finalStart - q.finalStart);
}

/**
 * Makes a lane's pieces disjoint: where two overlap, the one that started later is shown, and the
 * earlier one continues after it ends (as the "most recent speaker" would be).
 */
export function resolveOverlaps<S extends TimedSegment>(lane: Piece<S>[]): Piece<S>[] {
  const queue = lane.map((p) => ({ ...p })).sort((p, q) => p.finalStart - q.finalStart);
  const out: Piece<S>[] = [];
  while (queue.length > 0) {
    const piece = queue.shift()!;
    if (piece.finalEnd - piece.finalStart < MIN_PIECE_MS / 1000) continue;
    const last = out.at(-1);
    if (last && last.finalEnd > piece.finalStart + EPSILON_S) {
      if (last.finalEnd > piece.finalEnd + EPSILON_S) {
        const tail: Piece<S> = {
          segment: last.segment,
          inpoint: last.inpoint + (piece.finalEnd - last.finalStart),
          finalStart: piece.finalEnd,
          finalEnd: last.finalEnd,
        };
        const at = queue.findIndex((q) => q.finalStart > tail.finalStart);
        queue.splice(at === -1 ? queue.length : at, 0, tail);
      }
      last.finalEnd = piece.finalStart;
      if (last.finalEnd - last.finalStart < MIN_PIECE_MS / 1000) out.pop();
    }
    out.push(piece);
  }
  return out;
}

/** The periods a lane shows something, merging gaps shorter than `maxGap` seconds. */
export function presence(lane: Piece[], maxGap: number): [number, number][] {
  const spans: [number, number][] = [];
  for (const p of [...lane].sort((a, b) => a.finalStart - b.finalStart)) {
    const last = spans.at(-1);
    if (last && p.finalStart - last[1] <= maxGap) last[1] = Math.max(last[1], p.finalEnd);
    else spans.push([p.finalStart, p.finalEnd]);
  }
  return spans;
}
