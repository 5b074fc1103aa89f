import type { types } from 'mediasoup';
import type {
  ChatMessage,
  Grants,
  HandEntry,
  HandState,
  ParticipantInfo,
  ProducerInfo,
  RecordingIndicator,
  SittingInfo,
} from './common';

/**
 * Every notification the server pushes, one discriminated union keyed by `type`.
 * Sent on the `note` event; never answered.
 */
export type Notification =
  /**
   * The sitting's state, sent on connect and on every change (also to clients not yet joined).
   * The one sent on connect carries `routerRtpCapabilities` (what `media.prepare` answers) when the
   * sitting is live and its media runs on the node the client reached: the page loads its device
   * without asking. Without them, `media.prepare` asks.
   */
  | { type: 'sitting.state'; sitting: SittingInfo; routerRtpCapabilities?: types.RtpCapabilities }
  /** The host ended the sitting: media is closed, the client returns to the details page. */
  | { type: 'sitting.ended'; sitting: SittingInfo }
  /**
   * The roster changed: participants joined, left or were updated, in the order it happened;
   * changes close together come in one notification (a participant's repeated updates as the
   * latest, docs/decisions/0036-roster-batches.md). A `joined` may name someone the client already
   * has from its join's reply (itself included): it replaces them; a `left` of someone unknown is
   * nothing to do.
   */
  | { type: 'participants.changed'; changes: ParticipantChange[] }
  /** Staff only: the whole raised-hand queue, in order, after every change. */
  | { type: 'hands.queue'; queue: HandEntry[] }
  /**
   * To the participant concerned: their hand or rights changed. `reason` says why when it was not
   * their own doing ('approved', 'denied', 'revoked', 'kicked', 'ended').
   */
  | { type: 'hand.state'; hand: HandState; grants: Grants; reason?: string }
  | { type: 'chat.message'; message: ChatMessage }
  | { type: 'chat.deleted'; messageId: string }
  | { type: 'producer.new'; producer: ProducerInfo }
  | { type: 'producer.closed'; producerId: string }
  | { type: 'producer.paused'; producerId: string }
  | { type: 'producer.resumed'; producerId: string }
  /** A consumer was closed by the server (its producer went away, or media was reset). */
  | { type: 'consumer.closed'; consumerId: string }
  /**
   * The sitting's media was reset (its media worker died and was replaced): every transport is
   * gone. The participant is still there (hand, floor kept); the client sends `join` with
   * `resume` (its participant id) and re-creates its transports. Nothing else is accepted from it
   * in between.
   */
  | { type: 'media.reset' }
  /** The server is shutting down (a restart): the client reconnects by itself when it is back. */
  | { type: 'server.restarting' }
  /** The sitting's recording state changed (everyone shows the indicator). */
  | { type: 'recording.state'; recording: RecordingIndicator }
  /**
   * This connection is finished (see {@link RemovedReason}): the server closes it right after, and
   * the client does not reconnect by itself.
   */
  | { type: 'removed'; reason: RemovedReason };

/** One change of the roster, inside `participants.changed`. */
export type ParticipantChange =
  | { type: 'participant.joined'; participant: ParticipantInfo }
  | { type: 'participant.left'; participantId: string }
  /** A participant's hand, rights, host-mute or connection changed (everyone sees who speaks). */
  | { type: 'participant.updated'; participant: ParticipantInfo };

/**
 * Why a connection was closed by the server: removed by the host (`kicked`), the same person
 * opened the sitting elsewhere (`replaced`), the staff account was disabled
 * (`account_disabled`) or its role changed so it may no longer run this sitting
 * (`role_changed`), the sign-in it came with ended (`session_ended`: signed out, password reset,
 * session or pass expired), or the invitation it came with was revoked (`invite_revoked`).
 */
export type RemovedReason =
  'kicked' | 'replaced' | 'account_disabled' | 'role_changed' | 'session_ended' | 'invite_revoked';

/** A notification's `type`. */
export type NotificationType = Notification['type'];
