/**
 * Issue 6, admin downloads over HTTP (app.inject): the final file whole (200) and by range (206
 * with the right bytes), as an attachment on request, the per-track originals, who may download
 * (admins; hosts only with RECORDINGS_HOST_DOWNLOAD=1 and only their own sittings), that every
 * download is audit-logged and that no crafted id reaches a file. To get a file quickly, the
 * recording rows are inserted directly and the files made by FFmpeg in RECORDINGS_DIR (the real
 * recorder makes them in recording-controls.test.ts).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFile } from '../../recorder/src/checksum';
import { testDatabases, type TestDatabase } from '../support/databases';
import { startTestServer, type StaffCredentials, type TestServer } from '../support/server';

const run = promisify(execFile);
const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';

interface Stored {
  sittingId: string;
  recordingId: string;
  segmentId: string;
  finalPath: string;
  segmentPath: string;
}

/** A ready recording of a new sitting run by `host`: rows inserted, files made by FFmpeg. */
async function storeRecording(srv: TestServer, dir: string, host: StaffCredentials): Promise<Stored> {
  const sitting = await srv.createSitting({ title: 'Consiglio comunale', host });
  const recordingId = randomUUID();
  const rel = path.join(sitting.id, recordingId);
  await mkdir(path.join(dir, rel), { recursive: true });
  const finalPath = path.join(dir, rel, 'final.mp4');
  const segmentPath = path.join(dir, rel, 'audio-microphone-0001.webm');
  await run(FFMPEG, [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=3:size=320x240:rate=25'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-movflags', '+faststart', finalPath],
  ]);
  await run(FFMPEG, [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:a', 'libopus', segmentPath],
  ]);
  const final = await digestFile(finalPath);
  const segment = await digestFile(segmentPath);
  const startedAt = new Date(Date.now() - 60_000);
  const stoppedAt = new Date(Date.now() - 50_000);
  await srv.db.db
    .insertInto('recordings')
    .values({
      id: recordingId,
      sitting_id: sitting.id,
      started_by: `staff:${host.user.email}`,
      started_at: startedAt,
      stopped_at: stoppedAt,
      state: 'ready',
      intervals: JSON.stringify([{ start: startedAt.toISOString(), end: stoppedAt.toISOString() }]),
      progress: 1,
      final_path: path.join(rel, 'final.mp4'),
      final_duration: 3,
      final_size: final.size,
      final_sha256: final.sha256,
      final_codec: 'h264+aac',
    })
    .execute();
  const row = await srv.db.db
    .insertInto('recording_segments')
    .values({
      recording_id: recordingId,
      producer_id: randomUUID(),
      kind: 'audio',
      source: 'microphone',
      participant_id: randomUUID(),
      participant_name: 'Presidente',
      is_host: true,
      codec: 'opus',
      file: path.join(rel, 'audio-microphone-0001.webm'),
      started_at: startedAt,
      ended_at: stoppedAt,
      size: segment.size,
      sha256: segment.sha256,
      complete: true,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { sittingId: sitting.id, recordingId, segmentId: row.id, finalPath, segmentPath };
}

describe.each(testDatabases())('recording downloads (%s)', (_kind, target) => {
  let database: TestDatabase;
  let srv: TestServer;
  let dir: string;
  let admin: StaffCredentials;
  let host: StaffCredentials;
  let rec: Stored;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-recording-downloads-'));
    // The recordings feature reads its settings from the process environment (see ADR 0011).
    process.env.RECORDINGS_DIR = dir;
    database = await target.open();
    srv = await startTestServer({ db: database.handle });
    admin = await srv.signIn('admin');
    host = await srv.host();
    rec = await storeRecording(srv, dir, host);
  }, 180_000);

  afterAll(async () => {
    await srv?.close();
    await database?.close();
    delete process.env.RECORDINGS_DIR;
    await rm(dir, { recursive: true, force: true });
  }, 180_000);

  const get = (url: string, who: StaffCredentials | undefined, headers: Record<string, string> = {}) =>
    srv.app.inject({ url, headers: { ...headers, ...(who ? { cookie: who.cookie } : {}) } });

  const downloads = () =>
    srv.db.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'recording.download')
      .orderBy('id')
      .execute();

  it('returns 206 with the right bytes for a range in the middle of the final file', async () => {
    const bytes = await readFile(rec.finalPath);
    const start = Math.floor(bytes.length / 3);
    const end = start + 999;
    const res = await get(`/api/recordings/${rec.recordingId}/file`, admin, {
      range: `bytes=${start}-${end}`,
    });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.rawPayload.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('returns the whole file with 200, inline for playing, and as an attachment with ?download=1', async () => {
    const bytes = await readFile(rec.finalPath);
    const inline = await get(`/api/recordings/${rec.recordingId}/file`, admin);
    expect(inline.statusCode).toBe(200);
    expect(inline.headers['content-type']).toBe('video/mp4');
    expect(inline.headers['content-disposition']).toBe('inline');
    expect(inline.rawPayload.equals(bytes)).toBe(true);

    const attachment = await get(`/api/recordings/${rec.recordingId}/file?download=1`, admin);
    expect(attachment.statusCode).toBe(200);
    expect(attachment.headers['content-disposition']).toMatch(/^attachment; filename="seduta-[\w.-]+\.mp4"$/);
    expect(attachment.rawPayload.equals(bytes)).toBe(true);
  });

  it('answers a range past the end with 416 and the size', async () => {
    const bytes = await readFile(rec.finalPath);
    const res = await get(`/api/recordings/${rec.recordingId}/file`, admin, {
      range: `bytes=${bytes.length}-`,
    });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${bytes.length}`);
  });

  it('audit-logs every download with who, which recording and which bytes', async () => {
    const before = (await downloads()).length;
    await get(`/api/recordings/${rec.recordingId}/file?download=1`, admin);
    await get(`/api/recordings/${rec.recordingId}/file`, admin, { range: 'bytes=100-199' });
    const rows = (await downloads()).slice(before);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      actor: `staff:${admin.user.email}`,
      role: 'admin',
      sitting_id: rec.sittingId,
    });
    expect(rows[0]!.details).toMatchObject({ recordingId: rec.recordingId, range: 'full', download: true });
    expect(rows[1]!.details).toMatchObject({ range: '100-199', download: false });
  });

  it("lists a sitting's recordings for an admin with duration, size and state", async () => {
    const res = await get(`/api/sittings/${rec.sittingId}/recordings`, admin);
    expect(res.statusCode).toBe(200);
    const { size } = await digestFile(rec.finalPath);
    expect(res.json().recordings).toEqual([
      expect.objectContaining({
        id: rec.recordingId,
        state: 'ready',
        duration: 3,
        size,
        degraded: false,
        progress: 1,
      }),
    ]);
  });

  it('lists the per-track originals and serves one of them', async () => {
    const list = await get(`/api/recordings/${rec.recordingId}/tracks`, admin);
    expect(list.statusCode).toBe(200);
    expect(list.json().tracks).toEqual([
      expect.objectContaining({
        id: rec.segmentId,
        kind: 'audio',
        source: 'microphone',
        participantName: 'Presidente',
      }),
    ]);
    const file = await get(`/api/recordings/${rec.recordingId}/tracks/${rec.segmentId}/file`, admin, {
      range: 'bytes=0-99',
    });
    expect(file.statusCode).toBe(206);
    expect(file.rawPayload.equals((await readFile(rec.segmentPath)).subarray(0, 100))).toBe(true);
  });

  it('tells the web client who may open the recordings page: admins, not hosts (RECORDINGS_HOST_DOWNLOAD off)', async () => {
    const asAdmin = await get('/api/auth/me', admin);
    expect(asAdmin.json().user).toMatchObject({ role: 'admin', canListRecordings: true });
    const asHost = await get('/api/auth/me', host);
    expect(asHost.json().user).toMatchObject({ role: 'host', canListRecordings: false });
  });

  it('refuses a host (RECORDINGS_HOST_DOWNLOAD off) with 403 and a caller without credentials with 401', async () => {
    for (const url of [
      `/api/recordings/${rec.recordingId}/file`,
      `/api/recordings/${rec.recordingId}/tracks`,
      `/api/recordings/${rec.recordingId}/tracks/${rec.segmentId}/file`,
      `/api/sittings/${rec.sittingId}/recordings`,
    ]) {
      const asHost = await get(url, host);
      expect(asHost.statusCode, url).toBe(403);
      expect(asHost.json().error.code).toBe('forbidden');
      const anonymous = await get(url, undefined);
      expect(anonymous.statusCode, url).toBe(401);
    }
  });

  it('refuses an operator of the sitting: 403 on its recordings list, 401 on a file (a pass is for its sitting only)', async () => {
    const cookie = await srv.operatorCookie(rec.sittingId, 'Ditta Alfa S.r.l.');
    const list = await srv.app.inject({
      url: `/api/sittings/${rec.sittingId}/recordings`,
      headers: { cookie },
    });
    expect(list.statusCode).toBe(403);
    const file = await srv.app.inject({
      url: `/api/recordings/${rec.recordingId}/file`,
      headers: { cookie },
    });
    expect(file.statusCode).toBe(401);
  });

  it('gives 404 for ../, encoded traversal, malformed ids, random uuids and a segment of another recording', async () => {
    const other = randomUUID();
    for (const url of [
      '/api/recordings/../file',
      `/api/recordings/..%2F..%2F${rec.sittingId}/file`,
      '/api/recordings/..%2F..%2Fetc%2Fpasswd/file',
      `/api/recordings/${rec.recordingId}/tracks/..%2Ffinal.mp4/file`,
      `/api/recordings/${rec.recordingId}%00/file`,
      '/api/recordings/not-a-uuid/file',
      `/api/recordings/${other}/file`,
      `/api/recordings/${other}/tracks`,
      `/api/recordings/${rec.recordingId}/tracks/${other}/file`,
      `/api/recordings/${other}/tracks/${rec.segmentId}/file`,
      `/api/recordings/${rec.segmentId}/file`,
    ]) {
      const res = await get(url, admin);
      expect(res.statusCode, url).toBe(404);
    }
  });
});

describe('recording downloads with RECORDINGS_HOST_DOWNLOAD=1', () => {
  let srv: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-recording-host-'));
    process.env.RECORDINGS_DIR = dir;
    process.env.RECORDINGS_HOST_DOWNLOAD = '1';
    srv = await startTestServer();
  }, 180_000);

  afterAll(async () => {
    await srv?.close();
    delete process.env.RECORDINGS_DIR;
    delete process.env.RECORDINGS_HOST_DOWNLOAD;
    await rm(dir, { recursive: true, force: true });
  }, 180_000);

  it("lets a host download their own sitting's recording, but not another host's", async () => {
    const owner = await srv.host();
    const me = await srv.app.inject({ url: '/api/auth/me', headers: { cookie: owner.cookie } });
    expect(me.json().user).toMatchObject({ role: 'host', canListRecordings: true });
    const stranger = await srv.signIn('host', 'Altro host');
    const rec = await storeRecording(srv, dir, owner);
    const url = `/api/recordings/${rec.recordingId}/file`;
    const mine = await srv.app.inject({ url, headers: { cookie: owner.cookie } });
    expect(mine.statusCode).toBe(200);
    expect(mine.rawPayload.equals(await readFile(rec.finalPath))).toBe(true);
    const theirs = await srv.app.inject({ url, headers: { cookie: stranger.cookie } });
    expect(theirs.statusCode).toBe(403);
    const list = await srv.app.inject({
      url: `/api/sittings/${rec.sittingId}/recordings`,
      headers: { cookie: stranger.cookie },
    });
    expect(list.statusCode).toBe(403);
  });
});
