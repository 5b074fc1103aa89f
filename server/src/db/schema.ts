/**
 * The one description of the database for Kysely. Column types use the domain's string-literal
 * unions, so a status the database would reject does not type-check either. Migrations in
 * /migrations create exactly these tables; keep both in step.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Lifecycle of a sitting: scheduled → live → ended, or cancelled before it starts. */
export const SITTING_STATUSES = ['scheduled', 'live', 'ended', 'cancelled'] as const;
/** Lifecycle state of a sitting; also the `sittings.status` column type. */
export type SittingStatus = (typeof SITTING_STATUSES)[number];

/** Public sittings are open to operators; reserved ones to invited commissioners only. */
export const SITTING_KINDS = ['public', 'reserved'] as const;
/** Kind of sitting; also the `sittings.kind` column type. */
export type SittingKind = (typeof SITTING_KINDS)[number];

/** A timestamptz column: read as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** JSON value stored in a jsonb column. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** `sittings`: one row per sitting. */
export interface SittingsTable {
  id: Generated<string>;
  title: string;
  kind: SittingKind;
  status: ColumnType<SittingStatus, SittingStatus | undefined, SittingStatus>;
  /** When the sitting is planned to start; null for sittings started on the spot. */
  scheduled_at: Timestamp | null;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  /** The staff account (host) that runs the sitting; null = admins only (migration 0003). */
  host_user_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** `audit_log`: append-only, hash-chained; write it only through appendAudit(). */
export interface AuditLogTable {
  /** bigint identity, read as a JS number (see the int8 parser in db/open.ts). */
  id: ColumnType<number, never, never>;
  at: ColumnType<Date, Date | string, never>;
  actor: ColumnType<string, string, never>;
  role: ColumnType<string, string, never>;
  action: ColumnType<string, string, never>;
  sitting_id: ColumnType<string | null, string | null | undefined, never>;
  details: ColumnType<JsonValue, string, never>;
  prev_hash: ColumnType<string, string, never>;
  hash: ColumnType<string, string, never>;
}

/** Staff roles: admins manage everything, hosts their own sittings. */
export const STAFF_ROLES = ['admin', 'host'] as const;
/** A staff account's role; also the `staff_users.role` column type. */
export type StaffRole = (typeof STAFF_ROLES)[number];

/** `staff_users`: admin and host accounts (migration 0003). */
export interface StaffUsersTable {
  id: Generated<string>;
  /** Lower-case, unique. */
  email: string;
  display_name: string;
  role: StaffRole;
  /** `scrypt$N$r$p$salt$hash` (see server/src/auth/passwords.ts). */
  password_hash: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  disabled_at: Timestamp | null;
}

/** `staff_sessions`: one row per signed-in browser; id = sha256(cookie token), hex. */
export interface StaffSessionsTable {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: Timestamp;
  last_seen: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** `sitting_invites`: a commissioner's personal link to a sitting; token_hash = sha256(link token). */
export interface SittingInvitesTable {
  id: Generated<string>;
  sitting_id: string;
  email: string;
  name: string;
  token_hash: string;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  revoked_at: Timestamp | null;
}

/** `sitting_bans`: subjects removed from a sitting, who may not come back. */
export interface SittingBansTable {
  sitting_id: string;
  subject: string;
  reason: string;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** `token_uses`: the join tokens already exchanged, kept until they expire (migration 0011). */
export interface TokenUsesTable {
  jti: string;
  sitting_id: string;
  /** The operator's subject on the platform (`sub`). */
  subject: string;
  used_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: Timestamp;
}

/** Delivery state of an outgoing e-mail. */
export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
/** An e-mail's delivery state; also the `outbox.status` column type. */
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** `outbox`: every e-mail the server sends, with its delivery status. */
export interface OutboxTable {
  id: ColumnType<number, never, never>;
  to_address: string;
  subject: string;
  body: string;
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  sent_at: Timestamp | null;
}

/**
 * Lifecycle of a recording: starting → recording ⇄ paused → stopping → finalizing → ready, or
 * failed. 'starting' lasts until the first media of every live track is on disk (a resume passes
 * through it too).
 */
export const RECORDING_STATES = [
  'starting',
  'recording',
  'paused',
  'stopping',
  'finalizing',
  'ready',
  'failed',
] as const;
/** State of a recording; also the `recordings.state` column type. */
export type RecordingState = (typeof RECORDING_STATES)[number];

/** One period a recording was running (ISO times); `end` is null while it runs. */
export interface RecordingInterval {
  start: string;
  end: string | null;
}

/**
 * A part of the sitting a recording does not cover, and why. 'no-media': a track that was live
 * was not recorded from `from` (to `to`; null while it lasts); 'failure': the recorder lost or
 * could not store something.
 */
export interface RecordingProblem {
  kind: 'no-media' | 'failure';
  producerId: string | null;
  participantName: string | null;
  source: 'camera' | 'microphone' | 'screen' | null;
  from: string;
  to: string | null;
  /** English, for logs and API clients; the web client words it from the fields. */
  text: string;
}

/** `recordings`: one row per recording of a sitting (migrations 0004, 0007). */
export interface RecordingsTable {
  id: Generated<string>;
  sitting_id: string;
  state: ColumnType<RecordingState, RecordingState | undefined, RecordingState>;
  degraded: ColumnType<boolean, boolean | undefined, boolean>;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  stopped_at: Timestamp | null;
  started_by: string;
  /** jsonb, written as a JSON string. */
  intervals: ColumnType<RecordingInterval[], string | undefined, string>;
  /** Finalize progress, 0..1. */
  progress: ColumnType<number, number | undefined, number>;
  error: string | null;
  /** Relative to RECORDINGS_DIR. */
  final_path: string | null;
  /** Seconds. */
  final_duration: number | null;
  final_size: number | null;
  final_sha256: string | null;
  final_codec: string | null;
  purged_at: Timestamp | null;
  /** When the host asked to start (the first recorded media is `started_at`). */
  requested_at: Timestamp | null;
  /** jsonb, written as a JSON string. */
  problems: ColumnType<RecordingProblem[], string | undefined, string>;
}

/** One period a track was live while recorded (ISO times; `end` null while it lasts). */
export interface LivePeriod {
  start: string;
  end: string | null;
}

/** `recording_tracks`: one producer of a recording and when it was live (migration 0007). */
export interface RecordingTracksTable {
  id: Generated<string>;
  recording_id: string;
  producer_id: string;
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone' | 'screen';
  participant_id: string;
  participant_name: string;
  is_host: boolean;
  /** jsonb, written as a JSON string. */
  live: ColumnType<LivePeriod[], string | undefined, string>;
}

/** `recording_segments`: one live segment file of one track (producer) of a recording. */
export interface RecordingSegmentsTable {
  id: Generated<string>;
  recording_id: string;
  producer_id: string;
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone' | 'screen';
  participant_id: string;
  participant_name: string;
  is_host: boolean;
  codec: string;
  /** Relative to RECORDINGS_DIR. */
  file: string;
  started_at: Timestamp;
  ended_at: Timestamp;
  size: number;
  sha256: string;
  /** False for a segment cut short by an FFmpeg crash. */
  complete: boolean;
}

/** All tables, keyed by name. */
export interface Database {
  sittings: SittingsTable;
  audit_log: AuditLogTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  sitting_invites: SittingInvitesTable;
  sitting_bans: SittingBansTable;
  outbox: OutboxTable;
  recordings: RecordingsTable;
  recording_segments: RecordingSegmentsTable;
  recording_tracks: RecordingTracksTable;
  chat_messages: ChatMessagesTable;
  token_uses: TokenUsesTable;
  sitting_attendance: SittingAttendanceTable;
  sitting_floor_events: SittingFloorEventsTable;
  bookings: BookingsTable;
  booking_messages: BookingMessagesTable;
  booking_attachments: BookingAttachmentsTable;
}

/** `chat_messages`: every line said in a sitting's chat; deleted lines are kept, marked. */
export interface ChatMessagesTable {
  id: Generated<string>;
  sitting_id: string;
  /** The sender's participant id in the live sitting (null for lines not sent by a participant). */
  participant_id: string | null;
  sender_subject: string;
  sender_name: string;
  sender_role: 'admin' | 'host' | 'commissioner' | 'operator';
  text: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  deleted_at: Timestamp | null;
  deleted_by: string | null;
}

/** `sitting_attendance`: one participant's entry into a sitting, and when and why it ended (0010). */
export interface SittingAttendanceTable {
  id: Generated<string>;
  sitting_id: string;
  participant_id: string;
  /** The identity from the token or session (`operator:…`, `staff:…`, `invite:…`). */
  subject: string;
  name: string;
  role: 'admin' | 'host' | 'commissioner' | 'operator';
  joined_at: Timestamp;
  /** Null while connected, or when the server stopped under the sitting. */
  left_at: Timestamp | null;
  leave_reason: string | null;
}

/** What happened on the floor, as the register keeps it (sitting_floor_events.event). */
export const FLOOR_EVENTS = [
  'raised',
  'lowered',
  'approved',
  'denied',
  'revoked',
  'stopped',
  'gone',
] as const;
/** One of {@link FLOOR_EVENTS}. */
export type FloorEventKind = (typeof FLOOR_EVENTS)[number];

/** `sitting_floor_events`: the floor's timeline, for the register (migration 0010). */
export interface SittingFloorEventsTable {
  id: ColumnType<number, never, never>;
  sitting_id: string;
  /** The participant whose hand or floor this is. */
  participant_id: string;
  subject: string;
  name: string;
  event: FloorEventKind;
  at: Timestamp;
  /** Who did it (the participant themselves, the host, or `system`). */
  by_subject: string;
  by_name: string;
  by_role: string;
  /** jsonb: the rights granted (on `approved`), written as a JSON string. */
  grants: ColumnType<{ audio: boolean; video: boolean } | null, string | null, never>;
}

/** A sitting row as read. */
export type SittingRow = Selectable<SittingsTable>;
/** A sitting row as inserted. */
export type NewSittingRow = Insertable<SittingsTable>;
/** An audit log row as read. */
export type AuditLogRow = Selectable<AuditLogTable>;

/** Where a booking stands (server/src/bookings/states.ts has the transitions). */
export const BOOKING_STATES = ['open', 'unavailable', 'in_processing', 'fulfilled'] as const;
/** A booking's state; also the `bookings.state` column type. */
export type BookingState = (typeof BOOKING_STATES)[number];

/** `bookings`: a request for a sitting and, once accepted, the sitting it became (migration 0009). */
export interface BookingsTable {
  id: Generated<string>;
  state: ColumnType<BookingState, BookingState | undefined, BookingState>;
  starts_at: Timestamp;
  duration_minutes: number;
  subject: string;
  contact_name: string;
  contact_email: string;
  /** jsonb: the participants' e-mails, written as a JSON string. */
  participants: ColumnType<string[], string, string>;
  recording: boolean;
  visibility: SittingKind;
  /** Why the office answered "not available". */
  reason: string | null;
  requester_kind: 'host' | 'public';
  /** The host who asked (null for the public form). */
  requester_user_id: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  answer_due_at: Timestamp;
  /** Public requests: null until the e-mailed link is followed (invisible to the office until then). */
  confirmed_at: Timestamp | null;
  /** sha256 (hex) of the public form's confirmation token. */
  confirm_token_hash: string | null;
  /** sha256 (hex) of the public requester's key to the thread. */
  requester_key_hash: string | null;
  sitting_id: string | null;
  /** 9 digits, unique among the sittings not ended. */
  meeting_code: string | null;
  /** The operators' password of the booked sitting (sent to every participant). */
  meeting_password: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** `booking_messages`: a booking's thread, with each side's read time (migration 0009). */
export interface BookingMessagesTable {
  id: Generated<string>;
  booking_id: string;
  at: ColumnType<Date, Date | string | undefined, never>;
  author_kind: 'office' | 'requester' | 'system';
  author_name: string;
  subject: string | null;
  text: string;
  office_read_at: Timestamp | null;
  requester_read_at: Timestamp | null;
}

/** `booking_attachments`: a message's files, stored by SHA-256 under DATA_DIR (migration 0009). */
export interface BookingAttachmentsTable {
  id: Generated<string>;
  message_id: string;
  booking_id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
}
