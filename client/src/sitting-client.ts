import { Device } from 'mediasoup-client';
import type {
  MediaSource,
  Notification,
  ParticipantInfo,
  ProducerInfo,
  Role,
  SittingInfo,
} from '@seduta/server/protocol';
import { Signalling, SignallingError, type ConnectionState } from './signalling';
import { Receiver, type InboundStat, type RemoteMedia } from './media/recv';
import { Publisher } from './media/send';
import { captureCamera, captureMicrophone, captureScreen } from './media/capture';

/** Where this client stands in the sitting. */
export type JoinPhase = 'idle' | 'joining' | 'joined' | 'left' | 'removed' | 'closed';

/** A track this client captures and (once joined) publishes. */
export interface LocalMedia {
  source: MediaSource;
  track: MediaStreamTrack;
  muted: boolean;
}

/** Quality figures measured by this client. */
export interface ClientMetrics {
  /** From pressing "join" to the first decoded frame of the first video. */
  joinToFirstFrameMs?: number;
}

/** A failure that happened in the background (not the answer to a call the UI made). */
export interface ClientErrorDetail {
  code: string;
  message: string;
}

/** What a {@link SittingClient} tells its listeners; each event's detail. */
export interface SittingClientEvents {
  sitting: SittingInfo;
  connection: ConnectionState;
  phase: JoinPhase;
  participants: readonly ParticipantInfo[];
  remote: readonly RemoteMedia[];
  local: ReadonlyMap<MediaSource, LocalMedia>;
  metrics: ClientMetrics;
  error: ClientErrorDetail;
}

/** Options of {@link SittingClient}. */
export interface SittingClientOptions {
  sittingId: string;
  /** Host console: the sitting's host key. */
  hostKey?: string;
  /** Operator: display name (can also be given to `join`). */
  name?: string;
  /** Signalling server origin; the page's own by default. */
  url?: string;
  /** Makes the mediasoup-client Device (tests pass one with mediasoup-client's FakeHandler). */
  createDevice?: () => Promise<Device>;
}

interface JoinedMedia {
  device: Device;
  receiver: Receiver;
  publisher?: Publisher;
}

/**
 * One participant's session in one sitting: signalling, the mediasoup-client Device, its
 * transports, producers and consumers. No UI: components listen to its typed events and read its
 * getters. Owns everything it creates; `close()` is idempotent and releases it all.
 */
export class SittingClient extends EventTarget {
  readonly sittingId: string;
  readonly metrics: ClientMetrics = {};
  readonly #options: SittingClientOptions;
  readonly #signalling: Signalling;
  #name: string | undefined;
  #sitting: SittingInfo | undefined;
  #connection: ConnectionState = 'disconnected';
  #phase: JoinPhase = 'idle';
  #participantId: string | undefined;
  #role: Role | undefined;
  #participants = new Map<string, ParticipantInfo>();
  readonly #producers = new Map<string, ProducerInfo>();
  readonly #local = new Map<MediaSource, LocalMedia>();
  #media: JoinedMedia | undefined;
  #joinClickedAt: number | undefined;
  #rejoinOnConnect = false;

  constructor(options: SittingClientOptions) {
    super();
    this.sittingId = options.sittingId;
    this.#options = options;
    this.#name = options.name;
    this.#signalling = new Signalling(
      this.#auth(),
      {
        notification: (note) => this.#onNotification(note),
        connection: (state) => this.#onConnection(state),
      },
      options.url,
    );
  }

  /** The sitting as last told by the server. */
  get sitting(): SittingInfo | undefined {
    return this.#sitting;
  }

  get connection(): ConnectionState {
    return this.#connection;
  }

  /** The connection dropped while joined: the client joins again as soon as it is back. */
  get reconnecting(): boolean {
    return this.#rejoinOnConnect;
  }

  get phase(): JoinPhase {
    return this.#phase;
  }

  get participantId(): string | undefined {
    return this.#participantId;
  }

  get role(): Role | undefined {
    return this.#role;
  }

  /** Who is in the sitting (this client included), in joining order. */
  get participants(): readonly ParticipantInfo[] {
    return [...this.#participants.values()];
  }

  /** Tracks received from the others. */
  get remote(): readonly RemoteMedia[] {
    return this.#media?.receiver.media ?? [];
  }

  /** Tracks this client captures, by source. */
  get local(): ReadonlyMap<MediaSource, LocalMedia> {
    return this.#local;
  }

  /** Typed `addEventListener`: returns the function that removes the listener. */
  on<K extends keyof SittingClientEvents>(
    type: K,
    listener: (detail: SittingClientEvents[K]) => void,
  ): () => void {
    const wrapped = (event: Event): void => listener((event as CustomEvent<SittingClientEvents[K]>).detail);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }

  /** Connects to the signalling server; the sitting's state arrives right after. */
  connect(): void {
    this.#signalling.connect();
  }

  /**
   * Joins the live sitting and starts receiving the others' media; the host also starts
   * publishing what it captures. Call it from the "join" click: the time to the first frame is
   * measured from here.
   */
  async join(name?: string): Promise<void> {
    if (this.#phase === 'joining' || this.#phase === 'joined' || this.#phase === 'closed') return;
    this.#joinClickedAt = performance.now();
    if ((name !== undefined && name !== this.#name) || !this.#signalling.connected) {
      this.#name = name ?? this.#name;
      await this.#signalling.reconnect(this.#auth());
    }
    await this.#join();
  }

  /** Leaves the sitting ("esci dallo streaming"); the page stays connected for the sitting's state. */
  async leave(): Promise<void> {
    if (this.#phase !== 'joined' && this.#phase !== 'joining') return;
    this.#teardown('left');
    await this.#signalling.request({ type: 'leave' }).catch(() => undefined);
  }

  /** Host: scheduled → live. */
  async startSitting(): Promise<void> {
    const { sitting } = await this.#signalling.request({ type: 'sitting.start' });
    this.#setSitting(sitting);
  }

  /** Host: live → ended; everyone is disconnected from the media. */
  async endSitting(): Promise<void> {
    const { sitting } = await this.#signalling.request({ type: 'sitting.end' });
    this.#onEnded(sitting);
  }

  /** Starts the camera and, once joined, publishes it (simulcast). */
  async startCamera(): Promise<void> {
    await this.#startLocal('camera', captureCamera);
  }

  /** Stops publishing the camera and releases it. */
  async stopCamera(): Promise<void> {
    await this.#stopLocal('camera');
  }

  /** Starts the microphone and, once joined, publishes it. */
  async startMicrophone(): Promise<void> {
    await this.#startLocal('microphone', captureMicrophone);
  }

  /** Mutes or unmutes the microphone for everyone. */
  async setMicrophoneMuted(muted: boolean): Promise<void> {
    const local = this.#local.get('microphone');
    if (!local || local.muted === muted) return;
    this.#local.set('microphone', { ...local, muted });
    this.#emit('local', this.#local);
    const publisher = this.#media?.publisher;
    if (!publisher) {
      local.track.enabled = !muted;
      return;
    }
    await (muted ? publisher.pause('microphone') : publisher.resume('microphone'));
  }

  /** Shares a screen as a second video; needs a user gesture. */
  async startScreenShare(): Promise<void> {
    await this.#startLocal('screen', async () => {
      const track = await captureScreen();
      // The browser's own "stop sharing" bar ends the track.
      track.addEventListener('ended', () => void this.stopScreenShare().catch((e) => this.#fail(e)));
      return track;
    });
  }

  /** Stops the screen share. */
  async stopScreenShare(): Promise<void> {
    await this.#stopLocal('screen');
  }

  /** Tells the server how large a received video is shown (0×0 when hidden). */
  reportViewSize(consumerId: string, width: number, height: number): void {
    if (this.#phase !== 'joined') return;
    this.#signalling
      .request({ type: 'consumer.viewSize', consumerId, width, height })
      .catch((error: unknown) => {
        // The consumer may have closed in the meantime; anything else is worth showing.
        if (!(error instanceof SignallingError && error.code === 'not_found')) this.#fail(error);
      });
  }

  /** The UI saw the first decoded video frame: report join→first-frame once per join. */
  reportFirstFrame(): void {
    if (this.#joinClickedAt === undefined) return;
    const ms = Math.round(performance.now() - this.#joinClickedAt);
    this.#joinClickedAt = undefined;
    this.metrics.joinToFirstFrameMs = ms;
    this.#emit('metrics', this.metrics);
    this.#signalling.request({ type: 'stats.report', joinToFirstFrameMs: ms }).catch((e) => this.#fail(e));
  }

  /** The receive transport's raw WebRTC statistics (tests and diagnostics). */
  async rawStats(): Promise<RTCStatsReport[]> {
    return (await this.#media?.receiver.rawStats()) ?? [];
  }

  /** Inbound RTP statistics of the receive transport (tests and diagnostics). */
  async inboundStats(): Promise<InboundStat[]> {
    return (await this.#media?.receiver.inboundStats()) ?? [];
  }

  /** Closes media, releases the camera/microphone/screen and disconnects; idempotent. */
  close(): void {
    if (this.#phase === 'closed') return;
    this.#teardown('closed');
    for (const local of this.#local.values()) local.track.stop();
    this.#local.clear();
    this.#signalling.close();
  }

  async #join(): Promise<void> {
    this.#setPhase('joining');
    try {
      const joined = await this.#signalling.request({ type: 'join' });
      if (this.#phase !== 'joining') return;
      this.#participantId = joined.participantId;
      this.#role = joined.role;
      this.#participants = new Map(joined.participants.map((p) => [p.id, p]));
      for (const producer of joined.producers) this.#producers.set(producer.producerId, producer);
      this.#setSitting(joined.sitting);
      this.#emit('participants', this.participants);

      const device = await (this.#options.createDevice ?? (() => Device.factory()))();
      await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as never });
      await this.#signalling.request({
        type: 'media.capabilities',
        rtpCapabilities: device.recvRtpCapabilities as never,
      });
      const receiver = await Receiver.create(device, this.#signalling, () =>
        this.#emit('remote', this.remote),
      );
      const media: JoinedMedia = { device, receiver };
      if (this.#phase !== 'joining') {
        receiver.close();
        return;
      }
      this.#media = media;
      if (joined.role === 'host') {
        media.publisher = await Publisher.create(device, this.#signalling);
        if (this.#media !== media) return media.publisher.close();
      }
      this.#setPhase('joined');
      for (const producer of this.#producers.values()) this.#consume(producer);
      for (const local of this.#local.values()) this.#publish(local);
    } catch (error) {
      if (this.#phase === 'joining') this.#teardown('idle');
      throw error;
    }
  }

  #consume(producer: ProducerInfo): void {
    const receiver = this.#media?.receiver;
    if (!receiver || this.#phase !== 'joined' || producer.participantId === this.#participantId) return;
    receiver.consume(producer).catch((error: unknown) => this.#fail(error));
  }

  #publish(local: LocalMedia): void {
    this.#media?.publisher
      ?.publish(local.source, local.track, local.muted)
      .catch((e: unknown) => this.#fail(e));
  }

  async #startLocal(source: MediaSource, capture: () => Promise<MediaStreamTrack>): Promise<void> {
    if (this.#local.has(source)) return;
    const track = await capture();
    if (this.#phase === 'closed') return track.stop();
    const local: LocalMedia = { source, track, muted: false };
    this.#local.set(source, local);
    this.#emit('local', this.#local);
    await this.#media?.publisher?.publish(source, track);
  }

  async #stopLocal(source: MediaSource): Promise<void> {
    const local = this.#local.get(source);
    if (!local) return;
    this.#local.delete(source);
    local.track.stop();
    this.#emit('local', this.#local);
    await this.#media?.publisher?.unpublish(source);
  }

  #onNotification(note: Notification): void {
    switch (note.type) {
      case 'sitting.state':
        // A client that missed `sitting.ended` (reconnecting at that moment) learns it here.
        if (note.sitting.status === 'ended' || note.sitting.status === 'cancelled')
          return this.#onEnded(note.sitting);
        return this.#setSitting(note.sitting);
      case 'sitting.ended':
        return this.#onEnded(note.sitting);
      case 'participant.joined':
        this.#participants.set(note.participant.id, note.participant);
        return this.#emit('participants', this.participants);
      case 'participant.left':
        this.#participants.delete(note.participantId);
        return this.#emit('participants', this.participants);
      case 'participant.updated':
        if (!this.#participants.has(note.participant.id)) return;
        this.#participants.set(note.participant.id, note.participant);
        return this.#emit('participants', this.participants);
      case 'hands.queue':
      case 'hand.state':
      case 'chat.message':
      case 'chat.deleted':
        // Raised hands and chat are not part of this client yet (issue 3 is broadcast only).
        return;
      case 'producer.new':
        this.#producers.set(note.producer.producerId, note.producer);
        return this.#consume(note.producer);
      case 'producer.closed':
        this.#producers.delete(note.producerId);
        return this.#media?.receiver.closeProducer(note.producerId);
      case 'producer.paused':
      case 'producer.resumed':
        return this.#media?.receiver.setProducerPaused(note.producerId, note.type === 'producer.paused');
      case 'consumer.closed':
        return this.#media?.receiver.closeConsumer(note.consumerId);
      case 'media.reset':
        return this.#rejoin();
      case 'removed':
        return this.#teardown('removed');
      default:
        return assertNever(note);
    }
  }

  #onConnection(state: ConnectionState): void {
    this.#connection = state;
    this.#emit('connection', state);
    // The server forgets a participant whose socket dropped: join again once back.
    if (state === 'disconnected' && (this.#phase === 'joined' || this.#phase === 'joining')) {
      this.#rejoinOnConnect = true;
      this.#teardown('idle');
    } else if (state === 'connected' && this.#rejoinOnConnect) {
      this.#rejoinOnConnect = false;
      this.#join().catch((error: unknown) => this.#fail(error));
    }
  }

  #rejoin(): void {
    if (this.#phase !== 'joined' && this.#phase !== 'joining') return;
    this.#teardown('idle');
    this.#join().catch((error: unknown) => this.#fail(error));
  }

  #onEnded(sitting: SittingInfo): void {
    this.#rejoinOnConnect = false;
    if (this.#phase === 'joined' || this.#phase === 'joining') this.#teardown('idle');
    for (const local of this.#local.values()) local.track.stop();
    this.#local.clear();
    this.#emit('local', this.#local);
    this.#setSitting(sitting);
  }

  /** Closes the transports (keeping captured tracks) and moves to `phase`. */
  #teardown(phase: JoinPhase): void {
    const media = this.#media;
    this.#media = undefined;
    this.#producers.clear();
    this.#participants.clear();
    media?.publisher?.close();
    media?.receiver.close();
    this.#setPhase(phase);
    this.#emit('participants', this.participants);
    this.#emit('remote', this.remote);
  }

  #setSitting(sitting: SittingInfo): void {
    this.#sitting = sitting;
    this.#emit('sitting', sitting);
  }

  #setPhase(phase: JoinPhase): void {
    if (this.#phase === phase) return;
    this.#phase = phase;
    this.#emit('phase', phase);
  }

  #fail(error: unknown): void {
    const code = error instanceof SignallingError ? error.code : 'internal';
    const message = error instanceof Error ? error.message : String(error);
    this.#emit('error', { code, message });
  }

  #emit<K extends keyof SittingClientEvents>(type: K, detail: SittingClientEvents[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #auth(): { sittingId: string; hostKey?: string; name?: string } {
    const { sittingId, hostKey } = this.#options;
    return { sittingId, ...(hostKey ? { hostKey } : {}), ...(this.#name ? { name: this.#name } : {}) };
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected notification ${JSON.stringify(value)}`);
}
