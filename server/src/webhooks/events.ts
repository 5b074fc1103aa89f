/**
 * The webhook events: a closed set of types, and the envelope every delivery carries as its body:
 * `{ id, type, createdAt, data }`. `id` is the event's id (a UUID), the same on every retry.
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../db/schema';

/** Every event type an endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'sitting.scheduled',
  'sitting.started',
  'sitting.ended',
  'sitting.cancelled',
  'recording.ready',
  /** A booking changed state (server/src/bookings/): `data: { booking, previousState }`. */
  'booking.state_changed',
  'participant.joined',
  'participant.left',
] as const;
/** One of {@link WEBHOOK_EVENT_TYPES}. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an endpoint gets when it names no events: all but the participants' (they are many). */
export const DEFAULT_EVENT_TYPES: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES.filter(
  (t) => !t.startsWith('participant.'),
);

/** The test event of `POST /api/platform/webhook/test`: always sent, whatever the subscription. */
export const PING = 'ping';
/** A type a delivery can carry: an event type or the ping. */
export type DeliveryType = WebhookEventType | typeof PING;

/** The body of a delivery. */
export interface WebhookEnvelope {
  id: string;
  type: DeliveryType;
  /** ISO time the event happened. */
  createdAt: string;
  data: { [key: string]: JsonValue };
}

/** A new event with a fresh id. */
export function newEnvelope(
  type: DeliveryType,
  data: { [key: string]: JsonValue },
  now = new Date(),
): WebhookEnvelope {
  return { id: randomUUID(), type, createdAt: now.toISOString(), data };
}
