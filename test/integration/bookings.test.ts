/**
 * Issue 13, items 1–2: bookings over HTTP. The state machine (every allowed transition works, every
 * other answers 409 invalid_state), the notice period and the capacity refused with their reason,
 * the overdue flag, the thread (read state, closed in final states), attachments (stored by
 * SHA-256; over the cap or of a refused type refused with nothing stored), the meeting code and
 * password, and the booked room's opening. Runs on PGlite and, when reachable, PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { earliestStart } from '../../server/src/bookings/calendar';
import { webhookDb } from '../../server/src/webhooks/store';
import { testDatabases } from '../support/databases';
import { API_KEY, signedIn, startAccessApp, type AccessApp, type SignedIn } from './access-support';

const APP_START_TIMEOUT_MS = 180_000;
const MAX_BYTES = 2048;
const DAY = 24 * 3_600_000;
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(600, 0x20), Buffer.from('\n%%EOF\n')]);

/** A slot `days` from now at 09:00 UTC: far enough for the notice period. */
const slot = (days: number, hour = 9) => {
  const d = new Date(Date.now() + days * DAY);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
};

describe.each(testDatabases())('bookings on %s', (_kind, target) => {
  let t: AccessApp;
  let admin: SignedIn;
  let host: SignedIn;
  let otherHost: SignedIn;
  let day = 20;

  beforeAll(async () => {
    t = await startAccessApp(target, {
      env: {
        MAX_CONCURRENT_SITTINGS: '2',
        MAX_VIEWERS: '50',
        BOOKING_ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
      },
    });
    admin = await signedIn(t.app, 'admin', 'Ufficio videoconferenze');
    host = await signedIn(t.app, 'host', 'Dott.ssa Rossi');
    otherHost = await signedIn(t.app, 'host', 'Dott. Bianchi');
  }, APP_START_TIMEOUT_MS);
  afterAll(() => t?.close());

  const db = () => t.db.handle.db;
  const inject = (method: 'GET' | 'POST', url: string, who: SignedIn | undefined, payload?: object) =>
    t.app.inject({
      method,
      url,
      ...(who ? { headers: who.headers } : {}),
      ...(payload ? { payload } : {}),
    });
  const request = async (overrides: Record<string, unknown> = {}, who = host) => {
    const res = await inject('POST', '/api/bookings', who, {
      startsAt: slot(day++),
      durationMinutes: 90,
      subject: 'Apertura buste — gara 12/2026',
      contactName: 'Dott.ssa Rossi',
      contactEmail: 'rossi@comune.example.it',
      participants: ['a@impresa.example.it', 'b@impresa.example.it'],
      recording: false,
      visibility: 'public',
      ...overrides,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().booking as { id: string; state: string; sittingId: string | null };
  };
  const accepted = async (overrides: Record<string, unknown> = {}) => {
    const b = await request(overrides);
    const res = await inject('POST', `/api/bookings/${b.id}/accept`, admin);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      booking: { id: string; state: string; sittingId: string };
      sitting: {
        id: string;
        code: string;
        password: string;
        joinUrl: string;
        hostUrl: string;
        scheduledAt: string;
      };
    };
  };
  const refused = async () => {
    const b = await request();
    const res = await inject('POST', `/api/bookings/${b.id}/refuse`, admin, { reason: 'Sala occupata' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().booking as { id: string; state: string; reason: string };
  };
  /** The day of the sitting has come: its start is moved to now (the clock cannot be). */
  const arrive = (bookingId: string, startsAt = new Date(Date.now() - 60_000)) =>
    db().updateTable('bookings').set({ starts_at: startsAt }).where('id', '=', bookingId).execute();
  const hostIdentity = () => ({
    subject: `staff:${host.user.email}`,
    name: host.user.name,
    role: 'host' as const,
  });
  const fulfilled = async () => {
    const { booking, sitting } = await accepted();
    await arrive(booking.id);
    await t.app.sittings.start(sitting.id, hostIdentity());
    await t.app.sittings.end(sitting.id, hostIdentity());
    await vi.waitFor(
      async () =>
        expect((await inject('GET', `/api/bookings/${booking.id}`, admin)).json().booking.state).toBe(
          'fulfilled',
        ),
      { timeout: 10_000 },
    );
    return booking;
  };

  it('takes a host’s request as open, with the answer due in 48 hours, and audit-logs it', async () => {
    const b = await request();
    const res = await inject('GET', `/api/bookings/${b.id}`, host);
    expect(res.statusCode).toBe(200);
    const { booking, messages } = res.json();
    expect(booking).toMatchObject({
      state: 'open',
      durationMinutes: 90,
      participants: ['a@impresa.example.it', 'b@impresa.example.it'],
      recording: false,
      visibility: 'public',
      reason: null,
      overdue: false,
      sittingId: null,
      unread: 0,
      requesterKind: 'host',
      meeting: null,
    });
    expect(Date.parse(booking.answerDueAt) - Date.parse(booking.createdAt)).toBe(48 * 3_600_000);
    expect(messages).toEqual([]);
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'booking.create')
      .execute();
    expect(
      audit.some(
        (a) =>
          (a.details as { bookingId: string }).bookingId === b.id && a.actor === `staff:${host.user.email}`,
      ),
    ).toBe(true);
  });

  it('refuses a request inside the notice period, naming the earliest start', async () => {
    const res = await inject('POST', '/api/bookings', host, {
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      durationMinutes: 60,
      subject: 'Troppo presto',
      contactName: 'Rossi',
      contactEmail: 'rossi@comune.example.it',
      participants: [],
      recording: false,
      visibility: 'public',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('notice_too_short');
    expect(res.json().error.message).toContain(earliestStart(new Date(), 2).toISOString());
    expect(res.json().error.message).toMatch(/2 working days/);
  });

  it('refuses a request that would exceed the capacity of an overlapping slot, naming it and the limit', async () => {
    const startsAt = slot(100, 8);
    const one = await request({ startsAt, durationMinutes: 120 });
    const two = await request({ startsAt: slot(100, 9), durationMinutes: 60 });
    for (const b of [one, two])
      expect((await inject('POST', `/api/bookings/${b.id}/accept`, admin)).statusCode).toBe(200);
    const res = await inject('POST', '/api/bookings', host, {
      startsAt: slot(100, 9),
      durationMinutes: 30,
      subject: 'Terza seduta',
      contactName: 'Rossi',
      contactEmail: 'rossi@comune.example.it',
      participants: [],
      recording: false,
      visibility: 'public',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('capacity');
    expect(res.json().error.message).toContain('MAX_CONCURRENT_SITTINGS');
    expect(res.json().error.message).toContain(`${slot(100, 9).replace('.000Z', '.000Z')}–`);
    // Next to them but not overlapping: accepted.
    await request({ startsAt: slot(100, 10), durationMinutes: 60 });
    const crowd = await inject('POST', '/api/bookings', host, {
      startsAt: slot(101),
      durationMinutes: 60,
      subject: 'Troppi partecipanti',
      contactName: 'Rossi',
      contactEmail: 'rossi@comune.example.it',
      participants: Array.from({ length: 50 }, (_, i) => `p${i}@impresa.example.it`),
      recording: false,
      visibility: 'public',
    });
    expect(crowd.statusCode).toBe(409);
    expect(crowd.json().error.message).toMatch(/51 people at once, over the 50 .*MAX_VIEWERS/);
  });

  it('accepts: in_processing, the scheduled sitting with its link, meeting code and password', async () => {
    const { booking, sitting } = await accepted({ visibility: 'reserved', subject: 'Commissione di gara' });
    expect(booking.state).toBe('in_processing');
    expect(booking.sittingId).toBe(sitting.id);
    expect(sitting.code).toMatch(/^\d{9}$/);
    expect(sitting.password).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(sitting.joinUrl).toBe(`http://127.0.0.1:8080/s/${sitting.id}`);
    const info = await t.app.sittings.get(sitting.id);
    expect(info).toMatchObject({ status: 'scheduled', kind: 'reserved', title: 'Commissione di gara' });
    expect(info.scheduledAt).toBe(sitting.scheduledAt);
    // The requesting host runs it.
    expect((await inject('GET', `/api/staff/sittings/${sitting.id}`, host)).statusCode).toBe(200);
    const byCode = await inject(
      'GET',
      `/api/sittings/by-code/${sitting.code.slice(0, 3)} ${sitting.code.slice(3)}`,
      undefined,
    );
    expect(byCode.json()).toEqual({ sittingId: sitting.id });
    expect((await inject('GET', '/api/sittings/by-code/000000000', undefined)).statusCode).toBe(404);
    const thread = (await inject('GET', `/api/bookings/${booking.id}`, host)).json();
    expect(thread.booking.unread).toBe(1);
    expect(thread.messages[0]).toMatchObject({
      author: { kind: 'system' },
      subject: 'Prenotazione accettata',
      read: false,
    });
    expect(thread.messages[0].text).toContain(sitting.password);
    expect(thread.booking.meeting).toEqual({
      code: sitting.code,
      password: sitting.password,
      joinUrl: sitting.joinUrl,
      hostUrl: sitting.hostUrl,
    });
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'booking.accepted')
      .execute();
    expect(audit.some((a) => a.sitting_id === sitting.id)).toBe(true);
  });

  it('tells the platform of every state change (webhook booking.state_changed)', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/platform/webhook',
      headers: { authorization: `Bearer ${API_KEY}` },
      payload: { url: 'http://127.0.0.1:9/seduta-webhooks', events: ['booking.state_changed'] },
    });
    expect(put.statusCode, put.body).toBe(200);
    const { booking } = await accepted();
    const b = await refused();
    const events = async () =>
      (
        await webhookDb(db())
          .selectFrom('webhook_deliveries')
          .select('payload')
          .where('type', '=', 'booking.state_changed')
          .execute()
      )
        .map((r) => r.payload.data as { booking: { id: string; state: string }; previousState: string })
        .filter((d) => d.booking.id === booking.id || d.booking.id === b.id)
        .map((d) => [d.booking.id, d.previousState, d.booking.state]);
    await vi.waitFor(async () =>
      expect((await events()).sort()).toEqual(
        [
          [booking.id, 'open', 'in_processing'],
          [b.id, 'open', 'unavailable'],
        ].sort(),
      ),
    );
  });

  it('refuses with the reason: unavailable, posted in the thread', async () => {
    const b = await refused();
    expect(b).toMatchObject({ state: 'unavailable', reason: 'Sala occupata' });
    const { messages } = (await inject('GET', `/api/bookings/${b.id}`, host)).json();
    expect(messages.at(-1).text).toContain('Sala occupata');
    expect(
      (await inject('POST', `/api/bookings/${b.id}/refuse`, admin, { reason: 'Ancora' })).statusCode,
    ).toBe(409);
  });

  it('fulfils a booking without recording when its sitting ends', async () => {
    const b = await fulfilled();
    const { messages } = (await inject('GET', `/api/bookings/${b.id}`, admin)).json();
    expect(messages.at(-1)).toMatchObject({ author: { kind: 'system' }, subject: 'Prenotazione evasa' });
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'booking.fulfilled')
      .execute();
    expect(
      audit.some((a) => (a.details as { bookingId: string }).bookingId === b.id && a.actor === 'system'),
    ).toBe(true);
  });

  it('answers 409 invalid_state to every transition not allowed from the current state', async () => {
    const inProcessing = (await accepted()).booking;
    const unavailable = await refused();
    const done = await fulfilled();
    for (const b of [inProcessing, unavailable, done]) {
      for (const [action, body] of [
        ['accept', {}],
        ['refuse', { reason: 'No' }],
      ] as const) {
        const res = await inject('POST', `/api/bookings/${b.id}/${action}`, admin, body);
        expect(res.statusCode, `${action} on ${b.id}`).toBe(409);
        expect(res.json().error.code).toBe('invalid_state');
      }
    }
  });

  it('lets only the office answer, and shows a host only their own bookings', async () => {
    const b = await request();
    expect((await inject('POST', `/api/bookings/${b.id}/accept`, host)).statusCode).toBe(403);
    expect((await inject('GET', `/api/bookings/${b.id}`, otherHost)).statusCode).toBe(404);
    expect((await inject('GET', `/api/bookings/${b.id}`, undefined)).statusCode).toBe(404);
    const mine = (await inject('GET', '/api/bookings', otherHost)).json().bookings;
    expect(mine).toEqual([]);
    const all = (await inject('GET', '/api/bookings?state=open', admin)).json().bookings as {
      id: string;
      state: string;
    }[];
    expect(all.map((x) => x.id)).toContain(b.id);
    expect(all.every((x) => x.state === 'open')).toBe(true);
    // Without the CSRF header a signed-in request is refused, also on the open routes.
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: `/api/bookings/${b.id}/messages`,
      headers: { cookie: host.cookie },
      payload: { text: 'x' },
    });
    expect(noCsrf.statusCode).toBe(403);
    // Without a session and without BOOKINGS_PUBLIC the form is closed.
    expect(
      (
        await inject('POST', '/api/bookings', undefined, {
          startsAt: slot(30),
          durationMinutes: 60,
          subject: 's',
          contactName: 'n',
          contactEmail: 'x@y.it',
          participants: [],
          recording: false,
          visibility: 'public',
        })
      ).statusCode,
    ).toBe(401);
  });

  it('flags open requests past their answer time as overdue', async () => {
    const late = await request();
    await db()
      .updateTable('bookings')
      .set({ answer_due_at: new Date(Date.now() - 1000) })
      .where('id', '=', late.id)
      .execute();
    const overdue = (await inject('GET', '/api/bookings?overdue=true', admin)).json().bookings as {
      id: string;
      overdue: boolean;
    }[];
    expect(overdue.map((b) => b.id)).toEqual([late.id]);
    expect(overdue[0]?.overdue).toBe(true);
  });

  it('keeps the thread: messages both ways, unread counts, read state; final states refuse new messages', async () => {
    const b = await request();
    const posted = await inject('POST', `/api/bookings/${b.id}/messages`, host, {
      subject: 'Domanda',
      text: 'Serve il proiettore?',
    });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json().message).toMatchObject({
      author: { kind: 'requester', name: 'Dott.ssa Rossi' },
      subject: 'Domanda',
      read: true,
    });
    const office = (await inject('GET', `/api/bookings/${b.id}`, admin)).json();
    expect(office.booking.unread).toBe(1);
    expect(office.messages[0].read).toBe(false);
    expect((await inject('POST', `/api/bookings/${b.id}/read`, admin)).statusCode).toBe(204);
    expect((await inject('GET', `/api/bookings/${b.id}`, admin)).json().booking.unread).toBe(0);
    await inject('POST', `/api/bookings/${b.id}/messages`, admin, { text: 'No, è una sala virtuale.' });
    expect((await inject('GET', `/api/bookings/${b.id}`, host)).json().booking.unread).toBe(1);

    for (const final of [await refused(), await fulfilled()]) {
      const res = await inject('POST', `/api/bookings/${final.id}/messages`, host, {
        text: 'Ancora una cosa',
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('invalid_state');
    }
  });

  describe('attachments', () => {
    const dir = () => path.join(t.dataDir, 'booking-attachments');
    const stored = () => (fs.existsSync(dir()) ? fs.readdirSync(dir(), { recursive: true }).length : 0);
    const rows = async () => (await db().selectFrom('booking_attachments').select('id').execute()).length;
    const messages = async (id: string) =>
      (await db().selectFrom('booking_messages').select('id').where('booking_id', '=', id).execute()).length;

    it('stores a PDF by its SHA-256 and serves it back with its hash', async () => {
      const b = await request();
      const res = await inject('POST', `/api/bookings/${b.id}/messages`, host, {
        text: 'In allegato il verbale',
        attachments: [{ name: 'verbale.pdf', type: 'application/pdf', dataBase64: PDF.toString('base64') }],
      });
      expect(res.statusCode, res.body).toBe(201);
      const sha = createHash('sha256').update(PDF).digest('hex');
      const [file] = res.json().message.attachments;
      expect(file).toMatchObject({
        name: 'verbale.pdf',
        type: 'application/pdf',
        size: PDF.length,
        sha256: sha,
      });
      expect(fs.readFileSync(path.join(dir(), sha.slice(0, 2), sha))).toEqual(PDF);
      const got = await inject('GET', `/api/bookings/${b.id}/attachments/${file.id}`, admin);
      expect(got.statusCode).toBe(200);
      expect(got.headers['x-content-sha256']).toBe(sha);
      expect(got.headers['content-disposition']).toMatch(/^attachment; filename="verbale.pdf"/);
      expect(got.rawPayload).toEqual(PDF);
      expect(
        (await inject('GET', `/api/bookings/${b.id}/attachments/${file.id}`, otherHost)).statusCode,
      ).toBe(404);
    });

    it('refuses an attachment over the cap, storing nothing', async () => {
      const b = await request();
      const before = { files: stored(), rows: await rows(), messages: await messages(b.id) };
      const big = Buffer.concat([PDF, Buffer.alloc(MAX_BYTES, 0x20)]);
      const res = await inject('POST', `/api/bookings/${b.id}/messages`, host, {
        text: 'Troppo grande',
        attachments: [
          {
            name: 'piccolo.pdf',
            type: 'application/pdf',
            dataBase64: Buffer.concat([PDF, Buffer.from('x')]).toString('base64'),
          },
          { name: 'grande.pdf', type: 'application/pdf', dataBase64: big.toString('base64') },
        ],
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toMatchObject({ code: 'attachment_too_large' });
      expect(res.json().error.message).toContain('grande.pdf');
      expect({ files: stored(), rows: await rows(), messages: await messages(b.id) }).toEqual(before);
    });

    it('refuses a type outside the allow-list, or a file that is not what its name says, storing nothing', async () => {
      const b = await request();
      const before = { files: stored(), rows: await rows(), messages: await messages(b.id) };
      for (const attachment of [
        {
          name: 'setup.exe',
          type: 'application/x-msdownload',
          dataBase64: Buffer.from('MZ....').toString('base64'),
        },
        {
          name: 'finto.pdf',
          type: 'application/pdf',
          dataBase64: Buffer.from('<html>no</html>').toString('base64'),
        },
        { name: 'foto.png', type: 'application/pdf', dataBase64: PDF.toString('base64') },
      ]) {
        const res = await inject('POST', `/api/bookings/${b.id}/messages`, host, {
          text: 'Allegato',
          attachments: [attachment],
        });
        expect(res.statusCode, attachment.name).toBe(415);
        expect(res.json().error.code).toBe('attachment_type');
        expect(res.json().error.message).toContain(attachment.name);
      }
      expect({ files: stored(), rows: await rows(), messages: await messages(b.id) }).toEqual(before);
    });
  });

  describe('the booked room', () => {
    const exchange = async (sittingId: string, password?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/join-token',
        payload: {
          sittingId,
          token: (
            await t.app.access.joinTokens.mint({
              sittingId,
              subject: `op-${Math.random()}`,
              name: 'Impresa Alfa',
            })
          ).token,
          ...(password === undefined ? {} : { password }),
        },
      });

    it('asks operators for the password, and opens to them at the start', async () => {
      const { booking, sitting } = await accepted();
      const missing = await exchange(sitting.id);
      expect(missing.statusCode).toBe(401);
      expect(missing.json().error.code).toBe('wrong_password');
      expect((await exchange(sitting.id, 'sbagliata')).json().error.code).toBe('wrong_password');
      const early = await exchange(sitting.id, sitting.password);
      expect(early.statusCode).toBe(409);
      expect(early.json().error).toMatchObject({ code: 'not_open_yet' });
      expect(early.json().error.message).toContain(sitting.scheduledAt);
      await arrive(booking.id);
      const ok = await exchange(sitting.id, sitting.password);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toMatchObject({ sittingId: sitting.id, role: 'operator' });
    });

    it('opens to the host 30 minutes before the start, not earlier', async () => {
      const { booking, sitting } = await accepted();
      await arrive(booking.id, new Date(Date.now() + 31 * 60_000));
      await expect(t.app.sittings.start(sitting.id, hostIdentity())).rejects.toMatchObject({
        code: 'not_open_yet',
      });
      await arrive(booking.id, new Date(Date.now() + 29 * 60_000));
      await expect(t.app.sittings.start(sitting.id, hostIdentity())).resolves.toMatchObject({
        status: 'live',
      });
      // Operators still wait for the start.
      expect((await exchange(sitting.id, sitting.password)).json().error.code).toBe('not_open_yet');
      await t.app.sittings.end(sitting.id, hostIdentity());
    });

    it('lets a participant with the code and password alone enter, under the name typed', async () => {
      const { booking, sitting } = await accepted();
      const enter = (body: Record<string, unknown>, ip = '10.1.2.3') =>
        t.app.inject({
          method: 'POST',
          url: '/api/auth/meeting-password',
          remoteAddress: ip,
          payload: { sittingId: sitting.id, name: 'Anna Bianchi', company: 'Studio Bianchi', ...body },
        });
      // The entry page asks for the password only where the sitting has one.
      const entry = await t.app.inject({ url: `/api/sittings/${sitting.id}/entry` });
      expect(entry.json()).toEqual({ meetingPassword: true });
      const wrong = await enter({ password: 'sbagliata' });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('wrong_password');
      expect((await enter({ password: sitting.password })).json().error.code).toBe('not_open_yet');
      await arrive(booking.id);
      const ok = await enter({ password: ` ${sitting.password} ` });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({
        sittingId: sitting.id,
        name: 'Anna Bianchi – Studio Bianchi',
        role: 'operator',
      });
      // The pass it sets says who the browser is in the sitting.
      const cookie = ok.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const me = await t.app.inject({ url: `/api/sittings/${sitting.id}/me`, headers: { cookie } });
      expect(me.json()).toMatchObject({ name: 'Anna Bianchi – Studio Bianchi', role: 'operator' });
      // Guessing is limited per address: ten wrong passwords, then rate_limited even for the right one.
      for (let i = 0; i < 9; i++)
        expect((await enter({ password: `x${i}` }, '10.9.9.9')).statusCode).toBe(401);
      expect((await enter({ password: 'x9' }, '10.9.9.9')).statusCode).toBe(401);
      const limited = await enter({ password: sitting.password }, '10.9.9.9');
      expect(limited.json().error.code).toBe('rate_limited');
      expect((await enter({ password: sitting.password }, '10.9.9.10')).statusCode).toBe(200);
    });

    it('has no password entry for a reserved booked sitting: its commissioners come by invitation', async () => {
      const { booking, sitting } = await accepted({ visibility: 'reserved' });
      await arrive(booking.id);
      const entry = await t.app.inject({ url: `/api/sittings/${sitting.id}/entry` });
      expect(entry.json()).toEqual({ meetingPassword: false });
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/meeting-password',
        payload: { sittingId: sitting.id, password: sitting.password, name: 'Anna Bianchi' },
      });
      expect(res.statusCode).toBe(404);
    });

    it('has no password entry for a sitting not created from a booking', async () => {
      const { sitting } = await t.app.sittings.create({ title: 'Seduta ordinaria', createdBy: 'test' });
      const entry = await t.app.inject({ url: `/api/sittings/${sitting.id}/entry` });
      expect(entry.json()).toEqual({ meetingPassword: false });
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/meeting-password',
        payload: { sittingId: sitting.id, password: 'qualsiasi', name: 'Anna Bianchi' },
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.message).toMatch(/personal link/);
    });

    it('leaves sittings not created from a booking as they were', async () => {
      const { sitting } = await t.app.sittings.create({ title: 'Seduta ordinaria', createdBy: 'test' });
      expect((await exchange(sitting.id)).statusCode).toBe(200);
      await expect(t.app.sittings.start(sitting.id, hostIdentity())).resolves.toMatchObject({
        status: 'live',
      });
      await t.app.sittings.end(sitting.id, hostIdentity());
    });
  });
});
