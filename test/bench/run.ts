/**
 * `npm run bench [-- --quick]`: measures the media plane (fan-out, multi-worker, Janus side by side),
 * the control plane and the worker profile, then writes docs/bench/latest.json and latest.md.
 * `--quick` is the CI smoke run (one fan-out step, ≤ 2 minutes), written to .test-results/bench-quick/
 * (`--out=DIR` chooses another directory in either mode); it exits non-zero if it measured nothing.
 * The full run ends with the real-browser part (browser.ts: 10 Chromium viewers through the web client,
 * in the test network namespace); `--only=browser` runs just that part and writes
 * .test-results/bench-browser.json, leaving docs/bench alone.
 * For development, `--audiences=50,100` and `--repetitions=1` shorten a full run. As root, the SFU,
 * the sink and the publisher run SCHED_RR so that other work on a shared machine cannot starve them
 * (`--no-realtime` turns that off; see docs/decisions/0006-benchmark-method.md).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomInt } from 'node:crypto';
import { KEY_FRAME_REQUEST_DELAY_MS, WorkerPool } from '@seduta/media';
import { runBrowserBench } from './browser-run';
import type { BrowserFigures } from './browser-run';
import { chatBench } from './chat';
import type { ChatFigures } from './chat';
import { joinStorm, keyframeStorm, startServerChild } from './control-plane';
import type { JoinStorm, KeyframeStorm } from './control-plane';
import { clusterPart, onlyCluster } from './cluster-run';
import type { ClusterFigures } from './cluster-run';
import { boost, canPin, machineInfo, pin, useRealtime } from './cpu';
import { mediasoupRep } from './fanout';
import type { RepTiming } from './fanout';
import { janusRep, janusUnavailable, janusVersion, startJanus } from './janus';
import type { Janus } from './janus';
import { medianOf, round } from './measure';
import type { Measurement, Suite } from './measure';
import { perfAvailable, profilePid } from './profile';
import { ensureClip } from './publisher';
import { recorderBenchScript, runRecorderBench } from './recorder';
import type { RecorderFigures } from './recorder';
import { markdown, writeReport } from './report';
import type { BenchReport, Details, Step } from './report';
import { startSink } from './sink';
import type { Sink } from './sink';
import { onlyWorkerAb, workerAb } from './worker-ab';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const quick = process.argv.includes('--quick');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
/**
 * Where latest.json and latest.md go (`--out=DIR`): by default docs/bench for a full run, and
 * .test-results/bench-quick for `--quick`, so a smoke run never replaces the full run's report.
 */
const OUT_DIR = flag('out')
  ? path.resolve(flag('out')!)
  : path.join(ROOT, quick ? path.join('.test-results', 'bench-quick') : path.join('docs', 'bench'));
/** Where the real-browser part writes its figures (both modes; docs/bench only gets them in a full run). */
const BROWSER_OUT = path.join(ROOT, '.test-results', 'bench-browser.json');
/**
 * The real-browser part takes about four minutes (40 single joins, then the storm); its own
 * watchdog stops it after about nine and a half.
 */
const BROWSER_TIMEOUT_MS = 12 * 60_000;
const only = flag('only');

/** The SFU runs on this CPU; the load (sink, FFmpeg, this process) on the other. */
const SFU_CPU = 0;
const LOAD_CPU = 1;
const MAX_LOSS_PCT = 1;
const AUDIENCES =
  flag('audiences')?.split(',').map(Number) ?? (quick ? [50] : [50, 100, 200, 400, 800, 1600, 3200]);
const REPETITIONS = Number(flag('repetitions') ?? (quick ? 1 : 3));
const TIMING: RepTiming = quick ? { warmupMs: 3000, windowMs: 4000 } : { warmupMs: 3000, windowMs: 8000 };
/** Sink sockets: each has its own receive buffer, so bursts of many destinations do not overflow one. */
const SINK_SOCKETS = 16;
/** Every mediasoup viewer consumes two tracks (video + audio). */
const CONSUMERS_PER_VIEWER = 2;
/** Worker A/B (worker-ab.ts): audiences and ABBA-ordered pairs per audience (`--pairs=N` with --only=worker-ab). */
const WORKER_AB_AUDIENCES = [200, 300];
const WORKER_AB_PAIRS = 4;
/** Two nodes: viewers on each node (the audience is twice this), and pipe pairs for the pipe's cost. */
const CLUSTER_PER_NODE = flag('cluster-audiences')?.split(',').map(Number) ?? (quick ? [25] : [150, 300]);
const CLUSTER_PIPES = quick ? 20 : 100;
/** Joins through two real server nodes (full run; `--cluster-joins=N` sets N, also with --quick). */
const CLUSTER_JOINS = flag('cluster-joins')
  ? { count: Number(flag('cluster-joins')), periodMs: 5000 }
  : quick
    ? null
    : { count: 200, periodMs: 10_000 };

const GCM = 'mediasoup, 1 worker, SRTP AEAD_AES_256_GCM';
const AESCM = 'mediasoup, 1 worker, SRTP AES_CM_128_HMAC_SHA1_80';
const JANUS = 'Janus rtp_forward, SRTP AES_CM_128_HMAC_SHA1_80';
const WOKEN = 'mediasoup, 1 worker, SRTP AEAD_AES_256_GCM, sink woken by every burst';
const multiLine = (workers: number) => `mediasoup, ${workers} workers (spread), SRTP AEAD_AES_256_GCM`;

const closers: (() => Promise<unknown>)[] = [];
let closing = false;

/** Closes everything the run started, newest first; safe to call twice. */
async function closeAll(): Promise<void> {
  if (closing) return;
  closing = true;
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch {
      // Keep closing the rest.
    }
  }
}

/** Stops the real-browser child, if one is running (it closes its own browsers, server and namespace). */
const browserAbort = new AbortController();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    browserAbort.abort();
    void closeAll().finally(() => process.exit(130));
  });
}

function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function rtcPorts(): { rtcPort: number; rtcMinPort: number; rtcMaxPort: number } {
  // Thousands of viewers need thousands of PlainTransport ports.
  return { rtcPort: 45000 + randomInt(0, 900), rtcMinPort: 46000, rtcMaxPort: 60999 };
}

async function createPool(numWorkers: number, spreadConsumers: number): Promise<WorkerPool> {
  const pool = await WorkerPool.create({
    numWorkers,
    rtcListenIp: '127.0.0.1',
    spreadConsumers,
    ...rtcPorts(),
  });
  closers.push(() => pool.close());
  return pool;
}

function describeStep(s: Step): string {
  const m = s.median;
  return (
    `${s.line}: ${s.viewers} viewers → CPU ${m.serverCpuPct}%, ${m.forwardedPps} pkt/s, ` +
    `${m.serverUsPerPacket} µs/pkt, loss ${m.lossPct}%, sink ${m.sinkUsPerPacket} µs/pkt`
  );
}

function step(line: string, reps: Measurement[]): Step {
  const first = reps[0]!;
  return {
    line,
    system: first.system,
    suite: first.suite,
    workers: first.workers,
    viewers: first.viewers,
    reps,
    median: medianOf(reps),
  };
}

function largestPassing(steps: Step[], line: string): Step | undefined {
  return steps
    .filter((s) => s.line === line && s.median.lossPct <= MAX_LOSS_PCT)
    .sort((a, b) => b.viewers - a.viewers)[0];
}

/**
 * The real-browser part (browser.ts) in a child process inside the test network namespace, allowed
 * on every CPU (the controller itself is pinned to one); it inherits the controller's priority.
 */
async function browserPart(): Promise<BrowserFigures> {
  const cpus = os.cpus().length;
  const figures = await runBrowserBench({
    root: ROOT,
    outFile: BROWSER_OUT,
    timeoutMs: BROWSER_TIMEOUT_MS,
    signal: browserAbort.signal,
    prefix: canPin ? ['taskset', '-c', `0-${cpus - 1}`] : [],
    // Passed on to browser.ts: `--singles=N` (N single joins per browser before the storm; 0
    // measures the storm alone), `--single-browsers=chromium` (Firefox left out of the single
    // joins), `--viewers=N` (the storm's size).
    args: ['singles', 'single-browsers', 'viewers'].flatMap((name) =>
      flag(name) === undefined ? [] : [`--${name}=${flag(name)}`],
    ),
    onLine: (line) => {
      // The server's own info/warning lines (pino JSON) are not progress.
      if (!/^\{"level":(30|40),/.test(line)) log(`browser | ${line}`);
    },
  });
  log(
    `real browsers: ${figures.viewers} Chromium viewers, join→first frame p50 ${figures.joinToFirstFrameP50Ms} ms, ` +
      `p95 ${figures.joinToFirstFrameP95Ms} ms; end-to-end latency p50 ${figures.e2eLatencyP50Ms} ms, ` +
      `p99 ${figures.e2eLatencyP99Ms} ms over ${figures.e2eLatencySamples} frames (${figures.framesRejected} rejected)`,
  );
  return figures;
}

/** `--only=browser`: the real-browser part alone, for development; docs/bench is not touched. */
async function onlyBrowser(): Promise<number> {
  // The same priority as in a full run, where the controller's nice value is inherited.
  boost(process.pid, false);
  try {
    await browserPart();
    log(`figures in ${path.relative(ROOT, BROWSER_OUT)} (docs/bench/latest.* unchanged)`);
    return 0;
  } catch (error) {
    log(`real-browser part failed: ${(error as Error).message}`);
    return 1;
  }
}

/** Chat participants and phases: 50 lines/s (the load), then every client just under the limit. */
const CHAT_PARTICIPANTS = Number(flag('chat-participants') ?? (quick ? 20 : 300));
const CHAT_PHASES = quick
  ? [{ ratePerS: 5, seconds: 5 }]
  : [
      { ratePerS: 50, seconds: 30 },
      // 4.8 lines per client per 10 s (the limit is 5): the load under which lines were refused.
      { ratePerS: (CHAT_PARTICIPANTS * 4.8) / 10, seconds: 20 },
    ];
/** Where `--only=chat` writes its figures. */
const CHAT_OUT = path.join(ROOT, '.test-results', 'bench-chat.json');

/** The join storm's log line: its CPU per join, and that less the upkeep measured apart. */
function stormLine(j: JoinStorm): string {
  return (
    `join storm: ${j.joins} joins (${j.failed} failed) in ${j.periodS} s, ${j.serverCpuMsPerJoin} ms CPU/join ` +
    `(${j.serverCpuMsPerJoinLessKeepAlive} less the upkeep: ${j.keepAliveCpuMsPerClientS} ms/s per connected client)`
  );
}

/** `--only=chat`: the signalling join storm and the chat part alone, written to .test-results. */
async function onlyChat(): Promise<number> {
  const joins = await joinStorm(quick ? 50 : 200, quick ? 5000 : 10_000);
  log(stormLine(joins));
  const classic = await joinStorm(quick ? 50 : 200, quick ? 5000 : 10_000, undefined, 'classic');
  log(`join storm (classic path): ${classic.serverCpuMsPerJoin} ms CPU/join`);
  const chat = await chatBench({ participants: CHAT_PARTICIPANTS, phases: CHAT_PHASES, log });
  await mkdir(path.dirname(CHAT_OUT), { recursive: true });
  await writeFile(
    CHAT_OUT,
    `${JSON.stringify({ joinStorm: joins, joinStormClassic: classic, chat }, null, 2)}\n`,
  );
  log(`figures in ${path.relative(ROOT, CHAT_OUT)} (docs/bench/latest.* unchanged)`);
  return 0;
}

/** `--render`: writes latest.md again from latest.json (after a change to the report's layout). */
async function render(): Promise<number> {
  const report = JSON.parse(await readFile(path.join(OUT_DIR, 'latest.json'), 'utf8')) as BenchReport;
  await writeFile(path.join(OUT_DIR, 'latest.md'), markdown(report));
  log(`rendered ${path.relative(ROOT, OUT_DIR)}/latest.md from latest.json`);
  return 0;
}

async function main(): Promise<number> {
  if (process.argv.includes('--render')) return render();
  if (only !== undefined) {
    if (only === 'cluster')
      return onlyCluster({
        root: ROOT,
        ...(flag('out') ? { outDir: OUT_DIR } : {}),
        timing: TIMING,
        repetitions: REPETITIONS,
        perNode: CLUSTER_PER_NODE,
        pipes: CLUSTER_PIPES,
        joins: CLUSTER_JOINS,
        realtime: !process.argv.includes('--no-realtime'),
        closers,
        log,
      });
    if (only === 'chat') return onlyChat();
    if (only === 'worker-ab')
      return onlyWorkerAb({
        root: ROOT,
        audiences: flag('audiences')?.split(',').map(Number) ?? WORKER_AB_AUDIENCES,
        pairs: Number(flag('pairs') ?? WORKER_AB_PAIRS),
        timing: TIMING,
        sfuCpu: SFU_CPU,
        loadCpu: LOAD_CPU,
        realtime: !process.argv.includes('--no-realtime'),
        log,
      });
    if (only !== 'browser')
      throw new Error(
        `--only=${only}: only --only=browser, --only=chat, --only=cluster and --only=worker-ab are supported`,
      );
    return onlyBrowser();
  }
  const startedAt = new Date();
  const notes: string[] = [];
  useRealtime(!process.argv.includes('--no-realtime'));
  const steps: Step[] = [];
  const machine = machineInfo();
  log(
    `${quick ? 'quick' : 'full'} run on ${machine.cpuModel}, ${machine.cores} cores, ${machine.kernel}; load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  if (!canPin) notes.push('taskset unavailable or one core: the SFU and the load generator share CPUs.');
  // The controller itself is not measured: nice, never real-time.
  pin(process.pid, LOAD_CPU, false);

  const clip = await ensureClip();
  const sink: Sink = await startSink(SINK_SOCKETS, LOAD_CPU);
  closers.push(() => sink.close());

  // --- Fan-out: one worker pinned to its core; mediasoup GCM and AES-CM, Janus AES-CM, alternately.
  const pool = await createPool(1, Infinity);
  for (const pid of pool.workerPids()) pin(pid, SFU_CPU);
  let janus: Janus | undefined;
  const janusMissing = janusUnavailable();
  if (janusMissing) notes.push(`Janus not measured: ${janusMissing}; ratioVsJanus is null.`);
  else {
    try {
      janus = await startJanus(SFU_CPU);
      const j = janus;
      closers.push(() => j.close());
    } catch (error) {
      notes.push(`Janus did not start (${(error as Error).message}); ratioVsJanus is null.`);
    }
  }
  const active = new Set<string>([GCM, AESCM, ...(janus ? [JANUS] : [])]);
  const runLine = async (line: string, viewers: number): Promise<Measurement> => {
    const suite: Suite = line === GCM ? 'AEAD_AES_256_GCM' : 'AES_CM_128_HMAC_SHA1_80';
    if (line === JANUS)
      return janusRep({
        janus: janus!,
        sink,
        clip,
        viewers,
        suite: 'AES_CM_128_HMAC_SHA1_80',
        timing: TIMING,
        loadCpu: LOAD_CPU,
      });
    return mediasoupRep({ pool, sink, clip, suite, viewers, timing: TIMING, loadCpu: LOAD_CPU });
  };
  const fanoutStep = async (viewers: number, lines: string[]) => {
    const reps = new Map<string, Measurement[]>(lines.map((l) => [l, []]));
    for (let r = 0; r < REPETITIONS; r++) {
      for (const line of lines) {
        try {
          reps.get(line)!.push(await runLine(line, viewers));
        } catch (error) {
          notes.push(
            `${line} at ${viewers} viewers, repetition ${r + 1} failed: ${(error as Error).message}`,
          );
        }
      }
    }
    const made: Step[] = [];
    for (const [line, list] of reps) {
      if (list.length === 0) continue;
      const s = step(line, list);
      steps.push(s);
      made.push(s);
      log(describeStep(s));
    }
    return made;
  };
  let lastPass = 0;
  let firstFail = 0;
  for (const viewers of AUDIENCES) {
    if (!active.has(GCM)) break;
    const made = await fanoutStep(viewers, [...active]);
    for (const s of made) if (s.median.lossPct > MAX_LOSS_PCT) active.delete(s.line);
    const gcm = made.find((s) => s.line === GCM);
    if (!gcm) break;
    if (gcm.median.lossPct <= MAX_LOSS_PCT) lastPass = viewers;
    else firstFail = viewers;
  }
  // One bisection step between the last passing and the first failing audience.
  if (!quick && lastPass > 0 && firstFail > lastPass) {
    const mid = Math.round((lastPass + firstFail) / 2 / 50) * 50;
    if (mid > lastPass && mid < firstFail) {
      const [bisected] = await fanoutStep(mid, [GCM]);
      if (bisected && bisected.median.lossPct <= MAX_LOSS_PCT) lastPass = mid;
    }
  }
  // Janus is done: stop it before anything else is measured (its close is idempotent).
  await janus?.close();

  let sinkWake: Details['sinkWake'] = null;
  // --- How much of the worker's cost is the receiver's wake-up (loopback charges it to the sender).
  if (!quick && sink.kind === 'native') {
    const viewers = Math.min(200, Math.max(lastPass, 50));
    const woken = await startSink(SINK_SOCKETS, LOAD_CPU, 'wake');
    closers.push(() => woken.close());
    const reps: Measurement[] = [];
    const paired: Measurement[] = [];
    for (let r = 0; r < REPETITIONS; r++) {
      for (const [line, target] of [
        [GCM, sink],
        [WOKEN, woken],
      ] as const) {
        const m = await mediasoupRep({
          pool,
          sink: target,
          clip,
          suite: 'AEAD_AES_256_GCM',
          viewers,
          timing: TIMING,
          loadCpu: LOAD_CPU,
        });
        (line === WOKEN ? reps : paired).push(m);
      }
    }
    await woken.close();
    const s = step(WOKEN, reps);
    steps.push(s);
    log(describeStep(s));
    sinkWake = { viewers, sleeping: medianOf(paired), woken: s.median };
  }

  // --- Profile of the worker at a mid-size audience (an extra repetition, not used for the figures).
  let profile: Details['profile'] = null;
  if (!quick && perfAvailable()) {
    const viewers = Math.min(200, Math.max(lastPass, 50));
    try {
      let profiling: Promise<Awaited<ReturnType<typeof profilePid>>> | undefined;
      const m = await mediasoupRep({
        pool,
        sink,
        clip,
        suite: 'AEAD_AES_256_GCM',
        viewers,
        timing: TIMING,
        loadCpu: LOAD_CPU,
        onFlowing: (pids) => {
          profiling = profilePid(pids[0]!, (TIMING.warmupMs + TIMING.windowMs) / 1000);
        },
      });
      const p = await profiling!;
      profile = { ...p, viewers, usPerPacket: m.serverUsPerPacket };
      log(`profile: ${p.samples} samples, kernel ${p.kernelPct}%, top ${p.top[0]?.symbol ?? '–'}`);
    } catch (error) {
      notes.push(`perf profile failed: ${(error as Error).message}`);
    }
  } else if (!quick)
    notes.push('perf cannot sample on this machine (`perf stat -e cpu-clock true` failed): no profile.');

  // --- Worker A/B: one worker change switched at run time, A and B alternated (worker-ab.ts, ADR 0035).
  let workerAbFigures: Details['workerAb'] = null;
  if (!quick) {
    try {
      workerAbFigures = await workerAb({
        sink,
        clip,
        audiences: WORKER_AB_AUDIENCES,
        pairs: WORKER_AB_PAIRS,
        timing: TIMING,
        sfuCpu: SFU_CPU,
        loadCpu: LOAD_CPU,
        log,
      });
      log(`worker A/B: ${workerAbFigures.verdict}`);
    } catch (error) {
      notes.push(`worker A/B failed: ${(error as Error).message}`);
    }
  }

  // --- Keyframe requests during a join storm (media layer, real media), with and without the delay.
  const keyframeStorms: KeyframeStorm[] = [];
  for (const delay of quick ? [KEY_FRAME_REQUEST_DELAY_MS] : [KEY_FRAME_REQUEST_DELAY_MS, 0]) {
    try {
      const k = await keyframeStorm({
        pool,
        sink,
        clip,
        viewers: quick ? 50 : 200,
        periodMs: quick ? 5000 : 10_000,
        keyFrameRequestDelayMs: delay,
        loadCpu: LOAD_CPU,
      });
      keyframeStorms.push(k);
      log(`keyframe storm (delay ${delay} ms): ${k.viewers} viewers, per second [${k.perSecond.join(', ')}]`);
    } catch (error) {
      notes.push(`keyframe storm (delay ${delay} ms) failed: ${(error as Error).message}`);
    }
  }
  await pool.close();

  // --- Multi-worker: the same audience spread over every worker by the pool itself.
  let multiWorker: Details['multiWorker'] = null;
  // os.cpus(), not availableParallelism(): this process is pinned to one CPU by now.
  const workers = Math.min(os.cpus().length, 8);
  if (workers > 1) {
    // Nothing is left over for the load: let the scheduler place the sink, FFmpeg and this process.
    const all = `0-${workers - 1}`;
    pin(process.pid, all, false);
    pin(sink.pid, all);
    const single = lastPass || 50;
    const audiences = quick ? [50] : [single, single * 2, single * 3];
    let largest: number | null = null;
    for (const viewers of audiences) {
      const spreadPool = await createPool(workers, Math.ceil((viewers * CONSUMERS_PER_VIEWER) / workers));
      spreadPool.workerPids().forEach((pid, i) => pin(pid, i));
      const reps: Measurement[] = [];
      for (let r = 0; r < REPETITIONS; r++) {
        try {
          reps.push(
            await mediasoupRep({
              pool: spreadPool,
              sink,
              clip,
              suite: 'AEAD_AES_256_GCM',
              viewers,
              timing: TIMING,
            }),
          );
        } catch (error) {
          notes.push(`multi-worker at ${viewers} viewers failed: ${(error as Error).message}`);
        }
      }
      await spreadPool.close();
      if (reps.length === 0) break;
      const s = step(multiLine(workers), reps);
      steps.push(s);
      log(describeStep(s));
      if (s.median.workers < workers)
        notes.push(`multi-worker at ${viewers} viewers used only ${s.median.workers} worker(s).`);
      if (s.median.lossPct > MAX_LOSS_PCT) break;
      largest = viewers;
    }
    multiWorker = {
      workers,
      largestViewers: largest,
      viewersPerCore: largest === null ? null : round(largest / workers, 1),
      note:
        `The pool spread each audience over ${workers} workers (spreadConsumers = ⌈2 × viewers / workers⌉), ` +
        'one worker pinned per core; the sink, FFmpeg and the controller share the same cores, so on this ' +
        'machine the figure is a lower bound.',
    };
  }

  // --- Two nodes: one sitting's audience split over an origin and an edge joined by an SRTP pipe.
  let cluster: ClusterFigures | null = null;
  if (quick)
    notes.push(
      'details.cluster is null in --quick: `npm run bench -- --only=cluster` runs the two-node step alone.',
    );
  else {
    try {
      cluster = await clusterPart({
        sink,
        clip,
        timing: TIMING,
        repetitions: REPETITIONS,
        perNode: CLUSTER_PER_NODE,
        pipes: CLUSTER_PIPES,
        joins: CLUSTER_JOINS,
        log,
      });
    } catch (error) {
      notes.push(`two-node step not measured: ${(error as Error).message}`);
    }
  }

  // --- Control plane: signalling joins through the real server.
  let joins: JoinStorm | null = null;
  // --quick chats on the join storm's server (one server start less); the full run on a fresh one.
  const controlServer = quick ? await startServerChild().catch(() => undefined) : undefined;
  if (controlServer) closers.push(() => controlServer.close());
  try {
    joins = await joinStorm(
      quick ? 50 : 200,
      quick ? 5000 : 10_000,
      controlServer,
      'fast',
      quick ? 2000 : 6000,
    );
    log(stormLine(joins));
    if (joins.failed > 0) notes.push(`${joins.failed} signalling joins failed during the join storm.`);
  } catch (error) {
    notes.push(`signalling join storm not measured: ${(error as Error).message.split('\n')[0]}`);
  }
  // The same storm one request at a time (older clients, and the path before issue 15), for comparison.
  let joinsClassic: JoinStorm | null = null;
  if (!quick) {
    try {
      joinsClassic = await joinStorm(200, 10_000, undefined, 'classic');
      log(`join storm (classic path): ${joinsClassic.serverCpuMsPerJoin} ms CPU/join`);
    } catch (error) {
      notes.push(`classic join storm not measured: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  // --- Chat: participants joined to one sitting, chatting at fixed rates (chat.ts).
  let chat: ChatFigures | null = null;
  try {
    chat = await chatBench({
      participants: CHAT_PARTICIPANTS,
      phases: CHAT_PHASES,
      ...(controlServer ? { server: controlServer } : {}),
      log,
    });
    if (quick)
      notes.push(
        `The chat figures in --quick come from ${CHAT_PARTICIPANTS} participants at ${CHAT_PHASES[0]!.ratePerS} lines/s ` +
          "on the join storm's server (a smoke run); the full run uses 300 participants at 50 lines/s on a fresh server.",
      );
  } catch (error) {
    notes.push(`chat not measured: ${(error as Error).message.split('\n')[0]}`);
  }

  await closeAll();

  // --- Recorder: its own benchmark (full run only: it records for 40 s and finalizes).
  let recorder: RecorderFigures | null = null;
  const recorderScript = recorderBenchScript(ROOT);
  if (!recorderScript)
    notes.push('recorderCpuPctPerStream and finalizeSpeedX are null: recorder/ has no benchmark yet.');
  else if (quick)
    notes.push(
      'recorderCpuPctPerStream and finalizeSpeedX are null in --quick (the recorder run takes over a minute).',
    );
  else {
    try {
      recorder = await runRecorderBench(ROOT, recorderScript, 40, 5 * 60_000);
      log(
        `recorder: ${recorder.cpuPctPerStream}% of a core per stream, finalize ${recorder.finalizeSpeedX}× real time`,
      );
      notes.push(
        "Recorder figures come from recorder/bench/recorder-bench.ts (the recorder's own benchmark: two publishers, " +
          'VP8 320x240 + Opus, 40 s, one FFmpeg remux per track, then finalize); recorderCpuPctPerStream is the median over tracks.',
      );
    } catch (error) {
      notes.push(`recorderCpuPctPerStream and finalizeSpeedX are null: ${(error as Error).message}`);
    }
  }

  // --- Real browsers: join-to-first-frame and end-to-end latency through the web client (full run only).
  let browser: BrowserFigures | null = null;
  if (quick)
    notes.push(
      'joinToFirstFrameP95Ms and e2eLatencyP99Ms are null in --quick: the real-browser part runs in the full run ' +
        '(`npm run bench -- --only=browser` runs it alone).',
    );
  else {
    try {
      browser = await browserPart();
    } catch (error) {
      notes.push(`joinToFirstFrameP95Ms and e2eLatencyP99Ms are null: ${(error as Error).message}`);
    }
  }

  // --- Headline numbers.
  const best = largestPassing(steps, GCM);
  const janusComparison: Details['janusComparison'] = [];
  for (const s of steps.filter((x) => x.line === AESCM && x.median.lossPct <= MAX_LOSS_PCT)) {
    const j = steps.find(
      (x) => x.line === JANUS && x.viewers === s.viewers && x.median.lossPct <= MAX_LOSS_PCT,
    );
    if (j)
      janusComparison.push({
        viewers: s.viewers,
        seduta: s.median.serverUsPerPacket,
        janus: j.median.serverUsPerPacket,
        ratio: round(s.median.serverUsPerPacket / j.median.serverUsPerPacket, 2),
      });
  }
  const ratio = janusComparison.at(-1)?.ratio ?? null;
  if (janus && ratio === null)
    notes.push(
      'No audience where both mediasoup AES-CM and Janus stayed at ≤ 1% loss: ratioVsJanus is null.',
    );
  if (!best)
    notes.push(
      'mediasoup lost more than 1% at the smallest audience: viewersPerCore and the per-packet figures are null.',
    );
  const kfWithDelay = keyframeStorms.find((k) => k.keyFrameRequestDelayMs === KEY_FRAME_REQUEST_DELAY_MS);
  notes.push(
    'keyframeRequestsPerSecMax comes from a join storm on the media layer (real media, PlainTransport viewers created paused and resumed as the signalling flow does), ' +
      'counted by the producer (PLI + FIR sent to the publisher). Raw signalling clients cannot complete DTLS, so their consumers never ask for keyframes.',
  );
  if (browser)
    notes.push(
      `joinToFirstFrameP95Ms and e2eLatencyP99Ms come from ${browser.viewers} headless Chromium viewers and a Chromium host ` +
        `on this machine, through the real server and web client in a network namespace (see "Real browsers"); ` +
        `the machine was ${browser.machine.busyPctDuringSampling}% busy while latency was sampled.`,
    );

  const durationS = (Date.now() - startedAt.getTime()) / 1000;
  const report: BenchReport = {
    viewersPerCore: best ? best.viewers : null,
    workerCpuUsPerPacket: best ? best.median.serverUsPerPacket : null,
    sinkCpuUsPerPacket: best ? best.median.sinkUsPerPacket : null,
    joinToFirstFrameP95Ms: browser ? browser.joinToFirstFrameP95Ms : null,
    joinToFirstFrameSingleP95Ms: browser?.single
      ? {
          chromium: browser.single.chromium?.joinToFirstFrameP95Ms ?? null,
          firefox: browser.single.firefox?.joinToFirstFrameP95Ms ?? null,
        }
      : null,
    joinServerCpuMs: joins ? joins.serverCpuMsPerJoin : null,
    chatAckP95Ms: chat?.phases[0]?.ackP95Ms ?? null,
    chatAckP99Ms: chat?.phases[0]?.ackP99Ms ?? null,
    chatRefusedUnderLimit: chat ? chat.phases.reduce((n, p) => n + p.refusedRateLimited, 0) : null,
    e2eLatencyP99Ms: browser ? browser.e2eLatencyP99Ms : null,
    keyframeRequestsPerSecMax: kfWithDelay ? kfWithDelay.max : null,
    recorderCpuPctPerStream: recorder ? recorder.cpuPctPerStream : null,
    finalizeSpeedX: recorder ? recorder.finalizeSpeedX : null,
    ratioVsJanus: ratio,
    machine,
    steps,
    notes,
    details: {
      mode: quick ? 'quick' : 'full',
      sink: `${sink.kind}, ${sink.mode}`,
      startedAt: startedAt.toISOString(),
      durationS: round(durationS, 1),
      versions: {
        mediasoup: (await import('mediasoup')).version,
        ...(janusVersion() ? { janus: janusVersion()! } : {}),
        ...(browser ? { browser: browser.browser } : {}),
      },
      timing: { warmupS: TIMING.warmupMs / 1000, windowS: TIMING.windowMs / 1000, repetitions: REPETITIONS },
      lines: Object.fromEntries(
        [GCM, AESCM, JANUS, ...(multiWorker ? [multiLine(multiWorker.workers)] : [])]
          .filter((line) => steps.some((s) => s.line === line))
          .map((line) => [
            line,
            {
              largestViewersAtMax1PctLoss: largestPassing(steps, line)?.viewers ?? null,
              description: describeLine(line),
            },
          ]),
      ),
      multiWorker,
      sinkWake,
      janusComparison,
      joinStorm: joins,
      joinStormClassic: joinsClassic,
      chat,
      keyframeStorms,
      profile,
      recorder,
      browser: browser ? withoutRawLatencies(browser) : null,
      cluster,
      workerAb: workerAbFigures,
    },
  };
  await writeReport(OUT_DIR, report);
  const measured = steps.some((s) => s.median.receivedPackets > 0);
  log(
    `summary: ${quick ? 'quick' : 'full'} run in ${Math.round(durationS)} s: viewersPerCore=${report.viewersPerCore} ` +
      `workerCpuUsPerPacket=${report.workerCpuUsPerPacket} sinkCpuUsPerPacket=${report.sinkCpuUsPerPacket} ` +
      `ratioVsJanus=${report.ratioVsJanus} keyframeRequestsPerSecMax=${report.keyframeRequestsPerSecMax} ` +
      `joinToFirstFrameP95Ms=${report.joinToFirstFrameP95Ms} e2eLatencyP99Ms=${report.e2eLatencyP99Ms} → ${path.relative(ROOT, OUT_DIR)}/latest.{json,md}`,
  );
  return measured ? 0 : 1;
}

/** The browser figures for latest.json: every summary, not the ~1,000 raw latency samples. */
function withoutRawLatencies(figures: BrowserFigures): Omit<BrowserFigures, 'e2eLatencyMs'> {
  const { e2eLatencyMs: _raw, ...rest } = figures;
  return rest;
}

function describeLine(line: string): string {
  if (line === GCM) return 'PlainTransport viewers with the SRTP suite browsers negotiate (headline line).';
  if (line === AESCM)
    return 'The same with AES-CM, the only suite Janus forwarders offer (for the side-by-side ratio).';
  if (line === JANUS)
    return 'Janus 1.1 VideoRoom remote publisher with one rtp_forward per viewer (video + audio).';
  if (line === WOKEN)
    return 'The GCM line with a sink that blocks on its sockets (alternated with the sleeping sink at the same audience): the difference is the wake-up cost loopback charges to the sender.';
  return 'Automatic spreading across every worker with pipeToRouter.';
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    await closeAll();
    process.exitCode = 1;
  });
