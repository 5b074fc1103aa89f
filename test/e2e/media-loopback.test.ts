/**
 * Issue 2 acceptance, in real browsers: the offline-built mediasoup worker, with its DTLS fix,
 * carries a browser's camera and microphone through the pool's WebRtcServer and back.
 *
 * Without media/worker-build/patches/0001-dtls-bio-callback-ktls.patch the worker dies with
 * SIGSEGV on the first DTLS flight from any browser; these tests are the guard for that build.
 * Run inside the test network namespace (scripts/netns.mjs), which sets SEDUTA_E2E_MEDIA_IP.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_RTC_MAX_PORT, DEFAULT_RTC_MIN_PORT, WorkerPool } from '@seduta/media';
import type { MediaRouterCloseReason } from '@seduta/media';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { SIGNAL_FUNCTION } from './fixtures/loopback-protocol';
import type { LoopbackStarted } from './fixtures/loopback-protocol';
import { launchChromium, launchFirefox } from './harness/browsers';
import type { TestBrowser, TestPage } from './harness/browsers';
import { buildFixture } from './harness/bundle';
import type { BuiltFixture } from './harness/bundle';
import { LoopbackSignalling } from './harness/loopback-signalling';
import { findFreeRtcPort } from './harness/ports';
import { serveStatic } from './harness/static-server';
import type { StaticServer } from './harness/static-server';
import { getInboundStats, summarizeInbound } from './harness/stats';

const MEDIA_IP = process.env.SEDUTA_E2E_MEDIA_IP ?? '127.0.0.1';
/** Set by scripts/netns.mjs when the run is inside its namespace (then ICE must use MEDIA_IP only). */
const IN_NAMESPACE = Boolean(process.env.SEDUTA_E2E_NETNS);
/** The measurement window between two stats samples. */
const SAMPLE_WINDOW_MS = 2_000;

describe('issue 2 guard: offline mediasoup worker build with the DTLS fix, camera loopback in real browsers', () => {
  let pool: WorkerPool;
  let fixture: BuiltFixture;
  let server: StaticServer;

  beforeAll(async () => {
    const rtcPort = await findFreeRtcPort(MEDIA_IP, { min: DEFAULT_RTC_MIN_PORT, max: DEFAULT_RTC_MAX_PORT });
    pool = await WorkerPool.create({ numWorkers: 1, rtcListenIp: MEDIA_IP, rtcPort });
    fixture = await buildFixture('loopback');
    server = await serveStatic(fixture.dir);
  });

  afterAll(async () => {
    await server?.close();
    await fixture?.dispose();
    await pool?.close();
  });

  const cases: [string, () => Promise<TestBrowser>][] = [
    ['Chromium', launchChromium],
    ['Firefox', launchFirefox],
  ];

  it.each(cases)(
    '%s sends its camera and microphone through the WebRtcServer and decodes them back: DTLS connects, the worker survives, frames keep decoding',
    async (name, launch) => {
      const workerPids = pool.workerPids();
      const router = await pool.createRouter(`loopback-${name}`);
      onTestFinished(() => router.close());
      let routerCloseReason: MediaRouterCloseReason | undefined;
      router.once('close', (reason) => (routerCloseReason = reason));
      const signalling = new LoopbackSignalling(router, `viewer-${name}`);

      const browser = await launch();
      onTestFinished(() => browser.close());
      const page = await browser.newPage();
      await page.exposeFunction(SIGNAL_FUNCTION, signalling.handle);
      await page.goto(`${server.url}${fixture.page}`);

      await explainFailure(
        page,
        () => routerCloseReason,
        async () => {
          const t0 = Date.now();
          const started = await page.evaluate(() =>
            (
              window as unknown as { __sedutaLoopback: { start(): Promise<LoopbackStarted> } }
            ).__sedutaLoopback.start(),
          );
          expect(started.producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
          expect(started.consumers.map((c) => c.kind).sort()).toEqual(['audio', 'video']);

          const send = signalling.transports.get('send')!;
          const recv = signalling.transports.get('recv')!;
          await vi.waitFor(
            () => {
              expect(send.dtlsState).toBe('connected');
              expect(recv.dtlsState).toBe('connected');
            },
            { timeout: 15_000, interval: 100 },
          );
          if (IN_NAMESPACE) {
            // Inside the namespace the browser must reach mediasoup on the veth address only.
            expect(send.iceSelectedTuple?.remoteIp).toBe(MEDIA_IP);
            expect(recv.iceSelectedTuple?.remoteIp).toBe(MEDIA_IP);
          }

          const first = await vi.waitFor(
            async () => {
              const s = summarizeInbound(await getInboundStats(page));
              expect(s.videoTracks).toBe(1);
              expect(s.audioTracks).toBe(1);
              expect(s.framesDecoded).toBeGreaterThan(0);
              return s;
            },
            { timeout: 20_000, interval: 100 },
          );
          const firstFrameMs = Date.now() - t0;
          await delay(SAMPLE_WINDOW_MS);
          const second = summarizeInbound(await getInboundStats(page));

          console.log(
            `[media-loopback] ${name} (${started.handlerName}): first decoded frame ${firstFrameMs} ms after start(); ` +
              `framesDecoded ${first.framesDecoded}→${second.framesDecoded}, ` +
              `audio packetsReceived ${first.audioPacketsReceived}→${second.audioPacketsReceived} over ${SAMPLE_WINDOW_MS} ms`,
          );
          expect(second.framesDecoded).toBeGreaterThan(first.framesDecoded);
          expect(second.audioPacketsReceived).toBeGreaterThan(first.audioPacketsReceived);
          // The DTLS crash killed the worker: the same worker must still be serving, DTLS still up.
          expect(pool.workerPids()).toEqual(workerPids);
          expect(routerCloseReason).toBeUndefined();
          expect(send.dtlsState).toBe('connected');
        },
      );
    },
  );
});

/**
 * Runs fn; if it throws, says so when the mediasoup worker died (the symptom of a worker built
 * without the DTLS fix) and appends the page's console lines, so the failure explains itself.
 */
async function explainFailure(
  page: TestPage,
  routerCloseReason: () => MediaRouterCloseReason | undefined,
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    if (routerCloseReason() === 'worker-died') {
      err.message =
        'the mediasoup worker died during the loopback: is the DTLS BIO fix ' +
        `(media/worker-build/patches/0001-dtls-bio-callback-ktls.patch) in the worker build?\n${err.message}`;
    }
    if (page.logs.length > 0) err.message += `\npage logs:\n${page.logs.join('\n')}`;
    throw err;
  }
}
