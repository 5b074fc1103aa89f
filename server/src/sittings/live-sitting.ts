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
  ConsumerOptions,
  IceSettings,
  JoinResult,
  MediaSource,
  Notification,
  ParticipantChange,
  ParticipantInfo,
  ReceiveMedia,
  RecordingIndicator,
  SittingInfo,
  TransportOptions,
} from '../protocol';
import { AuditCoalescer, type AuditWrite } from './audit-coalescer';
import { Chat } from './chat';
import { Floor, type FloorChange } from './floor';
import { DEFAULT_LIMITS, type Limits } from './limits';
import { Participant, type Identity, type Notify, type TrackFrom } from './participant';
import {
  RosterBatch,
  inPublicRoster,
  rosterViewOf,
  rosterWindowMs,
  type RosterView,
  type SittingRoom,
} from './room';

/** Writes one audit entry about this sitting (`at`: when it happened, default now). */
export type SittingAudit = AuditWrite;

/** What a live sitting needs. */
export interface LiveSittingDeps {
  pool: WorkerPool;
  db: Kysely<Database>;
  logger: Logger;
  audit: SittingAudit;
  /** How long the sitting waits for a host who is gone before it ends by itself. */
  hostGraceMs: number;
  /** Nobody who runs the sitting came back in time: end it (recording stopped and finalized). */
  onHostDeadline: () => void;
  /** TURN relays (fresh credentials) and ICE policy for a joiner; default: none, policy `all`. */
  iceFor?: (identity: Identity) => IceSettings;
  /** A participant joined or left (not on a resume, nor when the sitting closes). */
  onPresence?: (
    change: 'joined' | 'left',
    participantId: string,
    identity: Identity,
    reason?: string,
  ) => void;
  /** A hand or the floor changed (the sitting's register); must not throw. */
  onFloor?: (change: FloorChange) => void;
  /** What each participant may hold (transports, producers, consumers); default DEFAULT_LIMITS. */
  limits?: Limits;
  /** Where notifications for everyone go in one emit; default: each participant's `notify`. */
  room?: SittingRoom;
}

const isRosterChange = (n: Notification | ParticipantChange): n is ParticipantChange =>
  n.type === 'participant.joined' || n.type === 'participant.updated' || n.type === 'participant.left';

const NO_TURN: IceSettings = { iceServers: [], iceTransportPolicy: 'all' };

const STAFF = new Set(['admin', 'host']);
/** Attempts at a replacement router while the pool replaces a dead worker (every 100 ms: 10 s). */
const ROUTER_RETRIES = 100;
const ROUTER_RETRY_MS = 100;
/**
 * How long a participant whose connection dropped is held (hand, floor and media kept) for the
 * client to come back with `join { resume }`. With socket.io's ping (2 s + 4 s) a silent death is
 * seen within 6 s, so a ghost is gone within 13 s.
 */
export const RECONNECT_HOLD_MS = 7_000;
/** Recording states during which a joiner must have acknowledged the recording notice. */
const NOTICE_REQUIRED = new Set(['starting', 'recording', 'paused']);

/** Options of {@link LiveSitting.join}. */
export interface JoinOptions {
  /** The joiner saw the recording notice (required while the sitting is recorded). */
  recordingNotice?: 'acknowledged';
  /** The participant id the client had before its connection dropped (see `join` in the protocol). */
  resume?: string;
  /** With `resume`: the client's transports still work. */
  keepMedia?: boolean;
  /** The connection joining (a resume binds the participant to it). */
  connectionId?: string;
  /** The fast join: make the receive side at once (see `join.receive` in the protocol). */
  receive?: { rtpCapabilities: types.RtpCapabilities; dtlsParameters?: types.DtlsParameters };
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
  /** Participants held after a dropped connection, with the timer that removes them. */
  #holds = new Map<string, NodeJS.Timeout>();
  /** Runs while nobody who runs the sitting is connected; ends the sitting at the deadline. */
  #hostTimer: NodeJS.Timeout | undefined;
  /** The sitting's producers as the recorder sees them (recorder/src/source.ts). */
  readonly recordable: ProducerRegistry;
  /** The sitting's audit entries, in order, with a participant's repeated hand changes coalesced. */
  #audit: AuditCoalescer;
  /** Participants whose connection is in the room (told by its emit), with that connection. */
  #roomed = new Map<string, string>();
  /** Roster changes, gathered per window (longer for larger sittings) into `participants.changed`. */
  #roster = new RosterBatch(
    (changes, except) => this.#sendRoster(changes, except),
    () => rosterWindowMs(this.#participants.size),
  );
  /** The participants the public roster holds, as told so far (ADR 0039). */
  #public = new Set<string>();

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
    this.#audit = new AuditCoalescer(deps.audit, this.#log);
    this.#floor = new Floor({
      participant: (id) => this.participant(id),
      participants: () => this.#participants.values(),
      broadcast: (n) => this.#broadcast(n),
      audit: (by, action, details) => this.#audit.audit(by, action, details),
      record: (change) => deps.onFloor?.(change),
    });
    this.#watchRouter();
  }

  /**
   * Creates the sitting's router on the pool. `awaitHost`: nobody who runs it is connected yet
   * (the server restarted under a live sitting), so the host's grace period starts now.
   */
  static async create(info: SittingInfo, deps: LiveSittingDeps, awaitHost = false): Promise<LiveSitting> {
    const router = await deps.pool.createRouter(info.id);
    const live = new LiveSitting(info, deps, router);
    if (awaitHost) live.#hostPresence();
    return live;
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

  /**
   * Adds a participant, or gives back the one named by `options.resume` when it is still held for
   * this person (hand, floor and rights kept); everyone else is told.
   */
  async join(
    identity: Identity,
    notify: Notify,
    options: JoinOptions = {},
  ): Promise<{ participant: Participant; result: JoinResult }> {
    if (this.#resetting) await this.#resetting;
    if (this.#closed) throw new AppError('invalid_state', 'the sitting is not live');
    const held = options.resume === undefined ? undefined : this.#participants.get(options.resume);
    if (held && held.identity.subject === identity.subject && !held.closed) {
      return this.#resume(held, notify, options);
    }
    const recording = this.#recording;
    if (NOTICE_REQUIRED.has(recording.state)) {
      if (options.recordingNotice !== 'acknowledged')
        throw new AppError(
          'invalid_state',
          'the sitting is being recorded: acknowledge the recording notice',
        );
      // GDPR: the acknowledgement is evidence that the joiner was told before entering.
      await this.#audit.audit(identity, 'recording.notice.acknowledged', { recordingState: recording.state });
    }
    const chat = await this.#chat.history();
    if (this.#closed) throw new AppError('invalid_state', 'the sitting is not live');
    // One live participant per identity (as LiveKit does): the same person in a new tab or on
    // another device replaces the old one, which is told why (its connection then closes).
    for (const p of [...this.#participants.values()]) {
      if (p.identity.subject !== identity.subject) continue;
      p.notify({ type: 'removed', reason: 'replaced' });
      this.leave(p.id, 'replaced by a new connection');
    }
    const id = randomUUID();
    const participant = new Participant(id, identity, this.#router, notify, {
      connectionId: options.connectionId ?? id,
      limits: this.#deps.limits ?? DEFAULT_LIMITS,
      logger: this.#log,
    });
    this.#participants.set(participant.id, participant);
    this.#enterRoom(participant);
    const info = this.#floor.infoOf(participant);
    this.#broadcast({ type: 'participant.joined', participant: info }, participant.id);
    this.#log.info(
      { participantId: participant.id, role: identity.role, subject: identity.subject },
      'joined',
    );
    this.#deps.onPresence?.('joined', participant.id, identity);
    this.#hostPresence();
    const receive = options.receive ? await this.#receive(participant, options.receive) : undefined;
    return { participant, result: this.#joinResult(participant, chat, false, false, receive) };
  }

  /**
   * The fast join's receive side: a recv transport (connected at once when the client gave its
   * DTLS identity) and a running consumer of every track the others publish now. Undefined when
   * the transport cannot be made; a track that cannot be consumed is left out. The client asks
   * for what is missing the usual way (`transport.create`, `consume`).
   */
  async #receive(
    participant: Participant,
    receive: NonNullable<JoinOptions['receive']>,
  ): Promise<ReceiveMedia | undefined> {
    participant.setRtpCapabilities(receive.rtpCapabilities);
    let transport: TransportOptions;
    try {
      transport = await participant.createTransport('recv');
      if (receive.dtlsParameters)
        await participant.connectTransport(transport.transportId, receive.dtlsParameters);
    } catch (err) {
      this.#log.warn({ err, participantId: participant.id }, 'fast join: no receive transport');
      return undefined;
    }
    const others = [...this.#participants.values()].filter((p) => p !== participant);
    const made = await Promise.allSettled(
      others.flatMap((owner) =>
        owner.producers.map(async (info) =>
          participant.consume(transport.transportId, owner.producer(info.producerId), owner, {
            paused: false,
          }),
        ),
      ),
    );
    const consumers: ConsumerOptions[] = [];
    for (const result of made) {
      // A producer closed meanwhile took its consumer along: the reply leaves it out.
      if (result.status === 'fulfilled' && participant.hasConsumer(result.value.consumerId))
        consumers.push(result.value);
    }
    return { transport, connected: receive.dtlsParameters !== undefined, consumers };
  }

  /** Gives a held participant back to its client, on the connection it came back on. */
  async #resume(
    participant: Participant,
    notify: Notify,
    options: JoinOptions,
  ): Promise<{ participant: Participant; result: JoinResult }> {
    const chat = await this.#chat.history();
    if (this.#closed || participant.closed) throw new AppError('invalid_state', 'the sitting is not live');
    clearTimeout(this.#holds.get(participant.id));
    this.#holds.delete(participant.id);
    const wasAway = participant.away;
    // Taken over from a connection that still looks open (another tab, or a link the server has
    // not yet seen die): that one is told it was replaced.
    const connectionId = options.connectionId ?? participant.id;
    if (!wasAway && participant.connectionId !== connectionId)
      participant.notify({ type: 'removed', reason: 'replaced' });
    participant.attach(connectionId, notify);
    this.#enterRoom(participant);
    const mediaKept = options.keepMedia === true && !participant.mediaReset;
    if (!mediaKept) participant.resetMedia(this.#router, false);
    participant.clearMediaReset();
    if (wasAway)
      this.#broadcast({ type: 'participant.updated', participant: this.#floor.infoOf(participant) });
    this.#log.info({ participantId: participant.id, mediaKept }, 'resumed');
    this.#hostPresence();
    const receive =
      !mediaKept && options.receive ? await this.#receive(participant, options.receive) : undefined;
    return { participant, result: this.#joinResult(participant, chat, true, mediaKept, receive) };
  }

  #joinResult(
    participant: Participant,
    chat: ChatMessage[],
    resumed: boolean,
    mediaKept: boolean,
    receive?: ReceiveMedia,
  ): JoinResult {
    const others = [...this.#participants.values()].filter((p) => p !== participant);
    const info = this.#floor.infoOf(participant);
    const full = rosterViewOf(participant.identity.role) === 'full';
    const roster: ParticipantInfo[] = [info];
    for (const p of others) if (full || this.#floor.inPublicRoster(p)) roster.push(this.#floor.infoOf(p));
    return {
      participantId: participant.id,
      role: participant.identity.role,
      sitting: this.#info,
      routerRtpCapabilities: this.#router.rtpCapabilities,
      participants: roster,
      producers: others.flatMap((p) => p.producers),
      chat,
      hands: STAFF.has(participant.identity.role) ? this.#floor.queue() : [],
      hand: info.hand,
      grants: info.grants,
      recording: this.#recording,
      resumed,
      mediaKept,
      ...(this.#deps.iceFor?.(participant.identity) ?? NO_TURN),
      ...(receive ? { receive } : {}),
    };
  }

  /**
   * The participant's connection dropped: it is held (hand, floor, media) for
   * {@link RECONNECT_HOLD_MS}, shown as reconnecting, then removed unless its client came back.
   */
  away(participantId: string, reason: string): void {
    const participant = this.#participants.get(participantId);
    if (!participant || participant.away || this.#closed) return;
    participant.markAway();
    this.#leaveRoom(participantId);
    this.#broadcast({ type: 'participant.updated', participant: this.#floor.infoOf(participant) });
    this.#log.info({ participantId, reason }, 'connection lost; held for a resume');
    const hold = setTimeout(
      () => this.leave(participantId, `did not come back: ${reason}`),
      RECONNECT_HOLD_MS,
    );
    hold.unref();
    this.#holds.set(participantId, hold);
    this.#hostPresence();
  }

  /** Removes a participant and closes everything they owned; idempotent. */
  leave(participantId: string, reason = 'left'): void {
    const participant = this.#participants.get(participantId);
    if (!participant) return;
    clearTimeout(this.#holds.get(participantId));
    this.#holds.delete(participantId);
    this.#participants.delete(participantId);
    this.#leaveRoom(participantId);
    this.#floor.forget(participantId, participant.identity);
    const producerIds = participant.producers.map((p) => p.producerId);
    participant.close();
    for (const producerId of producerIds) this.#broadcast({ type: 'producer.closed', producerId });
    this.#broadcast({ type: 'participant.left', participantId });
    this.#log.info({ participantId, reason }, 'left');
    this.#deps.onPresence?.('left', participantId, participant.identity, reason);
    this.#hostPresence();
  }

  /**
   * Whether someone who runs the sitting (admin or host) is connected. When the last one goes,
   * everyone is told (`hostAway` in the sitting's state) and the sitting waits for them for the
   * grace period, then ends by itself; when one is back, the notice goes.
   */
  #hostPresence(): void {
    if (this.#closed) return;
    const present = [...this.#participants.values()].some((p) => STAFF.has(p.identity.role) && !p.away);
    if (present && this.#info.hostAway) {
      clearTimeout(this.#hostTimer);
      this.#hostTimer = undefined;
      const { hostAway: _gone, ...info } = this.#info;
      this.#info = info;
      this.#log.info('the host is back');
      this.#broadcast({ type: 'sitting.state', sitting: this.#info });
    } else if (!present && !this.#info.hostAway) {
      const since = new Date();
      const deadline = new Date(since.getTime() + this.#deps.hostGraceMs);
      this.#info = {
        ...this.#info,
        hostAway: { since: since.toISOString(), deadline: deadline.toISOString() },
      };
      this.#log.warn({ deadline: deadline.toISOString() }, 'nobody runs the sitting; waiting for the host');
      this.#broadcast({ type: 'sitting.state', sitting: this.#info });
      this.#hostTimer = setTimeout(() => {
        this.#hostTimer = undefined;
        if (this.#closed || !this.#info.hostAway) return;
        this.#log.warn('the host did not come back in time: ending the sitting');
        this.#deps.onHostDeadline();
      }, this.#deps.hostGraceMs);
      this.#hostTimer.unref();
    }
  }

  /**
   * Publishes a track coming `from` the client's send transport or the pipe from its edge node, if
   * the participant may at this moment, and announces it to everyone else.
   */
  async produce(
    participant: Participant,
    from: TrackFrom,
    kind: types.MediaKind,
    source: MediaSource,
    rtpParameters: types.RtpParameters,
  ): Promise<string> {
    this.#floor.checkProduce(participant, kind, source);
    const producer = await participant.produce(from, kind, source, rtpParameters);
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
    await this.#audit.audit(by, 'chat.delete', { messageId, author: message.name, text: message.text });
  }

  /** Writes the audit entries still gathered (repeated hand changes): before the sitting ends. */
  flushAudit(): Promise<void> {
    return this.#audit.flush();
  }

  /**
   * Tells every participant (but `except`). A roster change joins the roster's batch (sent at once
   * or with the others of its window, see RosterBatch); any other notification first sends what
   * the batch holds, so everyone sees the sitting's changes in the order they happened.
   */
  #broadcast(n: Notification | ParticipantChange, except?: string): void {
    if (isRosterChange(n)) return this.#roster.add(n, except);
    this.#roster.flush();
    this.#send(n, except);
  }

  /**
   * Sends a notification to every participant (but `except`): one emit to the room, encoded once,
   * and one `notify` each to those whose connection is not in it.
   */
  #send(n: Notification, except?: string, view?: RosterView): void {
    if (this.#roomed.size > 0)
      this.#deps.room?.emit(n, except === undefined ? undefined : this.#roomed.get(except), view);
    for (const p of this.#participants.values()) {
      if (p.id === except || this.#roomed.has(p.id)) continue;
      if (view === undefined || rosterViewOf(p.identity.role) === view) p.notify(n);
    }
  }

  /**
   * Sends a batch of roster changes (ADR 0039): all of them to those told the full roster; to the
   * operators, only what the public roster gains or loses — an operator given the floor is
   * `joined` to it, one who leaves the floor `left` — and to an operator outside it, its own
   * updates, alone.
   */
  #sendRoster(changes: ParticipantChange[], except?: string): void {
    this.#send({ type: 'participants.changed', changes }, except, 'full');
    const shown: ParticipantChange[] = [];
    const own: { type: 'participant.joined' | 'participant.updated'; participant: ParticipantInfo }[] = [];
    for (const change of changes) {
      const id = change.type === 'participant.left' ? change.participantId : change.participant.id;
      const visible = change.type !== 'participant.left' && inPublicRoster(change.participant);
      if (visible) {
        shown.push(
          this.#public.has(id) ? change : { type: 'participant.joined', participant: change.participant },
        );
        this.#public.add(id);
      } else if (this.#public.delete(id)) {
        shown.push({ type: 'participant.left', participantId: id });
        // Itself, told it left the public roster, gets its own entry back.
        if (change.type !== 'participant.left')
          own.push({ type: 'participant.joined', participant: change.participant });
      } else if (change.type === 'participant.updated') own.push(change);
    }
    if (shown.length > 0) this.#send({ type: 'participants.changed', changes: shown }, except, 'public');
    // Only operators are ever outside the public roster, so each of these is told the public view.
    for (const change of own) {
      const p = this.#participants.get(change.participant.id);
      if (p && p.id !== except) p.notify({ type: 'participants.changed', changes: [change] });
    }
  }

  /** Puts a participant's connection in the room, when the room can reach it (its only one there). */
  #enterRoom(participant: Participant): void {
    this.#leaveRoom(participant.id);
    if (this.#deps.room?.add(participant.connectionId, rosterViewOf(participant.identity.role)))
      this.#roomed.set(participant.id, participant.connectionId);
  }

  /** Takes a participant's connection out of the room: it is no longer told what everyone is. */
  #leaveRoom(participantId: string): void {
    const connectionId = this.#roomed.get(participantId);
    if (connectionId === undefined) return;
    this.#roomed.delete(participantId);
    this.#deps.room?.remove(connectionId);
  }

  /** Ends the sitting's media: everyone is told `sitting.ended`, then every participant is closed. */
  close(ended: SittingInfo): void {
    if (!this.#stopTimers()) return;
    this.#info = ended;
    this.recordable.close();
    this.#broadcast({ type: 'sitting.ended', sitting: ended });
    this.#roster.close();
    for (const id of [...this.#roomed.keys()]) this.#leaveRoom(id);
    for (const p of this.#participants.values()) p.close();
    this.#participants.clear();
    this.#router.close();
  }

  /**
   * The server is shutting down (the sitting stays live in the database): stops the timers and
   * closes the media without telling anyone the sitting ended; the clients reconnect to the next
   * server, which restores the sitting.
   */
  shutdown(): void {
    if (!this.#stopTimers()) return;
    this.#roster.close();
    for (const id of [...this.#roomed.keys()]) this.#leaveRoom(id);
    this.#router.close();
  }

  /** Marks the sitting closed and stops its timers (host grace, held participants); false if it already was. */
  #stopTimers(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    clearTimeout(this.#hostTimer);
    for (const timer of this.#holds.values()) clearTimeout(timer);
    this.#holds.clear();
    return true;
  }

  #watchRouter(): void {
    this.#router.on('close', (reason) => {
      if (this.#closed || reason !== 'worker-died') return;
      this.#log.error('media worker died; moving the sitting to a new router');
      this.#resetting = this.#replaceRouter();
    });
  }

  /**
   * Makes a new router (retrying while the pool replaces the dead worker), then moves every
   * participant to it and tells them `media.reset`: they keep their place (hand, floor, rights),
   * make new transports and publish again. Until a participant joins again (`resume`), nothing
   * else is accepted from it.
   */
  async #replaceRouter(): Promise<void> {
    for (let attempt = 1; attempt <= ROUTER_RETRIES && !this.#closed; attempt++) {
      try {
        this.#router = await this.#deps.pool.createRouter(this.#info.id);
        break;
      } catch (err) {
        if (attempt % 10 === 1) this.#log.warn({ err, attempt }, 'could not create a replacement router yet');
        await new Promise((r) => setTimeout(r, ROUTER_RETRY_MS));
      }
    }
    if (this.#closed) return;
    this.#watchRouter();
    for (const p of this.#participants.values()) {
      p.resetMedia(this.#router, true);
      p.notify({ type: 'media.reset' });
    }
    this.#log.info(
      { participants: this.#participants.size },
      'sitting moved to a new router; clients rejoin',
    );
    this.#resetting = undefined;
  }
}
