import { AppError } from '../errors';
import type { Grants, HandState } from '../protocol';

/** No publishing rights. */
export const NO_GRANTS: Readonly<Grants> = Object.freeze({ audio: false, video: false });

/** A raised hand: who, and when (the queue is ordered by raising). */
export interface RaisedHand {
  participantId: string;
  raisedAt: number;
}

/**
 * The raised-hand queue and the floor of one sitting, as pure state (no I/O): who asked to speak,
 * in order, and who holds which publishing rights. The rules:
 * - a hand joins the end of the queue when raised, leaves it when lowered, denied, approved or its
 *   owner leaves; raising again goes to the end;
 * - only a raised hand can be approved; approval moves it from the queue to the floor with the
 *   granted rights (at least one);
 * - rights exist only on the floor: revoking, leaving the floor or leaving the sitting drops them.
 */
export class Hands {
  // Map keeps insertion order: the queue is its iteration order.
  #queue = new Map<string, RaisedHand>();
  #floor = new Map<string, Grants>();

  stateOf(participantId: string): HandState {
    if (this.#floor.has(participantId)) return 'speaking';
    if (this.#queue.has(participantId)) return 'raised';
    return 'none';
  }

  grantsOf(participantId: string): Grants {
    return this.#floor.get(participantId) ?? NO_GRANTS;
  }

  /** The queue, first raised first. */
  queue(): RaisedHand[] {
    return [...this.#queue.values()];
  }

  /** Participants holding the floor. */
  speakers(): string[] {
    return [...this.#floor.keys()];
  }

  raise(participantId: string, now = Date.now()): void {
    const state = this.stateOf(participantId);
    if (state !== 'none')
      throw new AppError('invalid_state', state === 'raised' ? 'hand already raised' : 'already speaking');
    this.#queue.set(participantId, { participantId, raisedAt: now });
  }

  lower(participantId: string): void {
    if (!this.#queue.delete(participantId)) throw new AppError('invalid_state', 'hand not raised');
  }

  approve(participantId: string, grants: Grants): void {
    if (!grants.audio && !grants.video) throw new AppError('bad_request', 'grant audio, video or both');
    if (!this.#queue.delete(participantId)) throw new AppError('invalid_state', 'that hand is not raised');
    this.#floor.set(participantId, { audio: grants.audio, video: grants.video });
  }

  /** Approves the first hand in the queue; returns who, or null when the queue is empty. */
  approveNext(grants: Grants): string | null {
    const first = this.#queue.keys().next();
    if (first.done) return null;
    this.approve(first.value, grants);
    return first.value;
  }

  deny(participantId: string): void {
    if (!this.#queue.delete(participantId)) throw new AppError('invalid_state', 'that hand is not raised');
  }

  /** Takes the floor away (host's "end intervention", or the speaker stopping). */
  revoke(participantId: string): void {
    if (!this.#floor.delete(participantId)) throw new AppError('invalid_state', 'not speaking');
  }

  /** Forgets a participant entirely (left or removed); returns whether they held the floor. */
  remove(participantId: string): boolean {
    this.#queue.delete(participantId);
    return this.#floor.delete(participantId);
  }
}
