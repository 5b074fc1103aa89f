/**
 * The real-browser figures (join-to-first-frame, end-to-end latency) as test/bench/browser.ts writes
 * them, and how run.ts starts that script: in a child process, inside the test network namespace
 * (`node scripts/netns.mjs -- node --import tsx test/bench/browser.ts --out=<file>`, the same as
 * `… -- npx tsx test/bench/browser.ts` by hand).
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { StepRow } from './join-steps';
import type { SingleJoinFigures } from './single-joins';

/** One viewer page of the real-browser run. */
export interface BrowserViewer {
  viewer: number;
  /** Click on "join" landing in the page → first rVFC callback of the host's camera video (page clock). */
  joinToFirstFrameMs: number;
  /** The web client's own figure (`window.__sedutaMetrics.joinToFirstFrameMs`), for comparison. */
  clientJoinToFirstFrameMs: number | null;
  /** Stamped frames read and accepted during the sampling window. */
  samples: number;
  rejected: { unclear: number; guard: number; checksum: number; range: number };
  /** Frames the compositor presented without a rVFC callback (presentedFrames gaps) while sampling. */
  missed: number;
  /** inbound-rtp framesDecoded of the camera stream during the sampling window. */
  framesDecoded: number;
  /** inbound-rtp framesDropped during the window. */
  framesDropped: number;
  /** Mean jitter-buffer delay per frame during the window (inbound-rtp jitterBufferDelay / EmittedCount). */
  jitterBufferMs: number | null;
  /** Mean decode time per frame during the window (inbound-rtp totalDecodeTime / framesDecoded). */
  decodeMs: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** Last packet of the frame received → rVFC callback (WebRTC `receiveTime`), median. */
  receiveToCallbackP50Ms: number | null;
  /** Decoded frame sizes seen while sampling (simulcast layer), with their counts. */
  frameSizes: Record<string, number>;
  /** Page time spent reading one stamp (drawImage + getImageData + decode), mean. */
  readMsPerFrame: number | null;
  /** How frames were read: 'videoframe' (luma plane of the presented VideoFrame) or 'canvas'. */
  readPaths: Record<string, number>;
}

/** The JSON test/bench/browser.ts writes (`--out`). */
export interface BrowserFigures {
  viewers: number;
  browser: string;
  startedAt: string;
  durationS: number;
  joinToFirstFrameMs: number[];
  joinToFirstFrameP50Ms: number;
  joinToFirstFrameP95Ms: number;
  /** Time between the first and the last viewer's join click landing in its page. */
  joinClickSpreadMs: number;
  e2eLatencyP50Ms: number;
  e2eLatencyP90Ms: number;
  e2eLatencyP99Ms: number;
  e2eLatencyMinMs: number;
  e2eLatencyMaxMs: number;
  /** How many stamped frames were read (accepted) over all viewers. */
  e2eLatencySamples: number;
  framesRejected: number;
  framesRejectedByReason: BrowserViewer['rejected'];
  framesMissed: number;
  receiveToCallbackP50Ms: number | null;
  /** Frames per second the host page drew on its stamped canvas (mean since it went live). */
  hostDrawFps: number;
  /** The host's outbound video (one per simulcast layer) at the end of sampling. */
  hostLayers: {
    rid: string | null;
    width: number;
    height: number;
    fps: number;
    active: boolean;
    qualityLimitationReason: string;
    qualityLimitationDurations: Record<string, number>;
  }[];
  /**
   * Keyframe requests (PLI/FIR) the SFU sent to the host's camera producer from the first click to the
   * end of the settle time (before latency sampling), in ms after the first click.
   */
  joinKeyframeRequestsMs: number[];
  /** The same requests on the worker's clock, in ms after the first of them: their exact spacing. */
  joinKeyframeRequestsWorkerMs?: number[];
  /**
   * Sequential single joins (one operator at a time, nobody else joining), per browser, run before
   * the storm; null when skipped (`--singles=0`). A browser that did not start is null.
   */
  single: {
    /** Joins asked of each browser. */
    count: number;
    durationS: number;
    chromium: SingleJoinFigures | null;
    firefox: SingleJoinFigures | null;
  } | null;
  /** Where the storm's join time went, step by step (join-steps.ts). */
  stormSteps: StepRow[];
  machine: {
    cores: number;
    loadAvg1AtStart: number;
    /** Nice value the run (server, browsers) had. */
    nice: number;
    /** Busy % of all CPUs (100 = every core busy), from /proc/stat: this run and anything else. */
    busyPctDuringJoin: number;
    busyPctDuringSampling: number;
    /**
     * CPU of each part of this run, in % of one core: node (the server, signalling, Playwright),
     * mediasoupWorker, hostChromium, viewerChromium (process trees).
     */
    cpuPctDuringJoin: Record<string, number>;
    cpuPctDuringSampling: Record<string, number>;
  };
  timing: { settleMs: number; sampleSeconds: number; canvas: string; fps: number };
  perViewer: BrowserViewer[];
  /** Every accepted latency sample, all viewers (only in the script's own JSON, not in latest.json). */
  e2eLatencyMs?: number[];
  /** How the figures were measured. */
  method: string[];
  /** What this run saw beyond the figures (rejections, keyframe requests, host encoder, load). */
  notes: string[];
}

/** What a failed run of browser.ts leaves in its --out file. */
interface BrowserFailure {
  error: string;
}

/**
 * Runs test/bench/browser.ts through scripts/netns.mjs (killed after `timeoutMs`) and returns the
 * JSON it wrote to `outFile`. Rejects with the script's own reason when it fails.
 */
export async function runBrowserBench(opts: {
  root: string;
  outFile: string;
  timeoutMs: number;
  /** Prefix for the child (e.g. `taskset -c 0-1`), so it is not pinned like the controller. */
  prefix?: string[];
  onLine?: (line: string) => void;
  /** Aborting sends the child SIGTERM (it then closes its browsers, server and namespace). */
  signal?: AbortSignal;
  /** More arguments for browser.ts (e.g. `--singles=0`). */
  args?: string[];
}): Promise<BrowserFigures> {
  await rm(opts.outFile, { force: true });
  const argv = [
    ...(opts.prefix ?? []),
    process.execPath,
    path.join(opts.root, 'scripts', 'netns.mjs'),
    '--',
    // `npx tsx` would put npm and a shell between netns.mjs and the script, and they do not pass
    // SIGTERM on: node --import tsx receives it directly and closes what it started.
    process.execPath,
    '--import',
    'tsx',
    path.join(opts.root, 'test', 'bench', 'browser.ts'),
    `--out=${opts.outFile}`,
    ...(opts.args ?? []),
  ];
  const code = await new Promise<number | string>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.root, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = tail + chunk.toString();
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) opts.onLine?.(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // SIGTERM first: browser.ts and netns.mjs close the browsers, the server and the namespace.
    const stop = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    };
    const timer = setTimeout(stop, opts.timeoutMs);
    opts.signal?.addEventListener('abort', stop, { once: true });
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', stop);
      if (tail.trim()) opts.onLine?.(tail);
      resolve(exitCode ?? signal ?? 'unknown');
    });
  });
  let parsed: BrowserFigures | BrowserFailure | undefined;
  try {
    parsed = JSON.parse(await readFile(opts.outFile, 'utf8')) as BrowserFigures | BrowserFailure;
  } catch {
    parsed = undefined;
  }
  if (parsed && 'error' in parsed) throw new Error(parsed.error);
  if (code !== 0 || !parsed) throw new Error(`browser.ts exited with ${code} and wrote no figures`);
  return parsed;
}
