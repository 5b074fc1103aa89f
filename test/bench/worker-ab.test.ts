import { describe, expect, it } from 'vitest';
import { abStep, judgeWorkerAb, workerAbSection } from './worker-ab-report';
import type { AbMeasurement, WorkerAbFigures } from './worker-ab-report';

/** A measurement of one arm with the figures the verdict reads; the rest as a quiet window has them. */
function m(
  arm: 'A' | 'B',
  usPerPacket: number,
  opts: { loss?: number; drops?: number; user?: number } = {},
): AbMeasurement {
  return {
    arm,
    system: 'mediasoup',
    suite: 'AEAD_AES_256_GCM',
    viewers: 200,
    workers: 1,
    windowS: 8,
    inputPackets: 1400,
    expectedPackets: 280_000,
    receivedPackets: 280_000,
    probationPackets: 0,
    lossPct: opts.loss ?? 0,
    sinkSocketDrops: opts.drops ?? 0,
    inputSocketDrops: 0,
    coreBusyPct: [60, 10],
    forwardedPps: 35_000,
    serverCpuPct: 60,
    serverUsPerPacket: usPerPacket,
    sinkCpuPct: 5,
    sinkUsPerPacket: 1.3,
    userUsPerPacket: opts.user ?? usPerPacket * 0.7,
  };
}

const arms = (a: number[], b: number[]) => [a.map((x) => m('A', x)), b.map((x) => m('B', x))] as const;

describe('worker A/B verdict', () => {
  it('pairs each B with the A measured next to it, so a drift of the machine does not hide the gain', () => {
    // The run of 2026-12-06 at 200 viewers: unpaired medians equal, B cheaper in 3 of 4 pairs.
    const step = abStep(200, ...arms([22.77, 19.16, 16.01, 15.12], [20.54, 20.97, 14.62, 15.06]));
    expect(step.pairsBCheaper).toBe(3);
    expect(step.gainPct).toBe(4.5);
    expect(step.medianA.usPerPacket).toBe(17.59);
    expect(step.medianB.usPerPacket).toBe(17.8);
  });

  it('declares B the winner when it is cheaper at every audience in most pairs and drops nothing more', () => {
    const steps = [
      abStep(200, ...arms([22.77, 19.16, 16.01, 15.12], [20.54, 20.97, 14.62, 15.06])),
      abStep(300, ...arms([15.54, 15.59, 15.99, 14.67], [13.83, 14.9, 13.81, 13.4])),
    ];
    const { bWins, verdict } = judgeWorkerAb(steps, 'ring');
    expect(bWins).toBe(true);
    expect(verdict).toMatch(/^B \(ring\) wins clearly: .*4\.5% at 200, 9\.8% at 300/);
  });

  it('does not declare a winner from a gain below 3%', () => {
    const steps = [abStep(200, ...arms([15, 15, 15, 15], [14.7, 14.7, 14.7, 14.7]))];
    expect(judgeWorkerAb(steps, 'ring').bWins).toBe(false);
  });

  it('does not declare a winner that is cheaper in only half of the pairs', () => {
    const steps = [abStep(200, ...arms([15, 15, 15, 15], [12, 12, 16, 16]))];
    expect(steps[0]!.pairsBCheaper).toBe(2);
    expect(judgeWorkerAb(steps, 'ring').bWins).toBe(false);
  });

  it('does not declare a winner that dropped packets A did not, however cheap', () => {
    const a = [15, 15, 15, 15].map((x) => m('A', x));
    const b = [12, 12, 12, 12].map((x, i) => m('B', x, { drops: i === 0 ? 40 : 0 }));
    const { bWins, verdict } = judgeWorkerAb([abStep(300, a, b)], 'ring');
    expect(bWins).toBe(false);
    expect(verdict).toMatch(/^no clear win for B \(ring\)/);
  });

  it("lets B's loss differ from A's by the window's edge noise when nothing was dropped, not by more", () => {
    const within = [15, 15, 15, 15].map((x) => m('B', x * 0.9, { loss: 0.3 }));
    const beyond = [15, 15, 15, 15].map((x) => m('B', x * 0.9, { loss: 0.8 }));
    const a = [15, 15, 15, 15].map((x) => m('A', x));
    expect(judgeWorkerAb([abStep(200, a, within)], 'ring').bWins).toBe(true);
    expect(judgeWorkerAb([abStep(200, a, beyond)], 'ring').bWins).toBe(false);
  });

  it('never declares a winner when nothing was measured', () => {
    expect(judgeWorkerAb([], 'ring').bWins).toBe(false);
  });
});

describe('worker A/B report section', () => {
  const base: WorkerAbFigures = {
    change: 'transport-cc send-time history in a ring instead of a std::map',
    env: 'SEDUTA_WORKER_SEND_HISTORY',
    a: { value: 'map', label: 'map' },
    b: { value: 'ring', label: 'ring' },
    workerBin: '/x/mediasoup-worker',
    supported: true,
    pairs: 4,
    steps: [],
    bWins: false,
    verdict: '',
  };

  it('gives every measurement of both arms, the medians and the verdict', () => {
    const step = abStep(300, ...arms([15.54, 15.59, 15.99, 14.67], [13.83, 14.9, 13.81, 13.4]));
    const judged = judgeWorkerAb([step], 'ring');
    const text = workerAbSection({ ...base, steps: [step], ...judged }).join('\n');
    expect(text).toContain('## Worker A/B: transport-cc send-time history in a ring instead of a std::map');
    expect(text).toContain('| 300 | A `map` | 15.54, 15.59, 15.99, 14.67 | 15.57 |');
    expect(text).toContain('| 300 | B `ring` | 13.83, 14.9, 13.81, 13.4 | 13.82 |');
    expect(text).toContain('B cheaper in 4 of 4 pairs; gain 9.8% per packet');
    expect(text).toContain(`**Verdict:** ${judged.verdict}.`);
  });

  it('says the A/B was not measured when the worker has no switch, instead of two equal arms', () => {
    const text = workerAbSection({
      ...base,
      supported: false,
      pairs: 0,
      verdict: 'not measured: /x/mediasoup-worker has no SEDUTA_WORKER_SEND_HISTORY switch',
    }).join('\n');
    expect(text).toContain('Not measured: /x/mediasoup-worker has no SEDUTA_WORKER_SEND_HISTORY switch.');
    expect(text).not.toContain('| viewers | arm |');
  });
});
