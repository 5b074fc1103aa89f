/**
 * Issue 14 acceptance in real browsers: one sitting on two nodes with one Redis and one
 * PostgreSQL (both the test's own, inside the test network namespace). Node A runs in this
 * process and hosts the sitting; node B is a process of its own, so that `kill -9` kills it as a
 * machine's death would. Pages load through two small balancers: one to A, one that prefers B
 * and sends new connections to A once B refuses them (what an operator's load balancer does).
 *  - a Chromium host on A, a Chromium viewer on B (through the pipe) and a Firefox viewer on A
 *    all decode the host's camera; chat and a raised hand cross the nodes both ways;
 *  - `kill -9` of B: its viewer is back on A decoding within 10 s, its hand still raised, every
 *    chat line shown exactly once;
 *  - the recording made on A throughout contains the host's video.
 *
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/cluster.test.ts
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingsRepo } from '../../recorder/src/recordings-repo';
import type { CreatedSitting, E2eApp } from './harness/app';
import { launchBrowsers, type TestBrowser, type TestPage } from './harness/browsers';
import { startTwoNodeE2e, type Balancer, type NodeProcess, type TwoNodeE2e } from './harness/cluster-node';
import { hostStartsSitting, operatorJoins, sendChat } from './harness/flows';
import { videoFrames } from './harness/media-files';
import { seen, waitFor } from './harness/testids';
import {
  cameraFlowing,
  cameraStreams,
  chatTexts,
  clientState,
  newCameraDecoding,
  waitChat,
} from './harness/watch';

/** The acceptance's bound: the viewer of a dead node decodes again on another within 10 s. */
const BACK_WITHIN_MS = 10_000;
const VIEWER_B = 'Ditta Alfa S.r.l.';
const VIEWER_A = 'Beta Costruzioni S.p.A.';

describe('issue 14: one sitting on two nodes, in real browsers', () => {
  let cluster: TwoNodeE2e;
  let toA: Balancer;
  let preferB: Balancer;
  let nodeA: E2eApp;
  let nodeB: NodeProcess;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let host: TestPage;
  let viewerB: TestPage;
  let viewerA: TestPage;

  beforeAll(async () => {
    cluster = await startTwoNodeE2e({ bFallsBackToA: true });
    ({ toA, toB: preferB, nodeA, nodeB } = cluster);
    created = await nodeA.createSitting({ title: 'Consiglio comunale – seduta su due nodi' });
    await launchBrowsers(['chromium', 'chromium', 'firefox'], browsers);
    host = await browsers[0]!.newPage();
    viewerB = await browsers[1]!.newPage();
    viewerA = await browsers[2]!.newPage();
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await cluster?.close();
  });

  it('shows the host of node A to a Chromium viewer on node B and a Firefox viewer on node A', async () => {
    await hostStartsSitting(host, nodeA, created, toA);
    await operatorJoins(viewerB, nodeA, created.sitting.id, VIEWER_B, preferB);
    await operatorJoins(viewerA, nodeA, created.sitting.id, VIEWER_A, toA);
    await Promise.all([viewerB, viewerA].map((page) => cameraFlowing(page, 20_000))).catch(
      async (error: unknown) => {
        const pipes = await nodeA.app.crossNode!.originPipes(created.sitting.id);
        const sent = await Promise.all(
          [...pipes.values()]
            .flat()
            .map(async (c) => ({ producerId: c.producerId, stats: await c.getStats() })),
        );
        const page = await viewerB.evaluate(async () => {
          const w = window as unknown as Record<string, unknown>;
          const stats = (await (w.__sedutaStats as (() => Promise<unknown>) | undefined)?.()) ?? null;
          return { timing: w.__sedutaJoinTiming ?? null, stats };
        });
        throw new Error(
          `${String(error)}\nviewer on B: ${JSON.stringify(await clientState(viewerB))}` +
            `\npage: ${JSON.stringify(page).slice(0, 6000)}` +
            `\n${viewerB.logs.slice(-30).join('\n')}\npipe consumers on A: ${JSON.stringify(sent)}` +
            `\nnode B:\n${nodeB.output().slice(-6000)}`,
        );
      },
    );
    // B's viewer is served by B: A feeds it the host's tracks through the pipe to B.
    expect(preferB.routed.every((port) => port === nodeB.port)).toBe(true);
    const pipes = await nodeA.app.crossNode!.originPipes(created.sitting.id);
    expect(pipes.get(nodeB.nodeId)?.length ?? 0).toBeGreaterThan(0);
  });

  it('carries chat lines and a raised hand across the nodes', async () => {
    await sendChat(viewerB, 'Buongiorno dal nodo B');
    await waitChat(host, (texts) => texts.includes('Buongiorno dal nodo B'));
    await waitChat(viewerA, (texts) => texts.includes('Buongiorno dal nodo B'));
    await sendChat(host, 'Buongiorno dal nodo A');
    await waitChat(viewerB, (texts) => texts.includes('Buongiorno dal nodo A'));
    await viewerB.click('[data-testid="hand-toggle"]');
    await waitFor(viewerB, (n) => n.testid === 'hand-status' && /mano alzata|hand raised/i.test(n.text));
    await waitFor(host, (n) => n.testid === 'queue-count' && n.text === '1', 10_000);
  });

  it('records on node A while the sitting spans both nodes', async () => {
    await waitFor(host, (n) => n.testid === 'recording-start' && !n.disabled, 20_000);
    await host.click('[data-testid="recording-start"]');
    const deadline = Date.now() + 30_000;
    while ((await nodeA.app.sittings.get(created.sitting.id)).recording?.state !== 'recording') {
      if (Date.now() > deadline) throw new Error('the recording did not start within 30 s');
      await delay(200);
    }
  });

  it('brings the viewer of a killed node B back on node A within 10 s, hand raised, each chat line once', async () => {
    await sendChat(host, 'Riga prima del guasto');
    await waitChat(viewerB, (texts) => texts.includes('Riga prima del guasto'));
    const before = new Set((await cameraStreams(viewerB)).map((s) => s.consumerId));
    const killedAt = Date.now();
    await nodeB.kill9();
    const backAt = await newCameraDecoding(viewerB, before, BACK_WITHIN_MS + 10_000);
    console.log(`[cluster] node B killed: its viewer decodes again on node A ${backAt - killedAt} ms later`);
    expect(backAt - killedAt).toBeLessThanOrEqual(BACK_WITHIN_MS);
    expect(preferB.routed.at(-1), 'the reconnection went to node A').toBe(nodeA.port);
    // Back on A as the same participant: the hand is still raised, the host's queue has it once.
    const hand = (await seen(viewerB)).find((n) => n.testid === 'hand-status');
    expect(hand?.text).toMatch(/mano alzata|hand raised/i);
    expect((await seen(host)).find((n) => n.testid === 'queue-count')?.text).toBe('1');
    await sendChat(host, 'Riga dopo il guasto');
    await waitChat(viewerB, (texts) => texts.includes('Riga dopo il guasto'));
    const texts = await chatTexts(viewerB);
    for (const line of [
      'Buongiorno dal nodo B',
      'Buongiorno dal nodo A',
      'Riga prima del guasto',
      'Riga dopo il guasto',
    ]) {
      expect(
        texts.filter((t) => t === line),
        `"${line}" exactly once`,
      ).toHaveLength(1);
    }
    // The other viewer never noticed.
    await cameraFlowing(viewerA, 5_000);
  });

  it("keeps the host's video in the recording made on node A", async () => {
    await delay(2_000);
    await host.click('[data-testid="recording-stop"]');
    await host.click('[data-testid="recording-stop-confirm"]');
    const recorder = nodeA.app.recorder;
    let list = await recorder.list(created.sitting.id);
    for (let i = 0; i < 240 && list[0]?.state !== 'ready' && list[0]?.state !== 'failed'; i++) {
      await delay(500);
      list = await recorder.list(created.sitting.id);
    }
    expect(list[0]?.state).toBe('ready');
    const repo = new RecordingsRepo(nodeA.db);
    const [row] = await repo.listBySitting(created.sitting.id);
    const segments = await repo.segments(row!.id);
    expect(segments.length).toBeGreaterThan(0);
    let frames = 0;
    for (const segment of segments)
      frames += (await videoFrames(path.join(nodeA.recordingsDir, segment.file))).length;
    console.log(`[cluster] recording on node A: ${segments.length} segments, ${frames} video frames`);
    expect(frames).toBeGreaterThan(0);
  });
});
