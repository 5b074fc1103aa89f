import type { types } from 'mediasoup';
import { KEY_FRAME_REQUEST_DELAY_MS, type MediaRouter } from '@seduta/media';
import { AppError } from '../errors';
import type {
  ConsumerOptions,
  MediaSource,
  Notification,
  ParticipantInfo,
  ProducerInfo,
  Role,
  TransportOptions,
} from '../protocol';

/** Delivers a notification to one participant's connection. */
export type Notify = (n: Notification) => void;

/** Who a participant is, as established by the connection's credentials. */
export interface Identity {
  /** Stable subject (operator identity, staff account); used in the audit log. */
  subject: string;
  name: string;
  role: Role;
}

/**
 * Width of a camera's top simulcast layer as the web client captures it (client/src/media/capture.ts):
 * the host's camera at 1280×720, a speaking operator's at 640×360 (a tile, not the stage).
 */
export const CAMERA_CAPTURE_WIDTH = { host: 1280, speaker: 640 } as const;

/**
 * Widths of a producer's `layers` simulcast layers, lowest first: each half the next, as the web
 * client encodes them (client/src/media/send.ts CAMERA_ENCODINGS: ¼, ½, 1; mediasoup does not keep
 * the scales), the top one `topWidth` wide.
 */
export function layerWidths(layers: number, topWidth: number): number[] {
  const n = Math.max(1, layers);
  return Array.from({ length: n }, (_, i) => topWidth / 2 ** (n - 1 - i));
}

/**
 * Simulcast layer for a viewer showing the video at `width`×`height` CSS pixels: the smallest
 * layer at least as wide as the picture is shown (rounding up: a 300 px tile of a 640 px camera
 * gets its 320 px layer, never the 160 px one), the top layer for anything wider.
 */
export function layerForViewSize(width: number, height: number, widths: number[]): number {
  const shown = Math.max(width, height * (16 / 9));
  const layer = widths.findIndex((w) => w >= shown);
  return layer === -1 ? Math.max(0, widths.length - 1) : layer;
}

/**
 * One person in a live sitting and the media they own: transports, producers, consumers.
 * The sitting creates participants and closes them; `close()` closes everything they owned.
 */
export class Participant {
  readonly id: string;
  readonly identity: Identity;
  readonly joinedAt = Date.now();
  #router: MediaRouter;
  #notify: Notify;
  #rtpCapabilities: types.RtpCapabilities | undefined;
  #transports = new Map<string, { transport: types.WebRtcTransport; direction: 'send' | 'recv' }>();
  #producers = new Map<string, { producer: types.Producer; source: MediaSource }>();
  #consumers = new Map<string, types.Consumer>();
  /** Widths of the simulcast layers of each consumer's producer, lowest first. */
  #layerWidths = new Map<string, number[]>();
  #closed = false;
  #mutedByHost = false;

  constructor(id: string, identity: Identity, router: MediaRouter, notify: Notify) {
    this.id = id;
    this.identity = identity;
    this.#router = router;
    this.#notify = notify;
  }

  /** Who this is; the floor adds hand state and rights (see Floor.infoOf). */
  get baseInfo(): Pick<ParticipantInfo, 'id' | 'name' | 'role'> {
    return { id: this.id, name: this.identity.name, role: this.identity.role };
  }

  /** The host muted this participant's microphone on the server. */
  get mutedByHost(): boolean {
    return this.#mutedByHost;
  }

  /** Host mute: pauses every audio producer now; while set, the participant cannot resume them. */
  async setMutedByHost(muted: boolean): Promise<void> {
    this.#mutedByHost = muted;
    if (!muted) return;
    for (const { producer } of this.#producers.values()) {
      if (producer.kind === 'audio') await producer.pause();
    }
  }

  /** The participant's own unmute; refused while the host has muted them. */
  async resumeProducer(producerId: string): Promise<void> {
    const producer = this.producer(producerId);
    if (producer.kind === 'audio' && this.#mutedByHost) {
      throw new AppError('forbidden', 'the host has muted you');
    }
    await producer.resume();
  }

  /** This participant's producers as announced to others. */
  get producers(): ProducerInfo[] {
    return [...this.#producers.values()].map(({ producer, source }) => ({
      producerId: producer.id,
      participantId: this.id,
      kind: producer.kind,
      source,
      paused: producer.paused,
    }));
  }

  get consumerCount(): number {
    return this.#consumers.size;
  }

  notify(n: Notification): void {
    if (!this.#closed) this.#notify(n);
  }

  setRtpCapabilities(caps: types.RtpCapabilities): void {
    this.#rtpCapabilities = caps;
  }

  async createTransport(direction: 'send' | 'recv'): Promise<TransportOptions> {
    const transport = await this.#router.createWebRtcTransport({ participantId: this.id, direction });
    if (this.#closed) {
      transport.close();
      throw new AppError('invalid_state', 'participant left');
    }
    this.#transports.set(transport.id, { transport, direction });
    transport.observer.once('close', () => this.#transports.delete(transport.id));
    return {
      transportId: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.#transport(transportId).transport.connect({ dtlsParameters });
  }

  /** Creates a producer; the caller has already checked that this participant may publish. */
  async produce(
    transportId: string,
    kind: types.MediaKind,
    source: MediaSource,
    rtpParameters: types.RtpParameters,
  ): Promise<types.Producer> {
    const entry = this.#transport(transportId);
    if (entry.direction !== 'send') throw new AppError('bad_request', 'not a send transport');
    if ((source === 'microphone') !== (kind === 'audio')) {
      throw new AppError('bad_request', `a ${source} track cannot be ${kind}`);
    }
    for (const p of this.#producers.values()) {
      if (p.source === source) throw new AppError('invalid_state', `already publishing ${source}`);
    }
    const producer = await entry.transport.produce({
      kind,
      rtpParameters,
      keyFrameRequestDelay: KEY_FRAME_REQUEST_DELAY_MS,
      appData: { participantId: this.id, source },
    });
    if (kind === 'audio' && this.#mutedByHost) await producer.pause();
    this.#producers.set(producer.id, { producer, source });
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    return producer;
  }

  producer(producerId: string): types.Producer {
    const p = this.#producers.get(producerId);
    if (!p) throw new AppError('not_found', 'no such producer');
    return p.producer;
  }

  /** Closes every producer this participant has (used when publishing rights end). */
  closeProducers(): void {
    for (const { producer } of [...this.#producers.values()]) producer.close();
  }

  /** Receives `producer` (owned by `owner`) through one of this participant's recv transports. */
  async consume(transportId: string, producer: types.Producer, owner: Participant): Promise<ConsumerOptions> {
    const entry = this.#transport(transportId);
    if (entry.direction !== 'recv') throw new AppError('bad_request', 'not a receive transport');
    if (!this.#rtpCapabilities) throw new AppError('invalid_state', 'send media.capabilities first');
    if (
      !this.#router.router.canConsume({ producerId: producer.id, rtpCapabilities: this.#rtpCapabilities })
    ) {
      throw new AppError('bad_request', 'this browser cannot receive that track');
    }
    const consumer = await this.#router.consume(entry.transport, {
      producerId: producer.id,
      rtpCapabilities: this.#rtpCapabilities,
      paused: true,
      // Start on the lowest layer: the viewer's size report (consumer.viewSize) raises it, and
      // mediasoup's bandwidth estimate caps it. Starting high and dropping stalled fresh viewers.
      preferredLayers: { spatialLayer: 0 },
    });
    this.#consumers.set(consumer.id, consumer);
    const source = (producer.appData as { source: MediaSource }).source;
    const topWidth =
      owner.identity.role === 'operator' ? CAMERA_CAPTURE_WIDTH.speaker : CAMERA_CAPTURE_WIDTH.host;
    this.#layerWidths.set(consumer.id, layerWidths(producer.rtpParameters.encodings?.length ?? 1, topWidth));
    consumer.observer.once('close', () => {
      this.#consumers.delete(consumer.id);
      this.#layerWidths.delete(consumer.id);
    });
    const tellClosed = () => this.notify({ type: 'consumer.closed', consumerId: consumer.id });
    consumer.on('producerclose', tellClosed);
    consumer.on('producerpause', () => this.notify({ type: 'producer.paused', producerId: producer.id }));
    consumer.on('producerresume', () => this.notify({ type: 'producer.resumed', producerId: producer.id }));
    return {
      consumerId: consumer.id,
      producerId: producer.id,
      participantId: owner.id,
      kind: consumer.kind,
      source,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
      producerPaused: consumer.producerPaused,
    };
  }

  consumer(consumerId: string): types.Consumer {
    const c = this.#consumers.get(consumerId);
    if (!c) throw new AppError('not_found', 'no such consumer');
    return c;
  }

  /** Picks the simulcast layer for the size at which this viewer shows the consumer's video. */
  async setViewSize(consumerId: string, width: number, height: number): Promise<number> {
    const consumer = this.consumer(consumerId);
    const spatialLayer = layerForViewSize(width, height, this.#layerWidths.get(consumerId) ?? [width]);
    if (consumer.type === 'simulcast' || consumer.type === 'svc') {
      await consumer.setPreferredLayers({ spatialLayer });
    }
    return spatialLayer;
  }

  /** Idempotent: closes every transport (and so every producer and consumer) this participant owned. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { transport } of [...this.#transports.values()]) transport.close();
    this.#router.closeParticipant(this.id);
  }

  #transport(transportId: string) {
    const entry = this.#transports.get(transportId);
    if (!entry) throw new AppError('not_found', 'no such transport');
    return entry;
  }
}
