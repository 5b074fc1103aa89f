/**
 * The register's words and formats, shared by the HTML and the PDF: Italian labels, times in
 * Europe/Rome with their UTC offset (a register is read where the sitting happened, and the offset
 * makes each time unambiguous across daylight saving), durations as h:mm:ss.
 */
import type { SittingKind, SittingStatus } from '../db/schema';
import type { AttendanceEntry, HandOutcome, InterventionEnd } from './register-data';

const ROME = new Intl.DateTimeFormat('it-IT', {
  timeZone: 'Europe/Rome',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

/** `06/12/2026 01:05:10 +01:00` (Europe/Rome); `—` for no time. */
export function romeTime(d: Date | null): string {
  if (!d) return '—';
  const part = Object.fromEntries(ROME.formatToParts(d).map((p) => [p.type, p.value]));
  // longOffset reads `GMT+01:00` (or `GMT` at offset zero, which Rome never has).
  const offset = (part.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  return `${part.day}/${part.month}/${part.year} ${part.hour}:${part.minute}:${part.second} ${offset}`;
}

/** `h:mm:ss`, rounded to the second. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** Bytes as `12,3 MB` (decimal units, Italian decimal comma). */
export function size(bytes: number | null): string {
  if (bytes === null) return '—';
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1).replace('.', ',')} ${units[u]}`;
}

/** The role as the client names it (client/src/i18n.ts `role.*`). */
export const ROLE: Readonly<Record<AttendanceEntry['role'], string>> = {
  admin: 'Amministratore',
  host: 'Ente',
  commissioner: 'Commissario',
  operator: 'Operatore',
};

/** A role from a free string (chat rows), falling back to the string itself. */
export function roleName(role: string): string {
  return (ROLE as Record<string, string>)[role] ?? role;
}

export const KIND: Readonly<Record<SittingKind, string>> = { public: 'Pubblica', reserved: 'Riservata' };

export const STATUS: Readonly<Record<SittingStatus, string>> = {
  scheduled: 'Programmata',
  live: 'In corso',
  ended: 'Terminata',
  cancelled: 'Annullata',
};

export const HAND_OUTCOME: Readonly<Record<HandOutcome, string>> = {
  approved: 'Accolta',
  denied: 'Respinta',
  lowered: 'Ritirata dal partecipante',
  gone: 'Partecipante uscito',
  pending: 'Senza esito alla chiusura',
};

export const INTERVENTION_END: Readonly<Record<InterventionEnd, string>> = {
  revoked: 'Parola revocata',
  stopped: 'Concluso dal partecipante',
  gone: 'Partecipante uscito',
  'sitting-ended': 'Chiusura della seduta',
};

/** Why a participant left, in Italian (the journal stores the server's English reason). */
export function leaveReason(reason: string | null): string {
  if (reason === null) return '—';
  if (reason === 'left' || reason === 'closed by the client') return 'Uscito';
  if (reason === 'kicked') return 'Allontanato dall’ente';
  if (reason === 'sitting ended') return 'Chiusura della seduta';
  if (reason.startsWith('did not come back')) return 'Connessione persa, non rientrato';
  if (reason.startsWith('replaced')) return 'Rientrato da un’altra pagina';
  return reason;
}

/** Audio/video rights granted with the floor. */
export function grants(g: { audio: boolean; video: boolean } | null): string {
  if (!g) return '—';
  return [g.audio ? 'audio' : null, g.video ? 'video' : null].filter(Boolean).join(' + ') || '—';
}

export const SOURCE: Readonly<Record<'camera' | 'microphone' | 'screen', string>> = {
  camera: 'Videocamera',
  microphone: 'Microfono',
  screen: 'Schermo',
};

/** The document's title line. */
export const DOCUMENT_TITLE = 'Registro della seduta';

/** A recording's state (recordings.state). */
export const RECORDING_STATE: Readonly<Record<string, string>> = {
  starting: 'In avvio',
  recording: 'In corso',
  paused: 'In pausa',
  stopping: 'In chiusura',
  finalizing: 'In elaborazione',
  ready: 'Pronta',
  failed: 'Non riuscita',
};
