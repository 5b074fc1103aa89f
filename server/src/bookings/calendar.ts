/**
 * The office's calendar: Italian national holidays (Easter Monday computed), weekends, and the
 * earliest start a request may ask for. Days are calendar days in Rome (Europe/Rome), where the
 * office works, whatever the server's time zone.
 */

/** The office's time zone. */
export const OFFICE_TIME_ZONE = 'Europe/Rome';

/** A calendar day: year, month (1-12), day (1-31). */
export interface Day {
  year: number;
  month: number;
  day: number;
}

/** Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher"). */
export function easterSunday(year: number): Day {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { year, month, day };
}

/** Fixed national holidays (L. 260/1949 and later), as `MM-DD`. */
const FIXED_HOLIDAYS = [
  '01-01', // Capodanno
  '01-06', // Epifania
  '04-25', // Festa della Liberazione
  '05-01', // Festa del Lavoro
  '06-02', // Festa della Repubblica
  '08-15', // Ferragosto
  '11-01', // Ognissanti
  '12-08', // Immacolata Concezione
  '12-25', // Natale
  '12-26', // Santo Stefano
];
/** San Francesco d'Assisi (4 October) is a national holiday again from 2026 (L. 151/2025). */
const SAN_FRANCESCO_FROM = 2026;

/** Whether a day is an Italian national holiday (Easter Sunday and Monday included). */
export function isNationalHoliday(d: Day): boolean {
  const key = `${pad(d.month)}-${pad(d.day)}`;
  if (FIXED_HOLIDAYS.includes(key)) return true;
  if (key === '10-04' && d.year >= SAN_FRANCESCO_FROM) return true;
  const easter = easterSunday(d.year);
  const monday = addDays(easter, 1);
  return sameDay(d, easter) || sameDay(d, monday);
}

/** Whether the office works on a day: not Saturday, Sunday or a national holiday. */
export function isWorkingDay(d: Day): boolean {
  const weekday = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !isNationalHoliday(d);
}

/** The calendar day in Rome of an instant. */
export function romeDay(at: Date): Day {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: OFFICE_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: part('year'), month: part('month'), day: part('day') };
}

/** The day `n` days after `d` (n may be negative). */
export function addDays(d: Day, n: number): Day {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** The instant a Rome calendar day begins (00:00 Europe/Rome, CET or CEST). */
export function startOfRomeDay(d: Day): Date {
  // Midnight UTC of that day, corrected by Rome's offset at that moment (+1 h or +2 h).
  const utcMidnight = Date.UTC(d.year, d.month - 1, d.day);
  const offsetMinutes = romeOffsetMinutes(new Date(utcMidnight));
  return new Date(utcMidnight - offsetMinutes * 60_000);
}

/**
 * The earliest instant a sitting asked for at `now` may start: 00:00 (Rome) of the `workingDays`-th
 * working day after today. With 2, a request made on a Monday may start on Wednesday; one made on
 * a Friday, on Tuesday (or Wednesday when that Monday is Easter Monday).
 */
export function earliestStart(now: Date, workingDays: number): Date {
  let d = romeDay(now);
  for (let counted = 0; counted < workingDays;) {
    d = addDays(d, 1);
    if (isWorkingDay(d)) counted++;
  }
  return workingDays === 0 ? now : startOfRomeDay(d);
}

/** An instant as Rome reads it, in Italian: "mercoledì 9 dicembre 2026, 10:30". */
export function romeDateTime(at: Date): string {
  return at.toLocaleString('it-IT', { dateStyle: 'full', timeStyle: 'short', timeZone: OFFICE_TIME_ZONE });
}

function romeOffsetMinutes(at: Date): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: OFFICE_TIME_ZONE, timeZoneName: 'shortOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT+1';
  const m = /GMT([+-])(\d{1,2})(?::(\d{2}))?/.exec(name);
  if (!m) return 60;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

function sameDay(a: Day, b: Day): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
