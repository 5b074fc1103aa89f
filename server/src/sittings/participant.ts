import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { KEY_FRAME_REQUEST_DELAY_MS, type MediaRouter } from '@seduta/media';
import { AppError } from '../errors';
import { DEFAULT_LIMITS, type Limits } from './limits';
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
 * Width of a camera's top simulcast layer as the web client captures it, by who publishes it
 * (client/src/media/capture.ts): the host's camera (and any staff's or commissioner's) at
 * 1280×720, a speaking operator's at 640×360 (shown as a tile, not on the stage). The one place the
 * server knows it: the produce request carries each layer's scale but not the capture size (the
 * wire protocol has no field for it). A camera that delivers less than asked makes every layer
 * narrower than reckoned here, so its viewers get a somewhat smaller picture than their tile.
 */
export const CAMERA_CAPTURE_WIDTH = { host: 1280, speaker: 640 } as const;

/** Top-layer width of what a participant with `role` publishes (see {@link CAMERA_CAPTURE_WIDTH}). */
export function captureWidthFor(role: Role): number {
  return role === 'operator' ? CAMERA_CAPTURE_WIDTH.speaker : CAMERA_CAPTURE_WIDTH.host;
}

/**
 * Widths of a producer's simulcast layers, in encoding (spatial layer) order: the top width
 * divided by each encoding's `scaleResolutionDownBy`, as the web client sets it
 * (client/src/media/send.ts: host camera ¼, ½, 1; speaker camera ½, 1). mediasoup keeps the
 * producer's RTP parameters as the client sent them, scales included. An encoding without a valid
 * scale (≥ 1) gets the browser's default for simulcast: half the size of the next one up.
 */
export function layerWidths(encodings: readonly object[] | undefined, topWidth: number): number[] {
  const n = Math.max(1, encodings?.length ?? 0);
  return Array.from({ length: n }, (_, i) => {
    // Not in mediasoup's type, and the client's own value: checked before use.
    const given = (encodings?.[i] as { scaleResolutionDownBy?: unknown } | undefined)?.scaleResolutionDownBy;
    const scale =
      typeof given === 'number' && Number.isFinite(given) && given >= 1 ? given : 2 ** (n - 1 - i);
    return Math.floor(topWidth / scale);
  });
}

/**
 * Simulcast layer for a viewer showing the video at `width`×`height` pixels, given the width of
 * each layer (`widths`, by layer index): the narrowest layer at least as wide as the picture is
 * shown (rounding up: a 300 px tile of a speaker's camera gets its 320 px layer, a 700 px stage of
 * the host's camera its 1280 px one), the widest layer for anything wider than all of them. A
 * box taller than 16:9 (the video cropped to fill it) counts by its height. mediasoup may still send
 * a lower layer while the viewer's bandwidth cannot carry this one.
 */
export function layerForViewSize(width: number, height: number, widths: readonly number[]): number {
  const shown = Math.max(width, height * (16 / 9));
  let best = -1;
  let widest = 0;
  widths.forEach((w, i) => {
    if (w >= shown && (best === -1 || w < (widths[best] ?? Infinity))) best = i;
    if (w > (widths[widest] ?? 0)) widest = i;
  });
  return best === -1 ? widest : best;
}

/**
 * Where a published track comes from: the client's send transport, or (on the sitting's origin
 * node) the pipe from the edge node the client is connected through, with the edge producer's id.
 */
export type TrackFrom = { transportId: string } | { pipe: types.PipeTransport; producerId: string };

/** Options of a {@link Participant}. */
export interface ParticipantOptions {
  /** The connection it speaks through (default: its own id). */
  connectionId?: string;
  /** What it may hold (default DEFAULT_LIMITS). */
  limits?: Limits;
  /** Where reaped transports are logged. */
  logger?: Logger;
}

/**
 * One person in a live sitting and the media they own: transports, producers, consumers, each
 * bounded by {@link Limits} (`limit_reached` past them; a transport never connected is closed
 * after a timeout once another of its direction took its place). The sitting creates participants
 * and closes them; `close()` closes everything they owned.
 */
export class Participant {
  readonly id: string;
  readonly identity: Identity;
  readonly joinedAt = Date.now();
  #router: MediaRouter;
  #notify: Notify;
  #rtpCapabilities: types.RtpCapabilities | undefined;
  /** `connected`: the client gave its DTLS parameters (transport.connect), so it is not reaped. */
  #transports = new Map<
    string,
    { transport: types.WebRtcTransport; direction: 'send' | 'recv'; connected: boolean }
  >();
  #producers = new Map<string, { producer: types.Producer; source: MediaSource }>();
  #consumers = new Map<string, types.Consumer>();
  /** Producers this participant receives (or is about to), each once: producer id → consumer id. */
  #consuming = new Map<string, string | undefined>();
  /** Transports being created, by direction (counted against the limit while mediasoup works). */
  #creating = { send: 0, recv: 0 };
  /** Sources being published (one producer per source, also while mediasoup works). */
  #publishing = new Set<MediaSource>();
  #limits: Limits;
  #log: Logger | undefined;
  /** Width of each simulcast layer of each consumer's producer, by spatial layer. */
  #layerWidths = new Map<string, number[]>();
  #closed = false;
  #mutedByHost = false;
  /** The connection this participant speaks through now (a resume moves it to a new one). */
  #connectionId: string;
  /** Since when the connection is lost (held for a resume), or undefined while connected. */
  #awaySince: number | undefined;
  /** The media was reset under it (worker died): nothing is accepted until it joins again. */
  #mediaReset = false;

  constructor(
    id: string,
    identity: Identity,
    router: MediaRouter,
    notify: Notify,
    options: ParticipantOptions = {},
  ) {
    this.id = id;
    this.identity = identity;
    this.#router = router;
    this.#notify = notify;
    this.#connectionId = options.connectionId ?? id;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#log = options.logger;
  }

  /** The connection this participant is bound to. */
  get connectionId(): string {
    return this.#connectionId;
  }

  /** True once closed (left, removed, or the sitting ended). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The connection dropped and the participant is held for a resume. */
  get away(): boolean {
    return this.#awaySince !== undefined;
  }

  /** The media worker died under it: its transports are gone until it joins again (`resume`). */
  get mediaReset(): boolean {
    return this.#mediaReset;
  }

  /** Its connection dropped: notifications are dropped until a resume attaches a new one. */
  markAway(): void {
    this.#awaySince ??= Date.now();
  }

  /** A resume: binds the participant to the connection it came back on. */
  attach(connectionId: string, notify: Notify): void {
    this.#connectionId = connectionId;
    this.#notify = notify;
    this.#awaySince = undefined;
  }

  /**
   * Closes every transport (so its producers and consumers) and moves the participant to
   * `router`: after a worker death (`router` is the replacement), or when a resuming client makes
   * new transports. Hand, floor and host-mute are kept. `reset` marks it as waiting for a rejoin.
   */
  resetMedia(router: MediaRouter, reset: boolean): void {
    if (this.#closed) return;
    this.closeProducers();
    for (const { transport } of [...this.#transports.values()]) transport.close();
    if (!this.#router.closed) this.#router.closeParticipant(this.id);
    this.#router = router;
    this.#rtpCapabilities = undefined;
    this.#mediaReset = reset;
  }

  /** The client joined again after a media reset: requests are accepted again. */
  clearMediaReset(): void {
    this.#mediaReset = false;
  }

  /** New ICE credentials for one of its transports (the client's ICE failed). */
  async restartIce(transportId: string): Promise<types.IceParameters> {
    return this.#transport(transportId).transport.restartIce();
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
    if (!this.#closed && this.#awaySince === undefined) this.#notify(n);
  }

  setRtpCapabilities(caps: types.RtpCapabilities): void {
    this.#rtpCapabilities = caps;
  }

  /**
   * A new WebRTC transport: `limit_reached` past MAX_TRANSPORTS_PER_DIRECTION; closed again when
   * the client has not connected it within TRANSPORT_CONNECT_TIMEOUT_S and holds another of its
   * direction (a lone one may wait for its first track as long as it takes).
   */
  async createTransport(direction: 'send' | 'recv'): Promise<TransportOptions> {
    const max = this.#limits.transportsPerDirection;
    const held = [...this.#transports.values()].filter((t) => t.direction === direction).length;
    if (held + this.#creating[direction] >= max) {
      throw new AppError('limit_reached', `at most ${max} ${direction} transports per participant`);
    }
    this.#creating[direction] += 1;
    let transport: types.WebRtcTransport;
    try {
      transport = await this.#router.createWebRtcTransport({ participantId: this.id, direction });
    } finally {
      this.#creating[direction] -= 1;
    }
    if (this.#closed) {
      transport.close();
      throw new AppError('invalid_state', 'participant left');
    }
    const entry = { transport, direction, connected: false };
    this.#transports.set(transport.id, entry);
    // A client connects a transport when it first sends or receives on it (mediasoup-client's
    // way): the host's send transport waits for the microphone, a receive transport for the
    // first track someone publishes, which may be minutes. Such a transport, alone in its
    // direction, is waiting, not abandoned: only one with another of its direction beside it
    // (made after it, or connected) is closed — looked at again every timeout until then.
    let reap: NodeJS.Timeout;
    const check = (): void => {
      if (transport.closed || entry.connected) return;
      const alone = [...this.#transports.values()].every(
        (other) => other === entry || other.direction !== direction,
      );
      if (alone) {
        reap = setTimeout(check, this.#limits.transportConnectTimeoutMs);
        reap.unref();
        return;
      }
      this.#log?.info(
        { participantId: this.id, transportId: transport.id, direction },
        'transport never connected, another in its place: closed',
      );
      transport.close();
    };
    reap = setTimeout(check, this.#limits.transportConnectTimeoutMs);
    reap.unref();
    transport.observer.once('close', () => {
      clearTimeout(reap);
      this.#transports.delete(transport.id);
    });
    return {
      transportId: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const entry = this.#transport(transportId);
    await entry.transport.connect({ dtlsParameters });
    entry.connected = true;
  }

  /**
   * Creates a producer of the track coming from `from`; the caller has already checked that this
   * participant may publish. The same checks (source and kind, one producer per source, the limit)
   * whether the track comes from the client's send transport or from the edge node it is connected
   * through (a pipe, same producer id as the edge's).
   */
  async produce(
    from: TrackFrom,
    kind: types.MediaKind,
    source: MediaSource,
    rtpParameters: types.RtpParameters,
  ): Promise<types.Producer> {
    const transport = 'pipe' in from ? from.pipe : this.#sendTransport(from.transportId);
    if ((source === 'microphone') !== (kind === 'audio')) {
      throw new AppError('bad_request', `a ${source} track cannot be ${kind}`);
    }
    const publishing = [...this.#producers.values()].map((p) => p.source);
    if (publishing.includes(source) || this.#publishing.has(source)) {
      throw new AppError('invalid_state', `already publishing ${source}`);
    }
    const max = this.#limits.producersPerParticipant;
    if (publishing.length + this.#publishing.size >= max) {
      throw new AppError('limit_reached', `at most ${max} published tracks per participant`);
    }
    this.#publishing.add(source);
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        ...('pipe' in from ? { id: from.producerId } : {}),
        kind,
        rtpParameters,
        keyFrameRequestDelay: KEY_FRAME_REQUEST_DELAY_MS,
        appData: { participantId: this.id, source },
      });
    } finally {
      this.#publishing.delete(source);
    }
    if (this.#closed) {
      // A pipe is not this participant's: what it made there does not close with its transports.
      producer.close();
      throw new AppError('invalid_state', 'participant left');
    }
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

  /**
   * Receives `producer` (owned by `owner`) through one of this participant's recv transports:
   * once per producer, and at most MAX_CONSUMERS_PER_PARTICIPANT at a time (`limit_reached`).
   * The consumer starts paused (the client resumes it once wired up) unless `paused` is false: the
   * fast join's consumers, on a transport whose DTLS the client starts only after wiring them.
   */
  async consume(
    transportId: string,
    producer: types.Producer,
    owner: Pick<Participant, 'id' | 'identity'>,
    { paused = true }: { paused?: boolean } = {},
  ): Promise<ConsumerOptions> {
    const entry = this.#transport(transportId);
    if (entry.direction !== 'recv') throw new AppError('bad_request', 'not a receive transport');
    if (!this.#rtpCapabilities) throw new AppError('invalid_state', 'send media.capabilities first');
    if (this.#consuming.has(producer.id)) {
      throw new AppError('limit_reached', 'already receiving that track: one consumer per track');
    }
    const max = this.#limits.consumersPerParticipant;
    if (this.#consuming.size >= max) {
      throw new AppError('limit_reached', `at most ${max} received tracks per participant`);
    }
    if (
      !this.#router.router.canConsume({ producerId: producer.id, rtpCapabilities: this.#rtpCapabilities })
    ) {
      throw new AppError('bad_request', 'this browser cannot receive that track');
    }
    this.#consuming.set(producer.id, undefined);
    let consumer: types.Consumer;
    try {
      consumer = await this.#router.consume(entry.transport, {
        producerId: producer.id,
        rtpCapabilities: this.#rtpCapabilities,
        paused,
        // Start on the lowest layer: the viewer's size report (consumer.viewSize) raises it, and
        // mediasoup's bandwidth estimate caps it. Starting high and dropping stalled fresh viewers.
        preferredLayers: { spatialLayer: 0 },
      });
    } catch (err) {
      this.#consuming.delete(producer.id);
      throw err;
    }
    this.#consumers.set(consumer.id, consumer);
    this.#consuming.set(producer.id, consumer.id);
    const source = (producer.appData as { source: MediaSource }).source;
    // Screens are sent as one layer: whatever the width, layer 0 is the only choice.
    this.#layerWidths.set(
      consumer.id,
      layerWidths(producer.rtpParameters.encodings, captureWidthFor(owner.identity.role)),
    );
    consumer.observer.once('close', () => {
      this.#consumers.delete(consumer.id);
      this.#layerWidths.delete(consumer.id);
      if (this.#consuming.get(producer.id) === consumer.id) this.#consuming.delete(producer.id);
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

  /** Whether the consumer is still open. */
  hasConsumer(consumerId: string): boolean {
    return this.#consumers.has(consumerId);
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
    this.closeProducers();
    for (const { transport } of [...this.#transports.values()]) transport.close();
    this.#router.closeParticipant(this.id);
  }

  #sendTransport(transportId: string): types.WebRtcTransport {
    const entry = this.#transport(transportId);
    if (entry.direction !== 'send') throw new AppError('bad_request', 'not a send transport');
    return entry.transport;
  }

  #transport(transportId: string) {
    const entry = this.#transports.get(transportId);
    if (!entry) throw new AppError('not_found', 'no such transport');
    return entry;
  }
}
