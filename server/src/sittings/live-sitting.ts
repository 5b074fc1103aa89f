import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { MediaRouter, WorkerPool } from '@seduta/media';
import { AppError } from '../errors';
import type { JoinResult, MediaSource, Notification, SittingInfo } from '../protocol';
import { Participant, type Identity, type Notify } from './participant';

/**
 * The runtime of one live sitting: its media router and its participants.
 * Created when the sitting goes live, closed when it ends. If the media worker under the router
 * dies, a new router is made and every participant is told to join again (`media.reset`).
 */
export class LiveSitting {
  #info: SittingInfo;
  #pool: WorkerPool;
  #router: MediaRouter;
  #log: Logger;
  #participants = new Map<string, Participant>();
  #closed = false;
  #resetting: Promise<void> | undefined;

  private constructor(info: SittingInfo, pool: WorkerPool, router: MediaRouter, log: Logger) {
    this.#info = info;
    this.#pool = pool;
    this.#router = router;
    this.#log = log;
    this.#watchRouter();
  }

  /** Creates the sitting's router on the pool. */
  static async create(info: SittingInfo, pool: WorkerPool, logger: Logger): Promise<LiveSitting> {
    const router = await pool.createRouter(info.id);
    return new LiveSitting(info, pool, router, logger.child({ sittingId: info.id }));
  }

  get id(): string {
    return this.#info.id;
  }

  get info(): SittingInfo {
    return this.#info;
  }

  set info(info: SittingInfo) {
    this.#info = info;
  }

  /** The media router, for server-side checks (tests, recorder, benchmark). */
  get router(): MediaRouter {
    return this.#router;
  }

  /** True once the sitting has ended (its media is gone). */
  get closed(): boolean {
    return this.#closed;
  }

  get participantCount(): number {
    return this.#participants.size;
  }

  participant(id: string): Participant {
    const p = this.#participants.get(id);
    if (!p) throw new AppError('invalid_state', 'not in the sitting');
    return p;
  }

  /** Adds a participant; everyone else is told. */
  async join(identity: Identity, notify: Notify): Promise<{ participant: Participant; result: JoinResult }> {
    if (this.#resetting) await this.#resetting;
    if (this.#closed) throw new AppError('invalid_state', 'the sitting is not live');
    const participant = new Participant(randomUUID(), identity, this.#router, notify);
    const others = [...this.#participants.values()];
    this.#participants.set(participant.id, participant);
    this.#broadcast({ type: 'participant.joined', participant: participant.info }, participant.id);
    this.#log.info({ participantId: participant.id, role: identity.role, subject: identity.subject }, 'joined');
    return {
      participant,
      result: {
        participantId: participant.id,
        role: identity.role,
        sitting: this.#info,
        routerRtpCapabilities: this.#router.rtpCapabilities,
        participants: [participant, ...others].map((p) => p.info),
        producers: others.flatMap((p) => p.producers),
      },
    };
  }

  /** Removes a participant and closes everything they owned; idempotent. */
  leave(participantId: string, reason = 'left'): void {
    const participant = this.#participants.get(participantId);
    if (!participant) return;
    this.#participants.delete(participantId);
    const producerIds = participant.producers.map((p) => p.producerId);
    participant.close();
    for (const producerId of producerIds) this.#broadcast({ type: 'producer.closed', producerId });
    this.#broadcast({ type: 'participant.left', participantId });
    this.#log.info({ participantId, reason }, 'left');
  }

  /** Publishes a track and announces it to everyone else. */
  async produce(
    participant: Participant,
    transportId: string,
    kind: types.MediaKind,
    source: MediaSource,
    rtpParameters: types.RtpParameters,
  ): Promise<string> {
    const producer = await participant.produce(transportId, kind, source, rtpParameters);
    producer.observer.once('close', () => {
      if (!this.#closed) this.#broadcast({ type: 'producer.closed', producerId: producer.id }, participant.id);
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

  /** Sends a notification to every participant (but `except`). */
  #broadcast(n: Notification, except?: string): void {
    for (const p of this.#participants.values()) if (p.id !== except) p.notify(n);
  }

  /** Ends the sitting's media: everyone is told `sitting.ended`, then every participant is closed. */
  close(ended: SittingInfo): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#info = ended;
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
        this.#router = await this.#pool.createRouter(this.#info.id);
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
      p.notify({ type: 'media.reset' });
      p.close();
    }
    this.#resetting = undefined;
  }
}

const ROUTER_RETRIES = 20;
