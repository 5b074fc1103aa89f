/**
 * The bookings' rows: reading and writing `bookings`, `booking_messages` and `booking_attachments`,
 * and their JSON for the wire (docs/protocol.md, "Bookings").
 */
import type { Kysely, Selectable } from 'kysely';
import type { BookingsTable, BookingState, Database } from '../db/schema';
import type { Slot } from './capacity';

/** A booking row as read. */
export type BookingRow = Selectable<BookingsTable>;

/** Which side of a thread: the office (admins) or the requester. */
export type Side = 'office' | 'requester';

/** What an accepted booking's participants and requester need to run and join the sitting. */
export interface MeetingJson {
  code: string;
  password: string;
  joinUrl: string;
  hostUrl: string;
}

/** A booking on the wire. */
export interface BookingJson {
  id: string;
  state: BookingState;
  startsAt: string;
  durationMinutes: number;
  subject: string;
  contactName: string;
  contactEmail: string;
  participants: string[];
  recording: boolean;
  visibility: 'public' | 'reserved';
  reason: string | null;
  createdAt: string;
  answerDueAt: string;
  overdue: boolean;
  sittingId: string | null;
  unread: number;
  requesterKind: 'host' | 'public';
  /** The booked sitting's code, password and links (once accepted). */
  meeting: MeetingJson | null;
}

/** An attachment on the wire. */
export interface AttachmentJson {
  id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
}

/** A thread message on the wire; `read`: the caller's side has read it (own ones always). */
export interface MessageJson {
  id: string;
  at: string;
  author: { kind: 'office' | 'requester' | 'system'; name: string };
  subject: string | null;
  text: string;
  attachments: AttachmentJson[];
  read: boolean;
}

/** A booking row as JSON, with the caller's unread count. */
export function bookingJson(row: BookingRow, unread: number, now: Date, origin: string): BookingJson {
  return {
    id: row.id,
    state: row.state,
    startsAt: row.starts_at.toISOString(),
    durationMinutes: row.duration_minutes,
    subject: row.subject,
    contactName: row.contact_name,
    contactEmail: row.contact_email,
    participants: row.participants,
    recording: row.recording,
    visibility: row.visibility,
    reason: row.reason,
    createdAt: row.created_at.toISOString(),
    answerDueAt: row.answer_due_at.toISOString(),
    overdue: row.state === 'open' && row.answer_due_at.getTime() < now.getTime(),
    sittingId: row.sitting_id,
    unread,
    requesterKind: row.requester_kind,
    meeting:
      row.sitting_id && row.meeting_code && row.meeting_password
        ? {
            code: row.meeting_code,
            password: row.meeting_password,
            joinUrl: `${origin}/s/${row.sitting_id}`,
            hostUrl: `${origin}/host/${row.sitting_id}`,
          }
        : null,
  };
}

/** One booking (confirmed or not), or undefined. */
export async function findBooking(db: Kysely<Database>, id: string): Promise<BookingRow | undefined> {
  return db.selectFrom('bookings').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The booking a sitting was created from, or undefined. */
export async function bookingOfSitting(
  db: Kysely<Database>,
  sittingId: string,
): Promise<BookingRow | undefined> {
  return db.selectFrom('bookings').selectAll().where('sitting_id', '=', sittingId).executeTakeFirst();
}

/** Confirmed bookings, newest first: all, or one requester's; optionally one state or the overdue. */
export async function listBookingRows(
  db: Kysely<Database>,
  filter: { requesterUserId?: string; state?: BookingState; overdueAt?: Date },
): Promise<BookingRow[]> {
  let q = db.selectFrom('bookings').selectAll().where('confirmed_at', 'is not', null);
  if (filter.requesterUserId !== undefined) q = q.where('requester_user_id', '=', filter.requesterUserId);
  if (filter.state !== undefined) q = q.where('state', '=', filter.state);
  if (filter.overdueAt !== undefined) {
    q = q.where('state', '=', 'open').where('answer_due_at', '<', filter.overdueAt);
  }
  return q.orderBy('created_at', 'desc').limit(1000).execute();
}

/** For each booking, the messages its `side` has not read (the other side's, and the system's for requesters). */
export async function unreadCounts(
  db: Kysely<Database>,
  bookingIds: readonly string[],
  side: Side,
): Promise<Map<string, number>> {
  if (bookingIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('booking_messages')
    .select(['booking_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('booking_id', 'in', bookingIds)
    .where(side === 'office' ? 'office_read_at' : 'requester_read_at', 'is', null)
    .where('author_kind', 'in', side === 'office' ? ['requester'] : ['office', 'system'])
    .groupBy('booking_id')
    .execute();
  return new Map(rows.map((r) => [r.booking_id, Number(r.n)]));
}

/** A booking's thread, oldest first, with its attachments; `read` as `side` sees it. */
export async function listMessages(
  db: Kysely<Database>,
  bookingId: string,
  side: Side,
): Promise<MessageJson[]> {
  const messages = await db
    .selectFrom('booking_messages')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  const files = await db
    .selectFrom('booking_attachments')
    .select(['id', 'message_id', 'name', 'type', 'size', 'sha256'])
    .where('booking_id', '=', bookingId)
    .orderBy('name')
    .execute();
  return messages.map((m) => ({
    id: m.id,
    at: m.at.toISOString(),
    author: { kind: m.author_kind, name: m.author_name },
    subject: m.subject,
    text: m.text,
    attachments: files
      .filter((f) => f.message_id === m.id)
      .map((f) => ({ id: f.id, name: f.name, type: f.type, size: f.size, sha256: f.sha256 })),
    read: m.author_kind === side || (side === 'office' ? m.office_read_at : m.requester_read_at) !== null,
  }));
}

/**
 * The accepted bookings whose sitting is not over and whose slot may overlap [from, to), as
 * capacity slots (participants plus the host); `except` leaves one booking out (the one accepted).
 */
export async function acceptedSlots(
  db: Kysely<Database>,
  from: Date,
  to: Date,
  maxMinutes: number,
  except?: string,
): Promise<Slot[]> {
  let q = db
    .selectFrom('bookings')
    .leftJoin('sittings', 'sittings.id', 'bookings.sitting_id')
    .select(['bookings.starts_at', 'bookings.duration_minutes', 'bookings.participants'])
    .where('bookings.state', '=', 'in_processing')
    .where((eb) =>
      eb.or([eb('sittings.status', 'is', null), eb('sittings.status', 'in', ['scheduled', 'live'])]),
    )
    .where('bookings.starts_at', '<', to)
    .where('bookings.starts_at', '>', new Date(from.getTime() - maxMinutes * 60_000));
  if (except !== undefined) q = q.where('bookings.id', '!=', except);
  const rows = await q.execute();
  return rows.map((r) => ({
    start: r.starts_at,
    minutes: r.duration_minutes,
    people: r.participants.length + 1,
  }));
}

/** The e-mails of the enabled admins (the office), to tell them of a requester's message. */
export async function officeEmails(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('staff_users')
    .select('email')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .orderBy('email')
    .execute();
  return rows.map((r) => r.email);
}
