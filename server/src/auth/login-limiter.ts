/**
 * Login rate limit: at most `max` failed sign-ins per (account, IP address) within a sliding
 * window. While limited, even a correct password is refused, so guessing cannot continue. In
 * memory, per process: a restart forgets the counts, which is acceptable for a one-process server.
 */

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
