/**
 * Issue 14 in real browsers: an operator connected to an edge node speaks. One sitting on two
 * nodes with one Redis and one PostgreSQL (both the test's own, inside the test network
 * namespace); node A runs in this process and hosts the sitting, node B is a process of its own.
 *  - a Chromium host on A approves the raised hand of a Chromium operator on B;
 *  - the operator's browser publishes through B (piped to A with the same producer ids): a
 *    Firefox viewer on A decodes the operator's camera, and so does a Chromium viewer on B (from
 *    B's own producer, not piped back from A);
 *  - the host ends the intervention: the operator's producers are gone on A and the tile leaves
 *    the viewer's stage.
 *
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/cluster-speaker.test.ts
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedSitting, E2eApp } from './harness/app';
import { launchBrowsers, type TestBrowser, type TestPage } from './harness/browsers';
import { startTwoNodeE2e, type Balancer, type NodeProcess, type TwoNodeE2e } from './harness/cluster-node';
import { hostStartsSitting, operatorJoins } from './harness/flows';
import { seen, waitFor } from './harness/testids';
import { cameraFlowing, cameraStreams, clientState, newCameraDecoding } from './harness/watch';

const SPEAKER = 'Ditta Gamma S.r.l.';
const VIEWER = 'Delta Impianti S.p.A.';
const VIEWER_B = 'Epsilon Servizi S.r.l.';

describe('issue 14: an operator on node B speaks in a sitting node A hosts, in real browsers', () => {
  let cluster: TwoNodeE2e;
  let toA: Balancer;
  let toB: Balancer;
  let nodeA: E2eApp;
  let nodeB: NodeProcess;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let host: TestPage;
  let speaker: TestPage;
  let viewer: TestPage;
  let viewerB: TestPage;
  let speakerId = '';

  beforeAll(async () => {
    cluster = await startTwoNodeE2e();
    ({ toA, toB, nodeA, nodeB } = cluster);
    created = await nodeA.createSitting({ title: 'Seduta pubblica su due nodi – interventi' });
    await launchBrowsers(['chromium', 'chromium', 'firefox'], browsers);
    host = await browsers[0]!.newPage();
    speaker = await browsers[1]!.newPage();
    viewer = await browsers[2]!.newPage();
    // A second page of the speaker's browser: another operator on B.
    viewerB = await browsers[1]!.newPage();
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await cluster?.close();
  });

  /** The producers the origin holds for the speaker (none once they stopped or left). */
  async function speakerProducers(): Promise<string[]> {
    const live = await nodeA.app.sittings.liveIfAny(created.sitting.id);
    if (!live) return [];
    try {
      return live.participant(speakerId).producers.map((p) => p.source);
    } catch {
      return [];
    }
  }

  it("lets the operator on B speak once approved: viewers on A (Firefox) and on B decode the operator's camera", async () => {
    await hostStartsSitting(host, nodeA, created, toA);
    await operatorJoins(speaker, nodeA, created.sitting.id, SPEAKER, toB);
    await operatorJoins(viewer, nodeA, created.sitting.id, VIEWER, toA);
    await operatorJoins(viewerB, nodeA, created.sitting.id, VIEWER_B, toB);
    await Promise.all([viewer, viewerB].map((page) => cameraFlowing(page, 20_000)));
    expect(toB.routed.every((port) => port === nodeB.port)).toBe(true);
    const hostOnly = new Set((await cameraStreams(viewer)).map((s) => s.consumerId));
    const hostOnlyB = new Set((await cameraStreams(viewerB)).map((s) => s.consumerId));

    await speaker.click('[data-testid="hand-toggle"]');
    await waitFor(speaker, (n) => n.testid === 'hand-status' && /mano alzata|hand raised/i.test(n.text));
    const entry = await waitFor(host, (n) => n.testid === 'queue-entry', 10_000);
    speakerId = entry.data.participant ?? '';
    expect(speakerId).not.toBe('');
    await host.click(`seduta-hand-queue li[data-participant="${speakerId}"] [data-testid="queue-approve"]`);
    await waitFor(speaker, (n) => n.testid === 'consent-allow' && !n.disabled, 10_000);
    const approvedAt = Date.now();
    await speaker.click('[data-testid="consent-allow"]');
    await waitFor(speaker, (n) => n.testid === 'speaker-controls', 15_000);

    const decodedAt = await newCameraDecoding(viewer, hostOnly, 20_000).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}\nproducers on A: ${JSON.stringify(await speakerProducers())}` +
          `\nspeaker: ${JSON.stringify(await clientState(speaker))}\n${speaker.logs.slice(-20).join('\n')}` +
          `\nnode B:\n${nodeB.output().slice(-6000)}`,
      );
    });
    console.log(
      `[cluster-speaker] the viewer on A decodes the speaker of B ${decodedAt - approvedAt} ms after consent`,
    );
    const decodedOnB = await newCameraDecoding(viewerB, hostOnlyB, 20_000);
    console.log(
      `[cluster-speaker] the viewer on B decodes the speaker of B ${decodedOnB - approvedAt} ms after consent`,
    );
    // The origin holds the speaker's microphone and camera (made on its end of the pipe from B).
    expect((await speakerProducers()).sort()).toEqual(['camera', 'microphone']);
    const tiles = (await seen(viewer)).filter((n) => n.testid === 'video-speaker');
    expect(tiles.map((n) => n.data.participant)).toEqual([speakerId]);
    // Recorded on A as anyone speaking on A would be.
    const live = await nodeA.app.sittings.live(created.sitting.id);
    expect(
      live.recordable
        .producers()
        .filter((r) => r.participantId === speakerId)
        .map((r) => r.source)
        .sort(),
    ).toEqual(['camera', 'microphone']);
  });

  it("ends the intervention from the host console: the operator's producers are gone and the tile leaves", async () => {
    await host.click(
      `seduta-speaker-list li[data-participant="${speakerId}"] [data-testid="speaker-revoke"]`,
    );
    const revokedAt = Date.now();
    await host.click('[data-testid="speaker-revoke-confirm"]');
    for (let i = 0; i < 50 && (await speakerProducers()).length > 0; i++) await delay(100);
    expect(await speakerProducers()).toEqual([]);
    console.log(
      `[cluster-speaker] the speaker's producers gone on A ${Date.now() - revokedAt} ms after the host confirmed`,
    );
    await waitFor(speaker, (n) => n.testid === 'hand-status' && /concluso|ended your/i.test(n.text), 10_000);
    const deadline = Date.now() + 10_000;
    while ((await seen(viewer)).some((n) => n.testid === 'video-speaker')) {
      if (Date.now() > deadline)
        throw new Error("the speaker's tile is still on the viewer's stage after 10 s");
      await delay(100);
    }
    // The host's camera still plays for the viewer.
    await cameraFlowing(viewer, 5_000);
  });
});
