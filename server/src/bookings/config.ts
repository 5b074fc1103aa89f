/**
 * Bookings settings from environment variables, validated like the rest of the configuration
 * (one-line ConfigError naming the variable); composed into the server's Config by loadConfig.
 */
import { ConfigError, integer } from '../config';

/** Validated bookings settings. */
export interface BookingsConfig {
  /** BOOKING_MIN_WORKING_DAYS: working days of notice a request needs (default 2). */
  minWorkingDays: number;
  /** BOOKING_ANSWER_HOURS: the office answers within this many hours, else overdue (default 48). */
  answerHours: number;
  /** MAX_CONCURRENT_SITTINGS: booked sittings at the same time on this server (default 10). */
  maxConcurrentSittings: number;
  /** MAX_VIEWERS: people in the booked sittings at the same time on this server (default 500). */
  maxViewers: number;
  /** ROOM_OPENS_MINUTES_BEFORE: the booked room opens to its host this early (default 30). */
  roomOpensMinutesBefore: number;
  /** BOOKINGS_PUBLIC: anyone may ask through the public form, confirming by e-mail (default false). */
  publicForm: boolean;
  /** BOOKING_ATTACHMENT_MAX_BYTES: largest attachment of a thread message (default 10 MiB). */
  attachmentMaxBytes: number;
  /** BOOKING_ATTACHMENT_TYPES: the file kinds a thread accepts, by extension (see attachments.ts). */
  attachmentTypes: string[];
}

/** Every attachment kind the server knows how to recognise, by extension. */
export const KNOWN_ATTACHMENT_TYPES = [
  'pdf',
  'png',
  'jpeg',
  'odt',
  'ods',
  'docx',
  'xlsx',
  'p7m',
  'txt',
] as const;
const DEFAULT_TYPES = ['pdf', 'png', 'jpeg', 'odt', 'ods', 'docx', 'xlsx', 'p7m', 'txt', 'csv'];
/** Attachments are carried in JSON as base64: keep them well under what a request may hold. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/** Reads the bookings settings; throws ConfigError on the first problem. */
export function loadBookingsConfig(read: (name: string) => string | undefined): BookingsConfig {
  return {
    minWorkingDays: integer(read, 'BOOKING_MIN_WORKING_DAYS', 2, 0, 60),
    answerHours: integer(read, 'BOOKING_ANSWER_HOURS', 48, 1, 24 * 60),
    maxConcurrentSittings: integer(read, 'MAX_CONCURRENT_SITTINGS', 10, 1, 10_000),
    maxViewers: integer(read, 'MAX_VIEWERS', 500, 1, 1_000_000),
    roomOpensMinutesBefore: integer(read, 'ROOM_OPENS_MINUTES_BEFORE', 30, 0, 24 * 60),
    publicForm: boolean(read, 'BOOKINGS_PUBLIC', false),
    attachmentMaxBytes: integer(
      read,
      'BOOKING_ATTACHMENT_MAX_BYTES',
      10 * 1024 * 1024,
      1,
      MAX_ATTACHMENT_BYTES,
    ),
    attachmentTypes: attachmentTypes(read('BOOKING_ATTACHMENT_TYPES')),
  };
}

function boolean(read: (name: string) => string | undefined, name: string, fallback: boolean): boolean {
  const raw = read(name);
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(name, raw, 'true or false');
}

function attachmentTypes(raw: string | undefined): string[] {
  if (raw === undefined) return DEFAULT_TYPES;
  const types = raw.split(',').map((t) => t.trim().toLowerCase().replace(/^\./, '').replace(/^jpg$/, 'jpeg'));
  const known: readonly string[] = KNOWN_ATTACHMENT_TYPES;
  if (types.length === 0 || types.some((t) => !known.includes(t))) {
    throw new ConfigError('BOOKING_ATTACHMENT_TYPES', raw, `a comma-separated list of ${known.join(', ')}`);
  }
  return [...new Set(types)];
}
