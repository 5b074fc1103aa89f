/**
 * The dispatcher: one per server. It wakes when an event is written, when the next retry is due
 * (at most every `pollMs`, to see deliveries other servers wrote), claims due deliveries in
 * batches (`FOR UPDATE SKIP LOCKED`, a lease per delivery), POSTs each signed body with a timeout,
 * and records the outcome: delivered on 2xx, else retried with backoff until the window closes.
 * close() stops it and waits for the attempts in flight.
 */
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from '../db/unreachable';
import { nextAttemptAt, type RetryPolicy } from './backoff';
import { signedHeaders } from './signature';
import {
  claimDue,
  markAttemptFailed,
  markDelivered,
  nextDueAt,
  type ClaimedDelivery,
  type WebhookDb,
} from './store';

/** Options of the dispatcher. */
export interface DispatcherOptions {
  db: WebhookDb;
  logger: Logger;
  /** Per attempt (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Longest sleep between passes (deliveries written by other servers); default 5 s. */
  pollMs?: number;
}

/** Deliveries claimed, and so sent concurrently, per pass. */
const BATCH = 10;
/** Passes in a row before the dispatcher yields to its timer (keeps one wake bounded). */
const MAX_BATCHES_PER_PASS = 50;
/** Bytes of a receiver's answer kept in the log. */
const ANSWER_BYTES = 300;

/** The outcome of one attempt. */
export interface AttemptOutcome {
  ok: boolean;
  status: number | null;
  error: string;
}

/** Sends due webhook deliveries in the background. */
export class WebhookDispatcher {
  #opts: DispatcherOptions & { pollMs: number };
  #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  /** The last pass found the database out of reach (said once per outage). */
  #databaseDown = false;
  #inflight = new Set<AbortController>();

  constructor(options: DispatcherOptions) {
    this.#opts = { pollMs: 5_000, ...options };
    this.#log = options.logger.child({ module: 'webhooks' });
  }

  /** Starts sending (a first pass now). */
  start(): void {
    this.wake();
  }

  /** Runs a pass now, or right after the current one. */
  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = this.#drain()
      .then(() => {
        if (this.#databaseDown) this.#log.info('database back: webhook deliveries resume');
        this.#databaseDown = false;
      })
      .catch((err: unknown) => {
        // An outage is said once, not at every pass: the deliveries wait in the outbox meanwhile.
        if (!isDatabaseUnreachable(err)) this.#log.error({ err }, 'webhook pass failed');
        else if (!this.#databaseDown)
          this.#log.warn({ err }, 'database out of reach: webhook deliveries wait');
        if (isDatabaseUnreachable(err)) this.#databaseDown = true;
      })
      .then(() => this.#schedule())
      .catch((err: unknown) => this.#log.warn({ err }, 'could not schedule the next webhook pass'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops the dispatcher; attempts in flight are aborted (their leases make them due again). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const c of this.#inflight) c.abort(new Error('server shutting down'));
    await this.#running;
  }

  async #schedule(): Promise<void> {
    if (this.#closed || this.#again) return;
    // The database out of reach: poll again later (the pass itself logged the problem).
    const due = await nextDueAt(this.#opts.db).catch(() => undefined);
    const wait = due === undefined ? this.#opts.pollMs : Math.max(0, due.getTime() - Date.now());
    if (this.#closed) return;
    this.#timer = setTimeout(() => this.wake(), Math.min(wait, this.#opts.pollMs) + 5);
    this.#timer.unref();
  }

  async #drain(): Promise<void> {
    const { db, timeoutMs } = this.#opts;
    // The lease outlives the attempt: nobody else takes a delivery while it is being tried.
    const leaseMs = timeoutMs * 2 + 30_000;
    for (let i = 0; i < MAX_BATCHES_PER_PASS && !this.#closed; i++) {
      const batch = await claimDue(db, BATCH, leaseMs);
      if (batch.length === 0) return;
      await Promise.all(batch.map((d) => this.#deliver(d)));
    }
    this.#again = true;
  }

  async #deliver(d: ClaimedDelivery): Promise<void> {
    const outcome = await this.attempt(d);
    if (this.#closed && !outcome.ok) return; // aborted by close: the lease makes it due again
    const { db, retry } = this.#opts;
    if (outcome.ok) {
      await markDelivered(db, d.id, outcome.status ?? 0);
      this.#log.info({ eventId: d.event_id, type: d.type, attempts: d.attempts }, 'webhook delivered');
      return;
    }
    const retryAt = nextAttemptAt(d.attempts, d.created_at, new Date(), retry);
    await markAttemptFailed(db, d.id, outcome, retryAt);
    this.#log.warn(
      { eventId: d.event_id, type: d.type, attempts: d.attempts, retryAt, error: outcome.error },
      retryAt ? 'webhook not delivered: will retry' : 'webhook failed: retry window over',
    );
  }

  /** One POST of a delivery, signed now; never throws. */
  async attempt(d: ClaimedDelivery): Promise<AttemptOutcome> {
    const body = JSON.stringify(d.payload);
    const controller = new AbortController();
    this.#inflight.add(controller);
    const timer = setTimeout(
      () => controller.abort(new Error(`no answer within ${this.#opts.timeoutMs} ms`)),
      this.#opts.timeoutMs,
    );
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Seduta-Webhooks/1',
          ...signedHeaders(d.secret, d.event_id, body),
        },
        body,
        // A redirect is an answer, not a delivery: it is never followed (the URL is the endpoint).
        redirect: 'manual',
        signal: controller.signal,
      });
      const text = (await res.text().catch(() => '')).slice(0, ANSWER_BYTES);
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: '' };
      return { ok: false, status: res.status, error: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
    } catch (err) {
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const message = reason instanceof Error ? reason.message : String(reason);
      return { ok: false, status: null, error: cause?.code ? `${message} (${cause.code})` : message };
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(controller);
    }
  }
}
