import { describe, expect, it } from 'vitest';
import { nextAttemptAt, retryDelayMs } from './backoff';

const HOUR = 3_600_000;
const policy = { firstDelayMs: 10_000, windowMs: 24 * HOUR };

describe('webhook retry backoff', () => {
  it('waits 10 s, 30 s, 2 min, 10 min, 1 h, then every hour (without jitter)', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => retryDelayMs(n, 10_000, mid))).toEqual([
      10_000,
      30_000,
      120_000,
      600_000,
      HOUR,
      HOUR,
      HOUR,
    ]);
  });

  it('moves each delay by at most 20% either way', () => {
    expect(retryDelayMs(2, 10_000, () => 0)).toBe(24_000);
    expect(retryDelayMs(2, 10_000, () => 0.999999)).toBe(36_000);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(5, 10_000);
      expect(d).toBeGreaterThanOrEqual(0.8 * HOUR);
      expect(d).toBeLessThanOrEqual(1.2 * HOUR);
    }
  });

  it('retries within 24 h of the event, last at the window end, then gives up', () => {
    const created = new Date('2026-12-05T00:00:00Z');
    const at = (ms: number) => new Date(created.getTime() + ms);
    expect(nextAttemptAt(1, created, at(1000), policy, () => 0.5)).toEqual(at(11_000));
    // An hour's wait would pass the window: the last attempt is at its end.
    expect(nextAttemptAt(9, created, at(23.5 * HOUR), policy, () => 0.5)).toEqual(at(24 * HOUR));
    expect(nextAttemptAt(10, created, at(24 * HOUR), policy)).toBeUndefined();
    expect(nextAttemptAt(10, created, at(25 * HOUR), policy)).toBeUndefined();
  });

  it('makes about 30 attempts over the default 24 hours', () => {
    const created = new Date(0);
    let now = created;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAt(attempts, created, now, policy, () => 0.5);
      if (next === undefined) break;
      now = next;
      attempts += 1;
      expect(attempts).toBeLessThan(100);
    }
    expect(attempts).toBeGreaterThan(25);
    expect(attempts).toBeLessThan(35);
    expect(now.getTime() - created.getTime()).toBe(24 * HOUR);
  });
});
