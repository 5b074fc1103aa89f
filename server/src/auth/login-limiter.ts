/**
 * Login rate limits: at most `max` failed sign-ins per key within a sliding window, for four
 * keys (see {@link SignInGuard}): the account from one address, the account from anywhere, the
 * address whatever e-mail it tries (known or not), and the whole server. While limited, even a
 * correct password is refused, so guessing cannot continue. In memory, per process: a restart
 * forgets the counts, which is acceptable for a one-process server.
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
  readonly #accountAddress: LoginLimiter;
  readonly #account: LoginLimiter;
  readonly #address: LoginLimiter;
  readonly #global: LoginLimiter;
  readonly #inFlight = new Map<string, number>();

  constructor(limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS, now: () => number = Date.now) {
    this.limits = limits;
    this.#accountAddress = new LoginLimiter({ max: limits.perAccountAddress, windowMs: MINUTE, now });
    this.#account = new LoginLimiter({ max: limits.perAccount, windowMs: 15 * MINUTE, now });
    this.#address = new LoginLimiter({ max: limits.perAddress, windowMs: MINUTE, now });
    this.#global = new LoginLimiter({ max: limits.global, windowMs: MINUTE, now });
  }

  /** Admits an attempt for `email` from `ip`, or says which limit refuses it and until when. */
  begin(email: string, ip: string): SignInAttempt | SignInRefusal {
    const account = `account\n${email}`;
    const accountAddress = LoginLimiter.key(email, ip);
    const checks: Array<[LoginLimiter, string, SignInRefusal['limit']]> = [
      [this.#global, 'global', 'global'],
      [this.#address, ip, 'address'],
      [this.#accountAddress, accountAddress, 'account'],
      [this.#account, account, 'account'],
    ];
    for (const [limiter, key, limit] of checks) {
      const check = limiter.check(key);
      if (check.limited) return { retryAfterMs: check.retryAfterMs, limit };
    }
    const inFlight = this.#inFlight.get(ip) ?? 0;
    if (inFlight >= this.limits.inFlightPerAddress) return { retryAfterMs: 1000, limit: 'in-flight' };
    this.#inFlight.set(ip, inFlight + 1);
    for (const [limiter, key] of checks) limiter.fail(key);
    let done = false;
    const end = () => {
      if (done) return false;
      done = true;
      const left = (this.#inFlight.get(ip) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(ip, left);
      else this.#inFlight.delete(ip);
      return true;
    };
    return {
      succeeded: () => {
        if (!end()) return;
        this.#accountAddress.reset(accountAddress);
        this.#account.forgive(account);
        this.#address.forgive(ip);
      },
      failed: () => void end(),
    };
  }
}
