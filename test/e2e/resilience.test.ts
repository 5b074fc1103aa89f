/**
 * Issue 11 acceptance in real browsers (a Chromium host, a Chromium operator, a Firefox operator;
 * each in its own browser so that one person's network can be cut without the others'):
 *  - an operator's link cut for 5 s: the page says it is reconnecting, the video is back within
 *    5 s of restoring, the chat lines sent meanwhile appear once, the raised hand is still raised;
 *  - the host's link cut for 5 s: the operators keep the sitting and see the host again within 5 s;
 *  - `kill -9` of the mediasoup worker during a recording: both viewers decode the host again
 *    within 5 s, no click; health says degraded until the pool is whole; the recording is marked
 *    degraded with a gap of at most 5 s, and every segment decodes;
 *  - a restart (what SIGTERM does, then a new server on the same port and data): every page is
 *    back by itself within 10 s of the new server listening;
 *  - the host's tab closed: operators see the notice; reopened within the grace period, the host
 *    is host again and the sitting never ended; closed for good, the sitting ends at the deadline
 *    and its recording is finalized.
 *
 * Runs inside the test network namespace (cuts are nftables rules inside it, never on a host's):
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/resilience.test.ts
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingsRepo } from '../../recorder/src/recordings-repo';
import { startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchBrowsers, type TestBrowser, type TestPage } from './harness/browsers';
import { cutLink, type LinkCut } from './harness/link-cut';
import { hostStartsSitting, operatorJoins, sendChat } from './harness/flows';
import { seen, waitFor } from './harness/testids';
import { cameraFlowing, chatTexts, clientState, waitChat, waitGone, within } from './harness/watch';

const RESULTS_DIR = path.resolve('.test-results');
const HOST_GRACE_SECONDS = 15;
const CUT_MS = 5_000;
/** How soon after the network is back (or the worker replaced) the video must flow again. */
const BACK_WITHIN_MS = 5_000;
const OPERATOR_A = 'Ditta Alfa S.r.l.';
const OPERATOR_B = 'Beta Costruzioni S.p.A.';
const run = promisify(execFile);

describe('issue 11: nothing stops a sitting, in real browsers', () => {
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let hostBrowser: TestBrowser;
  let operatorBrowser: TestBrowser;
  let host: TestPage;
  let operatorA: TestPage;
  let operatorB: TestPage;
  let cut: LinkCut | undefined;

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    server = await startE2eApp({ env: { HOST_GRACE_SECONDS: String(HOST_GRACE_SECONDS) } });
    created = await server.createSitting({ title: 'Conferenza di servizi – variante al PRG' });
    await launchBrowsers(['chromium', 'chromium', 'firefox'], browsers);
    [hostBrowser, operatorBrowser] = browsers as [TestBrowser, TestBrowser];
    host = await hostBrowser.newPage();
    operatorA = await operatorBrowser.newPage();
    operatorB = await browsers[2]!.newPage();
  });

  afterAll(async () => {
    cut?.restore();
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  });

  it('starts the sitting, and two operators watch the host', async () => {
    await hostStartsSitting(host, server, created);
    await operatorJoins(operatorA, server, created.sitting.id, OPERATOR_A);
    await operatorJoins(operatorB, server, created.sitting.id, OPERATOR_B);
    await Promise.all([operatorA, operatorB].map((page) => cameraFlowing(page, 20_000)));
  });

  it("survives an operator's link cut for 5 s: reconnecting shown, video back within 5 s, chat once, hand still raised", async () => {
    await operatorA.click('[data-testid="hand-toggle"]');
    await waitFor(operatorA, (n) => n.testid === 'hand-status' && /mano alzata|hand raised/i.test(n.text));

    cut = await cutLink(operatorBrowser, server);
    const cutAt = Date.now();
    await sendChat(host, 'Riga inviata durante l’interruzione');
    const reconnecting = await waitFor(operatorA, (n) => n.testid === 'reconnecting', CUT_MS);
    expect(reconnecting.text).toMatch(/Riconnessione|Reconnecting/);
    await operatorA.screenshot(path.join(RESULTS_DIR, 'resilience-operator-reconnecting.png'));
    await delay(Math.max(0, CUT_MS - (Date.now() - cutAt)));
    cut.restore();
    cut = undefined;
    const restoredAt = Date.now();

    const backAt = await cameraFlowing(operatorA, BACK_WITHIN_MS + 5_000);
    console.log(`[resilience] operator: video back ${backAt - restoredAt} ms after the link returned`);
    expect(backAt - restoredAt).toBeLessThanOrEqual(BACK_WITHIN_MS);
    await waitGone(operatorA, 'reconnecting', 10_000);
    await waitChat(operatorA, (texts) => texts.includes('Riga inviata durante l’interruzione'));
    expect(
      (await chatTexts(operatorA)).filter((t) => t === 'Riga inviata durante l’interruzione'),
      'the line sent during the cut, exactly once',
    ).toHaveLength(1);
    const hand = (await seen(operatorA)).find((n) => n.testid === 'hand-status');
    expect(hand?.text).toMatch(/mano alzata|hand raised/i);
    // The host's queue still has the hand, once.
    expect((await seen(host)).find((n) => n.testid === 'queue-count')?.text).toBe('1');
    await operatorA.click('[data-testid="hand-toggle"]');
  });

  it("survives the host's link cut for 5 s: the operators keep the sitting and see the host again within 5 s", async () => {
    cut = await cutLink(hostBrowser, server);
    await delay(CUT_MS);
    cut.restore();
    cut = undefined;
    const restoredAt = Date.now();
    const back = await Promise.all(
      [operatorA, operatorB].map((page) => cameraFlowing(page, BACK_WITHIN_MS + 5_000)),
    );
    for (const [i, at] of back.entries()) {
      console.log(
        `[resilience] host cut: operator ${i + 1} sees the host ${at - restoredAt} ms after the link returned`,
      );
      expect(at - restoredAt).toBeLessThanOrEqual(BACK_WITHIN_MS);
    }
    expect((await server.app.sittings.get(created.sitting.id)).status).toBe('live');
    for (const page of [operatorA, operatorB]) {
      expect((await seen(page)).some((n) => n.testid === 'ended-message')).toBe(false);
    }
    // The host's console is whole again: the queue and the chat are back, nothing to click.
    await waitFor(host, (n) => n.testid === 'hand-queue', 10_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\nhost client: ${JSON.stringify(await clientState(host))}`);
    });
    await waitGone(host, 'reconnecting', 10_000);
  });

  it('drops a participant whose link died silently within 15 s, and lets the page back in by itself when it returns', async () => {
    const live = await server.app.sittings.liveIfAny(created.sitting.id);
    const before = live!.participantCount;
    cut = await cutLink(browsers[2]!, server);
    const cutAt = Date.now();
    while (live!.participantCount >= before && Date.now() - cutAt < 20_000) await delay(100);
    const goneAfter = Date.now() - cutAt;
    console.log(
      `[resilience] silent link death: the Firefox operator left the list ${goneAfter} ms after the cut`,
    );
    expect(live!.participantCount).toBe(before - 1);
    expect(goneAfter).toBeLessThanOrEqual(15_000);
    cut.restore();
    cut = undefined;
    const restoredAt = Date.now();
    const backAt = await cameraFlowing(operatorB, 20_000);
    console.log(
      `[resilience] silent link death: the Firefox operator decodes again ${backAt - restoredAt} ms after the link returned`,
    );
    expect(live!.participantCount).toBe(before);
  });

  it('survives kill -9 of the media worker during a recording: viewers back within 5 s, recording degraded with the gap, every segment decodes', async () => {
    await waitFor(host, (n) => n.testid === 'recording-start' && !n.disabled, 20_000);
    await host.click('[data-testid="recording-start"]');
    await recordingState(server, created.sitting.id, 'recording', 30_000);
    await delay(2_000);

    const live = await server.app.sittings.liveIfAny(created.sitting.id);
    const pid = live!.router.workerPid;
    // Health at the moment the pool notices the death (the replacement's spawn blocks this
    // process's event loop for a while, so polling over HTTP from here would not see that moment).
    let degraded: Promise<{ statusCode: number; json(): unknown }> | undefined;
    live!.router.once('close', (reason) => {
      if (reason === 'worker-died') degraded = server.app.inject({ method: 'GET', url: '/api/health' });
    });
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await delay(300);
    const back = await Promise.all(
      [operatorA, operatorB].map((page) => cameraFlowing(page, BACK_WITHIN_MS + 10_000, killedAt + 300)),
    );
    for (const [i, at] of back.entries()) {
      console.log(`[resilience] worker killed: operator ${i + 1} decodes the host ${at - killedAt} ms later`);
      expect(at - killedAt, `operator ${i + 1}`).toBeLessThanOrEqual(BACK_WITHIN_MS);
    }
    const during = await degraded;
    expect(during?.statusCode, 'health while the worker was being replaced').toBe(503);
    expect(during?.json()).toMatchObject({ status: 'degraded' });
    console.log(`[resilience] health while replacing: ${JSON.stringify(during?.json())}`);
    expect((await fetch(`${server.url}/api/health`)).status, 'health once the pool is whole').toBe(200);
    expect(live!.router.workerPid).not.toBe(pid);

    await waitFor(host, (n) => n.testid === 'recording-stop' && !n.disabled, 10_000);
    await delay(2_000);
    await host.click('[data-testid="recording-stop"]');
    // Stopping asks for confirmation.
    await host.click('[data-testid="recording-stop-confirm"]');
    const recorder = server.app.recorder;
    let list = await recorder.list(created.sitting.id);
    for (let i = 0; i < 240 && list[0]?.state !== 'ready' && list[0]?.state !== 'failed'; i++) {
      await delay(500);
      list = await recorder.list(created.sitting.id);
    }
    expect(list[0]?.state).toBe('ready');
    const repo = new RecordingsRepo(server.db);
    const [row] = await repo.listBySitting(created.sitting.id);
    expect(row!.degraded).toBe(true);
    const restarts = row!.problems.filter((p) => p.text.includes('media server restarted'));
    console.log(`[resilience] recording problems: ${JSON.stringify(row!.problems.map((p) => p.text))}`);
    expect(restarts.length).toBeGreaterThan(0);
    for (const problem of restarts) {
      expect(problem.to, problem.text).not.toBeNull();
      expect(Date.parse(problem.to!) - Date.parse(problem.from), problem.text).toBeLessThanOrEqual(5_000);
    }
    const segments = await repo.segments(row!.id);
    expect(segments.length).toBeGreaterThan(0);
    let duplicateTimestamps = 0;
    for (const segment of segments) {
      const file = path.join(server.recordingsDir, segment.file);
      const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
      // A frame repeating its predecessor's timestamp makes the null muxer complain; the frames
      // themselves decode. Counted and reported, not hidden; anything else fails the test.
      const lines = stderr.split('\n').filter((l) => l.trim() !== '');
      const duplicates = lines.filter((l) => l.includes('non monotonically increasing dts'));
      duplicateTimestamps += duplicates.length;
      expect(
        lines.filter((l) => !duplicates.includes(l)),
        `${segment.file} decodes`,
      ).toEqual([]);
      const frames = await run('ffprobe', [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=nb_read_frames',
        '-of',
        'csv=p=0',
        file,
      ]);
      expect(Number(frames.stdout.trim()), `${segment.file} frames`).toBeGreaterThan(0);
    }
    console.log(
      `[resilience] ${segments.length} segments decode; repeated frame timestamps: ${duplicateTimestamps}`,
    );
  });

  it('comes back by itself after a server restart: every page within 10 s of the new server listening', async () => {
    const restarting = waitFor(
      operatorB,
      (n) => n.testid === 'server-restarting' || n.testid === 'reconnecting',
      15_000,
    );
    const listeningAt = await within(30_000, 'the restart', server.restart());
    await within(20_000, 'the restarting notice', restarting);
    const back = await Promise.all(
      [operatorA, operatorB].map((page) => cameraFlowing(page, 20_000, listeningAt)),
    );
    for (const [i, at] of back.entries()) {
      console.log(
        `[resilience] restart: operator ${i + 1} back ${at - listeningAt} ms after the server listened`,
      );
      expect(at - listeningAt).toBeLessThanOrEqual(10_000);
    }
    await within(
      15_000,
      'the host console',
      waitFor(host, (n) => n.testid === 'mic-toggle', 10_000),
    );
    for (const page of [host, operatorA, operatorB])
      await within(15_000, `the banner on ${page.browserName}`, waitGone(page, 'reconnecting', 10_000));
    const live = await server.app.sittings.liveIfAny(created.sitting.id);
    expect(live?.info.hostAway).toBeUndefined();
  });

  it('keeps the sitting while the host is away (notice), gives it back on return, and ends it at the deadline', async () => {
    await host.close();
    const notice = await waitFor(operatorA, (n) => n.testid === 'host-away', 15_000);
    expect(notice.text).toMatch(/presidente si sta riconnettendo|host is reconnecting/i);
    await operatorA.screenshot(path.join(RESULTS_DIR, 'resilience-host-away.png'));

    host = await hostBrowser.newPage();
    await host.goto(created.hostUrl);
    await waitFor(host, (n) => n.testid === 'start' && !n.disabled, 20_000);
    await host.click('[data-testid="start"]');
    await waitFor(host, (n) => n.testid === 'mic-toggle', 20_000);
    await waitGone(operatorA, 'host-away', 10_000);
    expect((await server.app.sittings.get(created.sitting.id)).status).toBe('live');
    await cameraFlowing(operatorA, 15_000);

    // A recording running when the host goes for good is finalized when the sitting ends.
    await waitFor(host, (n) => n.testid === 'recording-start' && !n.disabled, 20_000);
    await host.click('[data-testid="recording-start"]');
    await recordingState(server, created.sitting.id, 'recording', 30_000);
    const recording = (await server.app.recorder.list(created.sitting.id)).find(
      (r) => r.state === 'recording' || r.state === 'starting',
    );
    expect(recording).toBeDefined();
    await host.close();
    const closedAt = Date.now();
    await waitFor(operatorB, (n) => n.testid === 'host-away', 15_000);
    await waitFor(operatorA, (n) => n.testid === 'ended-message', (HOST_GRACE_SECONDS + 10) * 1000);
    const endedAfter = Date.now() - closedAt;
    console.log(`[resilience] host gone: sitting ended ${endedAfter} ms after the tab closed`);
    expect(endedAfter).toBeGreaterThanOrEqual(HOST_GRACE_SECONDS * 1000 - 1_000);
    expect((await server.app.sittings.get(created.sitting.id)).status).toBe('ended');
    await waitFor(operatorB, (n) => n.testid === 'ended-message', 10_000);
    const finalState = async () =>
      (await server.app.recorder.list(created.sitting.id)).find((r) => r.id === recording!.id)?.state;
    let state = await finalState();
    for (let i = 0; i < 240 && state !== 'ready' && state !== 'failed'; i++) {
      await delay(500);
      state = await finalState();
    }
    expect(state, 'the recording running when the sitting ended').toBe('ready');
  });
});

/** Waits until the sitting's newest recording is in `state` on the server. */
async function recordingState(
  server: E2eApp,
  sittingId: string,
  state: string,
  timeout: number,
): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: string | undefined;
  while (Date.now() < deadline) {
    const list = await server.app.recorder.list(sittingId);
    last = list.find((r) => r.state !== 'ready' && r.state !== 'failed')?.state;
    if (last === state) return;
    await delay(200);
  }
  throw new Error(`the recording never reached ${state} (last: ${last})`);
}
