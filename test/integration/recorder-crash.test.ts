/**
 * Robustness with real mediasoup and FFmpeg on 127.0.0.1: a recording FFmpeg killed with SIGKILL
 * mid-sitting is restarted into a new segment without losing what it wrote before; a finalize job
 * interrupted by a server restart is resumed by the next recorder; a long-muted microphone does not
 * disturb the recording; and the end of the sitting stops it.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Recording, SegmentRow } from '../../recorder/src/index';
import type { Publisher } from '../../recorder/test-support/ffmpeg-publisher';
import {
  decodes,
  probe,
  startRecorderFixture,
  type RecorderFixture,
} from '../../recorder/test-support/recorder-fixture';

const HOST = { actor: 'host@comune.example', role: 'host' };

let f: RecorderFixture;
let host: Publisher;
let recording: Recording;
let again: Recording;
const segments: SegmentRow[] = [];

beforeAll(async () => {
  // A final file of 1080p at 50 fps: its finalize lasts seconds, not the fraction of one a quiet
  // machine needs for 720p, so that the restart below lands while it runs.
  f = await startRecorderFixture({ segmentSeconds: 4, output: { width: 1920, height: 1080, fps: 50 } });
  host = await f.publish('host', { frequency: 440, isHost: true });
  recording = await f.recorder.start(f.registry, HOST);
});

afterAll(() => f?.close(), 60_000);

describe('a recording FFmpeg killed with SIGKILL', () => {
  let killedAt = 0;

  it('is restarted within 2 s and the recording is marked degraded', async () => {
    const degraded: string[] = [];
    recording.on('degraded', (problem) => degraded.push(problem.text));
    // Let the video track close two segments, then kill FFmpeg part-way into the third.
    await vi.waitFor(
      async () => {
        const stored = await f.db
          .selectFrom('recording_segments')
          .select('id')
          .where('producer_id', '=', host.video.id)
          .execute();
        expect(stored.length).toBeGreaterThanOrEqual(2);
      },
      { timeout: 30_000, interval: 250 },
    );
    await sleep(2000);
    const before = recording.ffmpegPids().get(host.video.id);
    expect(before).toBeDefined();
    killedAt = Date.now();
    process.kill(before!, 'SIGKILL');
    await vi.waitFor(
      () => {
        const now = recording.ffmpegPids().get(host.video.id);
        expect(now).toBeDefined();
        expect(now).not.toBe(before);
      },
      { timeout: 5000, interval: 20 },
    );
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(recording.degraded).toBe(true);
    expect(degraded).toEqual([expect.stringMatching(/ffmpeg exited unexpectedly/)]);
    await sleep(8000);
    await f.recorder.stop(recording.id, HOST);
    expect((await f.recorder.status(recording.id)).degraded).toBe(true);
  }, 60_000);

  it('leaves every segment written before the kill decodable, and a gap of at most 3 s', async () => {
    const segments = await f.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('recording_id', '=', recording.id)
      .where('producer_id', '=', host.video.id)
      .orderBy('started_at')
      .execute();
    const earlier = segments.filter((s) => s.started_at.getTime() < killedAt);
    expect(earlier.length).toBeGreaterThanOrEqual(3);
    // The segment FFmpeg was writing when it died has no trailer, but what it holds still decodes.
    expect(earlier.filter((s) => !s.complete)).toHaveLength(1);
    for (const s of earlier) {
      const file = path.join(f.config.recordingsDir, s.file);
      expect(
        (await probe(file)).streams.map((x) => x.codec_name),
        s.file,
      ).toEqual(['vp8']);
      expect(await decodes(file), s.file).toBe(true);
    }
    const gaps = segments
      .slice(1)
      .map((s, i) => (s.started_at.getTime() - segments[i]!.ended_at.getTime()) / 1000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(3);
    expect(segments.some((s) => s.started_at.getTime() > killedAt)).toBe(true);
  });
});

describe('a server restart during finalize', () => {
  it('leaves the recording finalizing, and the next recorder resumes and completes it', async () => {
    await vi.waitFor(
      async () => {
        const status = await f.recorder.status(recording.id);
        expect(status.state).toBe('finalizing');
        expect(status.progress).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 20 },
    );
    const restarted = await f.restartRecorder();
    expect((await restarted.status(recording.id)).state).toBe('finalizing');
    expect(await restarted.resumePendingFinalizations()).toEqual([recording.id]);
    await restarted.finalizeIdle();
    const status = await restarted.status(recording.id);
    expect(status).toMatchObject({ state: 'ready', degraded: true, progress: 1 });
    const file = path.join(f.config.recordingsDir, f.sittingId, recording.id, 'final.mp4');
    expect((await stat(file)).size).toBe(status.final!.size);
    const info = await probe(file);
    expect(info.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
  }, 240_000);
});

describe('a muted microphone, then the end of the sitting', () => {
  it('keeps recording through a long mute without restarting or degrading', async () => {
    again = await f.recorder.start(f.registry, HOST);
    again.on('segment', (s) => segments.push(s));
    await vi.waitFor(() => expect(segments.length).toBeGreaterThanOrEqual(2), {
      timeout: 60_000,
      interval: 100,
    });
    const pids = again.ffmpegPids();
    // Longer than the 10 s FFmpeg waits for input by default.
    await host.audio.pause();
    await sleep(13_000);
    await host.audio.resume();
    expect(again.ffmpegPids()).toEqual(pids);
    expect(again.degraded).toBe(false);
  }, 120_000);

  it('stops the recording by itself when the sitting ends, and audit-logs the stop as the system', async () => {
    const recorder = f.recorder;
    await sleep(2000);
    f.registry.close();
    await vi.waitFor(
      async () => expect(['finalizing', 'ready']).toContain((await recorder.status(again.id)).state),
      { timeout: 30_000, interval: 100 },
    );
    await recorder.finalizeIdle();
    expect(await recorder.status(again.id)).toMatchObject({ state: 'ready', degraded: false });
    // One FFmpeg recorded the microphone throughout (one run, r0001, no restart) and closed every
    // segment cleanly, the last one too: when the sitting ends its input goes quiet, and the RTCP
    // BYE the recorder sends ends FFmpeg's input, so FFmpeg writes the trailer and lists the file
    // (see docs/decisions/0008-recorder.md).
    const audio = segments.filter((s) => s.producer_id === host.audio.id);
    expect(audio.length).toBeGreaterThanOrEqual(2);
    expect(audio.map((s) => path.basename(s.file).slice(0, 5))).toEqual(audio.map(() => 'r0001'));
    expect(audio.map((s) => s.complete)).toEqual(audio.map(() => true));
    expect(audio.at(-1)!.size).toBeGreaterThan(0);
    const stops = await f.db
      .selectFrom('audit_log')
      .select(['actor', 'role', 'details'])
      .where('action', '=', 'recording.stop')
      .execute();
    expect(stops.at(-1)).toMatchObject({
      actor: 'recorder',
      role: 'system',
      details: { recordingId: again.id, reason: 'sitting ended' },
    });
  }, 240_000);
});
