/**
 * Recordings on several nodes (one database, one recordings directory): a node that starts leaves
 * alone a recording another live node is making, and a node that takes a sitting over from a dead
 * origin finalizes the recording the origin left behind, never its own in progress. Real mediasoup
 * and FFmpeg on 127.0.0.1; the recorders stand for the nodes (the lease decides which is which in
 * server/src/recordings/plugin.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recorder, type Recording } from '../../recorder/src/index';
import { RecordingsRepo } from '../../recorder/src/recordings-repo';
import { appendAudit } from '@seduta/server';
import {
  fixtureLogger,
  startRecorderFixture,
  type RecorderFixture,
} from '../../recorder/test-support/recorder-fixture';

const HOST = { actor: 'host@comune.example', role: 'host' };

let f: RecorderFixture;
let other: Recorder;
let recording: Recording;

beforeAll(async () => {
  f = await startRecorderFixture({ segmentSeconds: 2 });
  await f.publish('host', { frequency: 440, isHost: true });
  recording = await f.recorder.start(f.registry, HOST);
  other = new Recorder({
    db: f.db,
    config: f.config,
    logger: fixtureLogger,
    audit: (entry) => appendAudit(f.db, entry),
  });
});

afterAll(async () => {
  await other?.close();
  await f?.close();
}, 60_000);

describe('a recording on one node of several', () => {
  it('is left recording when another node starts and the sitting is not its to take up', async () => {
    expect(await other.resumePendingFinalizations(async () => false)).toEqual([]);
    expect((await f.recorder.status(recording.id)).state).toMatch(/^(starting|recording)$/);
  });

  it('is finalized by the node that takes its sitting over from a dead origin, never the one in progress there', async () => {
    // What a dead origin left: a recording of the same sitting still marked as recording.
    const repo = new RecordingsRepo(f.db);
    const left = await repo.create(f.sittingId, HOST.actor, new Date(Date.now() - 10_000));
    await repo.update(left.id, { state: 'recording' });

    expect(await f.recorder.recoverSitting(f.sittingId)).toEqual([left.id]);
    expect((await repo.get(left.id))?.state).not.toBe('recording');
    expect((await f.recorder.status(recording.id)).state).toMatch(/^(starting|recording)$/);
    // Once finalized (nothing of it was on disk: it fails), taking it over again finds nothing.
    await f.recorder.finalizeIdle();
    expect((await repo.get(left.id))?.state).toMatch(/^(ready|failed)$/);
    expect(await f.recorder.recoverSitting(f.sittingId)).toEqual([]);
  });
});
