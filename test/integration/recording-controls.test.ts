/**
 * Issue 6, recording controls over the raw protocol, with the real recorder and FFmpeg on
 * 127.0.0.1: the host starts, pauses, resumes and stops recording and every participant is told;
 * an operator may not; while the sitting is recorded a joiner must acknowledge the notice (and
 * that is audit-logged); the recording really ends up as a final file. The media being recorded
 * comes from an FFmpeg publisher whose producers are announced to the sitting's `recordable`
 * registry the way LiveSitting announces a participant's (publishing through a browser is the
 * e2e suite's job).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPublisher, type Publisher } from '../../recorder/test-support/ffmpeg-publisher';
import { probe } from '../../recorder/test-support/recorder-fixture';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

let srv: TestServer;
let dir: string;
const clients: RawClient[] = [];
const publishers: Publisher[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-recording-controls-'));
  // The recordings feature reads its settings from the process environment (see ADR 0011).
  process.env.RECORDINGS_DIR = dir;
  process.env.RECORDINGS_SEGMENT_SECONDS = '4';
  srv = await startTestServer();
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(publishers.map((p) => p.stop()));
  await srv?.close();
  delete process.env.RECORDINGS_DIR;
  delete process.env.RECORDINGS_SEGMENT_SECONDS;
  await rm(dir, { recursive: true, force: true });
}, 180_000);

async function connect(sittingId: string, cookie: string): Promise<RawClient> {
  const c = await connectRaw(srv.url, { sittingId, cookie });
  clients.push(c);
  return c;
}

/** A live sitting with the host joined and one operator joined (before any recording). */
async function startLiveSitting() {
  const sitting = await srv.createSitting({ title: 'Consiglio comunale' });
  const host = await connect(sitting.id, (await srv.host()).cookie);
  await host.request({ type: 'sitting.start' });
  await host.request({ type: 'join' });
  const op = await connect(sitting.id, await srv.operatorCookie(sitting.id, 'Ditta Alfa S.r.l.'));
  const joined = await op.request({ type: 'join' });
  expect(joined.recording).toEqual({ state: 'off', degraded: false });
  return { sitting, host, op, live: await srv.sittings.live(sitting.id) };
}

const auditRows = (sittingId: string, action: string) =>
  srv.db.db
    .selectFrom('audit_log')
    .selectAll()
    .where('sitting_id', '=', sittingId)
    .where('action', '=', action)
    .execute();

describe('recording controls (raw protocol, real recorder)', () => {
  it('lets the host start, pause, resume and stop, pushes each state to an operator, and produces the final file', async () => {
    const { sitting, host, op, live } = await startLiveSitting();
    const publisher = await startPublisher(live.router, {
      participantId: 'ffmpeg-host',
      frequency: 440,
      maxSeconds: 120,
    });
    publishers.push(publisher);
    const ref = { participantId: 'ffmpeg-host', participantName: 'Presidente', isHost: true };
    live.recordable.add({ ...ref, producer: publisher.video, source: 'camera' });
    live.recordable.add({ ...ref, producer: publisher.audio, source: 'microphone' });

    const seen = () => op.notes.flatMap((n) => (n.type === 'recording.state' ? [n.recording.state] : []));
    // 'starting' until the first media of every live track is on disk, then 'recording'.
    expect((await host.request({ type: 'recording.start' })).recording.state).toBe('starting');
    await op.waitForNote('recording.state', (n) => n.recording.state === 'recording');
    // Recording is about time passing: let a few seconds of media reach the segments.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await host.request({ type: 'recording.pause' })).recording.state).toBe('paused');
    await op.waitForNote('recording.state', (n) => n.recording.state === 'paused');
    expect((await host.request({ type: 'recording.resume' })).recording.state).toBe('recording');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await host.request({ type: 'recording.stop' })).recording.state).toBe('finalizing');
    await srv.app.recorder.finalizeIdle();
    const [recording] = await srv.app.recorder.list(sitting.id);
    // error first: when finalizing fails, the diff shows why.
    expect(recording).toMatchObject({ error: null, state: 'ready', degraded: false });
    await vi.waitFor(() => expect(seen().at(-1)).toBe('ready'), { timeout: 10_000 });
    expect(seen()).toEqual([
      'starting',
      'recording',
      'paused',
      'starting',
      'recording',
      'stopping',
      'finalizing',
      'ready',
    ]);

    const file = await srv.app.recorder.files.final(recording!.id);
    expect(file).toBeDefined();
    const info = await probe(file!.absolutePath);
    expect(info.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(info.duration).toBeGreaterThan(4);
    expect((await stat(file!.absolutePath)).size).toBe(file!.size);

    const controls = await srv.db.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'role'])
      .where('sitting_id', '=', sitting.id)
      .where('action', 'in', ['recording.start', 'recording.pause', 'recording.resume', 'recording.stop'])
      .orderBy('id')
      .execute();
    expect(controls.map((a) => a.action)).toEqual([
      'recording.start',
      'recording.pause',
      'recording.resume',
      'recording.stop',
    ]);
    const hostActor = `staff:${(await srv.host()).user.email}`;
    for (const a of controls) expect(a).toMatchObject({ actor: hostActor, role: 'host' });
  }, 120_000);

  it('reports a recordings disk short of RECORDINGS_MIN_FREE_MB in /api/health', async () => {
    const MB = 1024 * 1024;
    const space = vi
      .spyOn(srv.app.recorder, 'diskSpace')
      .mockResolvedValue({ freeBytes: 300 * MB, minFreeBytes: 1024 * MB });
    try {
      const res = await srv.app.inject('/api/health');
      expect(res.statusCode).toBe(503);
      expect(res.json().problems).toEqual(['recordings disk: 300 MB free (below 1024 MB)']);
    } finally {
      space.mockRestore();
    }
    // The real disk of the test run has room.
    expect((await srv.app.inject('/api/health')).statusCode).toBe(200);
  });

  it('refuses recording.start from an operator', async () => {
    const { op } = await startLiveSitting();
    const reply = await op.send({ type: 'recording.start' });
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error.code).toBe('forbidden');
  });

  it('refuses pause, resume and stop when nothing is being recorded', async () => {
    const { host } = await startLiveSitting();
    for (const type of ['recording.pause', 'recording.resume', 'recording.stop']) {
      const reply = await host.send({ type });
      expect(!reply.ok && reply.error.code, type).toBe('invalid_state');
    }
  });

  it('tells a joiner before entering that the sitting is recorded, refuses a join without the notice and logs the acknowledgement', async () => {
    const { sitting, host, live } = await startLiveSitting();
    const publisher = await startPublisher(live.router, {
      participantId: 'ffmpeg-host-2',
      frequency: 440,
      maxSeconds: 120,
    });
    publishers.push(publisher);
    const ref = { participantId: 'ffmpeg-host-2', participantName: 'Presidente', isHost: true };
    live.recordable.add({ ...ref, producer: publisher.video, source: 'camera' });
    live.recordable.add({ ...ref, producer: publisher.audio, source: 'microphone' });
    await host.request({ type: 'recording.start' });

    const late = await connect(sitting.id, await srv.operatorCookie(sitting.id, 'Ditta Beta S.r.l.', 'beta'));
    // Before joining: the sitting's state says it is recorded (socket and HTTP alike).
    const state = await late.waitForNote('sitting.state', (n) => n.sitting.recording?.state === 'recording');
    expect(state.sitting.recording).toEqual({ state: 'recording', degraded: false, gaps: [] });
    const details = await srv.app.inject({
      url: `/api/sittings/${sitting.id}`,
      headers: { cookie: (await srv.host()).cookie },
    });
    expect(details.json().recording).toEqual({ state: 'recording', degraded: false, gaps: [] });

    const refused = await late.send({ type: 'join' });
    expect(!refused.ok && refused.error.code).toBe('invalid_state');
    expect(!refused.ok && refused.error.message).toMatch(/acknowledge the recording notice/);
    expect(await auditRows(sitting.id, 'recording.notice.acknowledged')).toHaveLength(0);

    const joined = await late.request({ type: 'join', recordingNotice: 'acknowledged' });
    expect(joined.recording).toEqual({ state: 'recording', degraded: false, gaps: [] });
    const rows = await auditRows(sitting.id, 'recording.notice.acknowledged');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'operator:beta', role: 'operator' });
    expect(rows[0]!.at).toBeInstanceOf(Date);

    await host.request({ type: 'recording.stop' });
    await srv.app.recorder.finalizeIdle();
  }, 120_000);
});
