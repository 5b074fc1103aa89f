import { afterEach, describe, expect, it, vi } from 'vitest';
import { signIn } from './access-api';
import { ApiError } from './api';
import {
  acceptBooking,
  attachmentProblem,
  checkDraft,
  createBooking,
  fieldOfRefusal,
  formatMeetingCode,
  formatSize,
  isFinal,
  linkPieces,
  listBookings,
  MAX_ATTACHMENT_BYTES,
  markBookingRead,
  parseParticipants,
  postBookingMessage,
  refusalReason,
  romeInputToIso,
  toRomeInput,
} from './bookings-api';

/** Replaces fetch with one answering `status` and `body`; returns the calls it saw. */
function answer(status: number, body?: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

const NOW = new Date('2026-12-07T09:00:00Z');
const draft = {
  startsAt: '2026-12-10T10:00',
  durationMinutes: 90,
  subject: 'Consiglio comunale',
  contactName: 'Anna Bianchi',
  contactEmail: 'anna@comune.example.it',
  participants: '',
};

describe('parseParticipants', () => {
  it('reads addresses one per line, or separated by commas, semicolons or spaces, each once and lower-cased', () => {
    expect(parseParticipants('a@x.it, B@X.it;c@x.it\n\n d@x.it e@x.it\na@x.it').emails).toEqual([
      'a@x.it',
      'b@x.it',
      'c@x.it',
      'd@x.it',
      'e@x.it',
    ]);
  });

  it('takes the address out of "Name <address>" as pasted from a mail client', () => {
    expect(parseParticipants('Mario Rossi <mario@x.it>, "Bianchi, Anna" <anna@x.it>')).toEqual({
      emails: ['mario@x.it', 'anna@x.it'],
      invalid: [],
    });
    expect(parseParticipants('Mario Rossi <mario@x.it>\nAnna <anna@x.it>')).toEqual({
      emails: ['mario@x.it', 'anna@x.it'],
      invalid: [],
    });
  });

  it('names what is not an address', () => {
    expect(parseParticipants('ok@x.it, nope, also@bad').invalid).toEqual(['nope', 'also@bad']);
  });
});

describe('checkDraft', () => {
  it('finds nothing wrong in a complete request', () => {
    expect(checkDraft({ ...draft, participants: 'a@x.it' }, NOW)).toEqual({});
  });

  it('marks each missing or wrong field', () => {
    expect(
      checkDraft(
        {
          startsAt: '',
          durationMinutes: 5,
          subject: ' ',
          contactName: '',
          contactEmail: 'anna',
          participants: 'x',
        },
        NOW,
      ),
    ).toEqual({
      startsAt: { kind: 'required' },
      durationMinutes: { kind: 'duration' },
      subject: { kind: 'required' },
      contactName: { kind: 'required' },
      contactEmail: { kind: 'email' },
      participants: { kind: 'participants_invalid', values: ['x'] },
    });
  });

  it('refuses a start in the past and a duration outside 15..600 minutes or not whole', () => {
    expect(checkDraft({ ...draft, startsAt: '2026-12-01T10:00' }, NOW).startsAt).toEqual({ kind: 'past' });
    expect(checkDraft({ ...draft, durationMinutes: 601 }, NOW).durationMinutes).toEqual({ kind: 'duration' });
    expect(checkDraft({ ...draft, durationMinutes: 30.5 }, NOW).durationMinutes).toEqual({
      kind: 'duration',
    });
    expect(checkDraft({ ...draft, durationMinutes: 15 }, NOW)).toEqual({});
    expect(checkDraft({ ...draft, durationMinutes: 600 }, NOW)).toEqual({});
  });

  it('refuses more than 200 participants', () => {
    const many = Array.from({ length: 201 }, (_, i) => `p${i}@x.it`).join('\n');
    expect(checkDraft({ ...draft, participants: many }, NOW).participants).toEqual({
      kind: 'participants_many',
    });
  });
});

describe('attachmentProblem', () => {
  it('accepts a PDF up to the cap, and a .p7m whose type the browser left empty', () => {
    expect(
      attachmentProblem({ name: 'verbale.pdf', type: 'application/pdf', size: MAX_ATTACHMENT_BYTES }),
    ).toBe(undefined);
    expect(attachmentProblem({ name: 'delibera.pdf.p7m', type: '', size: 1000 })).toBe(undefined);
    expect(attachmentProblem({ name: 'offerta.p7m', type: 'application/octet-stream', size: 1000 })).toBe(
      undefined,
    );
    expect(attachmentProblem({ name: 'archivio.zip', type: 'application/zip', size: 1000 })).toBe('type');
  });

  it('refuses a file over the cap, of a type outside the allow-list, or empty', () => {
    expect(
      attachmentProblem({ name: 'big.pdf', type: 'application/pdf', size: MAX_ATTACHMENT_BYTES + 1 }),
    ).toBe('too_large');
    expect(attachmentProblem({ name: 'run.exe', type: 'application/x-msdownload', size: 10 })).toBe('type');
    expect(attachmentProblem({ name: 'page.html', type: 'text/html', size: 10 })).toBe('type');
    expect(attachmentProblem({ name: 'vuoto.pdf', type: 'application/pdf', size: 0 })).toBe('empty');
  });
});

describe('the server’s refusals', () => {
  it('puts the notice period and capacity next to the start, a named field next to that field', () => {
    const notice = new ApiError('bad_request', 422, 'earliest start: 9 Dec 2026 09:00', {
      reason: 'notice_too_short',
    });
    expect(refusalReason(notice)).toBe('notice_too_short');
    expect(fieldOfRefusal(notice)).toBe('startsAt');
    expect(fieldOfRefusal(new ApiError('invalid_state', 409, 'full', { reason: 'capacity' }))).toBe(
      'startsAt',
    );
    expect(fieldOfRefusal(new ApiError('bad_request', 400, 'x', { field: 'contactEmail' }))).toBe(
      'contactEmail',
    );
    expect(
      fieldOfRefusal(new ApiError('bad_request', 400, 'body/subject must NOT have fewer than 1 characters')),
    ).toBe('subject');
    expect(fieldOfRefusal(new ApiError('internal', 500, 'boom'))).toBe(undefined);
  });

  it('reads the reason from the error body of a real answer', async () => {
    answer(409, {
      error: { code: 'invalid_state', message: 'two sittings already at 10:00', reason: 'capacity' },
    });
    const refused = await createBooking({
      ...draft,
      startsAt: '2026-12-10T09:00:00.000Z',
      participants: [],
      recording: true,
      visibility: 'public',
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refusalReason(refused)).toBe('capacity');
    expect((refused as ApiError).message).toBe('two sittings already at 10:00');
    expect((refused as ApiError).status).toBe(409);
  });
});

describe('the calls', () => {
  it('creates a booking (201) or, through the public form, leaves it pending (202)', async () => {
    const body = {
      ...draft,
      startsAt: '2026-12-10T09:00:00.000Z',
      participants: ['a@x.it'],
      recording: false,
    };
    const calls = answer(201, { booking: { id: 'b1', state: 'open' } });
    expect(await createBooking({ ...body, visibility: 'reserved' })).toEqual({
      booking: { id: 'b1', state: 'open' },
      pending: false,
    });
    expect(calls[0]?.url).toBe('/api/bookings');
    expect(JSON.parse(String(calls[0]?.init.body))).toMatchObject({
      participants: ['a@x.it'],
      visibility: 'reserved',
    });
    answer(202, { pending: true });
    expect(await createBooking({ ...body, visibility: 'public' })).toEqual({ pending: true });
  });

  it('lists with the state and overdue filters in the query', async () => {
    const calls = answer(200, { bookings: [] });
    await listBookings();
    await listBookings({ state: 'in_processing', overdue: true });
    expect(calls.map((c) => c.url)).toEqual([
      '/api/bookings',
      '/api/bookings?state=in_processing&overdue=true',
    ]);
  });

  it('sends the staff session’s CSRF token with accept, messages and read (204 without a body)', async () => {
    answer(200, { user: { id: 'u1', role: 'admin' }, csrfToken: 'csrf-123' });
    await signIn('admin@x.it', 'password');
    let calls = answer(200, { booking: { id: 'b/1' }, sitting: { id: 's1', code: '123-456' } });
    expect((await acceptBooking('b/1')).sitting.code).toBe('123-456');
    expect(calls[0]?.url).toBe('/api/bookings/b%2F1/accept');
    expect(new Headers(calls[0]?.init.headers).get('x-csrf-token')).toBe('csrf-123');
    calls = answer(201, { message: { id: 'm1' } });
    await postBookingMessage('b1', {
      text: 'Buongiorno',
      attachments: [{ name: 'a.pdf', type: 'application/pdf', dataBase64: 'JVBERi0=' }],
    });
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({
      text: 'Buongiorno',
      attachments: [{ name: 'a.pdf', type: 'application/pdf', dataBase64: 'JVBERi0=' }],
    });
    calls = answer(204);
    await expect(markBookingRead('b1')).resolves.toBeUndefined();
    expect(calls[0]?.url).toBe('/api/bookings/b1/read');
    expect(calls[0]?.init.method).toBe('POST');
  });
});

describe('small helpers', () => {
  it('knows the final states and writes sizes for people', () => {
    expect(['open', 'in_processing', 'fulfilled', 'unavailable'].map((s) => isFinal(s as never))).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(formatMeetingCode('728057440')).toBe('728 057 440');
    expect(formatMeetingCode('12345')).toBe('12345');
    expect(formatSize(820)).toBe('820 B');
    expect(formatSize(14_200)).toBe('14,2 kB');
    expect(formatSize(3_100_000, 'en-GB')).toBe('3.1 MB');
  });
});

describe('linkPieces', () => {
  const origin = 'https://sedute.comune.example.it';

  it('makes this server’s URLs links, as paths, and leaves the sentence around them', () => {
    expect(
      linkPieces(`Registrazione: ${origin}/api/bookings/b1/recordings/r1 (SHA-256 ab12).`, origin),
    ).toEqual([
      { text: 'Registrazione: ' },
      { text: `${origin}/api/bookings/b1/recordings/r1`, href: '/api/bookings/b1/recordings/r1' },
      { text: ' (SHA-256 ab12).' },
    ]);
  });

  it('never links elsewhere, and adds a public requester’s key to their booking’s API', () => {
    expect(linkPieces('see https://evil.example/x and http://sedute.comune.example.it/a', origin)).toEqual([
      { text: 'see https://evil.example/x and http://sedute.comune.example.it/a' },
    ]);
    expect(linkPieces(`${origin}/api/bookings/b1/recordings/r1`, origin, 'k 1')).toEqual([
      { text: `${origin}/api/bookings/b1/recordings/r1`, href: '/api/bookings/b1/recordings/r1?key=k+1' },
    ]);
    expect(linkPieces(`${origin}/s/abc`, origin, 'k')).toEqual([{ text: `${origin}/s/abc`, href: '/s/abc' }]);
  });
});

describe('Italian time in the form', () => {
  it('reads the typed date and time as time in Rome, summer and winter, whatever the browser’s zone', () => {
    expect(romeInputToIso('2026-12-10T10:00')).toBe('2026-12-10T09:00:00.000Z');
    expect(romeInputToIso('2026-07-10T10:00')).toBe('2026-07-10T08:00:00.000Z');
    // The night summer time starts (29 March 2026, 02:00 → 03:00) and the one it ends (25 October).
    expect(romeInputToIso('2026-03-29T03:30')).toBe('2026-03-29T01:30:00.000Z');
    expect(romeInputToIso('2026-10-25T04:00')).toBe('2026-10-25T03:00:00.000Z');
    expect(romeInputToIso('')).toBe(undefined);
    expect(romeInputToIso('10/12/2026 10:00')).toBe(undefined);
  });

  it('writes an instant back as the field’s value in Rome', () => {
    expect(toRomeInput(new Date('2026-12-10T09:00:00Z'))).toBe('2026-12-10T10:00');
    expect(toRomeInput(new Date('2026-07-10T22:30:00Z'))).toBe('2026-07-11T00:30');
    for (const value of ['2026-01-02T08:15', '2026-06-30T23:59']) {
      expect(toRomeInput(new Date(romeInputToIso(value)!))).toBe(value);
    }
  });
});
