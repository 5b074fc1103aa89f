/**
 * A live sitting's room: the connections of its joined participants, so that a notification for
 * everyone is encoded and sent in one emit rather than once per participant. Signalling provides
 * it (a socket.io room of this node's sockets, see signalling/rooms.ts); a participant whose
 * connection is not in it (on another node, or a test's own `notify`) is told one by one.
 */
import type { Notification, ParticipantChange, ParticipantInfo, Role } from '../protocol';

/**
 * Which roster a participant is told (ADR 0039): `full`, everyone in the sitting (the host, admins
 * and commissioners); `public`, the people an operator sees — those who run the sitting and the
 * operators who hold the floor, and itself. An operator is not told of the other operators who
 * only watch (companies competing in the same tender), as in a webinar.
 */
export type RosterView = 'full' | 'public';

/** The roster a role is told. */
export function rosterViewOf(role: Role): RosterView {
  return role === 'operator' ? 'public' : 'full';
}

/** Whether a participant is in the public roster: anyone but an operator, an operator on the floor. */
export function inPublicRoster(info: Pick<ParticipantInfo, 'role' | 'hand'>): boolean {
  return info.role !== 'operator' || info.hand === 'speaking';
}

/** One sitting's room. */
export interface SittingRoom {
  /**
   * Puts a connection in the room, among those told the `view` roster; false when it is not a
   * connection this room can reach.
   */
  add(connectionId: string, view: RosterView): boolean;
  /** Takes a connection out of the room; idempotent. */
  remove(connectionId: string): void;
  /**
   * Sends a notification to every connection in the room (only those told the `view` roster, when
   * given) but `exceptConnectionId`, encoded once.
   */
  emit(n: Notification, exceptConnectionId?: string, view?: RosterView): void;
}

/** The rooms of the sittings, by sitting. */
export interface SittingRooms {
  of(sittingId: string): SittingRoom;
}

/**
 * How long the roster's changes are gathered after one is sent, at the least: at most one
 * `participants.changed` per sitting per window, so a storm of joins costs one write per socket
 * per window instead of one per socket per join (docs/decisions/0036-roster-batches.md).
 */
export const ROSTER_WINDOW_MS = 100;
/** The longest window, for the largest sittings. */
export const ROSTER_WINDOW_MAX_MS = 1000;
/** Window per participant: a sitting of `n` gets `n × 5 ms` (100 people: 500 ms). */
const ROSTER_WINDOW_PER_PARTICIPANT_MS = 5;

/**
 * The roster window of a sitting of `participants`: 100 ms up to 20 people, then growing with
 * them up to 1 s (from 200 people), so that the roster's writes stay under ~200 a second however
 * many are told (each window tells everyone once); a list of hundreds a second behind is not
 * noticed, a small sitting's is as fresh as before (ADR 0037).
 */
export function rosterWindowMs(participants: number): number {
  return Math.min(
    ROSTER_WINDOW_MAX_MS,
    Math.max(ROSTER_WINDOW_MS, participants * ROSTER_WINDOW_PER_PARTICIPANT_MS),
  );
}

/**
 * Gathers a sitting's roster changes into `participants.changed` notifications. The first change
 * after a quiet window is sent at once; those that come while the window is open are sent together,
 * in order, when it closes, a participant's repeated updates as one (the latest, in the place of
 * the first).
 */
export class RosterBatch {
  readonly #send: (changes: ParticipantChange[], exceptParticipant?: string) => void;
  readonly #windowMs: () => number;
  /** The changes waiting for the window to close, in order. */
  #pending: ParticipantChange[] = [];
  /** Where each participant's pending update is in {@link #pending}. */
  readonly #updates = new Map<string, number>();
  /** Set while a window is open (something was sent less than a window ago). */
  #timer: NodeJS.Timeout | undefined;

  /**
   * `send` gets the changes, and the participant not to tell (a joiner, of its own arrival);
   * `windowMs` gives the window each time one opens.
   */
  constructor(
    send: (changes: ParticipantChange[], exceptParticipant?: string) => void,
    windowMs: () => number = () => ROSTER_WINDOW_MS,
  ) {
    this.#send = send;
    this.#windowMs = windowMs;
  }

  /** A roster change; `exceptParticipant` is not told of it when it goes out alone at once. */
  add(change: ParticipantChange, exceptParticipant?: string): void {
    const at = change.type === 'participant.updated' ? this.#updates.get(change.participant.id) : undefined;
    if (at !== undefined) this.#pending[at] = change;
    else {
      if (change.type === 'participant.updated')
        this.#updates.set(change.participant.id, this.#pending.length);
      // After someone leaves or (re)joins, their next update goes after that, not in an earlier place.
      else
        this.#updates.delete(
          change.type === 'participant.left' ? change.participantId : change.participant.id,
        );
      this.#pending.push(change);
    }
    if (this.#timer === undefined) this.#flush(exceptParticipant);
  }

  /** Sends what is pending now (before another notification, so that the order is kept). */
  flush(): void {
    if (this.#pending.length > 0) this.#flush();
  }

  /** Drops what is pending and closes the window (the sitting is over). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = [];
    this.#updates.clear();
  }

  #flush(exceptParticipant?: string): void {
    const changes = this.#pending;
    this.#pending = [];
    this.#updates.clear();
    this.#send(changes, exceptParticipant);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), this.#windowMs());
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#pending.length > 0) this.#flush();
  }
}
