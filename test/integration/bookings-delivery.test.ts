/**
 * Issue 13, item 1: a booking with recording goes open → in_processing → fulfilled by itself. The
 * office accepts (the requester is e-mailed the acceptance, every participant the instructions
 * with link, code and password); the sitting is run with the real recorder and FFmpeg on
 * 127.0.0.1 (an operator enters with the password); when it ends, its recording is finalized and
 * the booking is fulfilled, the thread holding the delivery message whose link serves the file.
 * E-mails are captured by a local SMTP server (smtp-server). Also the public form: a request
 * confirmed through the e-mailed link, followed with the requester's key.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPublisher, type Publisher } from '../../recorder/test-support/ffmpeg-publisher';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type StaffCredentials, type TestServer } from '../support/server';
import { startSmtpCapture, type SmtpCapture } from './access-support';

const DAY = 24 * 3_600_000;
let srv: TestServer;
let smtp: SmtpCapture;
let dir: string;
let admin: StaffCredentials;
let host: StaffCredentials;
const clients: RawClient[] = [];
const publishers: Publisher[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-bookings-delivery-'));
  // The recordings feature reads its settings from the process environment (see ADR 0011).
  process.env.RECORDINGS_DIR = path.join(dir, 'recordings');
  process.env.RECORDINGS_SEGMENT_SECONDS = '4';
  smtp = await startSmtpCapture();
  srv = await startTestServer({
    env: {
      DATA_DIR: dir,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Ufficio videoconferenze <videoconferenze@regione.example.it>',
      BOOKINGS_PUBLIC: 'true',
    },
  });
  admin = await srv.signIn('admin', 'Ufficio videoconferenze');
  host = await srv.host();
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(publishers.map((p) => p.stop()));
  await srv?.close();
  await smtp?.close();
  delete process.env.RECORDINGS_DIR;
  delete process.env.RECORDINGS_SEGMENT_SECONDS;
  await rm(dir, { recursive: true, force: true });
}, 180_000);

const call = (method: 'GET' | 'POST', url: string, who?: StaffCredentials, payload?: object) =>
  srv.app.inject({
    method,
    url,
    ...(who ? { headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken } } : {}),
    ...(payload ? { payload } : {}),
  });
const mailsTo = (to: string) => smtp.messages.filter((m) => m.to.includes(to));
/** The Subject header, RFC 2047 encoded-words decoded (their bytes joined, then read as UTF-8). */
const subjectOf = (raw: string) => {
  const header = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw)?.[1]?.replace(/\r\n[ \t]/g, ' ') ?? '';
  const bytes = header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('latin1')
        : text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
    );
  return Buffer.from(bytes, 'latin1').toString('utf8');
};
const slot = (days: number) => {
  const d = new Date(Date.now() + days * DAY);
  d.setUTCHours(9, 0, 0, 0);
  return d.toISOString();
};

describe('a booking with recording, delivered', () => {
  it('goes open → in_processing → fulfilled by itself when its recording is finalized, with the link in the thread and the e-mails sent', async () => {
    const requested = await call('POST', '/api/bookings', host, {
      startsAt: slot(14),
      durationMinutes: 60,
      subject: 'Conferenza di servizi — variante PRG',
      contactName: 'Presidente di seduta',
      contactEmail: 'segreteria@comune.example.it',
      participants: ['tecnico@impresa.example.it', 'legale@impresa.example.it'],
      recording: true,
      visibility: 'public',
    });
    expect(requested.statusCode, requested.body).toBe(201);
    const bookingId = requested.json().booking.id as string;

    const acceptance = await call('POST', `/api/bookings/${bookingId}/accept`, admin);
    expect(acceptance.statusCode, acceptance.body).toBe(200);
    const { sitting } = acceptance.json();
    expect(acceptance.json().booking.state).toBe('in_processing');

    // The day comes (the start is moved to now: the clock cannot be), the host opens the room.
    await srv.db.db
      .updateTable('bookings')
      .set({ starts_at: new Date(Date.now() - 60_000) })
      .where('id', '=', bookingId)
      .execute();
    const hostClient = await connectRaw(srv.url, { sittingId: sitting.id, cookie: host.cookie });
    clients.push(hostClient);
    await hostClient.request({ type: 'sitting.start' });
    await hostClient.request({ type: 'join' });

    // An operator enters with the password from the e-mail.
    const token = await srv.joinToken(sitting.id, 'Impresa Alfa S.p.A.');
    const entered = await srv.app.inject({
      method: 'POST',
      url: '/api/auth/join-token',
      payload: { sittingId: sitting.id, token, password: sitting.password },
    });
    expect(entered.statusCode, entered.body).toBe(200);
    const opCookie = entered.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const op = await connectRaw(srv.url, { sittingId: sitting.id, cookie: opCookie });
    clients.push(op);

    const live = await srv.sittings.live(sitting.id);
    const publisher = await startPublisher(live.router, {
      participantId: 'ffmpeg-host',
      frequency: 440,
      maxSeconds: 120,
    });
    publishers.push(publisher);
    const ref = { participantId: 'ffmpeg-host', participantName: 'Presidente', isHost: true };
    live.recordable.add({ ...ref, producer: publisher.video, source: 'camera' });
    live.recordable.add({ ...ref, producer: publisher.audio, source: 'microphone' });
    await hostClient.request({ type: 'recording.start' });
    await op.request({ type: 'join', recordingNotice: 'acknowledged' });
    await vi.waitFor(
      async () => expect((await srv.app.recorder.list(sitting.id))[0]?.state).toBe('recording'),
      {
        timeout: 20_000,
      },
    );
    // Recording is about time passing: let a few seconds of media reach the segments.
    await new Promise((r) => setTimeout(r, 3000));

    // The sitting ends: the recording stops and is finalized; until it is ready the booking waits.
    await hostClient.request({ type: 'sitting.end' });
    const waiting = (await call('GET', `/api/bookings/${bookingId}`, host)).json().booking.state;
    expect(waiting).toBe('in_processing');
    await vi.waitFor(
      async () => {
        await srv.app.recorder.finalizeIdle();
        expect((await srv.app.recorder.list(sitting.id))[0]).toMatchObject({ error: null, state: 'ready' });
      },
      { timeout: 60_000, interval: 500 },
    );
    const [recording] = await srv.app.recorder.list(sitting.id);

    await vi.waitFor(
      async () =>
        expect((await call('GET', `/api/bookings/${bookingId}`, host)).json().booking.state).toBe(
          'fulfilled',
        ),
      { timeout: 15_000 },
    );
    const { messages } = (await call('GET', `/api/bookings/${bookingId}`, host)).json();
    const delivery = messages.at(-1);
    const link = `${srv.url.replace('127.0.0.1', 'localhost')}/api/bookings/${bookingId}/recordings/${recording!.id}`;
    expect(delivery).toMatchObject({ author: { kind: 'system' }, subject: 'Registrazione consegnata' });
    expect(delivery.text).toContain(`/api/bookings/${bookingId}/recordings/${recording!.id}`);
    expect(delivery.text).toContain(recording!.final!.sha256);
    expect(messages.map((m: { subject: string }) => m.subject)).toEqual([
      'Prenotazione accettata',
      'Registrazione consegnata',
    ]);

    // The link serves the file to the requester (not only to admins), audit-logged.
    const file = await call('GET', new URL(link).pathname, host);
    expect(file.statusCode).toBe(200);
    expect(createHash('sha256').update(file.rawPayload).digest('hex')).toBe(recording!.final!.sha256);
    const downloads = await srv.db.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'recording.download')
      .where('sitting_id', '=', sitting.id)
      .execute();
    expect(downloads.map((d) => d.actor)).toEqual([`staff:${host.user.email}`]);

    // The e-mails: the acceptance to the requester, the instructions to each participant, the delivery.
    await vi.waitFor(
      () => {
        expect(mailsTo('segreteria@comune.example.it').map((m) => subjectOf(m.raw))).toEqual([
          expect.stringContaining('Prenotazione accettata'),
          expect.stringContaining('Registrazione consegnata'),
        ]);
        for (const p of ['tecnico@impresa.example.it', 'legale@impresa.example.it'])
          expect(mailsTo(p)).toHaveLength(1);
      },
      { timeout: 20_000 },
    );
    const [accepted, delivered] = mailsTo('segreteria@comune.example.it');
    expect(accepted!.text).toContain(sitting.joinUrl);
    expect(accepted!.text).toContain(sitting.password);
    expect(delivered!.text).toContain(`/api/bookings/${bookingId}/recordings/${recording!.id}`);
    expect(delivered!.text).toContain(recording!.final!.sha256);
    const instructions = mailsTo('tecnico@impresa.example.it')[0]!;
    expect(subjectOf(instructions.raw)).toContain('Istruzioni per la seduta');
    expect(instructions.text).toContain(sitting.joinUrl);
    expect(instructions.text).toContain(sitting.code.replace(/^(\d{3})(\d{3})(\d{3})$/, '$1 $2 $3'));
    expect(instructions.text).toContain(sitting.password);
    expect(mailsTo(admin.user.email).map((m) => subjectOf(m.raw))).toEqual([
      expect.stringContaining('Nuova richiesta'),
    ]);

    const states = await srv.db.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('action', 'like', 'booking.%')
      .where('sitting_id', '=', sitting.id)
      .orderBy('id')
      .execute();
    expect(states).toEqual([
      { action: 'booking.accepted', actor: `staff:${admin.user.email}` },
      { action: 'booking.fulfilled', actor: 'system' },
    ]);
  }, 120_000);
});

describe('the public form', () => {
  it('takes a request confirmed through the e-mailed link, then followed with the requester’s key', async () => {
    const res = await call('POST', '/api/bookings', undefined, {
      startsAt: slot(21),
      durationMinutes: 45,
      subject: 'Seduta pubblica — concessione demaniale',
      contactName: 'Mario Verdi',
      contactEmail: 'Mario.Verdi@Associazione.example.it',
      participants: [],
      recording: false,
      visibility: 'public',
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ pending: true });
    // Invisible to the office until confirmed.
    const before = (await call('GET', '/api/bookings', admin)).json().bookings as { subject: string }[];
    expect(before.map((b) => b.subject)).not.toContain('Seduta pubblica — concessione demaniale');

    await vi.waitFor(() => expect(mailsTo('mario.verdi@associazione.example.it')).toHaveLength(1), {
      timeout: 20_000,
    });
    const token = /\/bookings\/confirm#([\w-]+)/.exec(
      mailsTo('mario.verdi@associazione.example.it')[0]!.text,
    )?.[1];
    expect(token).toBeDefined();
    const confirmed = await call('POST', '/api/bookings/confirm', undefined, { token: token! });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    const { booking, key } = confirmed.json();
    expect(booking).toMatchObject({
      state: 'open',
      requesterKind: 'public',
      contactEmail: 'mario.verdi@associazione.example.it',
    });
    expect((await call('POST', '/api/bookings/confirm', undefined, { token: token! })).statusCode).toBe(404);

    expect((await call('GET', `/api/bookings/${booking.id}?key=${key}`)).statusCode).toBe(200);
    expect((await call('GET', `/api/bookings/${booking.id}?key=wrong`)).statusCode).toBe(404);
    const posted = await call('POST', `/api/bookings/${booking.id}/messages?key=${key}`, undefined, {
      text: 'Grazie',
    });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json().message.author).toEqual({ kind: 'requester', name: 'Mario Verdi' });
    const office = (await call('GET', '/api/bookings?state=open', admin)).json().bookings as {
      id: string;
      unread: number;
    }[];
    expect(office.find((b) => b.id === booking.id)?.unread).toBe(1);
  });
});
