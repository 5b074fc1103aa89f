import { describe, expect, it } from 'vitest';
import { DEFAULT_SIGN_IN_LIMITS, LocalWindows, LoginLimiter, SignInGuard } from './login-limiter';

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

describe('SignInGuard', () => {
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, perAddress: 3, inFlightPerAddress: 2 };
  const admitted = async (attempt: ReturnType<SignInGuard['begin']>) => {
    const a = await attempt;
    if (!('succeeded' in a)) throw new Error(`refused: ${a.limit}`);
    return a;
  };

  it('limits an address whatever e-mails it tries, counting attempts from when they start', async () => {
    const guard = new SignInGuard(limits, () => 0);
    const first = await admitted(guard.begin('a@x.it', '198.51.100.1'));
    await admitted(guard.begin('b@x.it', '198.51.100.1'));
    // Two in progress: a third waits, even before either has failed.
    expect(await guard.begin('c@x.it', '198.51.100.1')).toMatchObject({ limit: 'in-flight' });
    first.failed();
    (await admitted(guard.begin('c@x.it', '198.51.100.1'))).failed();
    expect(await guard.begin('d@x.it', '198.51.100.1')).toMatchObject({ limit: 'address' });
    // Another address is not concerned.
    await admitted(guard.begin('a@x.it', '203.0.113.1'));
  });

  it('takes back the attempt of a sign-in that succeeds', async () => {
    const guard = new SignInGuard(limits, () => 0);
    for (let i = 0; i < 10; i++) (await admitted(guard.begin('a@x.it', '198.51.100.2'))).succeeded();
    await admitted(guard.begin('a@x.it', '198.51.100.2'));
  });

  it('counts in the windows it is given, so that nodes sharing them share the limits', async () => {
    const shared = new LocalWindows(() => 0);
    const nodeA = new SignInGuard(limits, () => 0, shared);
    const nodeB = new SignInGuard(limits, () => 0, shared);
    for (const guard of [nodeA, nodeB, nodeA])
      (await admitted(guard.begin('x@x.it', '198.51.100.3'))).failed();
    expect(await nodeB.begin('y@x.it', '198.51.100.3')).toMatchObject({ limit: 'address' });
  });
});
