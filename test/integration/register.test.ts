/**
 * The sitting's register (issue 13, item 3) from a sitting driven over signalling with raw
 * clients: two operators join, one raises a hand, the host approves, the operator publishes,
 * the host revokes, a second hand is denied, chat lines (one deleted), one operator leaves, the
 * sitting ends. The register (HTML and PDF) then lists what happened with the times the journal
 * stored, the recording's SHA-256 and the audit chain's hash at the end; each download is
 * audit-logged with the document's SHA-256; operators and other hosts are refused. The recording
 * row is inserted directly (a real recording is made in the e2e register test). Last: a
 * PostgreSQL outage during the sitting neither breaks the floor nor loses the journal's events.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateToLatest } from '../../server/src/db/migrate';
import { openDatabase, type OpenedDatabase } from '../../server/src/db/open';
import { escapeHtml } from '../../server/src/register/render-html';
import { duration, romeTime } from '../../server/src/register/wording';
import {
  createPostgresDatabase,
  postgresAdminUrl,
  testDatabases,
  testLogger,
  type TestDatabase,
} from '../support/databases';
import { pdfText } from '../support/pdf-text';
import { fakeRtpParameters } from '../support/fake-media';
import { connectRaw, type RawClient } from '../support/raw-client';
import {
  operatorPassCookie,
  startTestServer,
  type StaffCredentials,
  type TestServer,
} from '../support/server';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
describe.each(testDatabases())('the sitting register (%s)', (_kind, target) => {
  let database: TestDatabase;
  let srv: TestServer;
  let host: StaffCredentials;
  const clients: RawClient[] = [];
  const TITLE = 'Gara n. 12/2026 — apertura delle buste';
  const ALFA = 'Ditta Alfa S.r.l.';
  const BETA = 'Ditta <Beta> & figli S.p.A.';
  let sittingId: string;
  let html: string;

  beforeAll(async () => {
    database = await target.open();
    srv = await startTestServer({ db: database.handle });
    host = await srv.host();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
    await database?.close();
  });

  const get = (path: string, cookie: string) =>
    srv.app.inject({ method: 'GET', url: `/api/sittings/${sittingId}/${path}`, headers: { cookie } });

  it('is refused while the sitting runs, then lists who came, the floor, the chat and the recording', async () => {
    const sitting = await srv.createSitting({ title: TITLE });
    sittingId = sitting.id;
    const h = await connectRaw(srv.url, { sittingId, cookie: host.cookie });
    clients.push(h);
    await h.request({ type: 'sitting.start' });
    const { routerRtpCapabilities: caps } = await h.request({ type: 'join' });
    const join = async (name: string) => {
      const c = await connectRaw(srv.url, { sittingId, cookie: await srv.operatorCookie(sittingId, name) });
      clients.push(c);
      const { participantId } = await c.request({ type: 'join' });
      await c.request({ type: 'media.capabilities', rtpCapabilities: caps });
      return Object.assign(c, { participantId });
    };
    const alfa = await join(ALFA);
    const beta = await join(BETA);

    // Before the end the register is refused, with the reason.
    const early = await get('register.html', host.cookie);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'invalid_state' } });
    expect(early.json().error.message).toMatch(/^sitting_not_ended: the sitting is live/);

    await alfa.request({ type: 'hand.raise' });
    await h.waitForNote('hands.queue', (n) => n.queue.length === 1);
    await h.request({ type: 'hand.approve', participantId: alfa.participantId, audio: true, video: false });
    await alfa.waitForNote('hand.state', (n) => n.hand === 'speaking');
    const send = await alfa.request({ type: 'transport.create', direction: 'send' });
    await alfa.request({
      type: 'produce',
      transportId: send.transportId,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: fakeRtpParameters('audio', 7001),
    });
    // The intervention lasts a measurable while (its duration is asserted from the stored times).
    await new Promise((r) => setTimeout(r, 1100));
    await h.request({ type: 'floor.revoke', participantId: alfa.participantId });
    await beta.request({ type: 'hand.raise' });
    await h.waitForNote('hands.queue', (n) => n.queue.length === 1);
    await h.request({ type: 'hand.deny', participantId: beta.participantId });

    await alfa.request({ type: 'chat.send', text: 'Buongiorno, presente per la Ditta Alfa.' });
    const { message: removed } = await beta.request({ type: 'chat.send', text: 'riga <i>fuori luogo</i>' });
    await beta.request({ type: 'chat.send', text: 'Nessuna osservazione.' });
    await h.request({ type: 'chat.delete', messageId: removed.id });
    await beta.request({ type: 'leave' });
    await h.waitForNote('participant.left', (n) => n.participantId === beta.participantId);
    await h.request({ type: 'sitting.end' });

    const recording = await insertRecording(srv, sittingId, host);
    const res = await get('register.html', host.cookie);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    html = res.body;
    expect(res.headers['x-content-sha256']).toBe(sha256(res.rawPayload));

    const db = srv.db.db;
    const attendance = await db
      .selectFrom('sitting_attendance')
      .selectAll()
      .where('sitting_id', '=', sittingId)
      .execute();
    const byName = (name: string) => attendance.find((a) => a.name === name)!;
    expect(attendance.map((a) => [a.name, a.role]).sort()).toEqual(
      [
        [ALFA, 'operator'],
        [BETA, 'operator'],
        ['Presidente di seduta', 'host'],
      ].sort(),
    );
    const ended = await db
      .selectFrom('sittings')
      .select('ended_at')
      .where('id', '=', sittingId)
      .executeTakeFirstOrThrow();
    expect(byName(BETA).left_at!.getTime()).toBeLessThan(ended.ended_at!.getTime());
    expect(byName(BETA).leave_reason).toBe('left');
    expect(byName(ALFA)).toMatchObject({ left_at: ended.ended_at, leave_reason: 'sitting ended' });

    // Both operators, with the identity from their tokens and their entry and exit times.
    expect(html).toContain(TITLE);
    expect(html).toContain(ALFA);
    expect(html).toContain('Ditta &lt;Beta&gt; &amp; figli S.p.A.');
    expect(html).not.toContain('<Beta>');
    for (const a of [byName(ALFA), byName(BETA)]) {
      expect(html).toContain(escapeHtml(a.subject));
      expect(html).toContain(romeTime(a.joined_at));
      expect(html).toContain(romeTime(a.left_at));
    }

    // The hand with its times, the intervention with its duration, the denied hand.
    const floor = await db
      .selectFrom('sitting_floor_events')
      .selectAll()
      .where('sitting_id', '=', sittingId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    expect(floor.map((e) => [e.name, e.event])).toEqual([
      [ALFA, 'raised'],
      [ALFA, 'approved'],
      [ALFA, 'revoked'],
      [BETA, 'raised'],
      [BETA, 'denied'],
    ]);
    const [raised, approved, revoked] = floor as [(typeof floor)[0], (typeof floor)[0], (typeof floor)[0]];
    expect(approved.grants).toEqual({ audio: true, video: false });
    const spoke = revoked.at.getTime() - approved.at.getTime();
    expect(spoke).toBeGreaterThanOrEqual(1000);
    const handRow = section(html, 'mani');
    expect(handRow).toContain(
      `<td>${ALFA}</td><td>${romeTime(raised.at)}</td><td>Accolta</td><td>${romeTime(approved.at)}</td><td>Presidente di seduta</td>`,
    );
    expect(handRow).toContain('Respinta');
    const interventions = section(html, 'interventi');
    expect(interventions).toContain(
      `<td>${ALFA}</td><td>${romeTime(approved.at)}</td><td>${romeTime(revoked.at)}</td><td>${duration(spoke)}</td>`,
    );
    expect(interventions).toContain('Parola revocata (Presidente di seduta)');

    // The chat, the deleted line shown struck with who deleted it.
    const chat = section(html, 'chat');
    expect(chat).toContain('Buongiorno, presente per la Ditta Alfa.');
    expect(chat).toContain('Nessuna osservazione.');
    expect(chat).toMatch(
      /<s>riga &lt;i&gt;fuori luogo&lt;\/i&gt;<\/s> — eliminato il .* da Presidente di seduta/,
    );

    // The recording, and the audit chain's hash at the end.
    expect(section(html, 'registrazioni')).toContain(recording.finalSha256);
    expect(section(html, 'registrazioni')).toContain(recording.segmentSha256);
    const endRow = await db
      .selectFrom('audit_log')
      .select(['id', 'hash'])
      .where('sitting_id', '=', sittingId)
      .where('action', '=', 'sitting.end')
      .executeTakeFirstOrThrow();
    expect(html).toContain(`data-field="chain-hash">${endRow.hash}<`);
    expect(html).toContain(`n. ${endRow.id} (sitting.end)`);

    // The generation is in the audit log with the document's SHA-256.
    const logged = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('sitting_id', '=', sittingId)
      .where('action', '=', 'register.download')
      .execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      actor: `staff:${host.user.email}`,
      role: 'host',
      details: { format: 'html', sha256: res.headers['x-content-sha256'], size: res.rawPayload.length },
    });
  });

  it('gives the same document again (same SHA-256), and the PDF opens with the title and the operators', async () => {
    const again = await get('register.html', host.cookie);
    expect(again.body).toBe(html);
    const admin = await srv.signIn('admin');
    const pdf = await get('register.pdf', admin.cookie);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(
      `attachment; filename="registro-seduta-${sittingId}.pdf"`,
    );
    expect(pdf.headers['x-content-sha256']).toBe(sha256(pdf.rawPayload));
    const text = pdfText(pdf.rawPayload);
    expect(text, 'read by pdftotext').toContain(TITLE);
    expect(text).toContain(ALFA);
    expect(text).toMatch(/Pagina 1 di \d+/);
    const second = await get('register.pdf', admin.cookie);
    expect(second.headers['x-content-sha256']).toBe(pdf.headers['x-content-sha256']);
    const logged = await srv.db.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('sitting_id', '=', sittingId)
      .where('action', '=', 'register.download')
      .orderBy('id')
      .execute();
    expect(logged.map((l) => (l.details as { format: string }).format)).toEqual([
      'html',
      'html',
      'pdf',
      'pdf',
    ]);
    expect(logged[2]).toMatchObject({
      actor: `staff:${admin.user.email}`,
      details: { sha256: pdf.headers['x-content-sha256'] },
    });
  });

  it('refuses operators and other hosts (403), and logs nothing for them', async () => {
    const before = await countDownloads(srv, sittingId);
    // A pass as the token exchange would have made it during the sitting.
    const operator = await operatorPassCookie(sittingId, 'Ditta Gamma');
    const other = await srv.signIn('host', 'Altro ente');
    for (const cookie of [operator, other.cookie]) {
      for (const path of ['register.html', 'register.pdf']) {
        const res = await get(path, cookie);
        expect(res.statusCode, `${path}`).toBe(403);
        expect(res.json()).toMatchObject({ error: { code: 'forbidden' } });
      }
    }
    const anonymous = await srv.app.inject({ method: 'GET', url: `/api/sittings/${sittingId}/register.pdf` });
    expect(anonymous.statusCode).toBe(401);
    expect(await countDownloads(srv, sittingId)).toBe(before);
  });
});

/** The HTML of one `<section id=…>` of the register. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start, `section ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

async function countDownloads(srv: TestServer, sittingId: string): Promise<number> {
  const rows = await srv.db.db
    .selectFrom('audit_log')
    .select('id')
    .where('sitting_id', '=', sittingId)
    .where('action', '=', 'register.download')
    .execute();
  return rows.length;
}

/** A finalized recording of the sitting, as the recorder leaves it (rows only: no files needed). */
async function insertRecording(srv: TestServer, sittingId: string, host: StaffCredentials) {
  const recordingId = randomUUID();
  const finalSha256 = sha256(`final ${recordingId}`);
  const segmentSha256 = sha256(`segment ${recordingId}`);
  const startedAt = new Date(Date.now() - 60_000);
  const stoppedAt = new Date(Date.now() - 10_000);
  await srv.db.db
    .insertInto('recordings')
    .values({
      id: recordingId,
      sitting_id: sittingId,
      started_by: `staff:${host.user.email}`,
      started_at: startedAt,
      stopped_at: stoppedAt,
      state: 'ready',
      intervals: JSON.stringify([{ start: startedAt.toISOString(), end: stoppedAt.toISOString() }]),
      progress: 1,
      final_path: `${sittingId}/${recordingId}/final.mp4`,
      final_duration: 50,
      final_size: 1_234_567,
      final_sha256: finalSha256,
      final_codec: 'h264+aac',
    })
    .execute();
  await srv.db.db
    .insertInto('recording_segments')
    .values({
      recording_id: recordingId,
      producer_id: randomUUID(),
      kind: 'audio',
      source: 'microphone',
      participant_id: randomUUID(),
      participant_name: 'Presidente di seduta',
      is_host: true,
      codec: 'opus',
      file: `${sittingId}/${recordingId}/audio-microphone-0001.webm`,
      started_at: startedAt,
      ended_at: stoppedAt,
      size: 400_000,
      sha256: segmentSha256,
      complete: true,
    })
    .execute();
  return { recordingId, finalSha256, segmentSha256 };
}

const admin = postgresAdminUrl();

describe.skipIf(admin === undefined)('the register journal during a PostgreSQL outage', () => {
  let proxy: TcpProxy;
  let drop: () => Promise<void>;
  let through: OpenedDatabase;
  let direct: OpenedDatabase;
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    proxy = await startTcpProxy(5432);
    const created = await createPostgresDatabase(admin!);
    drop = () => created.drop();
    direct = await openDatabase({ dataDir: '', databaseUrl: created.url }, testLogger);
    await migrateToLatest(direct.db, testLogger);
    through = await openDatabase({ dataDir: '', databaseUrl: proxy.via(created.url) }, testLogger);
    srv = await startTestServer({ db: through });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await proxy?.setMode('forward');
    await srv?.close();
    await through?.close();
    await direct?.close();
    await drop?.();
    await proxy?.close();
  });

  it('keeps the floor working while the database is cut, and stores the events once it is back', async () => {
    const sitting = await srv.createSitting({ title: 'Seduta durante un guasto' });
    const h = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    clients.push(h);
    await h.request({ type: 'sitting.start' });
    await h.request({ type: 'join' });
    const op = await connectRaw(srv.url, {
      sittingId: sitting.id,
      cookie: await operatorPassCookie(sitting.id, 'Ditta Delta'),
    });
    clients.push(op);
    const { participantId } = await op.request({ type: 'join' });
    const journal = srv.app.sittingRegister.journal;
    expect(await journal.idle()).toBe(true);

    await proxy.setMode('refuse');
    // The hand goes up and the host sees it, whatever the audit log's write answers.
    const raise = await op.send({ type: 'hand.raise' });
    expect(raise.ok || (!raise.ok && raise.error.code === 'unavailable')).toBe(true);
    await h.waitForNote('hands.queue', (n) => n.queue.some((e) => e.participantId === participantId));
    // Leaving needs no database either: the hand goes with the operator.
    await op.request({ type: 'leave' });
    await h.waitForNote('participant.left', (n) => n.participantId === participantId);
    expect(journal.pending).toBeGreaterThan(0);
    await proxy.setMode('forward');

    await vi.waitFor(() => expect(journal.pending).toBe(0), { timeout: 15_000, interval: 100 });
    const events = await direct.db
      .selectFrom('sitting_floor_events')
      .select(['event', 'name'])
      .where('sitting_id', '=', sitting.id)
      .orderBy('id')
      .execute();
    expect(events).toEqual([
      { event: 'raised', name: 'Ditta Delta' },
      { event: 'gone', name: 'Ditta Delta' },
    ]);
    const attendance = await direct.db
      .selectFrom('sitting_attendance')
      .select(['name', 'leave_reason'])
      .where('sitting_id', '=', sitting.id)
      .where('name', '=', 'Ditta Delta')
      .execute();
    expect(attendance).toEqual([{ name: 'Ditta Delta', leave_reason: 'left' }]);
  }, 60_000);
});
