/**
 * The revocation bus: the staff, invitation and ban services publish here what they took away,
 * and the signalling layer closes or downgrades the connections it names within the same tick
 * (auth/connections.ts). Every message is plain JSON: with several nodes, a relay
 * (cluster/revocation-relay.ts) carries each one over Redis pub/sub to the other nodes, whose
 * listeners then close the connections they hold.
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

/** Receives every revocation published, on this node and on every other. */
export type RevocationListener = (revocation: Revocation) => void;

/** Carries revocations between nodes: what this node publishes out, what others publish in. */
export interface RevocationRelay {
  /** Sends a revocation published here to the other nodes (never throws). */
  publish(revocation: Revocation): void;
  /** Calls `listener` with each revocation another node published. */
  subscribe(listener: RevocationListener): void;
}

/** Publish/subscribe for revocations; listeners run synchronously, in order, each isolated. */
export class RevocationBus {
  #listeners = new Set<RevocationListener>();
  #log: Logger;
  #relay: RevocationRelay | undefined;

  constructor(logger: Logger, relay?: RevocationRelay) {
    this.#log = logger.child({ module: 'revocation' });
    this.#relay = relay;
    relay?.subscribe((revocation) => {
      this.#log.info({ revocation }, 'revoked on another node');
      this.#deliver(revocation);
    });
  }

  /**
   * Tells every subscriber, here and on the other nodes; a listener that throws is logged and
   * does not stop the others.
   */
  publish(revocation: Revocation): void {
    this.#log.info({ revocation }, 'revoked');
    this.#deliver(revocation);
    this.#relay?.publish(revocation);
  }

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #deliver(revocation: Revocation): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(revocation);
      } catch (err) {
        this.#log.error({ err, revocation }, 'a revocation listener failed');
      }
    }
  }
}
