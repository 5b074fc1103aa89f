import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { types } from 'mediasoup';
import { SITTING_KINDS, SITTING_STATUSES } from '../db/schema';

/** Stable error codes on the wire; the only ones a client ever sees. */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  /** A single-use credential (a join token) was already exchanged: HTTP 401. */
  'token_used',
  'forbidden',
  'not_found',
  'invalid_state',
  'rate_limited',
  /** A per-participant limit (transports, producers, consumers) is reached: close one first (429). */
  'limit_reached',
  'payload_too_large',
  'timeout',
  /** A dependency (the database) is out of reach for now: try again shortly. */
  'unavailable',
  'internal',
  /** Bookings (docs/protocol.md, "Bookings"): the request starts too soon (422). */
  'notice_too_short',
  /** Bookings: the slot would exceed MAX_CONCURRENT_SITTINGS or MAX_VIEWERS (409). */
  'capacity',
  /** Bookings: an attachment over BOOKING_ATTACHMENT_MAX_BYTES (413). */
  'attachment_too_large',
  /** Bookings: an attachment of a type outside BOOKING_ATTACHMENT_TYPES (415). */
  'attachment_type',
  /** A booked sitting's operator password is missing or wrong (401). */
  'wrong_password',
  /** A booked sitting's room is not open yet for this role (409); the message names the time. */
  'not_open_yet',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The single error format of every failed request. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

/** Every reply to a request: exactly one of these per request. */
export type Reply<T> = { ok: true; data: T } | { ok: false; error: WireError };

/** Largest accepted request, measured as its JSON text (bigger ones get `payload_too_large`). */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** How long a client waits for a reply before failing the request with `timeout`. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The server pings every connection this often (socket.io `pingInterval`) and drops one that has
 * not answered {@link PING_TIMEOUT_MS} later: a connection that died silently is noticed within
 * 6 s. The client, for its part, says "reconnecting" when no ping arrived for
 * {@link PING_SILENCE_MS}: a cut link shows within about 3 s, before socket.io notices.
 */
export const PING_INTERVAL_MS = 2_000;
export const PING_TIMEOUT_MS = 4_000;
export const PING_SILENCE_MS = 3_200;

/** socket.io event names: requests go up on one event, notifications come down on another. */
export const EVENTS = { request: 'req', notification: 'note' } as const;

export const Id = Type.String({ minLength: 1, maxLength: 64 });

/** Sitting lifecycle: the database column's literals (one list, in db/schema.ts). */
export const SittingStatus = Type.Union(SITTING_STATUSES.map((s) => Type.Literal(s)));
export type SittingStatus = Static<typeof SittingStatus>;

/** Public or reserved: the database column's literals. */
export const SittingKind = Type.Union(SITTING_KINDS.map((k) => Type.Literal(k)));
export type SittingKind = Static<typeof SittingKind>;

export const Role = Type.Union([
  Type.Literal('admin'),
  Type.Literal('host'),
  Type.Literal('commissioner'),
  Type.Literal('operator'),
]);
export type Role = Static<typeof Role>;

/** What a published track is: the host's camera and microphone, or a screen share. */
export const MediaSource = Type.Union([
  Type.Literal('camera'),
  Type.Literal('microphone'),
  Type.Literal('screen'),
]);
export type MediaSource = Static<typeof MediaSource>;

export const MediaKind = Type.Union([Type.Literal('audio'), Type.Literal('video')]);
export type MediaKind = Static<typeof MediaKind>;

/** What everyone is told about a sitting's recording (the indicator and the notice before joining). */
export const RecordingIndicatorState = Type.Union([
  Type.Literal('off'),
  Type.Literal('starting'),
  Type.Literal('recording'),
  Type.Literal('paused'),
  Type.Literal('stopping'),
  Type.Literal('finalizing'),
  Type.Literal('ready'),
  Type.Literal('failed'),
]);
export type RecordingIndicatorState = Static<typeof RecordingIndicatorState>;

/** A track of the sitting that is live but not being recorded right now (the host is warned). */
export const RecordingGap = Type.Object({
  participantName: Type.String(),
  source: MediaSource,
  /** ISO time since when nothing of it is recorded. */
  since: Type.String(),
});
export type RecordingGap = Static<typeof RecordingGap>;

/**
 * The sitting's recording state. 'starting' until the first media of every live track is on disk;
 * `degraded` when part of the sitting is not in the recording; `gaps`: what is missing right now.
 */
export const RecordingIndicator = Type.Object({
  state: RecordingIndicatorState,
  degraded: Type.Boolean(),
  gaps: Type.Optional(Type.Array(RecordingGap)),
});
export type RecordingIndicator = Static<typeof RecordingIndicator>;

/** Public description of a sitting. */
export const SittingInfo = Type.Object({
  id: Id,
  title: Type.String(),
  kind: SittingKind,
  status: SittingStatus,
  scheduledAt: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  /** Whether the sitting is being recorded (absent: never recorded since the server started). */
  recording: Type.Optional(RecordingIndicator),
  /**
   * Nobody who runs the sitting is connected: it waits for them until `deadline` (ISO time), then
   * ends by itself. Absent while a host is present.
   */
  hostAway: Type.Optional(Type.Object({ since: Type.String(), deadline: Type.String() })),
});
export type SittingInfo = Static<typeof SittingInfo>;

/** Where an operator is on the way to speaking: nothing asked, hand raised, or given the floor. */
export const HandState = Type.Union([Type.Literal('none'), Type.Literal('raised'), Type.Literal('speaking')]);
export type HandState = Static<typeof HandState>;

/** What a speaker was allowed to publish (each granted separately by the host). */
export const Grants = Type.Object({ audio: Type.Boolean(), video: Type.Boolean() });
export type Grants = Static<typeof Grants>;

export const ParticipantInfo = Type.Object({
  id: Id,
  name: Type.String(),
  role: Role,
  hand: HandState,
  /** Publishing rights an operator holds right now (staff and commissioners always publish). */
  grants: Grants,
  /** The host muted this participant's microphone on the server. */
  mutedByHost: Type.Boolean(),
  /** The connection dropped: held (hand, floor kept) while the client reconnects. */
  reconnecting: Type.Optional(Type.Boolean()),
});
export type ParticipantInfo = Static<typeof ParticipantInfo>;

/** One raised hand in the host's queue, in the order hands were raised. */
export const HandEntry = Type.Object({
  participantId: Id,
  name: Type.String(),
  raisedAt: Type.String(),
});
export type HandEntry = Static<typeof HandEntry>;

/** Longest chat message, in characters. */
export const CHAT_MAX_CHARS = 2000;
/** Chat rate limit: at most this many messages … */
export const CHAT_RATE_COUNT = 5;
/** … per this many milliseconds, per participant. */
export const CHAT_RATE_WINDOW_MS = 10_000;

/** A chat line as everyone in the sitting sees it; `text` is plain text, never markup. */
export const ChatMessage = Type.Object({
  id: Id,
  participantId: Type.Union([Id, Type.Null()]),
  name: Type.String(),
  role: Role,
  text: Type.String(),
  at: Type.String(),
});
export type ChatMessage = Static<typeof ChatMessage>;

export const ProducerInfo = Type.Object({
  producerId: Id,
  participantId: Id,
  kind: MediaKind,
  source: MediaSource,
  paused: Type.Boolean(),
});
export type ProducerInfo = Static<typeof ProducerInfo>;

/**
 * mediasoup's own parameter objects are checked for shape (an object, at most 16 keys, nesting
 * and sizes bounded by bounds.ts) here and validated in depth by mediasoup itself, which rejects malformed ones with a TypeError we map to bad_request.
 */
function opaque<T>(description: string): TSchema & { static: T } {
  // Nesting, item counts and string lengths inside are bounded for every request (bounds.ts).
  return Type.Unsafe<T>(Type.Object({}, { additionalProperties: true, maxProperties: 16, description }));
}

export const RtpCapabilities = opaque<types.RtpCapabilities>('mediasoup RtpCapabilities');
export const RtpParameters = opaque<types.RtpParameters>('mediasoup RtpParameters');
export const DtlsParameters = opaque<types.DtlsParameters>('mediasoup DtlsParameters');
