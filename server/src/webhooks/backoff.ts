/**
 * When a failed delivery is tried again: exponential backoff with jitter — 10 s, 30 s, 2 min,
 * 10 min, 1 h, then every hour — until the retry window (24 h after the event) closes; one last
 * attempt is made at the window's end, then the delivery is `failed`. `firstDelayMs` scales the
 * whole schedule (WEBHOOK_RETRY_FIRST_MS; tests shorten it).
 */

/** Multiples of the first delay: 10 s, 30 s, 2 min, 10 min, 1 h with the default 10 s. */
export const BACKOFF_STEPS = [1, 3, 12, 60, 360] as const;
/** Each delay is moved at random by up to this fraction either way (retries do not stampede). */
export const JITTER = 0.2;

/** The delay before the attempt after `attempts` failed ones (attempts ≥ 1), jitter included. */
export function retryDelayMs(
  attempts: number,
  firstDelayMs: number,
  random: () => number = Math.random,
): number {
  const step = BACKOFF_STEPS[Math.min(Math.max(attempts, 1), BACKOFF_STEPS.length) - 1]!;
  const base = step * firstDelayMs;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** The retry schedule's settings. */
export interface RetryPolicy {
  /** The first delay; the others are multiples of it (BACKOFF_STEPS). */
  firstDelayMs: number;
  /** How long after the event it is still retried (24 h by default). */
  windowMs: number;
}

/**
 * When to try again after the `attempts`-th attempt failed at `now`, for an event created at
 * `createdAt`: a time within the window, or undefined when the window is over (mark it failed).
 */
export function nextAttemptAt(
  attempts: number,
  createdAt: Date,
  now: Date,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Date | undefined {
  const deadline = createdAt.getTime() + policy.windowMs;
  if (now.getTime() >= deadline) return undefined;
  const at = now.getTime() + retryDelayMs(attempts, policy.firstDelayMs, random);
  return new Date(Math.min(at, deadline));
}
