/**
 * What a booked sitting's meeting code and password mean, and when its room opens: the host from
 * ROOM_OPENS_MINUTES_BEFORE before the start (the technical check), operators from the start and
 * with the password. Sittings not created from a booking are not affected.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import { romeDateTime } from './calendar';
import { bookingOfSitting } from './repo';

/** The sitting a meeting code names (spaces and dashes ignored), while the sitting is not over. */
export async function sittingByCode(db: Kysely<Database>, code: string): Promise<string> {
  const digits = code.replace(/[\s-]/g, '');
  const row = /^\d{9}$/.test(digits)
    ? await db
        .selectFrom('bookings')
        .innerJoin('sittings', 'sittings.id', 'bookings.sitting_id')
        .select('sittings.id')
        .where('bookings.meeting_code', '=', digits)
        .where('sittings.status', 'in', ['scheduled', 'live'])
        .executeTakeFirst()
    : undefined;
  if (!row) throw new AppError('not_found', 'no sitting has this meeting code (or it is over)');
  return row.id;
}

/**
 * An operator entering a booked sitting (the join token's exchange): the password (401
 * `wrong_password`) and the start time (409 `not_open_yet`, naming it). Others pass untouched.
 */
export async function checkOperatorEntry(
  db: Kysely<Database>,
  sittingId: string,
  password: string | undefined,
  now = new Date(),
): Promise<void> {
  const booking = await bookingOfSitting(db, sittingId);
  if (!booking) return;
  const expected = booking.meeting_password;
  if (expected !== null && (password === undefined || !same(password.trim(), expected))) {
    throw new AppError(
      'wrong_password',
      password === undefined
        ? 'this sitting needs its password'
        : 'the password of this sitting is not this one',
    );
  }
  if (now.getTime() < booking.starts_at.getTime()) {
    throw new AppError(
      'not_open_yet',
      `the room opens to participants at ${romeDateTime(booking.starts_at)} (${booking.starts_at.toISOString()})`,
    );
  }
}

/**
 * Whether participants enter the sitting with its meeting password: a public booked sitting with
 * one (a reserved one admits only its invited commissioners, each with a personal link).
 */
export async function hasMeetingPassword(db: Kysely<Database>, sittingId: string): Promise<boolean> {
  const booking = await bookingOfSitting(db, sittingId);
  return booking?.meeting_password != null && booking.visibility === 'public';
}

/** The host starting a booked sitting: not before ROOM_OPENS_MINUTES_BEFORE before its start. */
export async function checkHostStart(
  db: Kysely<Database>,
  sittingId: string,
  minutesBefore: number,
  now = new Date(),
): Promise<void> {
  const booking = await bookingOfSitting(db, sittingId);
  if (!booking) return;
  const opens = new Date(booking.starts_at.getTime() - minutesBefore * 60_000);
  if (now.getTime() < opens.getTime()) {
    throw new AppError(
      'not_open_yet',
      `the room opens at ${romeDateTime(opens)} (${opens.toISOString()}), ${minutesBefore} minutes before the start, for the technical check`,
    );
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
