/**
 * A recorded sitting end to end, with real mediasoup and FFmpeg on 127.0.0.1: the host publishes
 * from the start, a speaker joins part-way, the host pauses once, and the finalized file holds
 * the unpaused time with both voices mixed. RECORDER_TEST_SECONDS sets the unpaused length
 * (default 180, the three-minute sitting; 40 is a quick local run).
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRecordings } from '../../recorder/src/index';
import { preparePublisher } from '../../recorder/test-support/ffmpeg-publisher';
import type { RecordingState, RecordingStatus } from '../../recorder/src/index';
import {
  bandVolume,
  decodes,
  probe,
  startRecorderFixture,
  type RecorderFixture,
} from '../../recorder/test-support/recorder-fixture';

const SECONDS = Number(process.env.RECORDER_TEST_SECONDS ?? 180);
const HOST_HZ = 440;
const SPEAKER_HZ = 1000;
const SPEAKER_PATTERN = 'testsrc2';
const HOST = { actor: 'host@comune.example', role: 'host' };

let f: RecorderFixture;
const states: RecordingState[] = [];
/** What the test itself measured, in ms since the recording started. */
const timeline = { joinedAt: 0, pausedAt: 0, resumedAt: 0, stoppedAt: 0 };
let status: RecordingStatus;
let finalFile: string;

beforeAll(
  async () => {
    f = await startRecorderFixture({ segmentSeconds: 20 });
    // The publishers' media is encoded now, not when the speaker joins part-way.
    await preparePublisher({ frequency: HOST_HZ });
    await preparePublisher({ frequency: SPEAKER_HZ, pattern: SPEAKER_PATTERN });
    f.recorder.on('state', (e) => states.push(e.state));
    await f.publish('host', { frequency: HOST_HZ, isHost: true });
    // Each moment is taken when the control is asked for, as the recorder takes it; the controls
    // themselves wait for every FFmpeg to close its files, which takes a while on a busy machine.
    const t0 = Date.now();
    const since = () => Date.now() - t0;
    const recording = await f.recorder.start(f.registry, HOST);
    // Recording is about time passing: these sleeps are the sitting's own schedule.
    await sleep(SECONDS * 350 - since());
    timeline.joinedAt = since();
    await f.publish('speaker', { frequency: SPEAKER_HZ, isHost: false, pattern: SPEAKER_PATTERN });
    await sleep(SECONDS * 600 - since());
    timeline.pausedAt = since();
    await f.recorder.pause(recording.id, HOST);
    await sleep(timeline.pausedAt + Math.max(5, SECONDS * 0.1) * 1000 - since());
    timeline.resumedAt = since();
    await f.recorder.resume(recording.id, HOST);
    await sleep(timeline.resumedAt + SECONDS * 1000 - timeline.pausedAt - since());
    timeline.stoppedAt = since();
    await f.recorder.stop(recording.id, HOST);
    // The sitting is over: free the CPU the test publishers' encoders use for the finalize job.
    await f.stopPublishers();
    await f.recorder.finalizeIdle();
    status = await f.recorder.status(recording.id);
    finalFile = path.join(f.config.recordingsDir, f.sittingId, recording.id, 'final.mp4');
  },
  (SECONDS * 1.2 + 420) * 1000,
);

afterAll(() => f?.close(), 60_000);

/** Length of the recording the test asked for: everything but the pause. */
const unpausedSeconds = () => (timeline.stoppedAt - (timeline.resumedAt - timeline.pausedAt)) / 1000;

describe(`a ${SECONDS} s sitting recorded with one pause`, () => {
  it('goes through starting, recording, paused, starting, recording, stopping and finalizing to ready', () => {
    expect(states).toEqual([
      'starting',
      'recording',
      'paused',
      'starting',
      'recording',
      'stopping',
      'finalizing',
      'ready',
    ]);
    expect(status).toMatchObject({ state: 'ready', degraded: false, progress: 1, error: null });
  });

  it('produces one final file with audio and video, as long as the recorded time: the unpaused time from each first recorded media', async () => {
    const info = await probe(finalFile);
    expect(info.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual([
      'audio:aac',
      'video:h264',
    ]);
    expect(Math.abs(info.duration - status.recordedSeconds)).toBeLessThanOrEqual(0.5);
    // Recorded time starts at the first media on disk after start and after resume, not at the
    // clicks: it is shorter than the unpaused time by those two delays (each well under 2 s).
    const startDelays = unpausedSeconds() - status.recordedSeconds;
    console.log(`[recorder-sitting] unpaused ${unpausedSeconds()} s, recorded ${status.recordedSeconds} s`);
    expect(startDelays).toBeGreaterThan(-0.5);
    expect(startDelays).toBeLessThan(4);
    expect(status.final).toMatchObject({ codec: 'h264+aac' });
    expect(Math.abs(status.final!.duration - info.duration)).toBeLessThan(0.1);
  });

  it('mixes in the speaker, audible from when they joined and silent before', async () => {
    const joined = timeline.joinedAt / 1000;
    const paused = timeline.pausedAt / 1000;
    const before = await bandVolume(finalFile, SPEAKER_HZ, 3, joined - 6);
    // The speaker's recorder needs a moment to start; measure from a few seconds after the join.
    const during = await bandVolume(finalFile, SPEAKER_HZ, joined + 5, paused - joined - 7);
    const afterPause = await bandVolume(finalFile, SPEAKER_HZ, paused + 5, unpausedSeconds() - paused - 7);
    const host = await bandVolume(finalFile, HOST_HZ, 3, joined - 6);
    expect(during).toBeGreaterThan(-35);
    expect(afterPause).toBeGreaterThan(-35);
    expect(during - before).toBeGreaterThan(15);
    expect(host).toBeGreaterThan(-35);
  });

  it('keeps per-track originals: decodable WebM segments of all four tracks, with metadata', async () => {
    const segments = await f.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('recording_id', '=', status.id)
      .execute();
    const tracks = new Set(segments.map((s) => `${s.participant_name}:${s.kind}:${s.source}`));
    expect([...tracks].sort()).toEqual([
      'host:audio:microphone',
      'host:video:camera',
      'speaker:audio:microphone',
      'speaker:video:camera',
    ]);
    for (const s of segments) {
      expect(s).toMatchObject({ complete: true, codec: s.kind === 'audio' ? 'opus' : 'vp8' });
      expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const hostAudio = segments.filter((s) => s.participant_name === 'host' && s.kind === 'audio');
    expect(await decodes(path.join(f.config.recordingsDir, hostAudio[0]!.file))).toBe(true);
    expect(f.router.transportCount(`recorder:${status.id}`)).toBe(0);
  });

  it('audit-logs every control and the finalized file with its checksum', async () => {
    const entries = await f.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'details'])
      .orderBy('id')
      .execute();
    expect(entries.map((e) => e.action)).toEqual([
      'recording.start',
      'recording.pause',
      'recording.resume',
      'recording.stop',
      'recording.finalized',
    ]);
    expect(entries[0]).toMatchObject({ actor: HOST.actor, details: { recordingId: status.id } });
    expect(entries[4]!.details).toMatchObject({ sha256: status.final!.sha256 });
  });

  it('verify checks coverage: each track recorded for ≥ 90 % of the time it was live, pauses excluded', async () => {
    const report = await verifyRecordings({
      db: f.db,
      config: f.config,
      recordingId: status.id,
      coverage: true,
    });
    const tracks = report.coverage.find((c) => c.recordingId === status.id)!.tracks;
    // Where a track was not covered, from the first track's start (for a failure's message).
    const t0 = Math.min(...tracks.map((t) => t.liveFrom ?? Infinity));
    const gaps = (t: (typeof tracks)[number]) =>
      t.gaps
        .map((g) => `${((g.start - t0) / 1000).toFixed(1)}–${((g.end - t0) / 1000).toFixed(1)} s`)
        .join(', ');
    for (const t of tracks)
      console.log(
        `[recorder-sitting] coverage ${t.source} of ${t.participantName}: ${t.recordedSeconds}/${t.liveSeconds} s; gaps ${gaps(t) || 'none'}`,
      );
    expect(tracks.map((t) => `${t.participantName}:${t.kind}`).sort()).toEqual([
      'host:audio',
      'host:video',
      'speaker:audio',
      'speaker:video',
    ]);
    for (const t of tracks) {
      expect(t.liveSeconds, `${t.participantName} ${t.kind}`).toBeGreaterThan(5);
      expect(
        t.ratio,
        `${t.participantName} ${t.kind}: ${t.recordedSeconds}/${t.liveSeconds} s, gaps ${gaps(t)}; timeline ${JSON.stringify(timeline)}`,
      ).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('verify finds every checksum intact, then reports the one file modified afterwards', async () => {
    const clean = await verifyRecordings({ db: f.db, config: f.config });
    expect(clean.mismatches).toEqual([]);
    expect(clean.files).toBeGreaterThan(8);
    const victim = await f.db
      .selectFrom('recording_segments')
      .select(['file', 'sha256'])
      .where('recording_id', '=', status.id)
      .orderBy('started_at')
      .executeTakeFirstOrThrow();
    await appendFile(path.join(f.config.recordingsDir, victim.file), Buffer.from([0]));
    const report = await verifyRecordings({ db: f.db, config: f.config });
    expect(report.mismatches).toEqual([
      {
        recordingId: status.id,
        file: victim.file,
        expected: victim.sha256,
        actual: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
  });
});
