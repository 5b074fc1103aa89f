/**
 * Worker A/B (docs/decisions/0035-worker-ab.md): one worker binary, one change switched at run time by
 * an environment variable the worker reads once, measured in the benchmark's fan-out with A and B
 * alternated in the same run (ABBA pairs, a fresh one-worker pool per measurement, pinned to the SFU's
 * CPU). The change measured here: the transport-cc send-time history of every transport kept in a ring
 * indexed by the transport-wide sequence number instead of libwebrtc's std::map
 * (media/worker-build/patches/0003-send-time-history-ring.patch).
 *
 * In the full run (`npm run bench`) it is one part of the report; `npm run bench -- --only=worker-ab`
 * runs it alone (`--audiences=200,300 --pairs=4`) and writes .test-results/bench-worker-ab/latest.{json,md},
 * leaving docs/bench alone.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { workerBin } from 'mediasoup';
import { WorkerPool } from '@seduta/media';
import { pin, useRealtime } from './cpu';
import { addViewers, publishInto } from './fanout';
import type { RepTiming } from './fanout';
import { measureWindow, round } from './measure';
import type { AbMeasurement, WorkerAbFigures, WorkerAbStep } from './worker-ab-report';
import { abStep, judgeWorkerAb, workerAbSection } from './worker-ab-report';
import { ensureClip } from './publisher';
import { startSink } from './sink';
import type { Sink } from './sink';

/** The change under test and the environment variable that switches it in the worker. */
export const WORKER_AB = {
  change: 'transport-cc send-time history in a ring instead of a std::map',
  env: 'SEDUTA_WORKER_SEND_HISTORY',
  a: { value: 'map', label: "libwebrtc's std::map (one heap node per packet)" },
  b: { value: 'ring', label: 'ring of slots indexed by transport-wide sequence number' },
} as const;

/** Whether `bin` knows the switch (its name is in the binary), i.e. was built with the patch. */
export function workerHasSwitch(bin: string, env: string = WORKER_AB.env): boolean {
  try {
    return readFileSync(bin).includes(Buffer.from(env));
  } catch {
    return false;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User-space CPU time of a process so far, in µs (utime of /proc/<pid>/stat, all threads). */
function userMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; count fields from the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) * 1e6) / CLK_TCK;
}

/** One measurement: a fresh one-worker pool started with the arm's setting, the fan-out, the window. */
async function measureArm(opts: {
  arm: 'A' | 'B';
  sink: Sink;
  clip: string;
  viewers: number;
  timing: RepTiming;
  sfuCpu: number;
  loadCpu: number;
  port: number;
}): Promise<AbMeasurement> {
  const value = opts.arm === 'A' ? WORKER_AB.a.value : WORKER_AB.b.value;
  const previous = process.env[WORKER_AB.env];
  // The worker inherits the environment when it is spawned and reads the switch once.
  process.env[WORKER_AB.env] = value;
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.create({
      numWorkers: 1,
      rtcListenIp: '127.0.0.1',
      spreadConsumers: Infinity,
      rtcPort: opts.port,
      rtcMinPort: 46000,
      rtcMaxPort: 60999,
    });
  } finally {
    if (previous === undefined) delete process.env[WORKER_AB.env];
    else process.env[WORKER_AB.env] = previous;
  }
  try {
    for (const pid of pool.workerPids()) pin(pid, opts.sfuCpu);
    const sitting = await publishInto(pool, `ab-${opts.viewers}`, opts.clip, opts.sink, opts.loadCpu);
    try {
      await addViewers(sitting, opts.sink, 'AEAD_AES_256_GCM', opts.viewers);
      const pid = sitting.router.workerPids[0]!;
      await sleep(opts.timing.warmupMs);
      const user0 = userMicros(pid);
      const m = await measureWindow({
        system: 'mediasoup',
        suite: 'AEAD_AES_256_GCM',
        viewers: opts.viewers,
        serverPids: sitting.router.workerPids,
        sink: opts.sink,
        inputPorts: sitting.inputPorts,
        warmupMs: 0,
        windowMs: opts.timing.windowMs,
      });
      const userUs = userMicros(pid) - user0;
      return {
        ...m,
        arm: opts.arm,
        userUsPerPacket: m.receivedPackets > 0 ? round(userUs / m.receivedPackets, 2) : NaN,
      };
    } finally {
      await sitting.close();
    }
  } finally {
    await pool.close();
  }
}

/** Runs the A/B: for each audience, `pairs` ABBA-ordered pairs of measurements. */
export async function workerAb(opts: {
  sink: Sink;
  clip: string;
  audiences: number[];
  pairs: number;
  timing: RepTiming;
  sfuCpu: number;
  loadCpu: number;
  log?: (line: string) => void;
}): Promise<WorkerAbFigures> {
  const supported = workerHasSwitch(workerBin);
  const base = { ...WORKER_AB, a: { ...WORKER_AB.a }, b: { ...WORKER_AB.b }, workerBin, supported };
  if (!supported)
    return {
      ...base,
      pairs: 0,
      steps: [],
      bWins: false,
      verdict: `not measured: ${workerBin} has no ${WORKER_AB.env} switch (built without the patch)`,
    };
  const steps: WorkerAbStep[] = [];
  // Below run.ts's pools (45000–45900), whose worker may still hold its port during the A/B.
  let port = 44000 + Math.floor(Math.random() * 900);
  for (const viewers of opts.audiences) {
    const a: AbMeasurement[] = [];
    const b: AbMeasurement[] = [];
    for (let p = 0; p < opts.pairs; p++) {
      // ABBA: a slow drift of the machine's load hits both arms alike.
      for (const arm of p % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        const m = await measureArm({ ...opts, arm, viewers, port: port++ });
        (arm === 'A' ? a : b).push(m);
        opts.log?.(
          `worker A/B ${arm}=${arm === 'A' ? WORKER_AB.a.value : WORKER_AB.b.value} ${viewers} viewers: ` +
            `${m.serverUsPerPacket} µs/pkt (user ${m.userUsPerPacket}), CPU ${m.serverCpuPct}%, loss ${m.lossPct}%`,
        );
      }
    }
    steps.push(abStep(viewers, a, b));
  }
  return { ...base, pairs: opts.pairs, steps, ...judgeWorkerAb(steps, WORKER_AB.b.value) };
}

/** Where `--only=worker-ab` writes its figures. */
export const WORKER_AB_OUT = path.join('.test-results', 'bench-worker-ab');

/**
 * `--only=worker-ab`: the A/B alone (its own sink and clip), written to .test-results/bench-worker-ab.{json,md}.
 * `--audiences=200,300` and `--pairs=N` choose the audiences and the pairs per audience.
 */
export async function onlyWorkerAb(opts: {
  root: string;
  audiences: number[];
  pairs: number;
  timing: RepTiming;
  sfuCpu: number;
  loadCpu: number;
  realtime: boolean;
  log: (line: string) => void;
}): Promise<number> {
  useRealtime(opts.realtime);
  pin(process.pid, opts.loadCpu, false);
  const clip = await ensureClip();
  const sink = await startSink(16, opts.loadCpu);
  let figures: WorkerAbFigures;
  try {
    figures = await workerAb({ ...opts, sink, clip });
  } finally {
    await sink.close();
  }
  const dir = path.join(opts.root, WORKER_AB_OUT);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'latest.json'), `${JSON.stringify(figures, null, 2)}\n`);
  await writeFile(path.join(dir, 'latest.md'), `${workerAbSection(figures).join('\n')}\n`);
  opts.log(`worker A/B: ${figures.verdict}`);
  opts.log(`figures in ${WORKER_AB_OUT}/latest.{json,md} (docs/bench/latest.* unchanged)`);
  return figures.supported && figures.steps.length > 0 ? 0 : 1;
}
