/**
 * Turns what happens in Seduta into webhook events: writes one delivery per subscribed endpoint
 * (the outbox) right after the change, and wakes the dispatcher. The sitting service and the
 * recorder announce their changes as Node events; {@link listenToDomain} maps them.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Recorder, RecordingStateEvent } from '@seduta/recorder';
import type { JsonValue } from '../db/schema';
import type { SittingInfo, SittingStatus } from '../protocol';
import type { PresenceEvent, SittingService } from '../sittings/service';
import type { WebhookDispatcher } from './dispatcher';
import { newEnvelope, type DeliveryType } from './events';
import type { EndpointCache } from './endpoint-cache';
import { enqueueEvent, type WebhookDb } from './store';

/** The id an endpoint is stored under for an API key: a fingerprint, never the key itself. */
export function apiKeyId(apiKey: string): string {
  return `key_${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
}

/** Writes webhook events and wakes the dispatcher. */
export class WebhookEvents {
  #db: WebhookDb;
  #endpoints: EndpointCache;
  #dispatcher: WebhookDispatcher;
  #log: Logger;

  constructor(db: WebhookDb, endpoints: EndpointCache, dispatcher: WebhookDispatcher, logger: Logger) {
    this.#db = db;
    this.#endpoints = endpoints;
    this.#dispatcher = dispatcher;
    this.#log = logger.child({ module: 'webhooks' });
  }

  /**
   * Writes an event for every endpoint subscribed to its type (only `endpointId` for a ping);
   * returns the event id and how many deliveries were written. The subscribed endpoints come from
   * the in-memory copy (no read of the database for an event nobody subscribed to).
   */
  async emit(
    type: DeliveryType,
    data: { [key: string]: JsonValue },
    endpointId?: string,
  ): Promise<{ eventId: string; deliveries: number }> {
    const event = newEnvelope(type, data);
    const ids =
      endpointId !== undefined ? [endpointId] : (await this.#endpoints.subscribedTo(type)).map((e) => e.id);
    const deliveries = await enqueueEvent(this.#db, event, ids);
    if (deliveries > 0) this.#dispatcher.wake();
    return { eventId: event.id, deliveries };
  }

  /** emit() for a listener: never throws, logs a failure (the change itself is done). */
  emitLater(type: DeliveryType, data: { [key: string]: JsonValue }): void {
    this.emit(type, data).catch((err: unknown) =>
      this.#log.error({ err, type }, 'could not write a webhook event'),
    );
  }
}

/** A sitting as events carry it. */
export function sittingData(s: SittingInfo): { [key: string]: JsonValue } {
  return {
    id: s.id,
    title: s.title,
    kind: s.kind,
    status: s.status,
    scheduledAt: s.scheduledAt,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
  };
}

const TRANSITION_EVENTS: Partial<Record<SittingStatus, DeliveryType>> = {
  live: 'sitting.started',
  ended: 'sitting.ended',
  cancelled: 'sitting.cancelled',
};

/** Subscribes the events to the sitting service and the recorder; returns the unsubscribe. */
export function listenToDomain(
  events: WebhookEvents,
  sittings: SittingService,
  recorder: Recorder | undefined,
  logger: Logger,
): () => void {
  const onCreated = (s: SittingInfo): void =>
    events.emitLater('sitting.scheduled', { sitting: sittingData(s) });
  const onTransition = (s: SittingInfo, from: SittingStatus): void => {
    const type = TRANSITION_EVENTS[s.status];
    if (type) events.emitLater(type, { sitting: sittingData(s), previousStatus: from });
  };
  const onPresence = (p: PresenceEvent): void =>
    events.emitLater(p.change === 'joined' ? 'participant.joined' : 'participant.left', {
      sittingId: p.sittingId,
      participant: {
        id: p.participantId,
        name: p.identity.name,
        role: p.identity.role,
        // Operators' subjects are `operator:<the platform's subject>`: the platform's own id.
        subject: p.identity.subject.replace(/^operator:/, ''),
      },
    });
  const onRecording = (e: RecordingStateEvent): void => {
    if (e.state !== 'ready' || !recorder) return;
    recorder
      .status(e.recordingId)
      .then((r) =>
        events.emitLater('recording.ready', {
          sittingId: r.sittingId,
          recording: {
            id: r.id,
            sittingId: r.sittingId,
            startedAt: r.startedAt ? new Date(r.startedAt).toISOString() : null,
            stoppedAt: r.stoppedAt ? new Date(r.stoppedAt).toISOString() : null,
            degraded: r.degraded,
            durationSeconds: r.final?.duration ?? null,
            size: r.final?.size ?? null,
            sha256: r.final?.sha256 ?? null,
          },
        }),
      )
      .catch((err: unknown) =>
        logger.error({ err, recordingId: e.recordingId }, 'could not read a ready recording for its webhook'),
      );
  };
  sittings.on('created', onCreated);
  sittings.on('transition', onTransition);
  sittings.on('presence', onPresence);
  recorder?.on('state', onRecording);
  return () => {
    sittings.off('created', onCreated);
    sittings.off('transition', onTransition);
    sittings.off('presence', onPresence);
    recorder?.off('state', onRecording);
  };
}
