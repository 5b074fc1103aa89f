import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { MediaRouter, WorkerPool } from '@seduta/media';
import { ProducerRegistry } from '@seduta/recorder';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type {
  ChatMessage,
  JoinResult,
  MediaSource,
  Notification,
  RecordingIndicator,
  SittingInfo,
} from '../protocol';
import { Chat } from './chat';
import { Floor } from './floor';
import { Participant, type Identity, type Notify } from './participant';

/** Writes one audit entry about this sitting. */
export type SittingAudit = (by: Identity, action: string, details: Record<string, unknown>) => Promise<void>;

/** What a live sitting needs. */
export interface LiveSittingDeps {
  pool: WorkerPool;
  db: Kysely<Database>;
  logger: Logger;
  audit: SittingAudit;
}

const STAFF = new Set(['admin', 'host']);
const ROUTER_RETRIES = 20;
/** Recording states during which a joiner must have acknowledged the recording notice. */
const NOTICE_REQUIRED = new Set(['starting', 'recording', 'paused']);

/** Options of {@link LiveSitting.join}. */
export interface JoinOptions {
  /** The joiner saw the recording notice (required while the sitting is recorded). */
  recordingNotice?: 'acknowledged';
}

/**
 * The runtime of one live sitting: its media router, its participants, the floor (raised hands
 * and speakers) and the chat. Created when the sitting goes live, closed when it ends. If the
 * media worker under the router dies, a new router is made and every participant is told to join
 * again (`media.reset`).
 */
export class LiveSitting {
  #info: SittingInfo;
  #deps: LiveSittingDeps;
  #router: MediaRouter;
  #log: Logger;
  #participants = new Map<string, Participant>();
  #floor: Floor;
  #chat: Chat;
  #closed = false;
  #resetting: Promise<void> | undefined;
  #recording: RecordingIndicator = { state: 'off', degraded: false };
  /** The sitting's producers as the recorder sees them (recorder/src/source.ts). */
  readonly recordable: ProducerRegistry;

  private constructor(info: SittingInfo, deps: LiveSittingDeps, router: MediaRouter) {
    this.#info = info;
    this.#deps = deps;
    this.#router = router;
    this.#log = deps.logger.child({ sittingId: info.id });
    this.recordable = new ProducerRegistry(
      info.id,
      () => this.#router,
      (event, err) => this.#log.error({ err, event }, 'recordable listener threw'),
    );
    this.#chat = new Chat(deps.db, info.id);
    this.#floor = new Floor({
      participant: (id) => this.participant(id),
      participants: () => this.#participants.values(),
      broadcast: (n) => this.#broadcast(n),
      audit: deps.audit,
    });
    this.#watchRouter();
  }

  /** Creates the sitting's router on the pool. */
  static async create(info: SittingInfo, deps: LiveSittingDeps): Promise<LiveSitting> {
    const router = await deps.pool.createRouter(info.id);
    return new LiveSitting(info, deps, router);
  }

  get id(): string {
    return this.#info.id;
  }

  get info(): SittingInfo {
    return this.#info;
  }

  /** The media router, for server-side checks (tests, recorder, benchmark). */
  get router(): MediaRouter {
    return this.#router;
  }

  /** Raise hand → approve → speak. */
  get floor(): Floor {
    return this.#floor;
  }

  /** True once the sitting has ended (its media is gone). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The recording state everyone's indicator shows. */
  get recording(): RecordingIndicator {
    return this.#recording;
  }

  /** Sets the recording state and tells every participant (`recording.state`). */
  setRecording(recording: RecordingIndicator): void {
    this.#recording = recording;
    this.#info = { ...this.#info, recording };
    this.#broadcast({ type: 'recording.state', recording });
  }

  get participantCount(): number {
    return this.#participants.size;
  }

  participant(id: string): Participant {
    const p = this.#participants.get(id);
    if (!p) throw new AppError('not_found', 'no such participant in the sitting');
    return p;
  }

  /** Adds a participant; everyone else is told. */
  async join(
    identity: Identity,
    notify: Notify,
    options: JoinOptions = {},
  ): Promise<{ participant: Participant; result: JoinResult }> {
    if (this.#resetting) await this.#resetting;
    if (this.#closed) throw new AppError('invalid_state', 'the sitting is not live');
    const recording = this.#recording;
    if (NOTICE_REQUIRED.has(recording.state)) {
      if (options.recordingNotice !== 'acknowledged')
        throw new AppError(
          'invalid_state',
          'the sitting is being recorded: acknowledge the recording notice',
        );
      // GDPR: the acknowledgement is evidence that the joiner was told before entering.
      await this.#deps.audit(identity, 'recording.notice.acknowledged', { recordingState: recording.state });
    }
    const chat = await this.#chat.history();
    const participant = new Participant(randomUUID(), identity, this.#router, notify);
    const others = [...this.#participants.values()];
    this.#participants.set(participant.id, participant);
    const info = this.#floor.infoOf(participant);
    this.#broadcast({ type: 'participant.joined', participant: info }, participant.id);
    this.#log.info(
      { participantId: participant.id, role: identity.role, subject: identity.subject },
      'joined',
    );
    return {
      participant,
      result: {
        participantId: participant.id,
        role: identity.role,
        sitting: this.#info,
        routerRtpCapabilities: this.#router.rtpCapabilities,
        participants: [participant, ...others].map((p) => this.#floor.infoOf(p)),
        producers: others.flatMap((p) => p.producers),
        chat,
        hands: STAFF.has(identity.role) ? this.#floor.queue() : [],
        hand: info.hand,
        grants: info.grants,
        recording: this.#recording,
      },
    };
  }

  /** Removes a participant and closes everything they owned; idempotent. */
  leave(participantId: string, reason = 'left'): void {
    const participant = this.#participants.get(participantId);
    if (!participant) return;
    this.#participants.delete(participantId);
    this.#floor.forget(participantId);
    const producerIds = participant.producers.map((p) => p.producerId);
    participant.close();
    for (const producerId of producerIds) this.#broadcast({ type: 'producer.closed', producerId });
    this.#broadcast({ type: 'participant.left', participantId });
    this.#log.info({ participantId, reason }, 'left');
  }

  /** Publishes a track, if the participant may at this moment, and announces it to everyone else. */
  async produce(
    participant: Participant,
    transportId: string,
    kind: types.MediaKind,
    source: MediaSource,
    rtpParameters: types.RtpParameters,
  ): Promise<string> {
    this.#floor.checkProduce(participant, kind, source);
    const producer = await participant.produce(transportId, kind, source, rtpParameters);
    // The floor may have been taken away while the producer was being created.
    try {
      this.#floor.checkProduce(participant, kind, source);
    } catch (err) {
      producer.close();
      throw err;
    }
    producer.observer.once('close', () => {
      if (!this.#closed)
        this.#broadcast({ type: 'producer.closed', producerId: producer.id }, participant.id);
    });
    this.recordable.add({
      producer,
      participantId: participant.id,
      participantName: participant.identity.name,
      source,
      isHost: STAFF.has(participant.identity.role),
    });
    const info = participant.producers.find((p) => p.producerId === producer.id);
    if (info) this.#broadcast({ type: 'producer.new', producer: info }, participant.id);
    this.#log.info({ participantId: participant.id, producerId: producer.id, kind, source }, 'producing');
    return producer.id;
  }

  /** Finds a producer by id anywhere in the sitting, with its owner. */
  findProducer(producerId: string): { producer: types.Producer; owner: Participant } {
    for (const owner of this.#participants.values()) {
      if (owner.producers.some((p) => p.producerId === producerId)) {
        return { producer: owner.producer(producerId), owner };
      }
    }
    throw new AppError('not_found', 'no such producer');
  }

  /** Sends a chat line to everyone (including the sender). */
  async sendChat(participant: Participant, text: string): Promise<ChatMessage> {
    const message = await this.#chat.send(participant.identity, participant.id, text);
    this.#broadcast({ type: 'chat.message', message });
    return message;
  }

  /** Host: deletes a chat line for everyone; the audit log keeps that it happened. */
  async deleteChat(by: Identity, messageId: string): Promise<void> {
    const message = await this.#chat.delete(messageId, by);
    this.#broadcast({ type: 'chat.deleted', messageId });
    await this.#deps.audit(by, 'chat.delete', { messageId, author: message.name, text: message.text });
  }

  /** Sends a notification to every participant (but `except`). */
  #broadcast(n: Notification, except?: string): void {
    for (const p of this.#participants.values()) if (p.id !== except) p.notify(n);
  }

  /** Ends the sitting's media: everyone is told `sitting.ended`, then every participant is closed. */
  close(ended: SittingInfo): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#info = ended;
    this.recordable.close();
    this.#broadcast({ type: 'sitting.ended', sitting: ended });
    for (const p of this.#participants.values()) p.close();
    this.#participants.clear();
    this.#router.close();
  }

  #watchRouter(): void {
    this.#router.on('close', (reason) => {
      if (this.#closed || reason !== 'worker-died') return;
      this.#log.error('media worker died; moving the sitting to a new router');
      this.#resetting = this.#replaceRouter();
    });
  }

  /**
   * Makes a new router (retrying while the pool replaces the dead worker), then tells every
   * participant to join again; their old media died with the worker.
   */
  async #replaceRouter(): Promise<void> {
    for (let attempt = 1; attempt <= ROUTER_RETRIES && !this.#closed; attempt++) {
      try {
        this.#router = await this.#deps.pool.createRouter(this.#info.id);
        break;
      } catch (err) {
        this.#log.warn({ err, attempt }, 'could not create a replacement router yet');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (this.#closed) return;
    this.#watchRouter();
    const participants = [...this.#participants.values()];
    this.#participants.clear();
    for (const p of participants) {
      this.#floor.forget(p.id);
      p.notify({ type: 'media.reset' });
      p.close();
    }
    this.#resetting = undefined;
  }
}
