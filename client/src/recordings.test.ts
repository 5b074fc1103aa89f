import { describe, expect, it } from 'vitest';
import type { RecordingState, RecordingSummary } from './access-api';
import { ApiError } from './api';
import {
  formatDuration,
  formatSize,
  formatTime,
  isSettled,
  loadFailure,
  needsPolling,
  gapWarning,
  pollAgain,
  problemText,
  shortHash,
  startDelayText,
} from './recordings';

const recording = (state: RecordingState): RecordingSummary => ({
  id: state,
  state,
  startedAt: '2026-03-12T09:30:00.000Z',
  requestedAt: '2026-03-12T09:29:59.600Z',
  startDelayMs: 400,
  stoppedAt: null,
  duration: 0,
  size: null,
  degraded: false,
  problems: [],
  progress: 0,
  error: null,
  purged: false,
});

describe('formatDuration', () => {
  it('shows mm:ss under an hour, rounding to the nearest second', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(7)).toBe('00:07');
    expect(formatDuration(3.6)).toBe('00:04');
    expect(formatDuration(65)).toBe('01:05');
    expect(formatDuration(3599.4)).toBe('59:59');
  });

  it('shows h:mm:ss from one hour', () => {
    expect(formatDuration(3599.6)).toBe('1:00:00');
    expect(formatDuration(3600 + 2 * 60 + 3)).toBe('1:02:03');
    expect(formatDuration(12 * 3600 + 59)).toBe('12:00:59');
  });

  it('shows 00:00 for nonsense rather than NaN', () => {
    expect(formatDuration(Number.NaN)).toBe('00:00');
    expect(formatDuration(-5)).toBe('00:00');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('00:00');
  });
});

describe('formatSize', () => {
  it('shows megabytes with the language’s decimal separator', () => {
    expect(formatSize(1_234_567, 'it')).toBe('1,23 MB');
    expect(formatSize(1_234_567, 'en')).toBe('1.23 MB');
    expect(formatSize(45_670_000, 'it')).toBe('45,7 MB');
    expect(formatSize(345_670_000, 'en')).toBe('346 MB');
  });

  it('never rounds a small file down to nothing', () => {
    expect(formatSize(0, 'en')).toBe('0.00 MB');
    expect(formatSize(4_000, 'it')).toBe('< 0,01 MB');
    expect(formatSize(10_000, 'en')).toBe('0.01 MB');
  });
});

describe('formatTime', () => {
  it('shows the time of day with seconds', () => {
    expect(formatTime('2026-03-12T09:30:05.000Z', 'it', 'Europe/Rome')).toBe('10:30:05');
    expect(formatTime('2026-03-12T09:30:05.000Z', 'en', 'UTC')).toBe('09:30:05');
  });
});

describe('shortHash', () => {
  it('keeps the first 12 characters of a SHA-256 and marks the cut', () => {
    const sha = 'a'.repeat(12) + 'b'.repeat(52);
    expect(shortHash(sha)).toBe('aaaaaaaaaaaa…');
    expect(shortHash('abc')).toBe('abc');
  });
});

describe('polling the list', () => {
  it('counts only ready and failed as settled', () => {
    const settled = (
      ['starting', 'recording', 'paused', 'stopping', 'finalizing', 'ready', 'failed'] as const
    ).filter(isSettled);
    expect(settled).toEqual(['ready', 'failed']);
  });

  it('polls while any recording is still starting, recording, stopping or finalizing, and not otherwise', () => {
    expect(needsPolling([recording('starting')])).toBe(true);
    expect(needsPolling([])).toBe(false);
    expect(needsPolling([recording('ready'), recording('failed')])).toBe(false);
    expect(needsPolling([recording('ready'), recording('finalizing')])).toBe(true);
    expect(needsPolling([recording('stopping')])).toBe(true);
    expect(needsPolling([recording('recording')])).toBe(true);
  });

  it('keeps polling through a dropped connection, but stops on a refusal or once all is settled', () => {
    const changing = [recording('ready'), recording('finalizing')];
    expect(pollAgain(undefined, undefined)).toBe(false);
    expect(pollAgain(changing, undefined)).toBe(true);
    expect(pollAgain(changing, 'network')).toBe(true);
    expect(pollAgain(changing, 'other')).toBe(true);
    expect(pollAgain(changing, 'forbidden')).toBe(false);
    expect(pollAgain(changing, 'signed-out')).toBe(false);
    expect(pollAgain(changing, 'not-found')).toBe(false);
    expect(pollAgain([recording('ready')], undefined)).toBe(false);
  });
});

describe('loadFailure', () => {
  it('tells signed out, not allowed, not found, unreachable and anything else apart', () => {
    expect(loadFailure(new ApiError('unauthorized', 401, 'sign in first'))).toBe('signed-out');
    expect(loadFailure(new ApiError('forbidden', 403, 'only admins'))).toBe('forbidden');
    expect(loadFailure(new ApiError('not_found', 404, 'no such sitting'))).toBe('not-found');
    expect(loadFailure(new TypeError('Failed to fetch'))).toBe('network');
    expect(loadFailure(new ApiError('internal', 500, 'boom'))).toBe('other');
    expect(loadFailure(new Error('boom'))).toBe('other');
  });
});

describe('what a recording does not cover', () => {
  const camera = {
    kind: 'no-media' as const,
    participantName: 'Costruzioni Bianchi S.p.A.',
    source: 'camera' as const,
    from: '2026-03-12T13:05:21.000Z',
    to: '2026-03-12T13:05:40.000Z',
    text: 'camera of Costruzioni Bianchi S.p.A.: no video recorded from … to …',
  };

  it('says whose track is missing and from when to when, in both languages', () => {
    expect(problemText(camera, 'it', 'Europe/Rome')).toBe(
      'Videocamera di Costruzioni Bianchi S.p.A.: nessun video registrato dalle 14:05:21 alle 14:05:40',
    );
    expect(problemText(camera, 'en', 'Europe/Rome')).toBe(
      'Camera of Costruzioni Bianchi S.p.A.: no video recorded from 14:05:21 to 14:05:40',
    );
    expect(problemText({ ...camera, source: 'microphone', to: null }, 'it', 'Europe/Rome')).toBe(
      'Microfono di Costruzioni Bianchi S.p.A.: nessun audio registrato dalle 14:05:21 fino alla fine',
    );
  });

  it('words a missing microphone or shared screen, open-ended or not, in both languages', () => {
    expect(problemText({ ...camera, source: 'microphone', to: null }, 'en', 'Europe/Rome')).toBe(
      'Microphone of Costruzioni Bianchi S.p.A.: no audio recorded from 14:05:21 to the end',
    );
    expect(problemText({ ...camera, source: 'screen' }, 'it', 'Europe/Rome')).toBe(
      'Schermo condiviso di Costruzioni Bianchi S.p.A.: nessun video registrato dalle 14:05:21 alle 14:05:40',
    );
    expect(problemText({ ...camera, source: 'screen', to: null }, 'en', 'Europe/Rome')).toBe(
      'Shared screen of Costruzioni Bianchi S.p.A.: no video recorded from 14:05:21 to the end',
    );
    expect(problemText({ ...camera, source: 'microphone' }, 'en', 'Europe/Rome')).toBe(
      'Microphone of Costruzioni Bianchi S.p.A.: no audio recorded from 14:05:21 to 14:05:40',
    );
  });

  it('words a recorder failure with its reason, in both languages', () => {
    const failure = {
      ...camera,
      kind: 'failure' as const,
      participantName: null,
      source: null,
      text: 'ffmpeg exited unexpectedly (SIGKILL)',
    };
    expect(problemText(failure, 'en', 'Europe/Rome')).toBe(
      'Recorder error at 14:05:21: ffmpeg exited unexpectedly (SIGKILL)',
    );
    expect(problemText(failure, 'it', 'Europe/Rome')).toBe(
      'Errore del registratore alle 14:05:21: ffmpeg exited unexpectedly (SIGKILL)',
    );
  });

  it('states the delay from the click to the first recorded media, to a tenth of a second', () => {
    expect(startDelayText(412, 'it')).toBe(
      'Avviata 0,4 s dopo la richiesta (l’orario è quello del primo audio/video registrato)',
    );
    expect(startDelayText(412, 'en')).toBe(
      'Started 0.4 s after it was requested (the time is that of the first recorded audio/video)',
    );
    expect(startDelayText(1250, 'en')).toMatch(/^Started 1\.3 s after it was requested/);
    expect(startDelayText(2100, 'it')).toMatch(/^Avviata 2,1 s dopo la richiesta/);
    expect(startDelayText(-5, 'en')).toMatch(/^Started 0\.0 s after/);
  });

  it('warns the host of a live track that is not being recorded, in both languages', () => {
    const gap = { participantName: 'Impianti Verdi S.r.l.', source: 'camera' as const, since: camera.from };
    expect(gapWarning(gap, 'it', 'Europe/Rome')).toBe(
      'Attenzione: non si sta registrando la videocamera di Impianti Verdi S.r.l. dalle 14:05:21',
    );
    expect(gapWarning(gap, 'en', 'Europe/Rome')).toBe(
      'Warning: the camera of Impianti Verdi S.r.l. is not being recorded since 14:05:21',
    );
    expect(gapWarning({ ...gap, source: 'microphone' }, 'it', 'Europe/Rome')).toBe(
      'Attenzione: non si sta registrando il microfono di Impianti Verdi S.r.l. dalle 14:05:21',
    );
    expect(gapWarning({ ...gap, source: 'screen' }, 'en', 'Europe/Rome')).toBe(
      'Warning: the shared screen of Impianti Verdi S.r.l. is not being recorded since 14:05:21',
    );
  });
});
