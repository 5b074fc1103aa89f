import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter';

describe('login rate limit', () => {
  it('limits a key after 10 failures within a minute, until the oldest failure leaves the window', () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter({ now: () => now });
    const key = LoginLimiter.key('Rossi@Ente.it', '192.0.2.1');
    for (let i = 0; i < 10; i++) {
      expect(limiter.check(key)).toEqual({ limited: false });
      limiter.fail(key);
      now += 1000;
    }
    expect(limiter.check(key)).toEqual({ limited: true, retryAfterMs: 50_000 });
    expect(limiter.check(LoginLimiter.key('rossi@ente.it', '192.0.2.2'))).toEqual({ limited: false });
    now += 50_000;
    expect(limiter.check(key)).toEqual({ limited: false });
  });

  it('forgets a key on success, and drops stale keys so memory stays bounded', () => {
    let now = 0;
    const limiter = new LoginLimiter({ now: () => now });
    limiter.fail('a');
    limiter.reset('a');
    expect(limiter.size).toBe(0);
    // The 1000th failure recorded triggers a sweep.
    for (let i = 0; i < 998; i++) limiter.fail(`spray-${i}`);
    expect(limiter.size).toBe(998);
    now += 61_000;
    limiter.fail('last');
    expect(limiter.size).toBe(1);
  });
});
