/**
 * Recorder benchmark: `npx tsx recorder/bench/recorder-bench.ts [recordSeconds]`.
 * Records a host and a speaker (FFmpeg publishers, VP8 320x240 + Opus) for `recordSeconds`
 * (default 60), measures the CPU of each recording FFmpeg (remux) from /proc/<pid>/stat over
 * 20 s, the restart time and media gap after a SIGKILL, and the finalize speed (× real time).
 * Prints one JSON object. Loopback only.
 */
import { cp, readFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRecorderFixture } from '../test-support/recorder-fixture';

const CLOCK_TICKS = 100;
const CPU_WINDOW_S = 20;

async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
  return Number(fields[11]) + Number(fields[12]);
}

async function main(): Promise<void> {
  const recordSeconds = Number(process.argv[2] ?? 60);
  const f = await startRecorderFixture({ segmentSeconds: 10 });
  try {
    const host = await f.publish('host', { frequency: 440, isHost: true });
    await f.publish('speaker', { frequency: 1000, isHost: false, pattern: 'testsrc2' });
    const recording = await f.recorder.start(f.registry, { actor: 'bench', role: 'host' });
    const started = Date.now();
    await sleep(3000);

    const pids = recording.ffmpegPids();
    const before = new Map<string, number>();
    for (const [producer, pid] of pids) before.set(producer, await cpuTicks(pid));
    const loadBefore = os.loadavg()[0];
    await sleep(CPU_WINDOW_S * 1000);
    const cpu: Record<string, number> = {};
    const kinds = new Map(
      f.registry.producers().map((r) => [r.producer.id, `${r.participantName}:${r.producer.kind}`]),
    );
    for (const [producer, pid] of pids) {
      const used = ((await cpuTicks(pid)) - before.get(producer)!) / CLOCK_TICKS / CPU_WINDOW_S;
      cpu[kinds.get(producer) ?? producer] = Math.round(used * 1000) / 10;
    }

    const killedPid = recording.ffmpegPids().get(host.video.id)!;
    const killedAt = Date.now();
    process.kill(killedPid, 'SIGKILL');
    while (
      recording.ffmpegPids().get(host.video.id) === killedPid ||
      !recording.ffmpegPids().has(host.video.id)
    ) {
      await sleep(10);
    }
    const restartMs = Date.now() - killedAt;

    await sleep(Math.max(0, recordSeconds * 1000 - (Date.now() - started)));
    await f.recorder.stop(recording.id, { actor: 'bench', role: 'host' });
    await f.stopPublishers();
    const segments = await f.db
      .selectFrom('recording_segments')
      .select(['started_at', 'ended_at', 'file', 'complete'])
      .where('recording_id', '=', recording.id)
      .where('producer_id', '=', host.video.id)
      .orderBy('started_at')
      .execute();
    if (process.env.BENCH_VERBOSE) {
      for (const s of segments) {
        process.stdout.write(
          `${s.file.split('/').pop()} ${s.started_at.toISOString()} ${s.ended_at.toISOString()} ${s.complete}\n`,
        );
      }
      process.stdout.write(`killed at ${new Date(killedAt).toISOString()}\n`);
      await cp(f.config.recordingsDir, process.env.BENCH_VERBOSE, { recursive: true });
    }
    const gaps = segments.slice(1).map((s, i) => s.started_at.getTime() - segments[i]!.ended_at.getTime());

    const finalizeStarted = Date.now();
    const loadFinalize = os.loadavg()[0];
    await f.recorder.finalizeIdle();
    const finalizeSeconds = (Date.now() - finalizeStarted) / 1000;
    const status = await f.recorder.status(recording.id);
    process.stdout.write(
      JSON.stringify(
        {
          cores: os.availableParallelism(),
          loadAverageDuringCpuWindow: loadBefore,
          recordingFfmpegCpuPercentOfOneCore: cpu,
          killRestartMs: restartMs,
          maxVideoGapMsAfterKill: Math.max(...gaps),
          recordedSeconds: status.recordedSeconds,
          finalDuration: status.final?.duration,
          finalizeSeconds,
          finalizeSpeedTimesRealtime:
            Math.round(((status.final?.duration ?? 0) / finalizeSeconds) * 100) / 100,
          loadAverageAtFinalize: loadFinalize,
          state: status.state,
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    await f.close();
  }
}

await main();
