import { call } from './access-api';
import { ApiError } from './api';

/**
 * The bookings (*prenotazioni*) of the HTTP API (docs/protocol.md, "Bookings"): typed calls over the
 * staff session ({@link call}), and the checks the pages make before sending (the server makes
 * them again and has the last word).
 */

/** Where a booking stands: `open` → `unavailable` (final) | `in_processing` → `fulfilled` (final). */
export type BookingState = 'open' | 'unavailable' | 'in_processing' | 'fulfilled';

/** Every state, in the order the office works through them. */
export const BOOKING_STATES: readonly BookingState[] = ['open', 'in_processing', 'fulfilled', 'unavailable'];

/** A request for a sitting, as the server describes it. */
export interface Booking {
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
  /** Why the office answered "not available" (state `unavailable`). */
  reason: string | null;
  createdAt: string;
  /** When the office's answer is due. */
  answerDueAt: string;
  /** Still `open` past {@link answerDueAt}. */
  overdue: boolean;
  sittingId: string | null;
  /** Messages of the thread the caller's side has not read. */
  unread: number;
  requesterKind: 'host' | 'public';
  /** Once accepted: how to reach the sitting (shown to the office and the requester). */
  meeting?: BookingMeeting | null;
}

/** A booked sitting's links, meeting code and password. */
export interface BookingMeeting {
  code: string;
  password: string;
  joinUrl: string;
  hostUrl: string;
}

/** A file attached to a message of a booking's thread. */
export interface BookingAttachment {
  id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
}

/** One message of a booking's thread; `system` ones are posted by the server (state changes). */
export interface BookingMessage {
  id: string;
  at: string;
  author: { kind: 'office' | 'requester' | 'system'; name: string };
  subject: string | null;
  text: string;
  attachments: BookingAttachment[];
  read: boolean;
}

/** What a requester sends to ask for a sitting. */
export interface BookingDraft {
  startsAt: string;
  durationMinutes: number;
  subject: string;
  contactName: string;
  contactEmail: string;
  participants: string[];
  recording: boolean;
  visibility: 'public' | 'reserved';
}

/** The sitting an accepted booking became, with what the requester needs to run and join it. */
export interface BookingSitting {
  id: string;
  title: string;
  scheduledAt: string;
  joinUrl: string;
  hostUrl: string;
  code: string;
  password: string;
}

/** A meeting code as people read and dictate it: groups of three digits ("728 057 440"). */
export function formatMeetingCode(code: string): string {
  return /^\d{9}$/.test(code) ? code.replace(/(\d{3})(?=\d)/g, '$1 ') : code;
}

/** A file to attach, read in the browser. */
export interface AttachmentUpload {
  name: string;
  type: string;
  dataBase64: string;
}

const base = '/api/bookings';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;
/** A public requester's key (from the confirmation), as the query that lets them follow their booking. */
const withKey = (url: string, key?: string) => (key ? `${url}?key=${encodeURIComponent(key)}` : url);

/** `POST /api/bookings` signed in (201, the booking) or, through the public form, without a session (202, pending). */
export async function createBooking(draft: BookingDraft): Promise<{ booking?: Booking; pending: boolean }> {
  const answer = await call<{ booking?: Booking; pending?: boolean }>('POST', base, draft);
  return { ...(answer.booking ? { booking: answer.booking } : {}), pending: answer.pending === true };
}

/**
 * `POST /api/bookings/confirm`: the e-mailed link's token confirms a public request; the answer's
 * `key` lets the requester follow the booking and its thread without an account.
 */
export function confirmBooking(token: string): Promise<{ booking: Booking; key: string }> {
  return call('POST', `${base}/confirm`, { token });
}

/** `GET /api/bookings`: an admin sees all, a host their own; optionally one state, or only the overdue. */
export async function listBookings(
  filter: { state?: BookingState; overdue?: boolean } = {},
): Promise<Booking[]> {
  const query = new URLSearchParams();
  if (filter.state) query.set('state', filter.state);
  if (filter.overdue) query.set('overdue', 'true');
  const search = query.size > 0 ? `?${query.toString()}` : '';
  return (await call<{ bookings: Booking[] }>('GET', `${base}${search}`)).bookings;
}

/** `GET /api/bookings/:id`: the booking and its thread (a public requester passes their key). */
export function getBooking(
  id: string,
  key?: string,
): Promise<{ booking: Booking; messages: BookingMessage[] }> {
  return call('GET', withKey(one(id), key));
}

/** `POST /api/bookings/:id/accept` (admins): creates the sitting, its link, code and password. */
export function acceptBooking(id: string): Promise<{ booking: Booking; sitting: BookingSitting }> {
  return call('POST', `${one(id)}/accept`);
}

/** `POST /api/bookings/:id/refuse` (admins): "not available", with the reason the requester reads. */
export async function refuseBooking(id: string, reason: string): Promise<Booking> {
  return (await call<{ booking: Booking }>('POST', `${one(id)}/refuse`, { reason })).booking;
}

/** `POST /api/bookings/:id/messages`: a message to the other side, with files. */
export async function postBookingMessage(
  id: string,
  message: { subject?: string; text: string; attachments?: AttachmentUpload[] },
  key?: string,
): Promise<BookingMessage> {
  return (await call<{ message: BookingMessage }>('POST', withKey(`${one(id)}/messages`, key), message))
    .message;
}

/** `POST /api/bookings/:id/read`: the thread is read on the caller's side. */
export async function markBookingRead(id: string, key?: string): Promise<void> {
  await call<void>('POST', withKey(`${one(id)}/read`, key));
}

/** URL of an attachment's file (sent as a download, its SHA-256 in `X-Content-SHA256`). */
export function attachmentUrl(bookingId: string, attachmentId: string, key?: string): string {
  return withKey(`${one(bookingId)}/attachments/${encodeURIComponent(attachmentId)}`, key);
}

/** `GET /api/sittings/by-code/:code`: the sitting a meeting code names (spaces and dashes ignored). */
export async function sittingByCode(code: string): Promise<string> {
  const digits = code.replace(/[\s-]/g, '');
  return (await call<{ sittingId: string }>('GET', `/api/sittings/by-code/${encodeURIComponent(digits)}`))
    .sittingId;
}

/** `unavailable` and `fulfilled` are final: the thread is closed. */
export function isFinal(state: BookingState): boolean {
  return state === 'unavailable' || state === 'fulfilled';
}

/** Shortest and longest duration of a booking, in minutes. */
export const DURATION_RANGE = { min: 15, max: 600 } as const;
/** Most participants a booking lists. */
export const MAX_PARTICIPANTS = 200;
/** Largest attachment the thread accepts (the server's cap; docs/protocol.md "Bookings"). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** The file types the thread accepts (the server's allow-list). */
export const ATTACHMENT_TYPES: readonly string[] = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'text/plain',
  'text/csv',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/pkcs7-mime',
  // Other names browsers give the same kinds.
  'image/pjpeg',
  'application/x-pkcs7-mime',
  'application/pkcs7-signature',
  'application/vnd.ms-excel',
];

/** The type of a file by its name's extension, for browsers that leave `File.type` empty (e.g. `.p7m`). */
const TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  txt: 'text/plain',
  csv: 'text/csv',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  p7m: 'application/pkcs7-mime',
};

/** A file's type: the browser's, else (none, or a generic one) the one its extension names, else empty. */
export function attachmentType(file: { name: string; type: string }): string {
  if (file.type && file.type !== 'application/octet-stream') return file.type;
  const extension = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  return TYPE_BY_EXTENSION[extension] ?? '';
}

/** Why a file cannot be attached (checked before upload), or undefined when it can. */
export function attachmentProblem(file: {
  name: string;
  type: string;
  size: number;
}): 'too_large' | 'type' | 'empty' | undefined {
  if (file.size === 0) return 'empty';
  if (file.size > MAX_ATTACHMENT_BYTES) return 'too_large';
  if (!ATTACHMENT_TYPES.includes(attachmentType(file))) return 'type';
  return undefined;
}

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** Whether a string looks like an e-mail address (the server checks it again). */
export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/**
 * The participants' e-mails typed in one field, one per line or separated by commas, semicolons
 * or spaces (as pasted from a mail client, `Nome <a@b.it>` too): each address once, lower-cased,
 * and what could not be read as an address.
 */
export function parseParticipants(text: string): { emails: string[]; invalid: string[] } {
  const emails: string[] = [];
  const invalid: string[] = [];
  // Quoted display names may hold commas ("Bianchi, Anna" <anna@…>): they are not addresses.
  for (const raw of text.replace(/"[^"]*"/g, ' ').split(/[\n,;]+/)) {
    const piece = raw.trim();
    if (!piece) continue;
    const bracketed = /<([^<>]+)>/.exec(piece)?.[1];
    const candidates = bracketed ? [bracketed.trim()] : piece.split(/\s+/);
    for (const candidate of candidates) {
      const email = candidate.toLowerCase();
      if (!isEmail(email)) invalid.push(candidate);
      else if (!emails.includes(email)) emails.push(email);
    }
  }
  return { emails, invalid };
}

/** A field of the booking form. */
export type BookingField =
  'startsAt' | 'durationMinutes' | 'subject' | 'contactName' | 'contactEmail' | 'participants';

/** What is wrong with one field (before sending), by field. */
export type DraftProblems = Partial<Record<BookingField, DraftProblem>>;

/** The problems the form finds by itself. */
export type DraftProblem =
  | { kind: 'required' }
  | { kind: 'past' }
  | { kind: 'duration' }
  | { kind: 'email' }
  | { kind: 'participants_invalid'; values: string[] }
  | { kind: 'participants_many' };

/** The form's own checks of a request, before the server's (notice, capacity): empty when it can be sent. */
export function checkDraft(
  input: {
    startsAt: string;
    durationMinutes: number;
    subject: string;
    contactName: string;
    contactEmail: string;
    participants: string;
  },
  now: Date = new Date(),
): DraftProblems {
  const problems: DraftProblems = {};
  const iso = romeInputToIso(input.startsAt);
  const start = iso ? new Date(iso) : undefined;
  if (!start) problems.startsAt = { kind: 'required' };
  else if (start.getTime() <= now.getTime()) problems.startsAt = { kind: 'past' };
  if (
    !Number.isInteger(input.durationMinutes) ||
    input.durationMinutes < DURATION_RANGE.min ||
    input.durationMinutes > DURATION_RANGE.max
  ) {
    problems.durationMinutes = { kind: 'duration' };
  }
  if (!input.subject.trim()) problems.subject = { kind: 'required' };
  if (!input.contactName.trim()) problems.contactName = { kind: 'required' };
  const contact = input.contactEmail.trim();
  if (!contact) problems.contactEmail = { kind: 'required' };
  else if (!isEmail(contact)) problems.contactEmail = { kind: 'email' };
  const { emails, invalid } = parseParticipants(input.participants);
  if (invalid.length > 0) problems.participants = { kind: 'participants_invalid', values: invalid };
  else if (emails.length > MAX_PARTICIPANTS) problems.participants = { kind: 'participants_many' };
  return problems;
}

/** The server's reason for refusing a request: from the error body's `reason`, else its code. */
export function refusalReason(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const reason = error.details.reason;
  return typeof reason === 'string' ? reason : error.code;
}

/**
 * The form field a server refusal belongs to, so its message is shown next to it: the notice
 * period and capacity concern the start; a validation error naming a field, that field.
 */
export function fieldOfRefusal(error: unknown): BookingField | undefined {
  const reason = refusalReason(error);
  if (reason === 'notice_too_short' || reason === 'capacity') return 'startsAt';
  if (!(error instanceof ApiError)) return undefined;
  const named = error.details.field;
  const fields: readonly BookingField[] = [
    'startsAt',
    'durationMinutes',
    'subject',
    'contactName',
    'contactEmail',
    'participants',
  ];
  if (typeof named === 'string' && (fields as readonly string[]).includes(named))
    return named as BookingField;
  return fields.find((field) => error.message.includes(field));
}

/** A file's content as base64, for the JSON body of a message. */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** A size for people: "820 B", "14,2 kB", "3,1 MB" (decimal units, like file managers). */
export function formatSize(bytes: number, locale = 'it-IT'): string {
  const format = (n: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(n);
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${format(bytes / 1000)} kB`;
  return `${format(bytes / 1_000_000)} MB`;
}

/** The office's time zone: the times typed in the form and shown on the pages are Italian time. */
const ROME = 'Europe/Rome';
const romeClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: ROME,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

/** The wall-clock time in Rome at `instant`, as milliseconds of the same wall time read as UTC. */
function romeWall(instant: number): number {
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    Number(romeClock.formatToParts(instant).find((p) => p.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
}

/**
 * A `datetime-local` value (`YYYY-MM-DDTHH:mm`) read as Italian time, as an ISO instant; undefined
 * when it is not one. Whatever the browser's own zone, 10:00 means 10:00 in Rome (as the pages show it).
 */
export function romeInputToIso(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(wall)) return undefined;
  // The offset at a first guess, then at the instant it gives (right across a DST change).
  let instant = wall - (romeWall(wall) - wall);
  instant = wall - (romeWall(instant) - instant);
  return new Date(instant).toISOString();
}

/** The `datetime-local` value (Italian time, minutes) of an instant. */
export function toRomeInput(date: Date): string {
  return new Date(romeWall(date.getTime())).toISOString().slice(0, 16);
}

/** A piece of a message's text: plain, or a link to this server. */
export type TextPiece = { text: string } | { text: string; href: string };

/**
 * A message's text with this server's own URLs (the delivered recording, a sitting's link) made
 * links; anything else stays text (a message never links elsewhere). A public requester's key is
 * added to links into their booking's API, which needs it.
 */
export function linkPieces(text: string, origin: string, key?: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  const url = /https?:\/\/[^\s<>"]+/g;
  let last = 0;
  for (const match of text.matchAll(url)) {
    const raw = match[0].replace(/[.,;:)]+$/, '');
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      continue;
    }
    if (parsed.origin !== origin) continue;
    if (key && parsed.pathname.startsWith('/api/bookings/') && !parsed.searchParams.has('key')) {
      parsed.searchParams.set('key', key);
    }
    if (match.index > last) pieces.push({ text: text.slice(last, match.index) });
    pieces.push({ text: raw, href: `${parsed.pathname}${parsed.search}${parsed.hash}` });
    last = match.index + raw.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}
