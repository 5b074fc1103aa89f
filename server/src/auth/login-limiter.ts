/**
 * Login rate limits: at most `max` failed sign-ins per key within a sliding window, for four
 * keys (see {@link SignInGuard}): the account from one address, the account from anywhere, the
 * address whatever e-mail it tries (known or not), and the whole server. While limited, even a
 * correct password is refused, so guessing cannot continue. The counts live in a
 * {@link LimitWindows}: this process's memory on one node (a restart forgets them), Redis when
 * several nodes serve one deployment (cluster/shared-windows.ts), so that a guesser cannot spread
 * attempts over the nodes.
 */
import { integer } from '../config';

/** Outcome of a check: allowed, or limited until `retryAfterMs` has passed. */
export type LimitCheck = { limited: false } | { limited: true; retryAfterMs: number };

/** Options of the limiter. */
export interface LoginLimiterOptions {
  /** Failures allowed within the window (default 10). */
  max?: number;
  /** Window length (default 60 s). */
  windowMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Counts failed logins per key and says when a key is limited. */
export class LoginLimiter {
  readonly max: number;
  readonly windowMs: number;
  #now: () => number;
  #failures = new Map<string, number[]>();
  #calls = 0;

  constructor(options: LoginLimiterOptions = {}) {
    this.max = options.max ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The key of an account and an address. */
  static key(email: string, ip: string): string {
    return `${email.trim().toLowerCase()}\n${ip}`;
  }

  /** Whether `key` may try now. */
  check(key: string): LimitCheck {
    const recent = this.#recent(key);
    if (recent.length < this.max) return { limited: false };
    return { limited: true, retryAfterMs: Math.max(1, recent[0]! + this.windowMs - this.#now()) };
  }

  /** Records a failure. */
  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#now());
    this.#failures.set(key, recent);
    if (++this.#calls % 1000 === 0) this.#sweep();
  }

  /** Takes back the latest failure of `key` (an attempt counted ahead turned out to succeed). */
  forgive(key: string): void {
    const recent = this.#failures.get(key);
    recent?.pop();
    if (recent?.length === 0) this.#failures.delete(key);
  }

  /** Forgets a key's failures (after a successful login). */
  reset(key: string): void {
    this.#failures.delete(key);
  }

  /** Number of keys tracked (for tests). */
  get size(): number {
    return this.#failures.size;
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }

  /** Drops keys with no failure inside the window, bounding memory under a spray of addresses. */
  #sweep(): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key);
  }
}

/** A sliding-window limit: at most `max` events per `windowMs` for each key. */
export interface WindowLimit {
  /** Names the counts (one namespace of keys per limit). */
  name: string;
  max: number;
  windowMs: number;
}

/** One key of one limit, in a {@link LimitWindows.take}. */
export interface WindowItem {
  limit: WindowLimit;
  key: string;
}

/** Where sliding-window counts live: this process ({@link LocalWindows}) or Redis, shared by every node. */
export interface LimitWindows {
  /**
   * Atomically: when no item is at its limit, counts one event on each and returns undefined;
   * else returns the index of the first item at its limit and when it frees up (nothing counted).
   */
  take(items: readonly WindowItem[]): Promise<{ index: number; retryAfterMs: number } | undefined>;
  /** Whether the key is at its limit (nothing counted). */
  check(limit: WindowLimit, key: string): Promise<LimitCheck>;
  /** Counts one event. */
  record(limit: WindowLimit, key: string): Promise<void>;
  /** Takes back the latest event of the key. */
  forgive(limit: WindowLimit, key: string): Promise<void>;
  /** Forgets the key's events. */
  reset(limit: WindowLimit, key: string): Promise<void>;
}

/** Sliding-window counts in this process's memory: one {@link LoginLimiter} per limit. */
export class LocalWindows implements LimitWindows {
  readonly #limiters = new Map<string, LoginLimiter>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The same counts, synchronously (the fallback of the shared windows while Redis is away). */
  takeNow(items: readonly WindowItem[]): { index: number; retryAfterMs: number } | undefined {
    for (const [index, { limit, key }] of items.entries()) {
      const check = this.#limiter(limit).check(key);
      if (check.limited) return { index, retryAfterMs: check.retryAfterMs };
    }
    for (const { limit, key } of items) this.#limiter(limit).fail(key);
    return undefined;
  }

  async take(items: readonly WindowItem[]): Promise<{ index: number; retryAfterMs: number } | undefined> {
    return this.takeNow(items);
  }

  async check(limit: WindowLimit, key: string): Promise<LimitCheck> {
    return this.#limiter(limit).check(key);
  }

  async record(limit: WindowLimit, key: string): Promise<void> {
    this.#limiter(limit).fail(key);
  }

  async forgive(limit: WindowLimit, key: string): Promise<void> {
    this.#limiter(limit).forgive(key);
  }

  async reset(limit: WindowLimit, key: string): Promise<void> {
    this.#limiter(limit).reset(key);
  }

  #limiter(limit: WindowLimit): LoginLimiter {
    let limiter = this.#limiters.get(limit.name);
    if (!limiter) {
      limiter = new LoginLimiter({ max: limit.max, windowMs: limit.windowMs, now: this.#now });
      this.#limiters.set(limit.name, limiter);
    }
    return limiter;
  }
}

/** Sign-in limits (LOGIN_* variables); see README "Limits". */
export interface SignInLimits {
  /** Failures per minute for one account from one address (LOGIN_MAX_PER_ACCOUNT_ADDRESS). */
  perAccountAddress: number;
  /** Failures per 15 minutes for one account from anywhere (LOGIN_MAX_PER_ACCOUNT). */
  perAccount: number;
  /** Failed attempts per minute from one address, whatever e-mail (LOGIN_MAX_PER_ADDRESS). */
  perAddress: number;
  /** Attempts per minute on the whole server (LOGIN_MAX_GLOBAL). */
  global: number;
  /** Sign-ins one address may have in progress at once (LOGIN_MAX_IN_FLIGHT_PER_ADDRESS). */
  inFlightPerAddress: number;
  /** Password hashes run at once (LOGIN_HASH_CONCURRENCY). */
  hashConcurrency: number;
  /** Sign-ins waiting for a hash slot; more are refused at once (LOGIN_HASH_QUEUE). */
  hashQueue: number;
}

/** The defaults: a person mistyping is never limited; a script is, within seconds. */
export const DEFAULT_SIGN_IN_LIMITS: Readonly<SignInLimits> = Object.freeze({
  perAccountAddress: 10,
  perAccount: 50,
  perAddress: 20,
  global: 600,
  inFlightPerAddress: 2,
  hashConcurrency: 1,
  hashQueue: 8,
});

/** Reads the sign-in limits; throws ConfigError naming the variable on a bad value. */
export function loadSignInLimits(read: (name: string) => string | undefined): SignInLimits {
  const d = DEFAULT_SIGN_IN_LIMITS;
  return {
    perAccountAddress: integer(read, 'LOGIN_MAX_PER_ACCOUNT_ADDRESS', d.perAccountAddress, 1, 10_000),
    perAccount: integer(read, 'LOGIN_MAX_PER_ACCOUNT', d.perAccount, 1, 100_000),
    perAddress: integer(read, 'LOGIN_MAX_PER_ADDRESS', d.perAddress, 1, 100_000),
    global: integer(read, 'LOGIN_MAX_GLOBAL', d.global, 1, 1_000_000),
    inFlightPerAddress: integer(read, 'LOGIN_MAX_IN_FLIGHT_PER_ADDRESS', d.inFlightPerAddress, 1, 100),
    hashConcurrency: integer(read, 'LOGIN_HASH_CONCURRENCY', d.hashConcurrency, 1, 16),
    hashQueue: integer(read, 'LOGIN_HASH_QUEUE', d.hashQueue, 0, 10_000),
  };
}

/** A sign-in refused by a limit, with when to try again. */
export interface SignInRefusal {
  retryAfterMs: number;
  /** Which limit: for the log and the message. */
  limit: 'account' | 'address' | 'global' | 'in-flight';
}

/** An admitted sign-in attempt: say how it ended, exactly once. */
export interface SignInAttempt {
  /** The password was right: the failures counted ahead are taken back. */
  succeeded(): void;
  /** The attempt failed (its failure stays counted). */
  failed(): void;
}

const MINUTE = 60_000;

/**
 * Every sign-in limit in one place. An attempt is counted as a failure when it starts (so that
 * 200 concurrent attempts cannot all pass the check before the first one fails) and taken back
 * when it succeeds. Limits per account and address, per account, per address (all e-mails, known
 * or not: unknown ones cost a full hash too) and global; and at most a few attempts in progress
 * per address, so one address cannot fill the hashing queue.
 */
export class SignInGuard {
  readonly limits: SignInLimits;
  readonly #accountAddress: WindowLimit;
  readonly #account: WindowLimit;
  readonly #address: WindowLimit;
  readonly #global: WindowLimit;
  readonly #windows: LimitWindows;
  /** Per node: it bounds this node's hashing queue (LOGIN_HASH_QUEUE is per node too). */
  readonly #inFlight = new Map<string, number>();

  constructor(
    limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
    now: () => number = Date.now,
    windows: LimitWindows = new LocalWindows(now),
  ) {
    this.limits = limits;
    this.#windows = windows;
    this.#accountAddress = {
      name: 'signin-account-address',
      max: limits.perAccountAddress,
      windowMs: MINUTE,
    };
    this.#account = { name: 'signin-account', max: limits.perAccount, windowMs: 15 * MINUTE };
    this.#address = { name: 'signin-address', max: limits.perAddress, windowMs: MINUTE };
    this.#global = { name: 'signin-global', max: limits.global, windowMs: MINUTE };
  }

  /** Admits an attempt for `email` from `ip`, or says which limit refuses it and until when. */
  async begin(email: string, ip: string): Promise<SignInAttempt | SignInRefusal> {
    const account = `account\n${email}`;
    const accountAddress = LoginLimiter.key(email, ip);
    const inFlight = this.#inFlight.get(ip) ?? 0;
    if (inFlight >= this.limits.inFlightPerAddress) return { retryAfterMs: 1000, limit: 'in-flight' };
    const checks: Array<WindowItem & { refusal: SignInRefusal['limit'] }> = [
      { limit: this.#global, key: 'global', refusal: 'global' },
      { limit: this.#address, key: ip, refusal: 'address' },
      { limit: this.#accountAddress, key: accountAddress, refusal: 'account' },
      { limit: this.#account, key: account, refusal: 'account' },
    ];
    // Counted while in flight, so that concurrent attempts cannot all pass before one fails.
    this.#inFlight.set(ip, inFlight + 1);
    let done = false;
    const end = () => {
      if (done) return false;
      done = true;
      const left = (this.#inFlight.get(ip) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(ip, left);
      else this.#inFlight.delete(ip);
      return true;
    };
    let refused: Awaited<ReturnType<LimitWindows['take']>>;
    try {
      refused = await this.#windows.take(checks);
    } catch (err) {
      end();
      throw err;
    }
    if (refused !== undefined) {
      end();
      return { retryAfterMs: refused.retryAfterMs, limit: checks[refused.index]!.refusal };
    }
    return {
      succeeded: () => {
        if (!end()) return;
        // Best effort: a count not taken back only makes the limit stricter.
        void Promise.all([
          this.#windows.reset(this.#accountAddress, accountAddress),
          this.#windows.forgive(this.#account, account),
          this.#windows.forgive(this.#address, ip),
        ]).catch(() => undefined);
      },
      failed: () => void end(),
    };
  }
}
