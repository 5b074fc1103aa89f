/**
 * Failed sign-ins in the audit log, aggregated per address and minute: the log is append-only,
 * so a flood of bogus sign-ins must not flood it forever. The first failure from an address in a
 * minute is written at once, as it happened (the e-mail tried and why it failed); the others of
 * that minute become one entry at the minute's end: the address, how many, which e-mails (the
 * first {@link MAX_EMAILS_LISTED}), why, first and last time. Nothing is lost: every failure is
 * counted in an entry.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/audit-log';
import type { Database } from '../db/schema';

/** E-mails listed in one aggregated entry; the rest are only counted. */
export const MAX_EMAILS_LISTED = 20;
/** Addresses tracked in one minute; failures from further ones share one entry (`ip: "*"`). */
export const MAX_ADDRESSES_PER_MINUTE = 1000;
const MINUTE = 60_000;

interface Bucket {
  ip: string;
  minute: number;
  /** Failures after the first (written at once), not yet written. */
  count: number;
  first: number;
  last: number;
  emails: Map<string, number>;
  emailsOmitted: number;
  reasons: Record<string, number>;
}

/** Aggregates failed sign-ins per address and minute into the audit log. */
export class FailedSignInAudit {
  readonly #db: Kysely<Database>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  #timer: NodeJS.Timeout | undefined;
  /** Writes in the order they were decided, one at a time. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(db: Kysely<Database>, logger: Logger, now: () => number = Date.now) {
    this.#db = db;
    this.#log = logger;
    this.#now = now;
  }

  /**
   * Records a failed sign-in. Resolves once it is in the log when it is written at once (the
   * first from its address this minute); otherwise at once (it is counted for the minute's entry).
   */
  async failed(email: string, ip: string, reason: string): Promise<void> {
    const now = this.#now();
    const minute = Math.floor(now / MINUTE);
    const key = this.#buckets.has(ip) || this.#buckets.size < MAX_ADDRESSES_PER_MINUTE ? ip : '*';
    const bucket = this.#buckets.get(key);
    if (bucket && bucket.minute === minute) {
      bucket.count += 1;
      bucket.last = now;
      bucket.reasons[reason] = (bucket.reasons[reason] ?? 0) + 1;
      if (bucket.emails.has(email) || bucket.emails.size < MAX_EMAILS_LISTED)
        bucket.emails.set(email, (bucket.emails.get(email) ?? 0) + 1);
      else bucket.emailsOmitted += 1;
      return;
    }
    if (bucket) this.#write(bucket);
    this.#buckets.set(key, {
      ip: key,
      minute,
      count: 0,
      first: now,
      last: now,
      emails: new Map(),
      emailsOmitted: 0,
      reasons: {},
    });
    this.#timer ??= setInterval(() => this.#flushPast(), 5_000).unref();
    await this.#append({
      actor: email,
      role: 'anonymous',
      action: 'auth.login_failed',
      details: { ip, reason },
    });
  }

  /** Writes every pending aggregate now (shutdown) and waits for the writes. */
  async flush(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const bucket of [...this.#buckets.values()]) this.#write(bucket);
    this.#buckets.clear();
    await this.#tail.catch(() => undefined);
  }

  /** Writes the aggregates of minutes that are over. */
  #flushPast(): void {
    const minute = Math.floor(this.#now() / MINUTE);
    for (const [key, bucket] of this.#buckets) {
      if (bucket.minute >= minute) continue;
      this.#buckets.delete(key);
      this.#write(bucket);
    }
    if (this.#buckets.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #write(bucket: Bucket): void {
    if (bucket.count === 0) return;
    this.#append({
      actor: `address:${bucket.ip}`,
      role: 'anonymous',
      action: 'auth.login_failed',
      details: {
        ip: bucket.ip,
        aggregated: true,
        count: bucket.count,
        emails: Object.fromEntries(bucket.emails),
        emailsOmitted: bucket.emailsOmitted,
        reasons: bucket.reasons,
        first: new Date(bucket.first).toISOString(),
        last: new Date(bucket.last).toISOString(),
      },
    }).catch((err: unknown) =>
      this.#log.error({ err, ip: bucket.ip, count: bucket.count }, 'could not audit failed sign-ins'),
    );
  }

  #append(entry: { actor: string; role: string; action: string; details: object }): Promise<void> {
    const write = this.#tail.then(
      () => appendAudit(this.#db, entry),
      () => appendAudit(this.#db, entry),
    );
    this.#tail = write.catch(() => undefined);
    return write.then(() => undefined);
  }
}
