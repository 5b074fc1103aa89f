/**
 * The recorder's file-level duties, without live media: lookup of files by id confined to
 * RECORDINGS_DIR, retention with audit entries, the `recordings:verify` command, and recovery of
 * a recording whose server died while it was recording.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { types } from 'mediasoup';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, migrateToLatest } from '../../server/src/index';
import type { Database } from '../../server/src/index';
import {
  DEFAULT_OUTPUT,
  purgeExpiredRecordings,
  Recorder,
  RecordingFiles,
  verifyRecordings,
} from '../../recorder/src/index';
import type { RecorderConfig } from '../../recorder/src/index';
import { RecordingsRepo } from '../../recorder/src/recordings-repo';
import { consumerSdp } from '../../recorder/src/sdp';
import type { TrackLink } from '../../recorder/src/track-link';
import { TrackRun } from '../../recorder/src/track-run';
import { freeUdpPortPair, waitUdpBound } from '../../recorder/src/udp-ports';
import { digestFile } from '../../recorder/src/checksum';
import { probe, run } from '../../recorder/test-support/recorder-fixture';
import { testDatabases, testLogger, type TestDatabase } from '../support/databases';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DAY = 24 * 60 * 60 * 1000;

let root: string;
let config: RecorderConfig;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'seduta-recfiles-'));
  config = {
    recordingsDir: path.join(root, 'recordings'),
    ffmpegPath: process.env.FFMPEG_PATH ?? 'ffmpeg',
    ffprobePath: process.env.FFPROBE_PATH ?? 'ffprobe',
    segmentSeconds: 60,
    retentionDays: 30,
    output: { ...DEFAULT_OUTPUT, width: 320, height: 180 },
  };
  await mkdir(config.recordingsDir, { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A sitting row. */
async function sitting(db: Kysely<Database>): Promise<string> {
  const row = await db
    .insertInto('sittings')
    .values({ title: 'Giunta', kind: 'public', status: 'ended', created_by: 'test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A recording the server was making when it died: its row (state `recording`) and the directory of
 * one audio track with the track.json the recorder writes first.
 */
async function interruptedAudioTrack(db: Kysely<Database>, startedAt: Date) {
  const sittingId = await sitting(db);
  const repo = new RecordingsRepo(db);
  const rec = await repo.create(sittingId, 'host', startedAt);
  // Past 'starting': recording since startedAt, as when the server died.
  await repo.update(rec.id, {
    state: 'recording',
    intervals: [{ start: startedAt.toISOString(), end: null }],
  });
  const trackDir = path.join(config.recordingsDir, sittingId, rec.id, 'audio-microphone-p1');
  await mkdir(trackDir, { recursive: true });
  await writeFile(
    path.join(trackDir, 'track.json'),
    JSON.stringify({
      producerId: 'p1',
      kind: 'audio',
      source: 'microphone',
      participantId: 'h',
      participantName: 'Host',
      isHost: true,
    }),
  );
  return { sittingId, rec, trackDir };
}

/** A ready recording with one (fake) segment and a final file, stopped `daysAgo` days ago. */
async function readyRecording(db: Kysely<Database>, sittingId: string, daysAgo: number) {
  const stoppedAt = new Date(Date.now() - daysAgo * DAY);
  const startedAt = new Date(stoppedAt.getTime() - 60_000);
  const rec = await db
    .insertInto('recordings')
    .values({
      sitting_id: sittingId,
      started_by: 'host',
      started_at: startedAt,
      stopped_at: stoppedAt,
      state: 'ready',
      intervals: JSON.stringify([{ start: startedAt.toISOString(), end: stoppedAt.toISOString() }]),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const rel = path.join(sittingId, rec.id);
  await mkdir(path.join(config.recordingsDir, rel, 'audio-microphone-p1'), { recursive: true });
  const segmentFile = path.join(rel, 'audio-microphone-p1', 'r0001-00001.webm');
  const finalFile = path.join(rel, 'final.mp4');
  await writeFile(path.join(config.recordingsDir, segmentFile), randomBytes(4000));
  await writeFile(path.join(config.recordingsDir, finalFile), randomBytes(9000));
  const seg = await digestFile(path.join(config.recordingsDir, segmentFile));
  const fin = await digestFile(path.join(config.recordingsDir, finalFile));
  const segment = await db
    .insertInto('recording_segments')
    .values({
      recording_id: rec.id,
      producer_id: 'p1',
      kind: 'audio',
      source: 'microphone',
      participant_id: 'host',
      participant_name: 'Host',
      is_host: true,
      codec: 'opus',
      file: segmentFile,
      started_at: startedAt,
      ended_at: stoppedAt,
      size: seg.size,
      sha256: seg.sha256,
      complete: true,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await new RecordingsRepo(db).finalized(rec.id, {
    path: finalFile,
    duration: 60,
    size: fin.size,
    sha256: fin.sha256,
    codec: 'h264+aac',
  });
  return { id: rec.id, segmentId: segment.id, segmentFile, finalFile };
}

describe.each(testDatabases())('recording files on %s', (_kind, target) => {
  let t: TestDatabase;
  let db: Kysely<Database>;
  // Opening and migrating a database can take a while on a busy CI machine.
  beforeAll(async () => {
    t = await target.open();
    db = t.handle.db;
  }, 180_000);
  afterAll(() => t?.close(), 60_000);

  describe('RecordingFiles', () => {
    it('finds a ready recording and its segments by id, inside RECORDINGS_DIR', async () => {
      const rec = await readyRecording(db, await sitting(db), 0);
      const files = new RecordingFiles(new RecordingsRepo(db), config);
      const final = await files.final(rec.id);
      expect(final).toMatchObject({
        recordingId: rec.id,
        absolutePath: path.join(config.recordingsDir, rec.finalFile),
        size: 9000,
        contentType: 'video/mp4',
        downloadName: expect.stringMatching(/^seduta-\d{4}-\d\d-\d\d-[0-9a-f]{8}\.mp4$/),
      });
      expect(await files.segment(rec.segmentId)).toMatchObject({ size: 4000, contentType: 'audio/webm' });
    });

    it('finds nothing for crafted ids, unknown ids, or a stored path that leads outside the root', async () => {
      const rec = await readyRecording(db, await sitting(db), 0);
      const files = new RecordingFiles(new RecordingsRepo(db), config);
      for (const id of ['../../etc/passwd', `${rec.id}/../x`, '%2e%2e%2f', '', randomUUID(), rec.segmentId]) {
        expect(await files.final(id), id).toBeUndefined();
      }
      expect(await files.segment(rec.id)).toBeUndefined();
      await writeFile(path.join(root, 'outside.mp4'), 'secret');
      await db
        .updateTable('recordings')
        .set({ final_path: '../outside.mp4' })
        .where('id', '=', rec.id)
        .execute();
      expect(await files.final(rec.id)).toBeUndefined();
      // A symlink planted inside the root does not lead out of it either.
      await symlink(path.join(root, 'outside.mp4'), path.join(config.recordingsDir, 'link.mp4'));
      await db.updateTable('recordings').set({ final_path: 'link.mp4' }).where('id', '=', rec.id).execute();
      expect(await files.final(rec.id)).toBeUndefined();
    });
  });

  describe('purgeExpiredRecordings', () => {
    it('deletes the files of recordings older than the retention, keeps their rows, and audit-logs each deletion', async () => {
      const sittingId = await sitting(db);
      const old = await readyRecording(db, sittingId, 40);
      const recent = await readyRecording(db, sittingId, 1);
      const audit: object[] = [];
      const purged = await purgeExpiredRecordings({
        db,
        config,
        logger: testLogger,
        audit: (entry) => {
          audit.push(entry);
          return appendAudit(db, entry);
        },
      });
      expect(purged).toEqual([{ recordingId: old.id, sittingId, segments: 1, bytes: 13000 }]);
      await expect(stat(path.join(config.recordingsDir, sittingId, old.id))).rejects.toThrow(/ENOENT/);
      expect((await stat(path.join(config.recordingsDir, recent.finalFile))).isFile()).toBe(true);
      expect(audit).toEqual([
        expect.objectContaining({
          action: 'recording.purged',
          sittingId,
          details: expect.objectContaining({ recordingId: old.id, retentionDays: 30 }),
        }),
      ]);
      const row = await new RecordingsRepo(db).get(old.id);
      expect(row?.purged_at).toBeInstanceOf(Date);
      expect(await new RecordingFiles(new RecordingsRepo(db), config).final(old.id)).toBeUndefined();
      // Purged files are no longer expected by verify; a second pass deletes nothing.
      expect((await verifyRecordings({ db, config, recordingId: old.id })).files).toBe(0);
      expect(
        await purgeExpiredRecordings({ db, config, logger: testLogger, audit: () => Promise.resolve() }),
      ).toEqual([]);
    });

    it('keeps everything when no retention is configured', async () => {
      const rec = await readyRecording(db, await sitting(db), 400);
      const none = { ...config, retentionDays: undefined };
      expect(
        await purgeExpiredRecordings({
          db,
          config: none,
          logger: testLogger,
          audit: () => Promise.resolve(),
        }),
      ).toEqual([]);
      expect((await stat(path.join(config.recordingsDir, rec.finalFile))).isFile()).toBe(true);
    });
  });
});

describe.each(testDatabases())('npm run recordings:verify on %s', (_kind, target) => {
  it('exits 0 when every checksum matches, and 1 naming the file once one was altered', async () => {
    const proc = await target.forProcess();
    try {
      const opened = await proc.open();
      let rec: Awaited<ReturnType<typeof readyRecording>>;
      try {
        await migrateToLatest(opened.db, testLogger);
        rec = await readyRecording(opened.db, await sitting(opened.db), 0);
      } finally {
        await opened.close();
      }
      const env = { ...process.env, ...proc.env, RECORDINGS_DIR: config.recordingsDir, LOG_LEVEL: 'warn' };
      const ok = await npmRun(env);
      expect(ok.stdout, ok.stderr).toMatch(/2 files of \d+ recordings checked, 0 mismatches/);
      expect(ok.code).toBe(0);
      await appendFile(path.join(config.recordingsDir, rec.segmentFile), 'x');
      const bad = await npmRun(env);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`MISMATCH  ${rec.id}  ${rec.segmentFile}`);
    } finally {
      await proc.destroy();
    }
  }, 240_000);
});

describe('resumePendingFinalizations after a crash while recording', () => {
  it('ends the orphaned FFmpeg, registers the files on disk, and finalizes the recording as degraded', async () => {
    const [, pglite] = testDatabases()[0]!;
    const t = await pglite.open();
    try {
      const db = t.handle.db;
      const startedAt = new Date(Date.now() - 60_000);
      const { sittingId, rec, trackDir } = await interruptedAudioTrack(db, startedAt);
      // FFmpeg had closed one 4 s segment and was 2 s into the next when the server died.
      await tone(path.join(trackDir, 'r0001-00001.webm'), 4);
      await tone(path.join(trackDir, 'r0001-00002.webm'), 2);
      await writeFile(path.join(trackDir, 'r0001.csv'), 'r0001-00001.webm,0.000000,4.000000\n');
      const sdp = path.join(trackDir, 'l0001.sdp');
      const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', sdp], { stdio: 'ignore' });
      const orphanExit = new Promise((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)));
      const firstPacketAt = startedAt.getTime() + 500;
      await writeFile(
        path.join(trackDir, 'r0001.json'),
        JSON.stringify({ pid: orphan.pid, firstPacketAt, codec: 'opus', sdp }),
      );

      const audit: string[] = [];
      const recorder = new Recorder({
        db,
        config,
        logger: testLogger,
        audit: (entry) => {
          audit.push(entry.action);
          return appendAudit(db, entry);
        },
      });
      expect(await recorder.resumePendingFinalizations()).toEqual([rec.id]);
      expect(await orphanExit).toBe('SIGTERM');
      const segments = await new RecordingsRepo(db).segments(rec.id);
      expect(
        segments.map((s) => [path.basename(s.file), s.complete, s.started_at.getTime() - firstPacketAt]),
      ).toEqual([
        ['r0001-00001.webm', true, 0],
        ['r0001-00002.webm', false, 4000],
      ]);
      expect(segments[1]!.ended_at.getTime() - firstPacketAt).toBeGreaterThan(5900);
      await recorder.finalizeIdle();
      const status = await recorder.status(rec.id);
      expect(status).toMatchObject({ state: 'ready', degraded: true });
      expect(status.recordedSeconds).toBeCloseTo(6.5, 0);
      const info = await probe(path.join(config.recordingsDir, sittingId, rec.id, 'final.mp4'));
      expect(info.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      expect(audit).toEqual(['recording.recovered', 'recording.finalized']);
      await recorder.close();
    } finally {
      await t.close();
    }
  }, 240_000);
});

describe('resumePendingFinalizations, FFmpeg still listening after the crash', () => {
  it('ends it with an RTCP BYE: it exits 0 and its last segment is listed, complete', async () => {
    const [, pglite] = testDatabases()[0]!;
    const t = await pglite.open();
    let recorder: Recorder | undefined;
    try {
      const db = t.handle.db;
      const { rec, trackDir } = await interruptedAudioTrack(db, new Date(Date.now() - 10_000));
      // The FFmpeg a recording runs (same arguments), left behind by a server that died: its
      // input went quiet with the server, and nobody will ever type q on its stdin.
      const port = await freeUdpPortPair();
      const sdp = path.join(trackDir, 'l0001.sdp');
      const opus = {
        mimeType: 'audio/opus',
        payloadType: 100,
        clockRate: 48000,
        channels: 2,
        parameters: {},
      };
      await writeFile(sdp, consumerSdp('audio', { codecs: [opus] } as unknown as types.RtpParameters, port));
      // Only what ffmpegArgs reads: no relay runs (the server has "crashed").
      const relay = { runStartedAt: undefined, once: () => undefined };
      const link = { sdpPath: sdp, codec: 'opus', relay } as unknown as TrackLink;
      const args = new TrackRun({ index: 1, link, kind: 'audio', dir: trackDir, config, logger: testLogger })
        .ffmpegArgs;
      const orphan = spawn(config.ffmpegPath, args, { stdio: 'ignore' });
      const orphanExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        orphan.once('exit', (code, signal) => resolve({ code, signal })),
      );
      await waitUdpBound(port, 10_000);
      const firstPacketAt = Date.now();
      await sendOpusSilence(port, 100); // 2 s of 20 ms frames
      await writeFile(
        path.join(trackDir, 'r0001.json'),
        JSON.stringify({ pid: orphan.pid, firstPacketAt, codec: 'opus', sdp }),
      );
      await sleep(1000);

      recorder = new Recorder({
        db,
        config,
        logger: testLogger,
        audit: (entry) => appendAudit(db, entry),
      });
      const started = Date.now();
      expect(await recorder.resumePendingFinalizations()).toEqual([rec.id]);
      expect(await orphanExit).toEqual({ code: 0, signal: null });
      // Well before the SIGTERM that would follow 3 s after the BYE.
      expect(Date.now() - started).toBeLessThan(3000);
      const segments = await new RecordingsRepo(db).segments(rec.id);
      expect(segments.map((s) => [path.basename(s.file), s.complete])).toEqual([['r0001-00001.webm', true]]);
      const seconds = (segments[0]!.ended_at.getTime() - segments[0]!.started_at.getTime()) / 1000;
      expect(seconds).toBeCloseTo(2, 0);
    } finally {
      await recorder?.close();
      await t.close();
    }
  }, 60_000);
});

/** Sends `count` RTP packets of Opus silence (20 ms frames, payload type 100) to 127.0.0.1:port. */
async function sendOpusSilence(port: number, count: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < count; i++) {
      const packet = Buffer.alloc(15);
      packet[0] = 0x80;
      packet[1] = 100;
      packet.writeUInt16BE(i, 2);
      packet.writeUInt32BE(i * 960, 4);
      packet.writeUInt32BE(0x1234, 8);
      packet.set([0xf8, 0xff, 0xfe], 12); // one 20 ms CELT frame of silence
      await new Promise<void>((resolve, reject) =>
        socket.send(packet, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
      );
      await sleep(20);
    }
  } finally {
    socket.close();
  }
}

/** Writes an Opus WebM of a sine tone, `seconds` long. */
async function tone(file: string, seconds: number): Promise<void> {
  const { code, err } = await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    ...['-c:a', 'libopus', '-ac', '2', file],
  ]);
  if (code !== 0) throw new Error(err);
}

/** Runs `npm run recordings:verify` from the repository root. */
function npmRun(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'recordings:verify'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
