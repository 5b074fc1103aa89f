import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { types } from 'mediasoup';
import {
  CHAT_MAX_CHARS,
  DtlsParameters,
  Id,
  MediaKind,
  MediaSource,
  RtpCapabilities,
  RtpParameters,
  type ChatMessage,
  type HandEntry,
  type HandState,
  type Grants,
  type ParticipantInfo,
  type ProducerInfo,
  type RecordingIndicator,
  type Role,
  type SittingInfo,
} from './common';

const req = <T extends string, P extends Record<string, TSchema>>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false });

/** Every request a client may send, keyed by `type`: one schema each. */
export const RequestSchemas = {
  /** Enter the live sitting as a participant (identity comes from the connection's credentials). */
  join: req('join', {
    /** Required while the sitting is recorded or paused: the joiner saw the recording notice. */
    recordingNotice: Type.Optional(Type.Literal('acknowledged')),
    /**
     * Coming back after a dropped connection: the participant id this client had. The server gives
     * the same participant back (hand, floor, rights kept) when it is still held for this person;
     * otherwise the join is an ordinary one (`resumed: false` in the reply).
     */
    resume: Type.Optional(Id),
    /**
     * With `resume`: the client's transports still work, keep them (the reply then lists only the
     * state to reconcile). Without it, the server closes the participant's media and the client
     * makes new transports.
     */
    keepMedia: Type.Optional(Type.Boolean()),
    /**
     * The fast way in: the device's receive capabilities (its device loaded after `media.prepare`)
     * and, when the client knows it already, the DTLS identity of its receive transport. The reply
     * then carries a receive transport (connected when `dtlsParameters` was given) and a consumer
     * of every track published so far (`receive` in {@link JoinResult}), instead of the client
     * asking for them one request at a time. Ignored when the transports are kept.
     */
    receive: Type.Optional(
      Type.Object(
        { rtpCapabilities: RtpCapabilities, dtlsParameters: Type.Optional(DtlsParameters) },
        { additionalProperties: false },
      ),
    ),
  }),
  /**
   * Before joining (the page shows the sitting's details): the router's capabilities, so the
   * client loads its device before the person clicks "join". Carries no media and no state.
   */
  'media.prepare': req('media.prepare', {}),
  /** The client's device capabilities (after loading the router's); required before `consume`. */
  'media.capabilities': req('media.capabilities', { rtpCapabilities: RtpCapabilities }),
  /** Leave the sitting; everything this participant owned is closed. */
  leave: req('leave', {}),
  /** Host: scheduled → live. */
  'sitting.start': req('sitting.start', {}),
  /** Host: live → ended. Every client is told; all media closes. */
  'sitting.end': req('sitting.end', {}),
  /** Create a WebRTC transport for sending or receiving. */
  'transport.create': req('transport.create', {
    direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]),
  }),
  /** ICE failed on the client: new ICE credentials for the transport (the client restarts ICE). */
  'transport.restartIce': req('transport.restartIce', { transportId: Id }),
  /** Complete a transport's DTLS handshake parameters. */
  'transport.connect': req('transport.connect', { transportId: Id, dtlsParameters: DtlsParameters }),
  /** Publish a track (only roles allowed to publish). */
  produce: req('produce', {
    transportId: Id,
    kind: MediaKind,
    source: MediaSource,
    rtpParameters: RtpParameters,
  }),
  /** Stop publishing a track. */
  'producer.close': req('producer.close', { producerId: Id }),
  /** Mute a published track (server-side pause: nobody receives it). */
  'producer.pause': req('producer.pause', { producerId: Id }),
  /** Unmute a published track. */
  'producer.resume': req('producer.resume', { producerId: Id }),
  /** Receive a producer: the consumer is created paused; resume it once the track is wired up. */
  consume: req('consume', { transportId: Id, producerId: Id }),
  'consumer.resume': req('consumer.resume', { consumerId: Id }),
  'consumer.pause': req('consumer.pause', { consumerId: Id }),
  /** The size at which the viewer shows a video: the server picks the simulcast layer from it. */
  'consumer.viewSize': req('consumer.viewSize', {
    consumerId: Id,
    width: Type.Integer({ minimum: 0, maximum: 16384 }),
    height: Type.Integer({ minimum: 0, maximum: 16384 }),
  }),
  /** Operator: raise the hand to ask to speak (joins the host's queue at the end). */
  'hand.raise': req('hand.raise', {}),
  /** Operator: lower the own hand (leaves the queue). */
  'hand.lower': req('hand.lower', {}),
  /** Host: give the floor to a participant whose hand is raised, with audio and/or video. */
  'hand.approve': req('hand.approve', { participantId: Id, audio: Type.Boolean(), video: Type.Boolean() }),
  /** Host: give the floor to the first in the queue. */
  'hand.approveNext': req('hand.approveNext', { audio: Type.Boolean(), video: Type.Boolean() }),
  /** Host: deny a raised hand (it leaves the queue). */
  'hand.deny': req('hand.deny', { participantId: Id }),
  /** Host: end a speaker's intervention; the server closes their producers at once. */
  'floor.revoke': req('floor.revoke', { participantId: Id }),
  /** Speaker: stop speaking (gives the floor back). */
  'floor.leave': req('floor.leave', {}),
  /** Host: mute or unmute a participant's microphone on the server. */
  'participant.mute': req('participant.mute', { participantId: Id, muted: Type.Boolean() }),
  /** Host: remove a participant, who is told `removed` and may not come back to this sitting. */
  'participant.kick': req('participant.kick', { participantId: Id }),
  /** Send a chat line to everyone in the sitting (plain text). */
  'chat.send': req('chat.send', { text: Type.String({ minLength: 1, maxLength: CHAT_MAX_CHARS }) }),
  /** Host: delete a chat line for everyone. */
  'chat.delete': req('chat.delete', { messageId: Id }),
  /** Host: start recording the sitting. */
  'recording.start': req('recording.start', {}),
  /** Host: pause the recording (the paused time is left out of the final file). */
  'recording.pause': req('recording.pause', {}),
  /** Host: resume a paused recording. */
  'recording.resume': req('recording.resume', {}),
  /** Host: stop the recording; the final file is then made in the background. */
  'recording.stop': req('recording.stop', {}),
  /** Client-measured quality figures, logged by the server. */
  'stats.report': req('stats.report', {
    joinToFirstFrameMs: Type.Number({ minimum: 0, maximum: 3_600_000 }),
  }),
} as const;

/** A request's `type`. */
export type RequestType = keyof typeof RequestSchemas;

/** The request message of a given type. */
export type RequestOf<T extends RequestType> = Static<(typeof RequestSchemas)[T]>;

/** The discriminated union of every request. */
export type Request = { [T in RequestType]: RequestOf<T> }[RequestType];

/** Server-side description of a transport the client must mirror. */
export interface TransportOptions {
  transportId: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

/**
 * Reply to `join` with `receive`: the receive transport and a consumer of each track published
 * at that moment. These consumers run from the start (not paused): nothing flows before the
 * client's DTLS handshake, which it starts only once it has applied all of them.
 */
export interface ReceiveMedia {
  transport: TransportOptions;
  /** Whether the server connected the transport with the `dtlsParameters` the join gave. */
  connected: boolean;
  consumers: ConsumerOptions[];
}

/** Reply to `consume`. */
export interface ConsumerOptions {
  consumerId: string;
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone' | 'screen';
  rtpParameters: types.RtpParameters;
  type: types.ConsumerType;
  producerPaused: boolean;
}

/** A STUN/TURN server for the browser's RTCPeerConnection (`RTCIceServer`). */
export interface IceServer {
  urls: string[];
  /** TURN: `<expiry unix seconds>:<subject>` (coturn's `use-auth-secret`). */
  username?: string;
  /** TURN: base64(HMAC-SHA1(TURN_SECRET, username)). */
  credential?: string;
}

/** `all`: any candidate (host, TCP, relay); `relay`: only through the TURN servers. */
export type IceTransportPolicy = 'all' | 'relay';

/** How the client's transports reach the server: TURN relays and the transport policy. */
export interface IceSettings {
  /** Empty when the server offers no TURN. */
  iceServers: IceServer[];
  iceTransportPolicy: IceTransportPolicy;
}

/** Reply to `join`. */
export interface JoinResult {
  participantId: string;
  role: Role;
  sitting: SittingInfo;
  routerRtpCapabilities: types.RtpCapabilities;
  participants: ParticipantInfo[];
  producers: ProducerInfo[];
  /** Chat history, oldest first (the latest {@link CHAT_HISTORY_LIMIT} lines). */
  chat: ChatMessage[];
  /** The raised-hand queue (staff only; empty for others). */
  hands: HandEntry[];
  /** The joiner's own hand and rights (a new participant starts with none). */
  hand: HandState;
  grants: Grants;
  /** The sitting's recording state, for the indicator. */
  recording: RecordingIndicator;
  /** This is the participant the client asked to resume (hand, floor and rights kept). */
  resumed: boolean;
  /** With `resumed` and `keepMedia`: the client's transports and producers are still there. */
  mediaKept: boolean;
  /** TURN relays with credentials fresh for this join; empty when the server offers none. */
  iceServers: IceServer[];
  /** Passed to every transport the client makes (`relay`: TURN only). */
  iceTransportPolicy: IceTransportPolicy;
  /** With `receive` in the request (and the media not kept): the receive side, made at once. */
  receive?: ReceiveMedia;
}

/** How many past chat lines a joiner receives. */
export const CHAT_HISTORY_LIMIT = 200;

/** What each request's successful reply carries. */
export interface ReplyData {
  join: JoinResult;
  'media.capabilities': Record<string, never>;
  'media.prepare': { routerRtpCapabilities: types.RtpCapabilities };
  leave: Record<string, never>;
  'sitting.start': { sitting: SittingInfo };
  'sitting.end': { sitting: SittingInfo };
  'transport.create': TransportOptions;
  'transport.connect': Record<string, never>;
  'transport.restartIce': { iceParameters: types.IceParameters };
  produce: { producerId: string };
  'producer.close': Record<string, never>;
  'producer.pause': Record<string, never>;
  'producer.resume': Record<string, never>;
  consume: ConsumerOptions;
  'consumer.resume': Record<string, never>;
  'consumer.pause': Record<string, never>;
  'consumer.viewSize': { spatialLayer: number };
  'hand.raise': Record<string, never>;
  'hand.lower': Record<string, never>;
  'hand.approve': Record<string, never>;
  'hand.approveNext': { participantId: string | null };
  'hand.deny': Record<string, never>;
  'floor.revoke': Record<string, never>;
  'floor.leave': Record<string, never>;
  'participant.mute': Record<string, never>;
  'participant.kick': Record<string, never>;
  'chat.send': { message: ChatMessage };
  'chat.delete': Record<string, never>;
  'stats.report': Record<string, never>;
  'recording.start': { recording: RecordingIndicator };
  'recording.pause': { recording: RecordingIndicator };
  'recording.resume': { recording: RecordingIndicator };
  'recording.stop': { recording: RecordingIndicator };
}
