import type { Logger } from 'pino';
import type { AccessService } from '../auth/access-service';
import { AppError } from '../errors';
import type { Notification, ReplyData, RequestOf, RequestType } from '../protocol';
import type { LiveSitting } from '../sittings/live-sitting';
import type { Identity, Participant } from '../sittings/participant';
import type { SittingService } from '../sittings/service';
import type { SignallingMetrics } from './metrics';

/** One client connection: who it is, which sitting, and its participant once joined. */
export interface Connection {
  readonly id: string;
  readonly sittingId: string;
  readonly identity: Identity;
  readonly notify: (n: Notification) => void;
  /** Closes the transport without a DISCONNECT packet, so the client reconnects and resumes. */
  readonly drop?: () => void;
  joined?: { live: LiveSitting; participant: Participant };
}

/** What handlers may use. */
export interface HandlerDeps {
  sittings: SittingService;
  access: AccessService;
  logger: Logger;
  /** Where requests and clients' reports are counted, when the server has metrics. */
  metrics?: SignallingMetrics;
}

type Handler<T extends RequestType> = (
  c: Connection,
  m: RequestOf<T>,
  deps: HandlerDeps,
) => Promise<ReplyData[T]>;

const EMPTY = {} as Record<string, never>;

/**
 * The participant this connection speaks for, or `invalid_state`: also when it is gone on the
 * server (left, removed, the sitting ended, or taken over by a resume on another connection), and
 * after a media reset until the client joins again.
 */
function joined(c: Connection) {
  forgetIfGone(c);
  if (!c.joined) throw new AppError('invalid_state', 'join the sitting first');
  if (c.joined.participant.mediaReset)
    throw new AppError('invalid_state', 'the media server restarted: join again (resume)');
  return c.joined;
}

function forgetIfGone(c: Connection): void {
  const j = c.joined;
  if (j && (j.live.closed || j.participant.closed || j.participant.connectionId !== c.id))
    c.joined = undefined;
}

/** Leaves the sitting this connection joined, if any (the participant asked to). */
export function leaveSitting(c: Connection, reason: string): void {
  forgetIfGone(c);
  if (!c.joined) return;
  c.joined.live.leave(c.joined.participant.id, reason);
  c.joined = undefined;
}

/** The socket dropped: the participant is held for a while for the client to resume. */
export function connectionLost(c: Connection, reason: string): void {
  forgetIfGone(c);
  if (!c.joined) return;
  c.joined.live.away(c.joined.participant.id, reason);
  c.joined = undefined;
}

/**
 * One handler per request type: each calls exactly one domain method. Validation and permission
 * checks happened before (see dispatch.ts); no business logic lives here.
 */
export const handlers: { [T in RequestType]: Handler<T> } = {
  async join(c, m, { sittings }) {
    forgetIfGone(c);
    // Joined already: only a resume of this very participant (after a media reset) is accepted.
    if (c.joined && m.resume !== c.joined.participant.id)
      throw new AppError('invalid_state', 'already joined');
    const live = await sittings.live(c.sittingId);
    const { participant, result } = await live.join(c.identity, c.notify, {
      recordingNotice: m.recordingNotice,
      resume: m.resume,
      keepMedia: m.keepMedia,
      connectionId: c.id,
      receive: m.receive,
    });
    c.joined = { live, participant };
    return result;
  },
  async leave(c) {
    leaveSitting(c, 'left');
    return EMPTY;
  },
  async 'sitting.start'(c, _m, { sittings }) {
    return { sitting: await sittings.start(c.sittingId, c.identity) };
  },
  async 'sitting.end'(c, _m, { sittings }) {
    return { sitting: await sittings.end(c.sittingId, c.identity) };
  },
  async 'media.prepare'(c, _m, { sittings }) {
    return { routerRtpCapabilities: (await sittings.live(c.sittingId)).router.rtpCapabilities };
  },
  async 'media.capabilities'(c, m) {
    joined(c).participant.setRtpCapabilities(m.rtpCapabilities);
    return EMPTY;
  },
  async 'transport.create'(c, m) {
    return joined(c).participant.createTransport(m.direction);
  },
  async 'transport.restartIce'(c, m) {
    return { iceParameters: await joined(c).participant.restartIce(m.transportId) };
  },
  async 'transport.connect'(c, m) {
    await joined(c).participant.connectTransport(m.transportId, m.dtlsParameters);
    return EMPTY;
  },
  async produce(c, m) {
    const { live, participant } = joined(c);
    return {
      producerId: await live.produce(
        participant,
        { transportId: m.transportId },
        m.kind,
        m.source,
        m.rtpParameters,
      ),
    };
  },
  async 'producer.close'(c, m) {
    joined(c).participant.producer(m.producerId).close();
    return EMPTY;
  },
  async 'producer.pause'(c, m) {
    await joined(c).participant.producer(m.producerId).pause();
    return EMPTY;
  },
  async 'producer.resume'(c, m) {
    await joined(c).participant.resumeProducer(m.producerId);
    return EMPTY;
  },
  async consume(c, m) {
    const { live, participant } = joined(c);
    const { producer, owner } = live.findProducer(m.producerId);
    return participant.consume(m.transportId, producer, owner);
  },
  async 'consumer.resume'(c, m) {
    await joined(c).participant.consumer(m.consumerId).resume();
    return EMPTY;
  },
  async 'consumer.pause'(c, m) {
    await joined(c).participant.consumer(m.consumerId).pause();
    return EMPTY;
  },
  async 'consumer.viewSize'(c, m) {
    return { spatialLayer: await joined(c).participant.setViewSize(m.consumerId, m.width, m.height) };
  },
  async 'hand.raise'(c) {
    const { live, participant } = joined(c);
    await live.floor.raise(participant);
    return EMPTY;
  },
  async 'hand.lower'(c) {
    const { live, participant } = joined(c);
    await live.floor.lower(participant);
    return EMPTY;
  },
  async 'hand.approve'(c, m) {
    await joined(c).live.floor.approve(c.identity, m.participantId, { audio: m.audio, video: m.video });
    return EMPTY;
  },
  async 'hand.approveNext'(c, m) {
    return {
      participantId: await joined(c).live.floor.approveNext(c.identity, { audio: m.audio, video: m.video }),
    };
  },
  async 'hand.deny'(c, m) {
    await joined(c).live.floor.deny(c.identity, m.participantId);
    return EMPTY;
  },
  async 'floor.revoke'(c, m) {
    await joined(c).live.floor.revoke(c.identity, m.participantId);
    return EMPTY;
  },
  async 'floor.leave'(c) {
    const { live, participant } = joined(c);
    await live.floor.revoke(c.identity, participant.id, 'left');
    return EMPTY;
  },
  async 'participant.mute'(c, m) {
    await joined(c).live.floor.mute(c.identity, m.participantId, m.muted);
    return EMPTY;
  },
  async 'participant.kick'(c, m, { access }) {
    await access.kick(joined(c).live, m.participantId, c.identity);
    return EMPTY;
  },
  async 'chat.send'(c, m) {
    const { live, participant } = joined(c);
    return { message: await live.sendChat(participant, m.text) };
  },
  async 'chat.delete'(c, m) {
    await joined(c).live.deleteChat(c.identity, m.messageId);
    return EMPTY;
  },
  async 'recording.start'(c, _m, { sittings }) {
    return { recording: await sittings.recordingControls().start(joined(c).live, c.identity) };
  },
  async 'recording.pause'(c, _m, { sittings }) {
    return { recording: await sittings.recordingControls().pause(joined(c).live, c.identity) };
  },
  async 'recording.resume'(c, _m, { sittings }) {
    return { recording: await sittings.recordingControls().resume(joined(c).live, c.identity) };
  },
  async 'recording.stop'(c, _m, { sittings }) {
    return { recording: await sittings.recordingControls().stop(joined(c).live, c.identity) };
  },
  async 'stats.report'(c, m, { logger, metrics }) {
    const { participant } = joined(c);
    metrics?.joinToFirstFrame(m.joinToFirstFrameMs);
    logger.info(
      { sittingId: c.sittingId, participantId: participant.id, joinToFirstFrameMs: m.joinToFirstFrameMs },
      'join to first frame',
    );
    return EMPTY;
  },
};
