/**
 * Issue 11, item 6: a full recordings disk. The recordings directory is a small tmpfs, filled
 * while the recording runs, so that FFmpeg fails on "No space left on device". The
 * recording must say so (degraded, with the reason, and the host's gaps) within 5 s, keep trying,
 * and resume by itself once space is freed; every segment that was closed decodes.
 * Needs root (mount); as any other user the test is skipped and says so.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Recording } from '../../recorder/src/index';
import {
  decodes,
  startRecorderFixture,
  type RecorderFixture,
} from '../../recorder/test-support/recorder-fixture';

const HOST = { actor: 'host@comune.example', role: 'host' };
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('a recording on a full disk (tmpfs, needs root)', () => {
  let f: RecorderFixture;
  let recording: Recording;
  let filler = '';
  let mounted = '';
  let fullAt = 0;

  beforeAll(async () => {
    f = await startRecorderFixture({ segmentSeconds: 3 });
    mounted = f.config.recordingsDir;
    fs.mkdirSync(mounted, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mounted]);
    await f.publish('host', { frequency: 440, isHost: true });
    recording = await f.recorder.start(f.registry, HOST);
    await vi.waitFor(() => expect(recording.state).toBe('recording'), { timeout: 15_000, interval: 100 });
    // Mid-recording, the disk fills up (to the last few kilobytes).
    filler = path.join(mounted, 'filler');
    const { bavail, bsize } = fs.statfsSync(mounted);
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 4 * 1024)));
    fullAt = Date.now();
  }, 60_000);

  afterAll(async () => {
    // Every FFmpeg gone before the tmpfs goes, and the tmpfs gone before the directory is removed.
    await f?.recorder.close();
    if (mounted) execFileSync('umount', ['-l', mounted]);
    await f?.close();
  }, 60_000);

  it('is degraded with the reason within 5 s, and the host is told what is not recorded', async () => {
    await vi.waitFor(
      () => {
        expect(recording.problems.map((p) => p.text).join('\n')).toMatch(/no space left on device/i);
        expect(recording.gaps.length).toBeGreaterThan(0);
      },
      { timeout: 15_000, interval: 200 },
    );
    const reasonAt = Date.parse(recording.problems.find((p) => /space/i.test(p.text))!.from);
    console.log(
      `[disk-full] reason after ${reasonAt - fullAt} ms: ${recording.problems.map((p) => p.text).join(' | ')}`,
    );
    expect(reasonAt - fullAt).toBeLessThan(5_000);
    expect(recording.degraded).toBe(true);
    // What /api/health reports: free space below RECORDINGS_MIN_FREE_MB.
    const space = await f.recorder.diskSpace();
    expect(space.freeBytes).toBeLessThan(space.minFreeBytes);
  });

  it('resumes by itself once space is freed, and every closed segment decodes', async () => {
    fs.rmSync(filler);
    const freedAt = Date.now();
    await vi.waitFor(() => expect(recording.gaps).toEqual([]), { timeout: 45_000, interval: 250 });
    console.log(`[disk-full] recording again ${Date.now() - freedAt} ms after space was freed`);
    await vi.waitFor(
      async () => {
        const rows = await f.db
          .selectFrom('recording_segments')
          .select(['file', 'started_at'])
          .where('recording_id', '=', recording.id)
          .execute();
        expect(rows.filter((r) => r.started_at.getTime() > freedAt).length).toBeGreaterThanOrEqual(2);
      },
      { timeout: 30_000, interval: 500 },
    );
    await f.recorder.stop(recording.id, HOST);
    const segments = await f.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('recording_id', '=', recording.id)
      .execute();
    const closed = segments.filter((s) => s.complete);
    expect(closed.length).toBeGreaterThan(0);
    for (const s of closed)
      expect(await decodes(path.join(f.config.recordingsDir, s.file)), s.file).toBe(true);
    // The gap is on record with its end.
    const gap = recording.problems.find((p) => p.kind === 'no-media');
    expect(gap?.to).not.toBeNull();
  }, 120_000);
});
