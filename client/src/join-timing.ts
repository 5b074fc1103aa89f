/**
 * Where a join's time goes, on the page's clock: the join path marks each step it reaches
 * (`markJoin('socket')`, `markJoin('join')` when the join is answered, `markJoin('recv.connected')`
 * …) with `performance.now()`. The benchmark (test/bench/browser.ts) and support staff read the
 * marks from `window.__sedutaJoinTiming`; nothing in the client depends on them.
 *
 * Step names: `socket` (signalling connected), `click` (the join started), every request type when
 * its reply arrives (`join`, `media.capabilities`, `transport.create`, `transport.connect`,
 * `consume`, `consumer.resume`, …), `<direction>.<state>` for each transport connection state
 * (`recv.connected` is ICE + DTLS done), `device` (mediasoup device loaded), `join.applied` (the
 * join reply's state handed to the page), `recv.consume`, `recv.answer` and `recv.wired` (the first
 * track handed to the receive peer connection, the remote offer applied and the answer made, the
 * answer applied) and `firstFrame` (the stage saw the first decoded video frame).
 */

/** One mark: a step and when the page reached it (`performance.now()`, ms since navigation). */
export interface JoinMark {
  step: string;
  at: number;
}

/** The marks the page has made, oldest first (at most {@link MAX_MARKS}: the oldest are dropped). */
export interface JoinTiming {
  /** `performance.timeOrigin`: add it to a mark's `at` for the wall-clock time (ms since the epoch). */
  timeOrigin: number;
  marks: JoinMark[];
}

/** Enough for several joins and rejoins; chat replies and the like also leave marks. */
const MAX_MARKS = 400;

declare global {
  interface Window {
    /** The join-timing marks of this page (see client/src/join-timing.ts). */
    __sedutaJoinTiming?: JoinTiming;
  }
}

/** Notes that the join path reached `step` now. Cheap: one array push. */
export function markJoin(step: string): void {
  if (typeof window === 'undefined' || typeof performance === 'undefined') return;
  const timing = (window.__sedutaJoinTiming ??= { timeOrigin: performance.timeOrigin, marks: [] });
  timing.marks.push({ step, at: performance.now() });
  if (timing.marks.length > MAX_MARKS) timing.marks.splice(0, timing.marks.length - MAX_MARKS);
}
