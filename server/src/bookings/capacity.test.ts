import { describe, expect, it } from 'vitest';
import { capacityProblem, type Slot } from './capacity';

const slot = (start: string, minutes: number, people = 10): Slot => ({
  start: new Date(start),
  minutes,
  people,
});
const limits = { maxConcurrentSittings: 2, maxViewers: 50 };

describe('the capacity check', () => {
  it('lets a slot in when the server has room', () => {
    expect(
      capacityProblem(slot('2026-12-10T09:00:00Z', 60), [slot('2026-12-10T09:30:00Z', 60)], limits),
    ).toBeUndefined();
  });

  it('does not count slots that only touch the requested one', () => {
    const booked = [slot('2026-12-10T08:00:00Z', 60), slot('2026-12-10T10:00:00Z', 60)];
    expect(capacityProblem(slot('2026-12-10T09:00:00Z', 60), [...booked, ...booked], limits)).toBeUndefined();
  });

  it('counts only the sittings that are on at the same moment', () => {
    // Two booked slots overlap the new one, but never each other: at most two at once.
    const booked = [slot('2026-12-10T08:30:00Z', 60), slot('2026-12-10T10:30:00Z', 60)];
    expect(capacityProblem(slot('2026-12-10T09:00:00Z', 120), booked, limits)).toBeUndefined();
  });

  it('refuses a third sitting at once, naming the limit and the busy window', () => {
    const booked = [slot('2026-12-10T09:00:00Z', 120), slot('2026-12-10T09:30:00Z', 30)];
    expect(capacityProblem(slot('2026-12-10T08:00:00Z', 180), booked, limits)).toEqual({
      limit: 'MAX_CONCURRENT_SITTINGS',
      max: 2,
      from: new Date('2026-12-10T09:30:00Z'),
      to: new Date('2026-12-10T10:00:00Z'),
      sittings: 3,
      people: 30,
    });
  });

  it('refuses a slot that would bring too many people at once', () => {
    const problem = capacityProblem(
      slot('2026-12-10T09:00:00Z', 60, 30),
      [slot('2026-12-10T09:15:00Z', 30, 21)],
      limits,
    );
    expect(problem).toMatchObject({ limit: 'MAX_VIEWERS', max: 50, people: 51, sittings: 2 });
    expect(problem?.from).toEqual(new Date('2026-12-10T09:15:00Z'));
    expect(problem?.to).toEqual(new Date('2026-12-10T09:45:00Z'));
  });

  it('refuses a slot too big on its own', () => {
    expect(capacityProblem(slot('2026-12-10T09:00:00Z', 60, 51), [], limits)).toMatchObject({
      limit: 'MAX_VIEWERS',
      people: 51,
    });
  });
});
