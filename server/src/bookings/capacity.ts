/**
 * The capacity check: would a slot, added to the accepted bookings, ever have more sittings at once
 * than MAX_CONCURRENT_SITTINGS, or more people than MAX_VIEWERS? A sweep over the slots that overlap
 * the new one finds the busiest moment; the refusal names it and the limit it would pass.
 */

/** A booked slot: from `start` for `minutes`, with this many people (participants and host). */
export interface Slot {
  start: Date;
  minutes: number;
  people: number;
}

/** The limits of one server. */
export interface CapacityLimits {
  maxConcurrentSittings: number;
  maxViewers: number;
}

/** Why a slot does not fit: the limit passed, and the busiest moment's window and load. */
export interface CapacityProblem {
  limit: 'MAX_CONCURRENT_SITTINGS' | 'MAX_VIEWERS';
  max: number;
  /** Where the load is highest, within the requested slot. */
  from: Date;
  to: Date;
  sittings: number;
  people: number;
}

const endOf = (s: Slot) => s.start.getTime() + s.minutes * 60_000;

/** The first limit `wanted` would pass together with `booked`, or undefined when it fits. */
export function capacityProblem(
  wanted: Slot,
  booked: readonly Slot[],
  limits: CapacityLimits,
): CapacityProblem | undefined {
  const from = wanted.start.getTime();
  const to = endOf(wanted);
  // Slots are half-open [start, end): one ending at 10:00 does not overlap one starting at 10:00.
  const overlapping = booked.filter((s) => s.start.getTime() < to && endOf(s) > from);
  const edges = [
    ...overlapping.map((s) => ({ at: Math.max(s.start.getTime(), from), d: 1, people: s.people })),
    ...overlapping.map((s) => ({ at: Math.min(endOf(s), to), d: -1, people: -s.people })),
  ].sort((a, b) => a.at - b.at || a.d - b.d);
  let sittings = 1;
  let people = wanted.people;
  // The load only rises at a start edge, so checking there (and at the slot's own start) suffices.
  for (let i = -1; i < edges.length; i++) {
    const e = edges[i];
    if (e) {
      sittings += e.d;
      people += e.people;
      if (e.d < 0) continue;
    }
    const limit =
      sittings > limits.maxConcurrentSittings
        ? ('MAX_CONCURRENT_SITTINGS' as const)
        : people > limits.maxViewers
          ? ('MAX_VIEWERS' as const)
          : undefined;
    if (limit === undefined) continue;
    const at = e?.at ?? from;
    const until = edges.slice(i + 1).find((n) => n.at > at)?.at ?? to;
    const max = limit === 'MAX_CONCURRENT_SITTINGS' ? limits.maxConcurrentSittings : limits.maxViewers;
    return { limit, max, from: new Date(at), to: new Date(until), sittings, people };
  }
  return undefined;
}
