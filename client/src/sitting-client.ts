import { Device } from 'mediasoup-client';
import type {
  ChatMessage,
  Grants,
  HandEntry,
  HandState,
  IceSettings,
  MediaSource,
  Notification,
  ParticipantChange,
  ParticipantInfo,
  ProducerInfo,
  RecordingIndicator,
  RecordingIndicatorState,
  RemovedReason,
  Role,
  SittingInfo,
} from '@seduta/server/protocol';
import { Signalling, SignallingError, type ConnectionState } from './signalling';
import { makeDtlsIdentity, type DtlsIdentity } from './media/dtls';
import { Receiver, type InboundStat, type RemoteMedia } from './media/recv';
import { Publisher } from './media/send';
import {
  captureCamera,
  captureMicrophone,
  captureScreen,
  captureSpeaker,
  type SpeakerTracks,
} from './media/capture';
import { ChatLog, ChatRateLimitedError } from './chat-log';
import { markJoin } from './join-timing';

/** The router's RTP capabilities, as the server gives them (`media.prepare`, the first `sitting.state`). */
type RouterCapabilities = NonNullable<
  Extract<Notification, { type: 'sitting.state' }>['routerRtpCapabilities']
>;

/** Where this client stands in the sitting. */
export type JoinPhase = 'idle' | 'joining' | 'joined' | 'left' | 'removed' | 'closed';

/** This participant's own hand, as the server last told it. */
export interface HandStatus {
  state: HandState;
  grants: Grants;
  /** Why it last changed when it was not this participant's doing ('approved', 'denied', 'revoked', …). */
  reason?: string;
}

/**
 * An operator's way to the floor as the page shows it: no hand, hand raised, the floor offered
 * (the page explains, then asks the browser for the devices), devices starting, speaking.
 */
export type FloorPhase = 'none' | 'raised' | 'offered' | 'starting' | 'speaking';

/** Where an operator given the floor is in consenting: asked, devices starting, speaking. */
type Consent = 'asked' | 'starting' | 'given';

/** Resume attempts after a failure that may pass (no answer, a server error)… */
const RESUME_ATTEMPTS = 8;
/** …and while the database is out of reach or the connection drops again (about two minutes). */
const RESUME_PATIENT_ATTEMPTS = 60;
const RESUME_MAX_DELAY_MS = 2_000;

const NO_HAND: HandStatus = { state: 'none', grants: { audio: false, video: false } };

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
  hand: HandStatus;
  queue: readonly HandEntry[];
  chat: readonly ChatMessage[];
  recording: RecordingIndicator;
}

/**
 * Recording states during which joining needs the recording notice acknowledged: as on the server,
 * 'starting' too (the first media may be on disk before the person has finished joining).
 */
const NOTICE_STATES: ReadonlySet<RecordingIndicatorState> = new Set(['starting', 'recording', 'paused']);

/** Options of {@link SittingClient}. */
export interface SittingClientOptions {
  sittingId: string;
  /** Display name shown before joining (the server takes the real one from the credentials). */
  name?: string;
  /** Signalling server origin; the page's own by default. */
  url?: string;
  /** Makes the mediasoup-client Device (tests pass one with mediasoup-client's FakeHandler). */
  createDevice?: () => Promise<Device>;
  /** Opens a speaker's devices (tests pass fake tracks); the browser's getUserMedia by default. */
  captureSpeaker?: (grants: Grants) => Promise<SpeakerTracks>;
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
  /** The connection dropped while joining: join afresh once back. */
  #rejoinOnConnect = false;
  /** The connection (or the media) dropped while joined: resume once back, keeping the page as it is. */
  #resuming = false;
  /** The server said it is restarting: the page says so until it is back. */
  #restarting = false;
  /** Why the server closed this client's connection (phase `removed`): final, never reconnected. */
  #removedReason: RemovedReason | undefined;
  #resumeAttempts = 0;
  /** The loaded mediasoup-client device, and the router capabilities it was loaded with. */
  #device: Device | undefined;
  #deviceCapabilities: string | undefined;
  /** The device and DTLS identity being made before the click (see {@link #prepare}). */
  #preparing: Promise<void> | undefined;
  #dtls: DtlsIdentity | undefined;
  /** TURN relays and ICE policy from the last join reply, for every transport made after it. */
  #ice: IceSettings = { iceServers: [], iceTransportPolicy: 'all' };
  /** Transports whose ICE is disconnected or failed right now (media interrupted). */
  readonly #mediaDown = new Set<'send' | 'recv'>();
  #hand: HandStatus = NO_HAND;
  #consent: Consent = 'asked';
  #queue: readonly HandEntry[] = [];
  readonly #chat = new ChatLog();
  #recording: RecordingIndicator = { state: 'off', degraded: false };
  #noticeAcknowledged = false;

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

  /**
   * The connection dropped while joined (or the media server restarted): the client is getting
   * back by itself; the page keeps showing the sitting meanwhile.
   */
  get reconnecting(): boolean {
    return (
      this.#rejoinOnConnect ||
      this.#resuming ||
      (this.#phase === 'joined' && (this.#mediaDown.size > 0 || this.#connection === 'unstable'))
    );
  }

  /** The server announced a restart and is not back yet. */
  get serverRestarting(): boolean {
    return this.#restarting;
  }

  get phase(): JoinPhase {
    return this.#phase;
  }

  /** Why the server closed the connection, once the phase is `removed` (kicked, replaced, …). */
  get removedReason(): RemovedReason | undefined {
    return this.#removedReason;
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

  /** This participant's own hand and publishing rights. */
  get hand(): HandStatus {
    return this.#hand;
  }

  /** Where this operator is on the way to speaking (see {@link FloorPhase}). */
  get floor(): FloorPhase {
    switch (this.#hand.state) {
      case 'none':
        return 'none';
      case 'raised':
        return 'raised';
      case 'speaking':
        return this.#consent === 'asked' ? 'offered' : this.#consent === 'given' ? 'speaking' : 'starting';
      default:
        return assertNever(this.#hand.state);
    }
  }

  /** Staff: the raised hands, first raised first. */
  get queue(): readonly HandEntry[] {
    return this.#queue;
  }

  /** The sitting's chat, oldest first. */
  get chat(): readonly ChatMessage[] {
    return this.#chat.messages;
  }

  /** This participant as everyone sees it. */
  get self(): ParticipantInfo | undefined {
    return this.#participantId === undefined ? undefined : this.#participants.get(this.#participantId);
  }

  /** The host muted this participant's microphone: it cannot be unmuted until the host lifts it. */
  get mutedByHost(): boolean {
    return this.self?.mutedByHost ?? false;
  }

  /** The sitting's recording state, for the indicator. */
  get recording(): RecordingIndicator {
    return this.#recording;
  }

  /** The sitting is recorded: the recording notice must be shown and acknowledged before joining. */
  get recordingNoticeRequired(): boolean {
    return NOTICE_STATES.has(this.#recording.state) && !this.#noticeAcknowledged;
  }

  /** The person read the recording notice and agreed; joins from now on say so to the server. */
  acknowledgeRecordingNotice(): void {
    this.#noticeAcknowledged = true;
  }

  /** Host: starts recording the sitting. */
  async startRecording(): Promise<void> {
    this.#setRecording((await this.#signalling.request({ type: 'recording.start' })).recording);
  }

  /** Host: pauses the recording. */
  async pauseRecording(): Promise<void> {
    this.#setRecording((await this.#signalling.request({ type: 'recording.pause' })).recording);
  }

  /** Host: resumes the paused recording. */
  async resumeRecording(): Promise<void> {
    this.#setRecording((await this.#signalling.request({ type: 'recording.resume' })).recording);
  }

  /** Host: stops the recording (the final file is made in the background). */
  async stopRecording(): Promise<void> {
    this.#setRecording((await this.#signalling.request({ type: 'recording.stop' })).recording);
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
    this.#removedReason = undefined;
    this.#joinClickedAt = performance.now();
    markJoin('click');
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

  /** Mutes or unmutes the microphone for everyone (unmuting is refused while host-muted). */
  async setMicrophoneMuted(muted: boolean): Promise<void> {
    const local = this.#local.get('microphone');
    if (!local || local.muted === muted) return;
    if (!muted && this.mutedByHost) throw new SignallingError('forbidden', 'the host has muted you');
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

  /** Operator: raises the hand (joins the end of the host's queue). */
  async raiseHand(): Promise<void> {
    await this.#signalling.request({ type: 'hand.raise' });
  }

  /** Operator: lowers the own hand. */
  async lowerHand(): Promise<void> {
    await this.#signalling.request({ type: 'hand.lower' });
  }

  /**
   * Operator, after the page explained what happens: opens the granted devices (the browser asks
   * for consent) and publishes them. If the browser or the person refuses, the floor is given back
   * and the error is thrown; the sitting keeps playing.
   */
  async acceptFloor(): Promise<void> {
    if (this.floor !== 'offered') return;
    const grants = this.#hand.grants;
    this.#setConsent('starting');
    let tracks: SpeakerTracks;
    try {
      tracks = await (this.#options.captureSpeaker ?? captureSpeaker)(grants);
    } catch (error) {
      await this.leaveFloor().catch(() => undefined);
      throw error;
    }
    const captured = [tracks.microphone, tracks.camera].filter((t) => t !== undefined);
    // Revoked (or left) while the browser was asking: nothing may be published.
    const stillOffered = (): boolean => this.#hand.state === 'speaking' && this.#consent === 'starting';
    const media = this.#media;
    try {
      if (media && stillOffered() && !media.publisher) {
        const publisher = await Publisher.create(
          media.device,
          this.#signalling,
          'speaker',
          this.#mediaState('send'),
          this.#ice,
        );
        if (this.#media === media) media.publisher = publisher;
        else publisher.close();
      }
    } catch (error) {
      for (const track of captured) track.stop();
      await this.leaveFloor().catch(() => undefined);
      throw error;
    }
    if (!stillOffered() || !media?.publisher || this.#media !== media) {
      for (const track of captured) track.stop();
      return;
    }
    this.#setConsent('given');
    const published: Promise<void>[] = [];
    if (tracks.microphone) published.push(this.#startLocal('microphone', async () => tracks.microphone!));
    if (tracks.camera) published.push(this.#startLocal('camera', async () => tracks.camera!));
    const results = await Promise.allSettled(published);
    if (this.mutedByHost) this.#hostMuted();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // A refusal because the floor was taken away meanwhile is not an error: the hand note says it.
    if (failed && this.#hand.state === 'speaking') throw failed.reason;
  }

  /** Operator: declines the floor just offered ("not now"); the sitting keeps playing. */
  async declineFloor(): Promise<void> {
    await this.leaveFloor();
  }

  /** Operator: stops speaking and gives the floor back; the devices are released. */
  async leaveFloor(): Promise<void> {
    await this.#signalling.request({ type: 'floor.leave' });
  }

  /** Host: gives the floor to a raised hand, with audio and/or video. */
  async approve(participantId: string, grants: Grants): Promise<void> {
    await this.#signalling.request({ type: 'hand.approve', participantId, ...grants });
  }

  /** Host: gives the floor to the first in the queue; resolves to who, or null if none. */
  async approveNext(grants: Grants): Promise<string | null> {
    const { participantId } = await this.#signalling.request({ type: 'hand.approveNext', ...grants });
    return participantId;
  }

  /** Host: denies a raised hand. */
  async deny(participantId: string): Promise<void> {
    await this.#signalling.request({ type: 'hand.deny', participantId });
  }

  /** Host: ends a speaker's intervention (the server closes their media at once). */
  async revoke(participantId: string): Promise<void> {
    await this.#signalling.request({ type: 'floor.revoke', participantId });
  }

  /** Host: mutes or unmutes a participant's microphone on the server. */
  async mute(participantId: string, muted: boolean): Promise<void> {
    await this.#signalling.request({ type: 'participant.mute', participantId, muted });
  }

  /** Host: removes a participant from the sitting; they cannot come back to it. */
  async kick(participantId: string): Promise<void> {
    await this.#signalling.request({ type: 'participant.kick', participantId });
  }

  /**
   * Sends a chat line to everyone; throws {@link ChatRateLimitedError} (with the seconds to wait)
   * when the server's rate limit refuses it.
   */
  async sendChat(text: string): Promise<ChatMessage> {
    try {
      const { message } = await this.#signalling.request({ type: 'chat.send', text });
      this.#chat.noteSent();
      if (this.#chat.add(message)) this.#emit('chat', this.chat);
      return message;
    } catch (error) {
      if (error instanceof SignallingError && error.code === 'rate_limited')
        throw new ChatRateLimitedError(this.#chat.retryAfterS(error.message), error.message);
      throw error;
    }
  }

  /** Host: deletes a chat line for everyone. */
  async deleteChat(messageId: string): Promise<void> {
    await this.#signalling.request({ type: 'chat.delete', messageId });
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
    markJoin('firstFrame');
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

  /**
   * Joins the sitting, or with `resume` gets this participant back after a dropped connection or
   * a media reset: the server gives back the same participant (hand, floor, rights) when it still
   * holds it, and keeps the transports when they still work; the page is reconciled with the
   * state it sends (who is there, what is published, the chat, the hand queue, the recording).
   */
  async #join(resume = false): Promise<void> {
    const resuming = resume && this.#participantId !== undefined && this.#phase === 'joined';
    if (!resuming) this.#setPhase('joining');
    try {
      const keepMedia =
        resuming && (this.#media?.receiver.usable ?? false) && (this.#media?.publisher?.usable ?? true);
      // The device the page loaded while the person read it lets the join bring the receive side:
      // also when the media is to be kept, as a resume that reaches a node that does not hold
      // this participant (its node died) is a new join, whose receive side then comes at once.
      if (!keepMedia) await this.#preparing;
      const prepared = this.#device;
      const joined = await this.#signalling.request({
        type: 'join',
        ...(this.#noticeAcknowledged ? { recordingNotice: 'acknowledged' as const } : {}),
        ...(resuming ? { resume: this.#participantId, keepMedia } : {}),
        ...(prepared
          ? {
              receive: {
                rtpCapabilities: prepared.recvRtpCapabilities as never,
                ...(this.#dtls ? { dtlsParameters: this.#dtls.dtlsParameters as never } : {}),
              },
            }
          : {}),
      });
      if (this.#phase !== 'joining' && this.#phase !== 'joined') return;
      const keep = joined.mediaKept && this.#media !== undefined;
      if (!keep) this.#dropMedia();
      this.#participantId = joined.participantId;
      this.#role = joined.role;
      this.#ice = { iceServers: joined.iceServers, iceTransportPolicy: joined.iceTransportPolicy };
      this.#participants = new Map(joined.participants.map((p) => [p.id, p]));
      this.#producers.clear();
      for (const producer of joined.producers) this.#producers.set(producer.producerId, producer);
      this.#setSitting(joined.sitting);
      this.#emit('participants', this.participants);
      // The history holds every line sent meanwhile, once (and none of the deleted ones).
      this.#chat.reset(joined.chat);
      this.#emit('chat', this.chat);
      this.#setQueue(joined.hands);
      this.#setHand({ state: joined.hand, grants: joined.grants });
      this.#setRecording(joined.recording);
      markJoin('join.applied');
      this.#resumeAttempts = 0;
      if (keep && this.#media) {
        this.#refreshIce(this.#media);
        this.#media.receiver.keepOnly(new Set(this.#producers.keys()));
        this.#setResuming(false);
        for (const producer of this.#producers.values()) this.#consume(producer);
        return;
      }

      // A resume onto a router with the same capabilities (a new worker, a new server) keeps the
      // loaded device: only the transports are new.
      const device = await this.#loadDevice(joined.routerRtpCapabilities);
      // The receive side the join made is usable with the device it was asked with.
      const fast = joined.receive && device === prepared ? joined.receive : undefined;
      // Staff and commissioners publish whenever they like; operators only once given the floor
      // (a speaker who comes back keeps it, and publishes again what it had consented to).
      const speaking = joined.role === 'operator' && this.floor === 'speaking' && this.#local.size > 0;
      const publishes = joined.role !== 'operator' || speaking;
      // Three independent round trips at once: after a media reset every one of them is on the
      // way to the sitting's sound and picture coming back.
      const onRemote = (): void => this.#emit('remote', this.remote);
      const settled = await Promise.allSettled([
        fast
          ? undefined
          : this.#signalling.request({
              type: 'media.capabilities',
              rtpCapabilities: device.recvRtpCapabilities as never,
            }),
        fast
          ? Promise.resolve().then(() =>
              Receiver.fromJoin(
                device,
                this.#signalling,
                onRemote,
                this.#mediaState('recv'),
                this.#ice,
                fast,
                this.#dtls,
              ),
            )
          : Receiver.create(device, this.#signalling, onRemote, this.#mediaState('recv'), this.#ice),
        publishes
          ? Publisher.create(
              device,
              this.#signalling,
              speaking ? 'speaker' : 'host',
              this.#mediaState('send'),
              this.#ice,
            )
          : Promise.resolve(undefined),
      ]);
      const [caps, made, sending] = settled;
      if (caps.status === 'rejected' || made.status === 'rejected' || sending.status === 'rejected') {
        // Nothing half-made is kept: whatever was created is closed, the first failure is thrown.
        if (made.status === 'fulfilled') made.value.close();
        if (sending.status === 'fulfilled') sending.value?.close();
        throw [caps, made, sending].find((r) => r.status === 'rejected')!.reason;
      }
      const receiver = made.value;
      const publisher = sending.value;
      const media: JoinedMedia = { device, receiver, ...(publisher ? { publisher } : {}) };
      if ((this.#phase !== 'joining' && this.#phase !== 'joined') || this.#media !== undefined) {
        receiver.close();
        publisher?.close();
        return;
      }
      this.#media = media;
      this.#setPhase('joined');
      this.#setResuming(false);
      if (fast)
        for (const wired of receiver.adopt(fast.consumers)) wired.catch((e: unknown) => this.#fail(e));
      for (const producer of this.#producers.values()) this.#consume(producer);
      // The microphone first: mediasoup-client negotiates one track at a time, and after a media
      // reset the sound of the sitting is what must come back soonest (the record, the listeners).
      const order: MediaSource[] = ['microphone', 'camera', 'screen'];
      for (const source of order) {
        const local = this.#local.get(source);
        if (local) this.#publish(local);
      }
    } catch (error) {
      if (resuming && this.#phase === 'joined' && this.#retryResume(error)) return;
      if (this.#phase === 'joining' || this.#phase === 'joined') this.#teardown('idle');
      this.#setResuming(false);
      throw error;
    }
  }

  /** The device loaded with `routerRtpCapabilities`: the one already loaded with them, or a new one. */
  async #loadDevice(routerRtpCapabilities: unknown): Promise<Device> {
    const capabilities = JSON.stringify(routerRtpCapabilities);
    if (this.#device && this.#deviceCapabilities === capabilities) return this.#device;
    const device = await (this.#options.createDevice ?? (() => Device.factory()))();
    await device.load({ routerRtpCapabilities: routerRtpCapabilities as never });
    this.#device = device;
    markJoin('device');
    this.#deviceCapabilities = capabilities;
    return device;
  }

  /**
   * Gets the media ready while the person reads the sitting's page (issue 15): the device loaded
   * with the router's capabilities and the receive transport's DTLS identity, so that the click
   * costs one request. The capabilities come with the state the connection is told first, or else
   * from `media.prepare`. Once per page, while the sitting is live; best effort: if it fails, the
   * join loads the device itself.
   */
  #prepare(given?: RouterCapabilities): void {
    if (this.#preparing || this.#device || this.#phase === 'closed') return;
    if (!this.#signalling.connected || this.#sitting?.status !== 'live') return;
    if (given) markJoin('media.prepare');
    const preparing: Promise<void> = (async () => {
      const [capabilities, dtls] = await Promise.all([
        given ??
          this.#signalling.request({ type: 'media.prepare' }).then((ready) => ready.routerRtpCapabilities),
        makeDtlsIdentity(),
      ]);
      this.#dtls ??= dtls;
      if (capabilities) await this.#loadDevice(capabilities);
    })().catch(() => {
      // Tried again at the next chance (reconnected, the sitting's state again).
      if (this.#preparing === preparing) this.#preparing = undefined;
    });
    this.#preparing = preparing;
  }

  /**
   * Kept transports get the fresh TURN credentials of the resume's reply, so an ICE restart later
   * does not present expired ones. Best effort: a transport that refuses keeps working as it is.
   */
  #refreshIce(media: JoinedMedia): void {
    const ice = this.#ice;
    if (ice.iceServers.length === 0) return;
    const updates = [media.receiver.updateIceServers(ice), media.publisher?.updateIceServers(ice)];
    Promise.all(updates).catch(() => undefined);
  }

  /**
   * A resume failed: tried again (a few times, a little later each time) when the failure may pass
   * — no answer, the database or the connection briefly gone, the media server still restarting.
   * Returns false when it will not be retried (the caller then leaves the page at the join screen).
   */
  #retryResume(error: unknown): boolean {
    const code = error instanceof SignallingError ? error.code : 'internal';
    // The database out of reach (`unavailable`) or the connection gone again (`offline`) may last
    // a while (an outage of 30 s must not leave the page at the join screen): up to about two
    // minutes. Anything else that may pass: a few tries.
    const patient = code === 'unavailable' || code === 'offline';
    const limit = patient ? RESUME_PATIENT_ATTEMPTS : RESUME_ATTEMPTS;
    if (!['timeout', 'unavailable', 'offline', 'internal'].includes(code) || this.#resumeAttempts >= limit)
      return false;
    this.#resumeAttempts += 1;
    // While offline the connection's return starts the next attempt.
    if (code !== 'offline') {
      setTimeout(
        () => {
          if (this.#resuming && this.#signalling.connected)
            this.#join(true).catch((e: unknown) => this.#fail(e));
        },
        Math.min(500 * this.#resumeAttempts, RESUME_MAX_DELAY_MS),
      );
    }
    return true;
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
        return this.#setSitting(note.sitting, note.routerRtpCapabilities);
      case 'sitting.ended':
        return this.#onEnded(note.sitting);
      case 'recording.state':
        return this.#setRecording(note.recording);
      case 'participants.changed':
        for (const change of note.changes) this.#applyChange(change);
        return this.#emit('participants', this.participants);
      case 'hands.queue':
        return this.#setQueue(note.queue);
      case 'hand.state':
        return this.#setHand({ state: note.hand, grants: note.grants, reason: note.reason });
      case 'chat.message':
        if (this.#chat.add(note.message)) this.#emit('chat', this.chat);
        return;
      case 'chat.deleted':
        if (this.#chat.remove(note.messageId)) this.#emit('chat', this.chat);
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
      case 'server.restarting':
        this.#restarting = true;
        return this.#emit('connection', this.#connection);
      case 'removed':
        // Final: removed, revoked, or replaced by another tab. The server closes the connection
        // (a DISCONNECT: socket.io does not reconnect) and nothing here resumes or rejoins.
        this.#removedReason = note.reason;
        this.#resuming = false;
        this.#rejoinOnConnect = false;
        return this.#teardown('removed');
      default:
        return assertNever(note);
    }
  }

  #onConnection(state: ConnectionState): void {
    this.#connection = state;
    if (state === 'connected' || state === 'refused' || state === 'closed') this.#restarting = false;
    if (state === 'disconnected' && this.#phase === 'joined') {
      // The server holds the participant for a few seconds: the page stays as it is (video may
      // freeze) and the client resumes once the connection is back.
      this.#resuming = true;
    } else if (state === 'disconnected' && this.#phase === 'joining') {
      this.#rejoinOnConnect = true;
      this.#teardown('idle');
    } else if (state === 'refused') {
      this.#resuming = false;
      this.#rejoinOnConnect = false;
      if (this.#phase === 'joined' || this.#phase === 'joining') this.#teardown('idle');
    }
    this.#emit('connection', state);
    if (state !== 'connected') return;
    // Not #prepare() here: every connection is told the sitting's state next, with the
    // capabilities when they are at hand, and that prepares.
    if (this.#resuming && this.#phase === 'joined') {
      this.#join(true).catch((error: unknown) => this.#fail(error));
    } else if (this.#rejoinOnConnect) {
      this.#rejoinOnConnect = false;
      this.#join().catch((error: unknown) => this.#fail(error));
    }
  }

  /** The media server restarted under the sitting: same participant, new transports. */
  #rejoin(): void {
    if (this.#phase !== 'joined') return;
    this.#dropMedia();
    this.#setResuming(true);
    this.#join(true).catch((error: unknown) => this.#fail(error));
  }

  #setResuming(resuming: boolean): void {
    if (this.#resuming === resuming) return;
    this.#resuming = resuming;
    this.#emit('connection', this.#connection);
  }

  /** Follows one transport's ICE: the page says "reconnecting" while the media is cut off. */
  #mediaState(direction: 'send' | 'recv'): (state: string) => void {
    return (state) => {
      const down = state === 'disconnected' || state === 'failed';
      if (down === this.#mediaDown.has(direction)) return;
      if (down) this.#mediaDown.add(direction);
      else this.#mediaDown.delete(direction);
      this.#emit('connection', this.#connection);
    };
  }

  /** Closes the transports, producers and consumers (the captured tracks stay, to publish again). */
  #dropMedia(): void {
    const media = this.#media;
    this.#media = undefined;
    this.#mediaDown.clear();
    media?.publisher?.close();
    media?.receiver.close();
    this.#emit('remote', this.remote);
  }

  #onEnded(sitting: SittingInfo): void {
    this.#rejoinOnConnect = false;
    this.#setResuming(false);
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
    this.#mediaDown.clear();
    this.#producers.clear();
    this.#participants.clear();
    media?.publisher?.close();
    media?.receiver.close();
    // Leaving the sitting drops the hand and any rights on the server too.
    this.#setHand(NO_HAND);
    this.#setQueue([]);
    this.#chat.reset([]);
    this.#setPhase(phase);
    this.#emit('participants', this.participants);
    this.#emit('remote', this.remote);
    this.#emit('chat', this.chat);
  }

  #setHand(hand: HandStatus): void {
    this.#hand = hand;
    if (hand.state !== 'speaking') {
      this.#consent = 'asked';
      this.#stopSpeaking();
    }
    this.#emit('hand', hand);
  }

  #setConsent(consent: Consent): void {
    this.#consent = consent;
    this.#emit('hand', this.#hand);
  }

  /** An operator's floor ended: the server closed the producers; release the devices. */
  #stopSpeaking(): void {
    if (this.#role !== 'operator') return;
    this.#media?.publisher?.dropProducers();
    if (this.#local.size === 0) return;
    for (const local of this.#local.values()) local.track.stop();
    this.#local.clear();
    this.#emit('local', this.#local);
  }

  /** One roster change; a `joined` may be someone this client already has (from its join's reply). */
  #applyChange(change: ParticipantChange): void {
    switch (change.type) {
      case 'participant.joined':
        this.#participants.set(change.participant.id, change.participant);
        return;
      case 'participant.left':
        this.#participants.delete(change.participantId);
        return;
      case 'participant.updated':
        if (!this.#participants.has(change.participant.id)) return;
        this.#participants.set(change.participant.id, change.participant);
        if (change.participant.id === this.#participantId && change.participant.mutedByHost)
          this.#hostMuted();
        return;
      default:
        return assertNever(change);
    }
  }

  /** The host muted this participant on the server: mute here too, so nothing is sent for nothing. */
  #hostMuted(): void {
    const local = this.#local.get('microphone');
    if (!local || local.muted) return;
    this.setMicrophoneMuted(true).catch((error: unknown) => this.#fail(error));
  }

  #setQueue(queue: readonly HandEntry[]): void {
    this.#queue = queue;
    this.#emit('queue', queue);
  }

  /** `routerRtpCapabilities`: given with the state a connection is told first (ADR 0040). */
  #setSitting(sitting: SittingInfo, routerRtpCapabilities?: RouterCapabilities): void {
    this.#sitting = sitting;
    if (sitting.recording) this.#setRecording(sitting.recording);
    this.#emit('sitting', sitting);
    this.#prepare(routerRtpCapabilities);
  }

  #setRecording(recording: RecordingIndicator): void {
    // The gaps change while the state does not (a track stops being recorded, then is again).
    if (sameRecording(this.#recording, recording)) return;
    this.#recording = recording;
    this.#emit('recording', recording);
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

  /** The handshake names the sitting only: the browser's cookies say who this is. */
  #auth(): { sittingId: string } {
    return { sittingId: this.#options.sittingId };
  }
}

/** Whether two recording indicators say the same: state, degraded and the same gaps. */
function sameRecording(a: RecordingIndicator, b: RecordingIndicator): boolean {
  const gapsA = a.gaps ?? [];
  const gapsB = b.gaps ?? [];
  return (
    a.state === b.state &&
    a.degraded === b.degraded &&
    gapsA.length === gapsB.length &&
    gapsA.every((gap, i) => {
      const other = gapsB[i];
      return (
        other !== undefined &&
        gap.participantName === other.participantName &&
        gap.source === other.source &&
        gap.since === other.since
      );
    })
  );
}

function assertNever(value: never): never {
  throw new Error(`unexpected notification ${JSON.stringify(value)}`);
}
