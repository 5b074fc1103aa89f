/**
 * The revocation bus: the staff, invitation and ban services publish here what they took away,
 * and the signalling layer closes or downgrades the connections it names within the same tick
 * (auth/connections.ts). In-process today; every message is plain JSON so that a Redis pub/sub
 * channel can carry it between nodes later (issue 14) without changing a publisher.
 */
import type { Logger } from 'pino';
import type { StaffRole } from '../db/schema';

/** Something taken away from whoever holds it; JSON-serialisable. */
export type Revocation =
  /** A staff account was disabled: every session and connection of it ends. */
  | { kind: 'account_disabled'; userId: string }
  /** Every session of a staff account ended (its password was reset). */
  | { kind: 'sessions_ended'; userId: string }
  /** One staff session ended (signed out). */
  | { kind: 'session_ended'; sessionId: string }
  /** A staff account's role changed: connections it no longer entitles are closed, others downgraded. */
  | { kind: 'role_changed'; userId: string; role: StaffRole }
  /** An invitation was revoked: its commissioner's connections to the sitting end. */
  | { kind: 'invite_revoked'; sittingId: string; inviteId: string }
  /** A subject was banned from a sitting (kicked): its connections to the sitting end. */
  | { kind: 'banned'; sittingId: string; subject: string };

/** Receives every revocation published, on this node (and, later, on every node). */
export type RevocationListener = (revocation: Revocation) => void;

/** Publish/subscribe for revocations; listeners run synchronously, in order, each isolated. */
export class RevocationBus {
  #listeners = new Set<RevocationListener>();
  #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger.child({ module: 'revocation' });
  }

  /** Tells every subscriber; a listener that throws is logged and does not stop the others. */
  publish(revocation: Revocation): void {
    this.#log.info({ revocation }, 'revoked');
    for (const listener of [...this.#listeners]) {
      try {
        listener(revocation);
      } catch (err) {
        this.#log.error({ err, revocation }, 'a revocation listener failed');
      }
    }
  }

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
