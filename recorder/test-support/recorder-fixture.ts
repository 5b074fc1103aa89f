/**
 * Builds what a recorder test needs: a one-worker pool and router on loopback ports, an in-memory
 * PGlite migrated to the latest schema with one live sitting, a temporary RECORDINGS_DIR, and a
 * Recorder wired to the real audit log. close() tears everything down in reverse order.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { WorkerPool } from '@seduta/media';
import type { MediaRouter } from '@seduta/media';
import { appendAudit, migrateToLatest, openDatabase } from '@seduta/server';
import type { Database, OpenedDatabase } from '@seduta/server';
import { DEFAULT_OUTPUT, ProducerRegistry, Recorder } from '../src/index';
import type { OutputSettings, RecorderConfig } from '../src/index';
import { startPublisher, type Publisher } from './ffmpeg-publisher';

/** A running recorder test environment. */
export interface RecorderFixture {
  db: Kysely<Database>;
  pool: WorkerPool;
  router: MediaRouter;
  sittingId: string;
  registry: ProducerRegistry;
  config: RecorderConfig;
  recorder: Recorder;
  /** Starts an FFmpeg publisher and announces its two producers to the registry. */
  publish(name: string, opts: { frequency: number; isHost: boolean; pattern?: string }): Promise<Publisher>;
  /** Stops every publisher (their producers close), as when the sitting's speakers leave. */
  stopPublishers(): Promise<void>;
  /** A new Recorder on the same database and directory (a server restart). */
  restartRecorder(): Promise<Recorder>;
  close(): Promise<void>;
}

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';

/** Logger for recorder tests: silent unless TEST_LOG_LEVEL is set. */
export const fixtureLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * Starts the environment; `segmentSeconds` is short so that tests see several segments; `output`
 * changes the final file's settings (a larger one makes the finalize job last longer).
 */
export async function startRecorderFixture(opts: {
  segmentSeconds: number;
  output?: Partial<OutputSettings>;
}): Promise<RecorderFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-recorder-'));
  const opened: OpenedDatabase = await openDatabase({ dataDir: '', databaseUrl: undefined }, fixtureLogger, {
    pgliteDataDir: 'memory://',
  });
  const db = opened.db;
  await migrateToLatest(db, fixtureLogger);
  const sitting = await db
    .insertInto('sittings')
    .values({ title: 'Consiglio comunale', kind: 'public', status: 'live', created_by: 'test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const rtcPort = 45000 + randomInt(0, 900);
  const pool = await WorkerPool.create({
    numWorkers: 1,
    rtcPort,
    rtcListenIp: '127.0.0.1',
    rtcMinPort: 47000,
    rtcMaxPort: 47999,
    logger: fixtureLogger,
  });
  const router = await pool.createRouter(sitting.id);
  const registry = new ProducerRegistry(sitting.id, () => router);
  const config: RecorderConfig = {
    recordingsDir: dir,
    ffmpegPath: FFMPEG,
    ffprobePath: FFPROBE,
    segmentSeconds: opts.segmentSeconds,
    retentionDays: undefined,
    output: { ...DEFAULT_OUTPUT, ...opts.output },
  };
  const newRecorder = () =>
    new Recorder({ db, config, logger: fixtureLogger, audit: (entry) => appendAudit(db, entry) });
  const publishers: Publisher[] = [];
  const recorders: Recorder[] = [];
  const fixture: RecorderFixture = {
    db,
    pool,
    router,
    sittingId: sitting.id,
    registry,
    config,
    recorder: newRecorder(),
    async publish(name, { frequency, isHost, pattern }) {
      const publisher = await startPublisher(router, {
        participantId: name,
        frequency,
        pattern,
        maxSeconds: 900,
      });
      publishers.push(publisher);
      const ref = { participantId: name, participantName: name, isHost };
      registry.add({ ...ref, producer: publisher.video, source: 'camera' });
      registry.add({ ...ref, producer: publisher.audio, source: 'microphone' });
      return publisher;
    },
    async stopPublishers() {
      await Promise.all(publishers.map((p) => p.stop()));
    },
    async restartRecorder() {
      await fixture.recorder.close();
      recorders.push(fixture.recorder);
      fixture.recorder = newRecorder();
      return fixture.recorder;
    },
    async close() {
      await fixture.recorder.close();
      for (const r of recorders) await r.close();
      await Promise.all(publishers.map((p) => p.stop()));
      registry.close();
      await pool.close();
      await opened.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Runs ffprobe/ffmpeg to completion; resolves with stdout and stderr (ffmpeg's filters report on stderr). */
export function run(
  command: 'ffmpeg' | 'ffprobe',
  args: string[],
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command === 'ffmpeg' ? FFMPEG : FFPROBE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

/** Streams of a media file as ffprobe reads them, and its duration. */
export async function probe(
  file: string,
): Promise<{ duration: number; streams: { codec_type: string; codec_name: string }[] }> {
  const { code, out, err } = await run('ffprobe', [
    ...['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name', '-of', 'json', file],
  ]);
  if (code !== 0) throw new Error(`ffprobe failed on ${file}: ${err}`);
  const json = JSON.parse(out) as {
    format: { duration: string };
    streams: { codec_type: string; codec_name: string }[];
  };
  return { duration: Number(json.format.duration), streams: json.streams };
}

/** Whether every packet of a file decodes without error (ffmpeg -v error -f null). */
export async function decodes(file: string): Promise<boolean> {
  const { code, err } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
  return code === 0 && err.trim() === '';
}

/** Mean volume in dB of a band around `frequency` Hz, between `from` and `from + seconds` of a file. */
export async function bandVolume(
  file: string,
  frequency: number,
  from: number,
  seconds: number,
): Promise<number> {
  const { err } = await run('ffmpeg', [
    ...['-hide_banner', '-nostats', '-ss', String(from), '-t', String(seconds), '-i', file, '-vn'],
    ...['-af', `bandpass=f=${frequency}:width_type=q:w=8,volumedetect`, '-f', 'null', '-'],
  ]);
  const match = /mean_volume: (-?[\d.]+|-inf) dB/.exec(err);
  if (!match) throw new Error(`no volume measured: ${err.slice(-500)}`);
  return match[1] === '-inf' ? -Infinity : Number(match[1]);
}
