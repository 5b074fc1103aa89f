import { describe, expect, it } from 'vitest';
import { ChatRateLimit, TokenBucket } from './limits';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.retryAfterMs).toBe(100);
    now += 100;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 10_000;
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });
});

describe('ChatRateLimit (5 lines per 10 s)', () => {
  /** A deterministic generator in [0, 1), so a failure can be replayed. */
  function random(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  /** Feeds lines sent at `sentAt` (ms) to a limit in the order they arrive; returns how many were refused. */
  function refusedOf(sentAt: number[], delayMs: (i: number) => number): number {
    const arrivals = sentAt.map((t, i) => t + delayMs(i)).sort((a, b) => a - b);
    let now = 0;
    const limit = new ChatRateLimit(5, 10_000, () => now);
    let refused = 0;
    for (const t of arrivals) {
      now = t;
      try {
        limit.take('operator:anna');
      } catch {
        refused += 1;
      }
    }
    return refused;
  }

  const atTheLimit = Array.from({ length: 300 }, (_, i) => i * 2000); // 5 per 10 s for 10 minutes

  it('never refuses a sender keeping to the limit whose lines arrive with up to 8 s of jitter', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = random(seed);
      expect(refusedOf(atTheLimit, () => r() * 8000)).toBe(0);
    }
  });

  it('never refuses a sender keeping to the limit whose lines are held back, then arrive together', () => {
    // Queued behind other work: every line of each 8-second stall arrives at the stall's end.
    expect(refusedOf(atTheLimit, (i) => 8000 - ((i * 2000) % 8000))).toBe(0);
    // Five at once every 10 s (what the sliding window allowed) is still allowed.
    const bursts = Array.from({ length: 300 }, (_, i) => Math.floor(i / 5) * 10_000 + (i % 5));
    expect(refusedOf(bursts, () => 0)).toBe(0);
  });

  it('refuses a sender over the limit, naming the wait, and holds them to the rate', () => {
    // 6 lines per 10 s for 10 minutes: one line in six beyond the rate must be refused.
    const over = Array.from({ length: 360 }, (_, i) => (i * 10_000) / 6);
    const refused = refusedOf(over, () => 0);
    expect(refused).toBeGreaterThanOrEqual(360 - 300 - 5);
    let now = 0;
    const limit = new ChatRateLimit(5, 10_000, () => now);
    for (let i = 0; i < 5; i++) limit.take('operator:bruno');
    expect(() => limit.take('operator:bruno')).toThrow(/too many messages: wait 2 s/);
    // Another sender has a bucket of their own.
    limit.take('operator:carla');
    now = 2000;
    limit.take('operator:bruno');
    expect(() => limit.take('operator:bruno')).toThrow(expect.objectContaining({ code: 'rate_limited' }));
  });
});
