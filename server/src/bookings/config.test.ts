import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config';
import { loadBookingsConfig } from './config';

const from = (env: Record<string, string>) => loadBookingsConfig((name) => env[name]);

describe('bookings configuration', () => {
  it('reads every setting', () => {
    expect(
      from({
        BOOKING_MIN_WORKING_DAYS: '3',
        BOOKING_ANSWER_HOURS: '24',
        MAX_CONCURRENT_SITTINGS: '2',
        MAX_VIEWERS: '80',
        ROOM_OPENS_MINUTES_BEFORE: '15',
        BOOKINGS_PUBLIC: 'true',
        BOOKING_ATTACHMENT_MAX_BYTES: '1024',
        BOOKING_ATTACHMENT_TYPES: 'pdf, .JPG,p7m',
      }),
    ).toEqual({
      minWorkingDays: 3,
      answerHours: 24,
      maxConcurrentSittings: 2,
      maxViewers: 80,
      roomOpensMinutesBefore: 15,
      publicForm: true,
      attachmentMaxBytes: 1024,
      attachmentTypes: ['pdf', 'jpeg', 'p7m'],
    });
  });

  it('refuses an unknown attachment type, naming the variable and the known ones', () => {
    expect(() => from({ BOOKING_ATTACHMENT_TYPES: 'pdf,exe' })).toThrow(ConfigError);
    expect(() => from({ BOOKING_ATTACHMENT_TYPES: 'pdf,exe' })).toThrow(/BOOKING_ATTACHMENT_TYPES.*pdf, png/);
  });

  it('parses BOOKINGS_PUBLIC strictly', () => {
    expect(() => from({ BOOKINGS_PUBLIC: 'maybe' })).toThrow(
      /BOOKINGS_PUBLIC="maybe": expected true or false/,
    );
  });
});
