import { describe, expect, it } from 'vitest';
import { earliestStart, easterSunday, isNationalHoliday, isWorkingDay, startOfRomeDay } from './calendar';

describe('the office calendar', () => {
  it('computes Easter Sunday', () => {
    expect(easterSunday(2024)).toEqual({ year: 2024, month: 3, day: 31 });
    expect(easterSunday(2025)).toEqual({ year: 2025, month: 4, day: 20 });
    expect(easterSunday(2026)).toEqual({ year: 2026, month: 4, day: 5 });
    expect(easterSunday(2027)).toEqual({ year: 2027, month: 3, day: 28 });
    expect(easterSunday(2038)).toEqual({ year: 2038, month: 4, day: 25 });
  });

  it('knows the national holidays, Easter Monday included', () => {
    expect(isNationalHoliday({ year: 2026, month: 4, day: 6 })).toBe(true); // Pasquetta
    expect(isNationalHoliday({ year: 2027, month: 3, day: 29 })).toBe(true); // Pasquetta
    expect(isNationalHoliday({ year: 2026, month: 4, day: 25 })).toBe(true);
    expect(isNationalHoliday({ year: 2026, month: 6, day: 2 })).toBe(true);
    expect(isNationalHoliday({ year: 2026, month: 12, day: 8 })).toBe(true);
    expect(isNationalHoliday({ year: 2026, month: 12, day: 26 })).toBe(true);
    expect(isNationalHoliday({ year: 2026, month: 10, day: 4 })).toBe(true);
    expect(isNationalHoliday({ year: 2025, month: 10, day: 4 })).toBe(false);
    expect(isNationalHoliday({ year: 2026, month: 4, day: 7 })).toBe(false);
    expect(isNationalHoliday({ year: 2026, month: 11, day: 2 })).toBe(false);
  });

  it('does not count weekends and holidays as working days', () => {
    expect(isWorkingDay({ year: 2026, month: 12, day: 5 })).toBe(false); // Saturday
    expect(isWorkingDay({ year: 2026, month: 12, day: 6 })).toBe(false); // Sunday
    expect(isWorkingDay({ year: 2026, month: 12, day: 7 })).toBe(true); // Monday
    expect(isWorkingDay({ year: 2026, month: 12, day: 8 })).toBe(false); // Tuesday, Immacolata
  });

  it('starts a Rome day at local midnight, in winter and in summer', () => {
    expect(startOfRomeDay({ year: 2026, month: 12, day: 9 }).toISOString()).toBe('2026-12-08T23:00:00.000Z');
    expect(startOfRomeDay({ year: 2026, month: 7, day: 1 }).toISOString()).toBe('2026-06-30T22:00:00.000Z');
  });

  it('asks for two working days of notice, skipping weekends and holidays', () => {
    // Monday 30 November 2026 → Tuesday 1, Wednesday 2 December.
    expect(earliestStart(new Date('2026-11-30T09:00:00Z'), 2).toISOString()).toBe('2026-12-01T23:00:00.000Z');
    // Friday 4 December 2026 → Monday 7; Tuesday 8 is a holiday → Wednesday 9.
    expect(earliestStart(new Date('2026-12-04T15:00:00Z'), 2).toISOString()).toBe('2026-12-08T23:00:00.000Z');
    // Thursday 2 April 2026 → Friday 3; Monday 6 is Easter Monday → Tuesday 7.
    expect(earliestStart(new Date('2026-04-02T10:00:00Z'), 2).toISOString()).toBe('2026-04-06T22:00:00.000Z');
    // Late on Sunday in UTC is already Monday in Rome.
    expect(earliestStart(new Date('2026-11-29T23:30:00Z'), 1).toISOString()).toBe('2026-11-30T23:00:00.000Z');
  });

  it('asks no notice with zero working days', () => {
    const now = new Date('2026-12-05T10:00:00Z');
    expect(earliestStart(now, 0)).toEqual(now);
  });
});
