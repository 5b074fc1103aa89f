import type { types } from 'mediasoup';
import type { FloorEventKind } from '../db/schema';
import { AppError } from '../errors';
import type {
  Grants,
  HandEntry,
  MediaSource,
  Notification,
  ParticipantChange,
  ParticipantInfo,
} from '../protocol';
import { Hands } from './hands';
import type { Identity, Participant } from './participant';
import { inPublicRoster } from './room';

/** What the floor needs from its sitting. */
export interface FloorContext {
  participant(id: string): Participant;
  participants(): Iterable<Participant>;
  broadcast(n: Notification | ParticipantChange): void;
  audit(by: Identity, action: string, details: Record<string, unknown>): Promise<void>;
  /** A hand or the floor changed (the sitting's register keeps the timeline); must not throw. */
  record?(change: FloorChange): void;
}

/** A change of a participant's hand or floor, as the sitting's register keeps it. */
export interface FloorChange {
  event: FloorEventKind;
  participantId: string;
  participant: Identity;
  by: Identity;
  grants?: Grants;
}

/** The register's name for each audited floor action. */
const REGISTER_EVENT: Readonly<Record<string, FloorEventKind>> = {
  'hand.raise': 'raised',
  'hand.lower': 'lowered',
  'hand.approve': 'approved',
  'hand.deny': 'denied',
  'floor.revoke': 'revoked',
  'floor.leave': 'stopped',
};

const STAFF = new Set(['admin', 'host']);

/**
 * Raise hand → approve → speak, with its side effects: every change is pushed to the staff (the
 * ordered queue), to everyone (who speaks), to the participant concerned, and to the audit log;
 * taking the floor away closes the speaker's producers on the server at once.
 */
export class Floor {
  readonly #hands = new Hands();
  readonly #ctx: FloorContext;

  constructor(ctx: FloorContext) {
    this.#ctx = ctx;
  }

  /** Full public description of a participant, with hand state and rights. */
  infoOf(p: Participant): ParticipantInfo {
    return {
      ...p.baseInfo,
      hand: this.#hands.stateOf(p.id),
      grants: this.grantsOf(p),
      mutedByHost: p.mutedByHost,
      ...(p.away ? { reconnecting: true } : {}),
    };
  }

  /** Whether `p` is in the public roster (sittings/room.ts), without making its whole info. */
  inPublicRoster(p: Participant): boolean {
    return inPublicRoster({ role: p.identity.role, hand: this.#hands.stateOf(p.id) });
  }

  /** Rights held now: staff and commissioners always publish; operators only on the floor. */
  grantsOf(p: Participant): Grants {
    return p.identity.role === 'operator' ? this.#hands.grantsOf(p.id) : { audio: true, video: true };
  }

  /** The queue as the host sees it. */
  queue(): HandEntry[] {
    return this.#hands.queue().map((h) => ({
      participantId: h.participantId,
      name: this.#ctx.participant(h.participantId).identity.name,
      raisedAt: new Date(h.raisedAt).toISOString(),
    }));
  }

  /** Throws `forbidden` unless `p` may publish this track at this moment. */
  checkProduce(p: Participant, kind: types.MediaKind, source: MediaSource): void {
    if (p.identity.role !== 'operator') return;
    if (source === 'screen') throw new AppError('forbidden', 'operators cannot share their screen');
    if (!this.#hands.grantsOf(p.id)[kind]) {
      throw new AppError('forbidden', `the host has not given you the floor with ${kind}`);
    }
  }

  async raise(p: Participant): Promise<void> {
    this.#hands.raise(p.id);
    await this.#changed(p, p.identity, 'hand.raise');
  }

  async lower(p: Participant): Promise<void> {
    this.#hands.lower(p.id);
    await this.#changed(p, p.identity, 'hand.lower');
  }

  async approve(by: Identity, participantId: string, grants: Grants): Promise<void> {
    const p = this.#ctx.participant(participantId);
    this.#hands.approve(p.id, grants);
    await this.#changed(p, by, 'hand.approve', 'approved', { grants });
  }

  async approveNext(by: Identity, grants: Grants): Promise<string | null> {
    const first = this.#hands.queue()[0];
    if (!first) return null;
    await this.approve(by, first.participantId, grants);
    return first.participantId;
  }

  async deny(by: Identity, participantId: string): Promise<void> {
    const p = this.#ctx.participant(participantId);
    this.#hands.deny(p.id);
    await this.#changed(p, by, 'hand.deny', 'denied');
  }

  /** Ends an intervention: rights go first, then the producers are closed on the server. */
  async revoke(by: Identity, participantId: string, reason: 'revoked' | 'left' = 'revoked'): Promise<void> {
    const p = this.#ctx.participant(participantId);
    this.#hands.revoke(p.id);
    p.closeProducers();
    await this.#changed(
      p,
      by,
      reason === 'revoked' ? 'floor.revoke' : 'floor.leave',
      reason === 'revoked' ? reason : undefined,
    );
  }

  /** Host mute: pauses the participant's microphone on the server; they cannot unmute until lifted. */
  async mute(by: Identity, participantId: string, muted: boolean): Promise<void> {
    const p = this.#ctx.participant(participantId);
    await p.setMutedByHost(muted);
    this.#ctx.broadcast({ type: 'participant.updated', participant: this.infoOf(p) });
    await this.#ctx.audit(by, muted ? 'participant.mute' : 'participant.unmute', {
      participantId: p.id,
      name: p.identity.name,
    });
  }

  /** A participant left or was removed: forget their hand and rights (their media is closed by the caller). */
  forget(participantId: string, identity?: Identity): void {
    const state = this.#hands.stateOf(participantId);
    const hadHand = state === 'raised';
    this.#hands.remove(participantId);
    if (state !== 'none' && identity)
      this.#ctx.record?.({ event: 'gone', participantId, participant: identity, by: identity });
    if (hadHand) this.#pushQueue();
  }

  #pushQueue(): void {
    const queue = this.queue();
    for (const p of this.#ctx.participants()) {
      if (STAFF.has(p.identity.role)) p.notify({ type: 'hands.queue', queue });
    }
  }

  async #changed(
    p: Participant,
    by: Identity,
    action: string,
    reason?: string,
    details: Record<string, unknown> = {},
  ) {
    this.#pushQueue();
    const info = this.infoOf(p);
    this.#ctx.broadcast({ type: 'participant.updated', participant: info });
    p.notify({ type: 'hand.state', hand: info.hand, grants: info.grants, ...(reason ? { reason } : {}) });
    const event = REGISTER_EVENT[action];
    if (event) {
      const grants = event === 'approved' ? info.grants : undefined;
      this.#ctx.record?.({
        event,
        participantId: p.id,
        participant: p.identity,
        by,
        ...(grants ? { grants } : {}),
      });
    }
    await this.#ctx.audit(by, action, {
      participantId: p.id,
      name: p.identity.name,
      subject: p.identity.subject,
      ...details,
    });
  }
}
