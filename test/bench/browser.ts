/**
 * The real-browser part of `npm run bench` (issue 7): join-to-first-frame and end-to-end latency
 * through the real server and the real web client, in headless Chromium.
 *
 *   node scripts/netns.mjs -- npx tsx test/bench/browser.ts [--out=<file.json>] [--viewers=10] [--seconds=5]
 *
 * - The server is the e2e one (startE2eApp: in this process, one mediasoup worker on
 *   SEDUTA_E2E_MEDIA_IP, the built client). A host signs in (own Chromium, harness launchChromium),
 *   its page gets a fake getUserMedia before "Start sitting" is pressed: the camera is a
 *   1280×720 canvas.captureStream() on which every frame carries the wall-clock time it was drawn
 *   (Date.now(), as 48 black/white blocks: guard row, 32 bits of ms mod 2^32, CRC-8), the
 *   microphone an OscillatorNode → MediaStreamDestination.
 * - The viewers are operators with their own join links, one browser context each (own cookies,
 *   so each holds its own participant pass) in one second Chromium. An init script in each page
 *   notes when the click on "join" lands (capture listener, performance.now()) and hooks every
 *   video element's srcObject to follow it with requestVideoFrameCallback. All join buttons are
 *   clicked together (real mouse clicks, dispatched concurrently).
 * - join-to-first-frame = first rVFC callback of the video shown in the camera tile − the click.
 * - latency = Date.now() in a rVFC callback of the camera video − the stamp read from that frame
 *   (luma plane of a VideoFrame of the element, block centres, thresholds, guard row and CRC-8
 *   checked; a canvas readback if the frame is not in memory). Sampled
 *   for --seconds after a settle time; the video read is checked to be the camera consumer's track
 *   (inbound-rtp trackIdentifier of the camera SSRC the client reports in __sedutaInbound).
 *
 * Exits 0 after writing the figures to --out (default .test-results/bench-browser.json); on failure
 * writes `{ "error": … }` there, prints the reason and exits 1. Everything started is closed on exit,
 * SIGINT and SIGTERM (sent to this process: npx puts npm and a shell in between that do not pass
 * SIGTERM on, which is why run.ts starts it with `node --import tsx`; Ctrl-C reaches it either way).
 * Method and what the figures include: docs/decisions/0006-benchmark-method.md.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { KEY_FRAME_REQUEST_DELAY_MS } from '@seduta/media';
import type * as pw from 'playwright-core';
import { E2E_HOST, startE2eApp } from '../e2e/harness/app';
import type { E2eApp } from '../e2e/harness/app';
import { chromiumArgs, launchChromium } from '../e2e/harness/browsers';
import type { TestBrowser, TestPage } from '../e2e/harness/browsers';
import { signInAsHost } from '../e2e/harness/sign-in';
import { HOST_BODY, viewerScript } from './browser-pages';
import type { BrowserFigures, BrowserViewer } from './browser-run';
import { cpuMicros } from './cpu';
import { ServerJoinTrace, breakdown } from './join-steps';
import type { JoinSteps, PageTiming } from './join-steps';
import { round } from './measure';
import { chromiumViewers, launchFirefoxViewers, singleJoins } from './single-joins';
import type { ViewerBrowser } from './single-joins';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const OUT = path.resolve(flag('out') ?? path.join('.test-results', 'bench-browser.json'));
const VIEWERS = Number(flag('viewers') ?? 10);
const SAMPLE_SECONDS = Number(flag('seconds') ?? 5);
/** Sequential single joins per browser (Chromium and Firefox, alternately) before the storm; 0 skips them. */
const SINGLES = Number(flag('singles') ?? 20);
/** `--single-browsers=chromium` leaves Firefox out of the single joins. */
const SINGLE_BROWSERS = (flag('single-browsers') ?? 'chromium,firefox').split(',');
/** After the last first frame: the view-size report, the layer switch it causes and its keyframe. */
const SETTLE_MS = 3000;
const CANVAS = { width: 1280, height: 720, fps: 30 };
/** At most this many latency samples per viewer (30 fps × the window, with room). */
const MAX_SAMPLES = Math.ceil(CANVAS.fps * SAMPLE_SECONDS * 1.5);
const FIRST_FRAME_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 30_000;
/** The whole run (single joins take ~4 s each); past it, everything is closed and the run fails. */
const OVERALL_TIMEOUT_MS = (4 + (SINGLES * SINGLE_BROWSERS.length * 8) / 60) * 60_000;

interface HostInfo {
  drawn: number;
  fps: number;
  requests: string[];
  audioState: string;
  layers: BrowserFigures['hostLayers'];
}

interface FirstFrame {
  clickAt: number;
  clickWall: number;
  firstFrameAt: number;
}

interface InboundCheck {
  cameras: number;
  videos: number;
  framesDecoded: number;
  /** inbound-rtp totals of the camera stream (seconds, counts). */
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  totalDecodeTime: number;
  framesDropped: number;
  trackIds: string[];
  shownTrackId: string | null;
}

interface PageResult {
  clientJoinToFirstFrameMs: number | null;
  latencies: number[];
  receiveToCallback: (number | null)[];
  rejected: BrowserViewer['rejected'];
  missed: number;
  sizes: Record<string, number>;
  readMsPerFrame: number | null;
  readPaths: Record<string, number>;
}

const closers: (() => Promise<unknown>)[] = [];
let closing: Promise<void> | undefined;

/** Closes everything the run started, newest first; safe to call twice. */
function closeAll(): Promise<void> {
  closing ??= (async () => {
    for (const close of closers.reverse()) {
      try {
        await Promise.race([close(), delay(15_000)]);
      } catch {
        // Keep closing the rest.
      }
    }
  })();
  return closing;
}

function log(message: string): void {
  process.stderr.write(`[bench-browser ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

/**
 * tsx compiles with esbuild's keepNames, so functions the harness sends into pages (sign-in's
 * `fill`) call esbuild's `__name` helper, which pages do not have: every navigation defines it.
 */
function withNameShim(page: TestPage): TestPage {
  const shim = new Function('window.__name = window.__name || ((f) => f);') as () => void;
  return {
    ...page,
    async goto(url) {
      await page.goto(url);
      await page.evaluate(shim);
    },
  };
}

/** Nearest-rank percentile (q in 0..1) of a non-empty list. */
function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** Which part of the run a process belongs to, from the command line of its top ancestor under us. */
type Part = 'hostChromium' | 'viewerChromium' | 'mediasoupWorker' | 'other';

/** CPU time (µs) used so far by this process ('node') and by each part's process tree. */
function cpuByPart(): Record<Part | 'node', number> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const out: Record<Part | 'node', number> = {
    node: cpuMicros(process.pid),
    hostChromium: 0,
    viewerChromium: 0,
    mediasoupWorker: 0,
    other: 0,
  };
  const partOf = new Map<number, Part>();
  const classify = (pid: number): Part | undefined => {
    const known = partOf.get(pid);
    if (known) return known;
    const ppid = parent.get(pid);
    if (ppid === undefined || ppid <= 1) return undefined;
    let part: Part | undefined;
    if (ppid === process.pid) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return undefined;
      }
      // The harness gives the host's Chromium a seduta-chromium-* profile; the viewers' is Playwright's.
      part = cmd.includes('mediasoup-worker')
        ? 'mediasoupWorker'
        : cmd.includes('seduta-chromium-')
          ? 'hostChromium'
          : cmd.includes('chrom')
            ? 'viewerChromium'
            : 'other';
    } else part = classify(ppid);
    if (part) partOf.set(pid, part);
    return part;
  };
  for (const pid of parent.keys()) {
    const part = classify(pid);
    if (!part) continue;
    try {
      out[part] += cpuMicros(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** % of one core each part used since `start`, over `ms`. */
function cpuPctSince(start: Record<string, number>, ms: number): Record<string, number> {
  const now = cpuByPart();
  return Object.fromEntries(
    Object.entries(now).map(([k, v]) => [k, round(((v - (start[k] ?? 0)) / 1000 / ms) * 100, 1)]),
  );
}

/** Busy and total jiffies over all CPUs (/proc/stat). */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function busyPctSince(start: { busy: number; total: number }): number {
  const now = cpuTimes();
  const total = now.total - start.total;
  return total > 0 ? round(((now.busy - start.busy) / total) * 100, 1) : NaN;
}

/**
 * Polls `expression` in every page (every 50 ms) until it is truthy; the error names the first page
 * that timed out. Polled from here: the pages' CSP forbids the eval that waitForFunction uses.
 */
async function waitAll(pages: pw.Page[], expression: string, what: string, timeout: number): Promise<void> {
  await Promise.all(
    pages.map(async (page, i) => {
      const deadline = Date.now() + timeout;
      while (!(await page.evaluate(expression))) {
        if (Date.now() > deadline) throw new Error(`viewer ${i + 1}: ${what} not within ${timeout} ms`);
        await delay(50);
      }
    }),
  );
}

async function main(): Promise<BrowserFigures> {
  const startedAt = new Date();
  const notes: string[] = [];
  const mediaIp = process.env.SEDUTA_E2E_MEDIA_IP;
  if (!mediaIp)
    throw new Error(
      'SEDUTA_E2E_MEDIA_IP is not set: run through the test network namespace, ' +
        '`node scripts/netns.mjs -- npx tsx test/bench/browser.ts`',
    );
  if (!Number.isInteger(VIEWERS) || VIEWERS < 1 || VIEWERS > 20) throw new Error('--viewers must be 1..20');
  if (!(SAMPLE_SECONDS >= 1 && SAMPLE_SECONDS <= 30)) throw new Error('--seconds must be 1..30');
  if (process.env.SEDUTA_E2E_LOOPBACK === '1')
    notes.push('No network namespace here (not root?): the browsers used plain loopback 127.0.0.1.');
  const loadAvg1AtStart = round(os.loadavg()[0]!, 2);
  log(`media on ${mediaIp}; ${VIEWERS} viewers; load ${loadAvg1AtStart}`);

  const server: E2eApp = await startE2eApp();
  closers.push(() => server.close());
  const created = await server.createSitting({
    title: 'Benchmark – apertura buste',
    scheduledAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  });

  // --- Host: own Chromium, signed in, fake camera/microphone installed before "Start sitting".
  const hostBrowser: TestBrowser = await launchChromium();
  closers.push(() => hostBrowser.close());
  const host: TestPage = withNameShim(await hostBrowser.newPage());
  await signInAsHost(host, server.url, E2E_HOST);
  await host.goto(created.hostUrl);
  await host.locate('[data-testid="start"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  const installHost = new Function('cfg', HOST_BODY) as (cfg: typeof CANVAS) => Promise<HostInfo>;
  await host.evaluate(installHost, CANVAS);
  await host.click('[data-testid="start"]', { timeout: STEP_TIMEOUT_MS });
  await host.locate('[data-testid="preview-camera"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  await host.locate('[data-testid="mic-toggle"]').waitFor({ timeout: STEP_TIMEOUT_MS });
  const hostInfo = await host.evaluate(installHost, CANVAS);
  if (
    !hostInfo.requests.some((r) => r.includes('video')) ||
    !hostInfo.requests.some((r) => r.includes('audio'))
  )
    throw new Error(
      `the host page did not ask for camera and microphone (asked: ${hostInfo.requests.join(', ')})`,
    );
  log(
    `host live: canvas camera drawn ${hostInfo.drawn} times (${hostInfo.fps} fps), audio ${hostInfo.audioState}`,
  );
  if (hostInfo.audioState !== 'running')
    notes.push(
      `The host's oscillator AudioContext was "${hostInfo.audioState}" (the microphone track carried silence).`,
    );

  // Keyframe requests (PLI/FIR) the SFU forwards to the host's camera, for the join timeline.
  // The preview shows before the producer exists on the server: wait for it.
  const live = await server.app.sittings.liveIfAny(created.sitting.id);
  const findCamera = () => live?.recordable.producers().find((p) => p.source === 'camera')?.producer;
  for (let deadline = Date.now() + STEP_TIMEOUT_MS; !findCamera() && Date.now() < deadline;) await delay(50);
  const camera = findCamera();
  if (!camera) throw new Error(`the host's camera producer is not on the server after ${STEP_TIMEOUT_MS} ms`);
  // When this process heard of each request (for the click timeline) and the worker's own time of
  // it (for the spacing: a saturated machine delivers the events late and unevenly).
  const keyframeRequests: { at: number; workerMs: number }[] = [];
  await camera.enableTraceEvent(['pli', 'fir']);
  camera.on('trace', (trace) => {
    if (trace.direction === 'out' && keyframeRequests.length < 1000)
      keyframeRequests.push({ at: Date.now(), workerMs: trace.timestamp });
  });

  // --- Viewers: one Chromium, one context per operator (own cookies: own participant pass).
  const viewerBrowser = await chromium.launch({
    executablePath: process.env.SEDUTA_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs(),
  });
  closers.push(() => viewerBrowser.close());
  const browser = `chromium ${viewerBrowser.version()}`;

  // The server's side of each join (signalling, ICE/DTLS, keyframes), for the step breakdown.
  const trace = new ServerJoinTrace(server.app, live!.router.router, camera);
  closers.push(async () => trace.uninstall());

  // --- Single joins: one operator at a time, Chromium and Firefox alternately, nobody else joining.
  let single: BrowserFigures['single'] = null;
  if (SINGLES > 0) {
    const singleBrowsers: ViewerBrowser[] = [];
    if (SINGLE_BROWSERS.includes('chromium')) singleBrowsers.push(chromiumViewers(viewerBrowser));
    if (SINGLE_BROWSERS.includes('firefox')) {
      try {
        const firefox = await launchFirefoxViewers();
        closers.push(() => firefox.close());
        singleBrowsers.push(firefox);
      } catch (error) {
        notes.push(`Firefox did not start for the single joins: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    // The host's own transports: a viewer's are gone once the count is back to this.
    const baseline = live!.router.transportCount();
    const singleStart = Date.now();
    const results = await singleJoins({
      browsers: singleBrowsers,
      count: SINGLES,
      joinUrl: (name) => server.joinUrl(created.sitting.id, name, name.toLowerCase().replace(' ', '-')),
      trace,
      idle: async () => {
        for (let end = Date.now() + 3000; live!.router.transportCount() > baseline && Date.now() < end;)
          await delay(50);
      },
      timeoutMs: STEP_TIMEOUT_MS,
      log,
    });
    single = { count: SINGLES, durationS: round((Date.now() - singleStart) / 1000, 1), ...results };
    for (const r of [results.chromium, results.firefox])
      if (r && r.failed > 0)
        notes.push(`${r.failed} single join(s) in ${r.browser} failed: ${r.errors.join('; ')}`);
    log(
      `single joins: ${[results.chromium, results.firefox]
        .filter((r) => r !== null)
        .map((r) => `${r.browser} p50 ${r.joinToFirstFrameP50Ms} ms, p95 ${r.joinToFirstFrameP95Ms} ms`)
        .join('; ')}`,
    );
    if (trace.handled === 0)
      notes.push(
        "The server trace saw no request: the signalling handler table was not called as wrapped, so the server's signalling steps are missing.",
      );
  }
  const pages: pw.Page[] = [];
  for (let i = 0; i < VIEWERS; i++) {
    const context = await viewerBrowser.newContext({ viewport: { width: 1280, height: 720 } });
    await context.addInitScript({ content: viewerScript(MAX_SAMPLES) });
    pages.push(await context.newPage());
  }
  await Promise.all(
    pages.map(async (page, i) =>
      page.goto(await server.joinUrl(created.sitting.id, `Operatore ${i + 1}`, `op-${i + 1}`), {
        waitUntil: 'load',
        // Ten cold page loads at once on a busy 2-core machine can take a while.
        timeout: 2 * STEP_TIMEOUT_MS,
      }),
    ),
  );
  await waitAll(pages, 'window.__bench.joinReady()', 'join button enabled', STEP_TIMEOUT_MS);
  const boxes = await Promise.all(
    pages.map(async (page, i) => {
      const box = await page
        .locator('[data-testid="join"]')
        .first()
        .boundingBox({ timeout: STEP_TIMEOUT_MS });
      if (!box) throw new Error(`viewer ${i + 1}: the join button has no box`);
      return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    }),
  );
  // Let page loading finish burning CPU before the clock starts.
  await delay(1000);

  // --- Join, all at once: real clicks dispatched concurrently; each page notes when its click lands.
  const joinCpu = cpuTimes();
  const joinParts = cpuByPart();
  const joinStart = Date.now();
  await Promise.all(pages.map((page, i) => page.mouse.click(boxes[i]!.x, boxes[i]!.y)));
  await waitAll(pages, 'window.__bench.clickAt !== null', 'the click landing on "join"', 5000);
  await waitAll(
    pages,
    'window.__bench.firstFrame() !== null',
    "first frame of the host's camera",
    FIRST_FRAME_TIMEOUT_MS,
  );
  const busyPctDuringJoin = busyPctSince(joinCpu);
  const cpuPctDuringJoin = cpuPctSince(joinParts, Date.now() - joinStart);
  const first = await Promise.all(
    pages.map((page) => page.evaluate('window.__bench.firstFrame()') as Promise<FirstFrame>),
  );
  const joinToFirstFrameMs = first.map((f) => round(f.firstFrameAt - f.clickAt, 1));
  const clickWalls = first.map((f) => f.clickWall);
  const joinClickSpreadMs = Math.max(...clickWalls) - Math.min(...clickWalls);
  const firstClick = Math.min(...clickWalls);
  log(
    `join → first frame (ms): ${joinToFirstFrameMs.join(', ')}; clicks landed within ${joinClickSpreadMs} ms`,
  );
  const stormTimings = await Promise.all(
    pages.map((page) => page.evaluate('window.__bench.joinTiming()') as Promise<PageTiming>),
  );
  const stormPerViewer = stormTimings.map((timing, i) => trace.steps(`Operatore ${i + 1}`, timing));
  const stormJoins = stormPerViewer.filter((steps): steps is JoinSteps => steps !== null);
  const stormSteps = breakdown(stormJoins);
  // Each viewer's path (the table's percentiles are per step, not per viewer): where one waited.
  const pathSteps = [
    'client:join',
    'client:recv.connecting',
    'server:dtls.connected',
    'server:keyframe.sent',
    'client:frame',
  ];
  for (const [i, join] of stormPerViewer.entries())
    if (join)
      log(
        `storm viewer ${i + 1}: ${pathSteps.map((id) => `${id.split(':')[1]} ${join[id] ?? '-'}`).join(', ')}; ` +
          trace.keyframes(`Operatore ${i + 1}`, stormTimings[i]!),
      );

  // --- Latency: settle, then read every camera frame for SAMPLE_SECONDS.
  await delay(SETTLE_MS);
  const before = await Promise.all(
    pages.map((page) => page.evaluate('window.__bench.inbound()') as Promise<InboundCheck>),
  );
  // Keyframe requests from the first click to here: the join and the settle (layer switches).
  const joinRequests = keyframeRequests.filter((r) => r.at >= firstClick);
  const joinKeyframeRequestsMs = joinRequests.map((r) => r.at - firstClick);
  const joinKeyframeRequestsWorkerMs = joinRequests.map((r) => r.workerMs - joinRequests[0]!.workerMs);
  const sampleCpu = cpuTimes();
  const sampleParts = cpuByPart();
  const sampleStart = Date.now();
  await Promise.all(pages.map((page) => page.evaluate('window.__bench.start()')));
  await delay(SAMPLE_SECONDS * 1000);
  await Promise.all(pages.map((page) => page.evaluate('window.__bench.stop()')));
  const busyPctDuringSampling = busyPctSince(sampleCpu);
  const cpuPctDuringSampling = cpuPctSince(sampleParts, Date.now() - sampleStart);
  const after = await Promise.all(
    pages.map((page) => page.evaluate('window.__bench.inbound()') as Promise<InboundCheck>),
  );
  const results = await Promise.all(
    pages.map((page) => page.evaluate('window.__bench.result()') as Promise<PageResult>),
  );
  const hostAfter = await host.evaluate(installHost, CANVAS);

  const perViewer: BrowserViewer[] = results.map((r, i) => {
    const check = after[i]!;
    // What was read must be the camera consumer's track, not another video.
    if (check.cameras !== 1 || !check.shownTrackId || !check.trackIds.includes(check.shownTrackId))
      throw new Error(
        `viewer ${i + 1}: the video read is not the camera consumer's track ` +
          `(cameras ${check.cameras}, shown ${check.shownTrackId}, camera track ${check.trackIds.join(',') || 'none'})`,
      );
    const receive = r.receiveToCallback.filter((v): v is number => v !== null);
    const b = before[i]!;
    const emitted = check.jitterBufferEmittedCount - b.jitterBufferEmittedCount;
    const decoded = check.framesDecoded - b.framesDecoded;
    return {
      viewer: i + 1,
      joinToFirstFrameMs: joinToFirstFrameMs[i]!,
      clientJoinToFirstFrameMs: r.clientJoinToFirstFrameMs,
      samples: r.latencies.length,
      rejected: r.rejected,
      missed: r.missed,
      framesDecoded: decoded,
      framesDropped: check.framesDropped - b.framesDropped,
      jitterBufferMs:
        emitted > 0 ? round(((check.jitterBufferDelay - b.jitterBufferDelay) / emitted) * 1000, 1) : null,
      decodeMs: decoded > 0 ? round(((check.totalDecodeTime - b.totalDecodeTime) / decoded) * 1000, 1) : null,
      latencyP50Ms: r.latencies.length ? percentile(r.latencies, 0.5) : null,
      latencyP99Ms: r.latencies.length ? percentile(r.latencies, 0.99) : null,
      receiveToCallbackP50Ms: receive.length ? percentile(receive, 0.5) : null,
      frameSizes: r.sizes,
      readMsPerFrame: r.readMsPerFrame,
      readPaths: r.readPaths,
    };
  });
  const latencies = results.flatMap((r) => r.latencies);
  const receives = results.flatMap((r) => r.receiveToCallback).filter((v): v is number => v !== null);
  const empty = perViewer.filter((v) => v.samples === 0);
  if (empty.length)
    throw new Error(
      `no stamped frame could be read by viewer(s) ${empty.map((v) => v.viewer).join(', ')} ` +
        `(rejected: ${empty.map((v) => JSON.stringify(v.rejected)).join(' ')})`,
    );
  const rejectedByReason = { unclear: 0, guard: 0, checksum: 0, range: 0 };
  for (const v of perViewer)
    for (const k of Object.keys(rejectedByReason) as (keyof typeof rejectedByReason)[])
      rejectedByReason[k] += v.rejected[k];
  const framesRejected = Object.values(rejectedByReason).reduce((a, b) => a + b, 0);

  const method = [
    `Join-to-first-frame: ${VIEWERS} operator pages (one browser context each, one Chromium) clicked "join" together ` +
      `(real mouse clicks, landing within ${joinClickSpreadMs} ms of each other); from the click reaching the page ` +
      "(capture listener, performance.now()) to the first requestVideoFrameCallback of the host's camera video, page clock. " +
      'p50/p95 are nearest-rank (with 10 samples p95 is the largest).',
    `End-to-end latency: the host's camera is a ${CANVAS.width}x${CANVAS.height} canvas stamped with Date.now() at every ` +
      `${CANVAS.fps} fps frame; each viewer reads the stamp back in requestVideoFrameCallback and subtracts it from Date.now() ` +
      `(same machine, same clock), for ${SAMPLE_SECONDS} s after a ${SETTLE_MS / 1000} s settle. It spans canvas capture, ` +
      'simulcast VP8 encode, the SFU, jitter buffer, decode and presentation.',
  ];
  const firstFramesMs = first.map((f) => Math.round(f.clickWall + (f.firstFrameAt - f.clickAt) - firstClick));
  notes.push(
    `From the first click to the end of the settle time the SFU sent ${joinKeyframeRequestsMs.length} keyframe request(s) ` +
      `(PLI/FIR) to the host's camera, at ${joinKeyframeRequestsMs.map((t) => `+${t}`).join(', ') || '–'} ms ` +
      `(the producer's keyFrameRequestDelay is ${KEY_FRAME_REQUEST_DELAY_MS} ms); first frames at ${firstFramesMs.map((t) => `+${t}`).join(', ')} ms.`,
    `Host encoder at the end: ${
      hostAfter.layers
        .map(
          (l) =>
            `${l.rid ?? 'layer'} ${l.width}x${l.height} ${round(l.fps, 0)} fps` +
            (l.qualityLimitationReason !== 'none' ? ` (limited by ${l.qualityLimitationReason})` : ''),
        )
        .join(', ') || 'no outbound video'
    }; canvas drawn at ${hostAfter.fps} fps.`,
  );
  if (busyPctDuringSampling > 90)
    notes.push(
      `The machine was saturated (${busyPctDuringSampling}% of all ${os.cpus().length} cores busy while sampling, ` +
        `${busyPctDuringJoin}% during the join); this run's own share: viewer Chromium ${cpuPctDuringSampling.viewerChromium}%, ` +
        `host Chromium ${cpuPctDuringSampling.hostChromium}%, server ${cpuPctDuringSampling.node}%, mediasoup worker ` +
        `${cpuPctDuringSampling.mediasoupWorker}% of one core. Latency and join times then include waiting for CPU in the browsers.`,
    );

  return {
    viewers: VIEWERS,
    browser,
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    joinToFirstFrameMs,
    joinToFirstFrameP50Ms: percentile(joinToFirstFrameMs, 0.5),
    joinToFirstFrameP95Ms: percentile(joinToFirstFrameMs, 0.95),
    joinClickSpreadMs,
    e2eLatencyP50Ms: percentile(latencies, 0.5),
    e2eLatencyP90Ms: percentile(latencies, 0.9),
    e2eLatencyP99Ms: percentile(latencies, 0.99),
    e2eLatencyMinMs: Math.min(...latencies),
    e2eLatencyMaxMs: Math.max(...latencies),
    e2eLatencySamples: latencies.length,
    framesRejected,
    framesRejectedByReason: rejectedByReason,
    framesMissed: perViewer.reduce((n, v) => n + v.missed, 0),
    receiveToCallbackP50Ms: receives.length ? percentile(receives, 0.5) : null,
    hostDrawFps: hostAfter.fps,
    hostLayers: hostAfter.layers,
    joinKeyframeRequestsMs,
    joinKeyframeRequestsWorkerMs,
    single,
    stormSteps,
    machine: {
      cores: os.cpus().length,
      loadAvg1AtStart,
      nice: os.getPriority(),
      busyPctDuringJoin,
      busyPctDuringSampling,
      cpuPctDuringJoin,
      cpuPctDuringSampling,
    },
    timing: {
      settleMs: SETTLE_MS,
      sampleSeconds: SAMPLE_SECONDS,
      canvas: `${CANVAS.width}x${CANVAS.height}`,
      fps: CANVAS.fps,
    },
    perViewer,
    e2eLatencyMs: latencies,
    method,
    notes,
  };
}

async function write(data: unknown): Promise<void> {
  await mkdir(path.dirname(OUT), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(data, null, 2)}\n`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: closing`);
    void closeAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

const watchdog = setTimeout(() => {
  log(`not done within ${OVERALL_TIMEOUT_MS / 1000} s: closing`);
  void write({ error: `the real-browser benchmark did not finish within ${OVERALL_TIMEOUT_MS / 1000} s` })
    .catch(() => undefined)
    .then(closeAll)
    .finally(() => process.exit(1));
}, OVERALL_TIMEOUT_MS);

main().then(
  async (figures) => {
    clearTimeout(watchdog);
    await closeAll();
    await write(figures);
    log(
      `join→first frame p50 ${figures.joinToFirstFrameP50Ms} ms, p95 ${figures.joinToFirstFrameP95Ms} ms; ` +
        `latency p50 ${figures.e2eLatencyP50Ms} ms, p99 ${figures.e2eLatencyP99Ms} ms over ${figures.e2eLatencySamples} frames ` +
        `(${figures.framesRejected} rejected) → ${path.relative(process.cwd(), OUT)}`,
    );
    process.exit(0);
  },
  async (error: unknown) => {
    clearTimeout(watchdog);
    const message = (error as Error)?.message ?? String(error);
    log(`failed: ${(error as Error)?.stack ?? message}`);
    await write({ error: `real-browser benchmark failed: ${message.split('\n')[0]}` }).catch(() => undefined);
    await closeAll();
    process.exit(1);
  },
);
