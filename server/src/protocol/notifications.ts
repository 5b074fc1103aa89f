import type { ParticipantInfo, ProducerInfo, SittingInfo } from './common';

/**
 * Every notification the server pushes, one discriminated union keyed by `type`.
 * Sent on the `note` event; never answered.
 */
export type Notification =
  /** The sitting's state, sent on connect and on every change (also to clients not yet joined). */
  | { type: 'sitting.state'; sitting: SittingInfo }
  /** The host ended the sitting: media is closed, the client returns to the details page. */
  | { type: 'sitting.ended'; sitting: SittingInfo }
  | { type: 'participant.joined'; participant: ParticipantInfo }
  | { type: 'participant.left'; participantId: string }
  | { type: 'producer.new'; producer: ProducerInfo }
  | { type: 'producer.closed'; producerId: string }
  | { type: 'producer.paused'; producerId: string }
  | { type: 'producer.resumed'; producerId: string }
  /** A consumer was closed by the server (its producer went away, or media was reset). */
  | { type: 'consumer.closed'; consumerId: string }
  /**
   * The sitting's media was reset (its media worker died and was replaced): every transport is
   * gone; the client joins again with `join` and re-creates its transports.
   */
  | { type: 'media.reset' }
  /** The participant was removed from the sitting by the server. */
  | { type: 'removed'; reason: string };

/** A notification's `type`. */
export type NotificationType = Notification['type'];
