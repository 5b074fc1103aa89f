/**
 * The background sender: polls the outbox (and wakes at once when a message is queued), sends
 * due messages one at a time, and retries failures with exponential backoff up to MAX_ATTEMPTS.
 * close() stops polling and waits for the message being sent, then closes the transport.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema';
import { claimDueMail, enqueueMail, markAttemptFailed, markSent, type OutgoingMail } from './outbox';
import type { MailTransport } from './transport';

/** Options of the sender. */
export interface OutboxSenderOptions {
  db: Kysely<Database>;
  transport: MailTransport;
  /** The From header. */
  from: string;
  logger: Logger;
  /** Poll interval (default 30 s); queueing through the sender wakes it immediately. */
  pollMs?: number;
  /** Attempts before a message is `failed` (default 5). */
  maxAttempts?: number;
  /** Delay before the second attempt, doubled for each one after (default 30 s). */
  retryBaseMs?: number;
}

const BATCH = 10;
/** A claimed message not settled within this time is retried (the process died mid-send). */
const LEASE_MS = 5 * 60_000;

/** Sends the outbox in the background. */
export class OutboxSender {
  #opts: Required<Omit<OutboxSenderOptions, 'logger'>>;
  #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(options: OutboxSenderOptions) {
    this.#opts = { pollMs: 30_000, maxAttempts: 5, retryBaseMs: 30_000, ...options };
    this.#log = options.logger.child({ module: 'outbox' });
  }

  /** Starts polling. */
  start(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setInterval(() => this.wake(), this.#opts.pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Queues a message and wakes the sender; returns the outbox id. */
  async enqueue(mail: OutgoingMail): Promise<number> {
    const id = await enqueueMail(this.#opts.db, mail);
    this.wake();
    return id;
  }

  /** Runs a sending pass now (or right after the current one). */
  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      .catch((err: unknown) => this.#log.error({ err }, 'outbox pass failed'))
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

  /** Stops the sender; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
    this.#opts.transport.close();
  }

  async #drain(): Promise<void> {
    const { db, transport, from, maxAttempts, retryBaseMs } = this.#opts;
    for (;;) {
      const batch = await claimDueMail(db, BATCH, LEASE_MS);
      if (batch.length === 0) return;
      for (const mail of batch) {
        try {
          await transport.send({ from, to: mail.to_address, subject: mail.subject, text: mail.body });
          await markSent(db, mail.id);
          this.#log.info({ outboxId: mail.id, attempts: mail.attempts }, 'e-mail sent');
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          const retryAt =
            mail.attempts >= maxAttempts
              ? undefined
              : new Date(Date.now() + retryBaseMs * 2 ** (mail.attempts - 1));
          await markAttemptFailed(db, mail.id, reason, retryAt);
          this.#log.warn({ outboxId: mail.id, attempts: mail.attempts, retryAt, reason }, 'e-mail not sent');
        }
        if (this.#closed) return;
      }
    }
  }
}
