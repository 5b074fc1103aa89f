/**
 * A live sitting's audit entries, in order, with repetitive ones coalesced: the audit log is
 * append-only, so a participant raising and lowering a hand in a loop must not write a row each
 * time forever. The first raise or lower of a participant is written at once; the ones that
 * follow within {@link HAND_AUDIT_WINDOW_MS} become one entry (`hand.repeated`) with how many
 * raises and lowers, the first and last time and the state it ended in, written at the window's
 * end, before any other entry of the sitting (so the chain keeps the order things happened in),
 * and when the sitting ends. Nothing is lost: every action is counted in an entry.
 */
import type { Logger } from 'pino';
import type { Identity } from './participant';

/** Writes one audit entry about this sitting (the sitting service's writer). */
export type AuditWrite = (
  by: Identity,
  action: string,
  details: Record<string, unknown>,
  at?: Date,
) => Promise<void>;

/** How long a participant's further raises and lowers are gathered into one entry. */
export const HAND_AUDIT_WINDOW_MS = 10_000;

/** Actions a participant does to their own hand, coalesced. */
const COALESCED = new Set(['hand.raise', 'hand.lower']);

interface Window {
  timer: NodeJS.Timeout;
  by: Identity;
  details: Record<string, unknown>;
  raises: number;
  lowers: number;
  first: number;
  last: number;
  lastAction: string;
}

/** Orders and coalesces one sitting's audit entries. */
export class AuditCoalescer {
  readonly #write: AuditWrite;
  readonly #log: Logger;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();
  /** Every write goes through this chain: entries reach the log in the order they were made. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(write: AuditWrite, logger: Logger, windowMs = HAND_AUDIT_WINDOW_MS) {
    this.#write = write;
    this.#log = logger;
    this.#windowMs = windowMs;
  }

  /**
   * Audits an action: a participant's own raise or lower inside its window is only counted
   * (resolves at once); anything else is written after the pending summaries, and resolves once
   * it is in the log (rejecting if it could not be written).
   */
  audit(by: Identity, action: string, details: Record<string, unknown>): Promise<void> {
    const participantId = typeof details.participantId === 'string' ? details.participantId : undefined;
    if (participantId !== undefined && COALESCED.has(action) && details.subject === by.subject) {
      const open = this.#windows.get(participantId);
      if (open) {
        const now = Date.now();
        if (open.raises + open.lowers === 0) open.first = now;
        open.last = now;
        open.lastAction = action;
        if (action === 'hand.raise') open.raises += 1;
        else open.lowers += 1;
        return Promise.resolve();
      }
      this.#open(participantId, by, details);
      return this.#append(by, action, details);
    }
    this.#summariseAll();
    return this.#append(by, action, details);
  }

  /** Writes every pending summary (the sitting ends, or the server stops) and waits for the log. */
  async flush(): Promise<void> {
    for (const [participantId, window] of [...this.#windows]) {
      clearTimeout(window.timer);
      this.#windows.delete(participantId);
      this.#summarise(window);
    }
    await this.#tail.catch(() => undefined);
  }

  #open(participantId: string, by: Identity, details: Record<string, unknown>): void {
    const timer = setTimeout(() => {
      const window = this.#windows.get(participantId);
      this.#windows.delete(participantId);
      if (window) this.#summarise(window);
    }, this.#windowMs);
    timer.unref();
    this.#windows.set(participantId, {
      timer,
      by,
      details,
      raises: 0,
      lowers: 0,
      first: 0,
      last: 0,
      lastAction: '',
    });
  }

  /** Before another entry: what was gathered so far goes first (the windows stay open). */
  #summariseAll(): void {
    for (const window of this.#windows.values()) this.#summarise(window);
  }

  #summarise(window: Window): void {
    const count = window.raises + window.lowers;
    if (count === 0) return;
    const { by, details } = window;
    const entry =
      count === 1
        ? // One action: written as itself, at the time it happened.
          this.#append(by, window.lastAction, details, new Date(window.last))
        : this.#append(by, 'hand.repeated', {
            ...details,
            count,
            raises: window.raises,
            lowers: window.lowers,
            first: new Date(window.first).toISOString(),
            last: new Date(window.last).toISOString(),
            hand: window.lastAction === 'hand.raise' ? 'raised' : 'lowered',
          });
    window.raises = 0;
    window.lowers = 0;
    entry.catch((err: unknown) =>
      this.#log.error({ err, participantId: details.participantId, count }, 'could not audit hand changes'),
    );
  }

  #append(by: Identity, action: string, details: Record<string, unknown>, at?: Date): Promise<void> {
    const write = this.#tail.then(
      () => this.#write(by, action, details, at),
      () => this.#write(by, action, details, at),
    );
    this.#tail = write.catch(() => undefined);
    return write;
  }
}
