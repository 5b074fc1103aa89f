/**
 * What one participant and one signalling connection may hold and send (issue 16): bounded, so
 * that one misbehaving client cannot exhaust a media worker or the event loop. Read from the
 * environment by config.ts, with defaults generous for the web client (1 send + 1 recv transport,
 * up to 3 producers, one consumer per producer in the sitting).
 */
import { integer } from '../config';
import { AppError } from '../errors';

/** Per-participant and per-connection limits. */
export interface Limits {
  /** WebRTC transports per participant and direction (MAX_TRANSPORTS_PER_DIRECTION). */
  transportsPerDirection: number;
  /** Producers a participant may have at once (MAX_PRODUCERS_PER_PARTICIPANT). */
  producersPerParticipant: number;
  /** Consumers a participant may have at once, besides one per producer (MAX_CONSUMERS_PER_PARTICIPANT). */
  consumersPerParticipant: number;
  /**
   * A transport not connected (DTLS) within this time is closed once another of its direction is
   * there (TRANSPORT_CONNECT_TIMEOUT_S).
   */
  transportConnectTimeoutMs: number;
  /** Requests per second a connection may sustain (SIGNALLING_RATE_PER_S). */
  requestsPerSecond: number;
  /** Requests a connection may send in one burst (SIGNALLING_BURST). */
  requestBurst: number;
}

/** The defaults: what the web client needs, with room for a reconnect. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  transportsPerDirection: 2,
  producersPerParticipant: 3,
  consumersPerParticipant: 100,
  transportConnectTimeoutMs: 30_000,
  requestsPerSecond: 20,
  requestBurst: 120,
});

/** Reads the limits; throws ConfigError naming the variable on a bad value. */
export function loadLimits(read: (name: string) => string | undefined): Limits {
  const d = DEFAULT_LIMITS;
  return {
    transportsPerDirection: integer(read, 'MAX_TRANSPORTS_PER_DIRECTION', d.transportsPerDirection, 1, 16),
    producersPerParticipant: integer(read, 'MAX_PRODUCERS_PER_PARTICIPANT', d.producersPerParticipant, 1, 3),
    consumersPerParticipant: integer(
      read,
      'MAX_CONSUMERS_PER_PARTICIPANT',
      d.consumersPerParticipant,
      1,
      10_000,
    ),
    transportConnectTimeoutMs:
      integer(read, 'TRANSPORT_CONNECT_TIMEOUT_S', d.transportConnectTimeoutMs / 1000, 1, 600) * 1000,
    requestsPerSecond: integer(read, 'SIGNALLING_RATE_PER_S', d.requestsPerSecond, 1, 100_000),
    requestBurst: integer(read, 'SIGNALLING_BURST', d.requestBurst, 1, 1_000_000),
  };
}

/**
 * A token bucket: `burst` requests at once, refilled at `perSecond`. One per connection, checked
 * before a request is decoded, so a flood costs the server a subtraction per message.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;

  constructor(perSecond: number, burst: number, now: () => number = performance.now.bind(performance)) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#at = now();
  }

  /** Takes one token; false when the bucket is empty (the request is refused). */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token. */
  get retryAfterMs(): number {
    return Math.max(0, Math.ceil(((1 - this.#tokens) / this.#perSecond) * 1000));
  }
}

/**
 * Senders remembered per sitting before the buckets are forgotten (a bound on memory; forgetting
 * gives a sender a full bucket again, a burst of `count` lines at most).
 */
const MAX_CHAT_SENDERS = 10_000;

/**
 * The chat's per-sender limit: `count` lines per `windowMs` as a token bucket per sender (GCRA),
 * holding `count` lines and refilled at `count` per `windowMs`. A sender who keeps to the limit
 * when sending is never refused even though the server sees the lines later and bunched (queued
 * behind other work, or resent together after a stall): any run of lines sent at the limit fits
 * the bucket unless its arrival is delayed by more than one window less a line's interval (8 s at
 * 5 per 10 s, the chat's own store deadline). The long-run rate stays `count` per `windowMs`,
 * with at most `count` lines at once. A sliding window (the limit before) refused 7.5–13 % of the
 * lines of clients sending 4.8 per 10 s under load, because it counts arrivals, not sending.
 */
export class ChatRateLimit {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #perSecond: number;
  readonly #count: number;
  readonly #now: () => number;

  constructor(count: number, windowMs: number, now: () => number = performance.now.bind(performance)) {
    this.#count = count;
    this.#perSecond = (count * 1000) / windowMs;
    this.#now = now;
  }

  /** Counts a line from `key`, or throws `rate_limited` naming the wait when its bucket is empty. */
  take(key: string): void {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= MAX_CHAT_SENDERS) this.#buckets.clear();
      bucket = new TokenBucket(this.#perSecond, this.#count, this.#now);
      this.#buckets.set(key, bucket);
    }
    if (!bucket.take()) {
      throw new AppError(
        'rate_limited',
        `too many messages: wait ${Math.ceil(bucket.retryAfterMs / 1000)} s`,
      );
    }
  }
}
