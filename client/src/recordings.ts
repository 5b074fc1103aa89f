import type { RecordingGap, RecordingProblemItem } from '@seduta/server/protocol';
import type { RecordingState, RecordingSummary } from './access-api';
import { ApiError } from './api';
import { getLocale, translate, type Locale, type MessageKey } from './i18n';

/** How often the recordings page asks again while a recording is still changing. */
export const POLL_INTERVAL_MS = 2_000;

const INTL_TAG: Record<Locale, string> = { it: 'it-IT', en: 'en-GB' };

/** A length in seconds as a clock: `mm:ss` under an hour, `h:mm:ss` from one hour. */
export function formatDuration(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/**
 * A file size in megabytes (10^6 bytes, as disk makers and most file managers count), with the
 * language's decimal separator: two decimals under 10 MB, one under 100 MB, none above.
 */
export function formatSize(bytes: number, locale: Locale = getLocale()): string {
  const mb = Math.max(0, bytes) / 1_000_000;
  const number = (value: number, digits: number) =>
    new Intl.NumberFormat(INTL_TAG[locale], {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(value);
  if (bytes > 0 && mb < 0.01) return `< ${number(0.01, 2)} MB`;
  return `${number(mb, mb < 10 ? 2 : mb < 100 ? 1 : 0)} MB`;
}

/** A time of day with seconds (e.g. "10:30:05"), for when a track started and ended. */
export function formatTime(iso: string, locale: Locale = getLocale(), timeZone?: string): string {
  return new Intl.DateTimeFormat(INTL_TAG[locale], {
    timeStyle: 'medium',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

/**
 * One part of the sitting a recording does not cover, as a sentence: "Videocamera di X: nessun
 * video registrato dalle 14:05:21 alle 14:05:40".
 */
export function problemText(
  problem: RecordingProblemItem,
  locale: Locale = getLocale(),
  timeZone?: string,
): string {
  const from = formatTime(problem.from, locale, timeZone);
  if (problem.kind === 'failure')
    return translate(locale, 'recordings.problem.failure', { from, text: problem.text });
  const source = problem.source
    ? translate(locale, `recordings.source.${problem.source}` as MessageKey)
    : '—';
  const kind = problem.source === 'microphone' ? 'audio' : 'video';
  const params = { source, name: problem.participantName ?? '—', from };
  if (problem.to === null) return translate(locale, `recordings.problem.noMedia.${kind}Open`, params);
  return translate(locale, `recordings.problem.noMedia.${kind}`, {
    ...params,
    to: formatTime(problem.to, locale, timeZone),
  });
}

/** How long after the host's click the first media was recorded: "Avviata 0,4 s dopo la richiesta". */
export function startDelayText(ms: number, locale: Locale = getLocale()): string {
  const seconds = new Intl.NumberFormat(INTL_TAG[locale], {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(Math.max(0, ms) / 1000);
  return translate(locale, 'recordings.startDelay', { seconds });
}

/** The host console's warning about a live track that is not being recorded right now. */
export function gapWarning(gap: RecordingGap, locale: Locale = getLocale(), timeZone?: string): string {
  return translate(locale, 'recording.gap', {
    source: translate(locale, `recording.gapSource.${gap.source}`),
    name: gap.participantName,
    since: formatTime(gap.since, locale, timeZone),
  });
}

/** The first characters of a SHA-256, enough to compare by eye (the full value goes in a title). */
export function shortHash(sha256: string, length = 12): string {
  return sha256.length > length ? `${sha256.slice(0, length)}…` : sha256;
}

/** Whether a recording has reached a state it leaves only by being purged. */
export function isSettled(state: RecordingState): boolean {
  switch (state) {
    case 'ready':
    case 'failed':
      return true;
    case 'starting':
    case 'recording':
    case 'paused':
    case 'stopping':
    case 'finalizing':
      return false;
    default:
      return assertNever(state);
  }
}

/**
 * Whether the list must be asked for again: some recording is still recording, stopping or being
 * finalized, and will change without anyone on this page doing anything.
 */
export function needsPolling(recordings: readonly RecordingSummary[]): boolean {
  return recordings.some((r) => !isSettled(r.state));
}

/** Why the recordings could not be loaded, as the page explains it. */
export type LoadFailure = 'signed-out' | 'forbidden' | 'not-found' | 'network' | 'other';

/** Sorts a failed API call into what the page tells the user. */
export function loadFailure(error: unknown): LoadFailure {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'signed-out';
    if (error.status === 403) return 'forbidden';
    if (error.status === 404) return 'not-found';
    return 'other';
  }
  // fetch() rejects with a TypeError when the server cannot be reached at all.
  if (error instanceof TypeError) return 'network';
  return 'other';
}

/**
 * Whether the page asks for the list again after an answer: while something is still changing,
 * also after a dropped connection or a server error (the next answer may be fine); never after a
 * refusal (signed out, not allowed, no such sitting), which asking again will not change.
 */
export function pollAgain(
  recordings: readonly RecordingSummary[] | undefined,
  failure: LoadFailure | undefined,
): boolean {
  if (recordings === undefined || !needsPolling(recordings)) return false;
  return failure === undefined || failure === 'network' || failure === 'other';
}

function assertNever(value: never): never {
  throw new Error(`unexpected recording state ${String(value)}`);
}
