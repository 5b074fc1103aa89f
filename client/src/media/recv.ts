import type { Device, types as msc } from 'mediasoup-client';
import type {
  ConsumerOptions,
  IceSettings,
  MediaKind,
  MediaSource,
  ProducerInfo,
  ReceiveMedia,
  TransportOptions,
} from '@seduta/server/protocol';
import { markJoin } from '../join-timing';
import type { Signalling } from '../signalling';
import { sameDtls, type DtlsIdentity } from './dtls';
import { transportUsable, watchIce } from './ice';

/** A track received from another participant, as the UI shows it. */
export interface RemoteMedia {
  consumerId: string;
  producerId: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  track: MediaStreamTrack;
  /** The DTLS transport it arrives on, where the browser exposes it. */
  transport?: RTCDtlsTransport;
  /** The sender muted it (nothing arrives until it resumes). */
  paused: boolean;
}

/** One inbound RTP stream of the receive transport, for diagnostics and tests. */
export interface InboundStat {
  kind: MediaKind;
  ssrc: number;
  source: MediaSource;
  /** Whose track it is. */
  participantId: string;
  consumerId: string;
  framesDecoded: number;
  packetsReceived: number;
  bytesReceived: number;
  frameWidth?: number;
  frameHeight?: number;
}

/** mediasoup's bandwidth probe stream: a video `inbound-rtp` that never decodes. */
const PROBATOR_SSRC = 1234;

interface Entry {
  consumer: msc.Consumer;
  media: RemoteMedia;
}

/**
 * The receive side of one participant: a recv WebRTC transport and one consumer per remote
 * producer. Owned by the SittingClient; `close()` closes the transport and every consumer.
 */
export class Receiver {
  readonly #transport: msc.Transport;
  readonly #signalling: Signalling;
  readonly #onChange: () => void;
  readonly #entries = new Map<string, Entry>();
  /** Producers being consumed right now, and whether they were closed meanwhile. */
  readonly #pending = new Map<string, { cancelled: boolean }>();
  #closed = false;

  private constructor(transport: msc.Transport, signalling: Signalling, onChange: () => void) {
    this.#transport = transport;
    this.#signalling = signalling;
    this.#onChange = onChange;
  }

  /**
   * Creates the server-side recv transport and mirrors it in `device`, reaching the server as
   * `ice` says (TURN relays from the join reply, transport policy).
   */
  static async create(
    device: Device,
    signalling: Signalling,
    onChange: () => void,
    onConnectionState?: (state: msc.ConnectionState) => void,
    ice?: IceSettings,
  ): Promise<Receiver> {
    const options = await signalling.request({ type: 'transport.create', direction: 'recv' });
    return Receiver.#make(device, signalling, onChange, onConnectionState, ice, options);
  }

  /**
   * The fast join: mirrors the recv transport the join reply carries (the server connected it
   * with `dtls` when the join gave it, so the browser's handshake needs no request); then
   * {@link adopt} wires the reply's consumers.
   */
  static fromJoin(
    device: Device,
    signalling: Signalling,
    onChange: () => void,
    onConnectionState: ((state: msc.ConnectionState) => void) | undefined,
    ice: IceSettings | undefined,
    receive: ReceiveMedia,
    dtls: DtlsIdentity | undefined,
  ): Receiver {
    return Receiver.#make(
      device,
      signalling,
      onChange,
      onConnectionState,
      ice,
      receive.transport,
      receive.connected ? dtls : undefined,
    );
  }

  static #make(
    device: Device,
    signalling: Signalling,
    onChange: () => void,
    onConnectionState: ((state: msc.ConnectionState) => void) | undefined,
    ice: IceSettings | undefined,
    options: TransportOptions,
    connectedWith?: DtlsIdentity,
  ): Receiver {
    const transport = device.createRecvTransport({
      id: options.transportId,
      iceParameters: options.iceParameters as msc.IceParameters,
      iceCandidates: options.iceCandidates as msc.IceCandidate[],
      dtlsParameters: options.dtlsParameters as msc.DtlsParameters,
      ...(ice ? { iceServers: ice.iceServers, iceTransportPolicy: ice.iceTransportPolicy } : {}),
      ...(connectedWith ? { additionalSettings: { certificates: [connectedWith.certificate] } } : {}),
    });
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      markJoin('recv.answer');
      if (connectedWith) {
        // The server has these parameters already: the handshake may start at once.
        if (sameDtls(connectedWith, dtlsParameters)) callback();
        else errback(new Error('the receive transport announced another DTLS identity'));
        return;
      }
      signalling
        .request({ type: 'transport.connect', transportId: transport.id, dtlsParameters })
        .then(() => callback(), errback);
    });
    watchIce(transport, signalling, onConnectionState);
    return new Receiver(transport, signalling, onChange);
  }

  /** Whether the transport can still carry media (a resume may keep it). */
  get usable(): boolean {
    return !this.#closed && transportUsable(this.#transport);
  }

  /** New TURN credentials (a resume that kept the transport): used by the next ICE restart. */
  async updateIceServers(ice: IceSettings): Promise<void> {
    if (!this.#closed) await this.#transport.updateIceServers({ iceServers: ice.iceServers });
  }

  /**
   * After a resume: keeps only the consumers whose producer still exists (what was closed while
   * the connection was down); the caller consumes the new ones.
   */
  keepOnly(producerIds: ReadonlySet<string>): void {
    for (const entry of [...this.#entries.values()]) {
      if (!producerIds.has(entry.media.producerId)) this.closeConsumer(entry.media.consumerId);
    }
  }

  /** Every track received right now. */
  get media(): RemoteMedia[] {
    return [...this.#entries.values()].map((entry) => entry.media);
  }

  /**
   * Wires the consumers a fast join made (running already on the server: nothing to resume). All
   * are handed to mediasoup-client in the same tick, so one SDP negotiation carries them all and
   * the handshake that follows finds every track ready for its first keyframe.
   */
  adopt(consumers: readonly ConsumerOptions[]): Promise<void>[] {
    return consumers.map(async (options) => {
      if (this.#closed || this.#pending.has(options.producerId) || this.#findByProducer(options.producerId))
        return;
      const pending = { cancelled: false };
      this.#pending.set(options.producerId, pending);
      try {
        await this.#wire(options, pending);
      } finally {
        this.#pending.delete(options.producerId);
      }
    });
  }

  /** Receives `producer` (once): asks the server for a paused consumer, wires it, resumes it. */
  async consume(producer: ProducerInfo): Promise<void> {
    if (this.#closed || this.#pending.has(producer.producerId) || this.#findByProducer(producer.producerId))
      return;
    const pending = { cancelled: false };
    this.#pending.set(producer.producerId, pending);
    try {
      const options = await this.#signalling.request({
        type: 'consume',
        transportId: this.#transport.id,
        producerId: producer.producerId,
      });
      if (this.#closed || pending.cancelled) return;
      const consumer = await this.#wire(options, pending);
      if (consumer) await this.#signalling.request({ type: 'consumer.resume', consumerId: consumer.id });
    } finally {
      this.#pending.delete(producer.producerId);
    }
  }

  /** Mirrors one server consumer in the transport and lists its track; undefined if dropped meanwhile. */
  async #wire(options: ConsumerOptions, pending: { cancelled: boolean }): Promise<msc.Consumer | undefined> {
    markJoin('recv.consume');
    const consumer = await this.#transport.consume({
      id: options.consumerId,
      producerId: options.producerId,
      kind: options.kind,
      rtpParameters: options.rtpParameters as msc.RtpParameters,
    });
    markJoin('recv.wired');
    if (this.#closed || pending.cancelled) {
      consumer.close();
      return;
    }
    const media: RemoteMedia = {
      consumerId: consumer.id,
      producerId: options.producerId,
      participantId: options.participantId,
      kind: options.kind,
      source: options.source,
      track: consumer.track,
      ...(consumer.rtpReceiver?.transport ? { transport: consumer.rtpReceiver.transport } : {}),
      paused: options.producerPaused,
    };
    this.#entries.set(consumer.id, { consumer, media });
    consumer.on('transportclose', () => this.closeConsumer(consumer.id));
    this.#onChange();
    return consumer;
  }

  /** The server closed a consumer (or its producer went away): drop it. */
  closeConsumer(consumerId: string): void {
    const entry = this.#entries.get(consumerId);
    if (!entry) return;
    this.#entries.delete(consumerId);
    entry.consumer.close();
    this.#onChange();
  }

  /** A remote producer closed: drop its consumer, or cancel consuming it. */
  closeProducer(producerId: string): void {
    const pending = this.#pending.get(producerId);
    if (pending) pending.cancelled = true;
    const entry = this.#findByProducer(producerId);
    if (entry) this.closeConsumer(entry.media.consumerId);
  }

  /** A remote producer was muted or unmuted. */
  setProducerPaused(producerId: string, paused: boolean): void {
    const entry = this.#findByProducer(producerId);
    if (!entry || entry.media.paused === paused) return;
    entry.media = { ...entry.media, paused };
    this.#onChange();
  }

  /** The receive transport's WebRTC statistics, as the browser reports them. */
  async rawStats(): Promise<RTCStatsReport[]> {
    return this.#closed ? [] : [await this.#transport.getStats()];
  }

  /** Inbound RTP statistics of each current consumer's stream (not mediasoup's probator). */
  async inboundStats(): Promise<InboundStat[]> {
    if (this.#closed) return [];
    const bySsrc = new Map<number, RemoteMedia>();
    for (const { consumer, media } of this.#entries.values()) {
      const ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
      if (ssrc !== undefined) bySsrc.set(ssrc, media);
    }
    const report = await this.#transport.getStats();
    const stats: InboundStat[] = [];
    report.forEach((raw: Record<string, unknown>) => {
      if (raw.type !== 'inbound-rtp' || raw.ssrc === PROBATOR_SSRC) return;
      const kind = (raw.kind ?? raw.mediaType) as MediaKind;
      const ssrc = Number(raw.ssrc);
      const media = bySsrc.get(ssrc);
      // Streams of closed consumers stay in the peer connection's statistics: skip them.
      if (!media) return;
      stats.push({
        kind,
        ssrc,
        source: media.source,
        participantId: media.participantId,
        consumerId: media.consumerId,
        framesDecoded: Number(raw.framesDecoded ?? 0),
        packetsReceived: Number(raw.packetsReceived ?? 0),
        bytesReceived: Number(raw.bytesReceived ?? 0),
        frameWidth: typeof raw.frameWidth === 'number' ? raw.frameWidth : undefined,
        frameHeight: typeof raw.frameHeight === 'number' ? raw.frameHeight : undefined,
      });
    });
    return stats;
  }

  /** Closes every consumer and the transport; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.cancelled = true;
    for (const { consumer } of this.#entries.values()) consumer.close();
    this.#entries.clear();
    this.#transport.close();
    this.#onChange();
  }

  #findByProducer(producerId: string): Entry | undefined {
    for (const entry of this.#entries.values()) if (entry.media.producerId === producerId) return entry;
    return undefined;
  }
}
