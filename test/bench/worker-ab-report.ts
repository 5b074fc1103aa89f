/** The worker A/B's figures and its section of the benchmark report (the runner is worker-ab.ts). */
import { median, round } from './measure';
import type { Measurement } from './measure';

/** What "B wins clearly" means: at every audience, cheaper in this share of pairs, by at least this much. */
const WIN_SHARE = 0.75;
const WIN_MIN_GAIN_PCT = 3;
/**
 * B may not lose more than A by more than this (percentage points): the window's edges alone move a
 * measurement's loss by about ±0.5 point with no packet dropped anywhere (ADR 0035). Packets the
 * kernel dropped (at the sink or at the SFU's input) are real loss and may not be more with B.
 */
const LOSS_SLACK_PCT = 0.5;

function drops(list: AbMeasurement[]): number {
  return list.reduce((sum, m) => sum + m.sinkSocketDrops + m.inputSocketDrops, 0);
}

function medians(list: AbMeasurement[]): WorkerAbStep['medianA'] {
  return {
    usPerPacket: round(median(list.map((m) => m.serverUsPerPacket)), 2),
    userUsPerPacket: round(median(list.map((m) => m.userUsPerPacket)), 2),
    lossPct: round(median(list.map((m) => m.lossPct)), 3),
    cpuPct: round(median(list.map((m) => m.serverCpuPct)), 1),
  };
}

/** Median over pairs of 1 − b/a, in %. */
function pairedGain(a: number[], b: number[]): number {
  const ratios = a.map((x, i) => 1 - b[i]! / x).filter(Number.isFinite);
  return round(100 * median(ratios), 1);
}

/** One audience's step from its A and B measurements (pair i = a[i], b[i]). */
export function abStep(viewers: number, a: AbMeasurement[], b: AbMeasurement[]): WorkerAbStep {
  const aUs = a.map((m) => m.serverUsPerPacket);
  const bUs = b.map((m) => m.serverUsPerPacket);
  return {
    viewers,
    a,
    b,
    medianA: medians(a),
    medianB: medians(b),
    gainPct: pairedGain(aUs, bUs),
    userGainPct: pairedGain(
      a.map((m) => m.userUsPerPacket),
      b.map((m) => m.userUsPerPacket),
    ),
    pairsBCheaper: aUs.filter((x, i) => bUs[i]! < x).length,
  };
}

/** Whether B won clearly by the rule above, and the sentence saying so. */
export function judgeWorkerAb(steps: WorkerAbStep[], bValue: string): { bWins: boolean; verdict: string } {
  const bWins =
    steps.length > 0 &&
    steps.every(
      (s) =>
        s.pairsBCheaper >= Math.ceil(WIN_SHARE * s.a.length) &&
        s.gainPct >= WIN_MIN_GAIN_PCT &&
        s.medianB.lossPct <= s.medianA.lossPct + LOSS_SLACK_PCT &&
        drops(s.b) <= drops(s.a),
    );
  const gains = steps.map((s) => `${s.gainPct}% at ${s.viewers}`).join(', ');
  const verdict = bWins
    ? `B (${bValue}) wins clearly: cheaper per packet in at least ${WIN_SHARE * 100}% of the pairs at every audience, median paired gain ${gains}, no more packets dropped`
    : `no clear win for B (${bValue}): median paired gain ${gains} (a clear win needs ≥ ${WIN_MIN_GAIN_PCT}% at every audience, B cheaper in ≥ ${WIN_SHARE * 100}% of the pairs, no more packets dropped and loss within ${LOSS_SLACK_PCT} point of A's)`;
  return { bWins, verdict };
}

/** One measurement of one arm: the fan-out figures plus the worker's user-space CPU per packet. */
export interface AbMeasurement extends Measurement {
  arm: 'A' | 'B';
  /** Worker user-space CPU per forwarded packet, µs (the kernel's send and loopback delivery excluded). */
  userUsPerPacket: number;
}

/** The A/B at one audience: every pair, the medians of both arms and B's gain. */
export interface WorkerAbStep {
  viewers: number;
  a: AbMeasurement[];
  b: AbMeasurement[];
  medianA: { usPerPacket: number; userUsPerPacket: number; lossPct: number; cpuPct: number };
  medianB: { usPerPacket: number; userUsPerPacket: number; lossPct: number; cpuPct: number };
  /** Median over pairs of 1 − B/A (µs per packet), in %: positive when B is cheaper. */
  gainPct: number;
  /** The same for the user-space part alone. */
  userGainPct: number;
  /** Pairs in which B cost less per packet than A. */
  pairsBCheaper: number;
}

/** The A/B's figures, as written to latest.json (`details.workerAb`). */
export interface WorkerAbFigures {
  change: string;
  env: string;
  a: { value: string; label: string };
  b: { value: string; label: string };
  workerBin: string;
  /** False when the worker binary has no such switch (then nothing was measured). */
  supported: boolean;
  pairs: number;
  steps: WorkerAbStep[];
  /** Whether B won clearly by the rule above, and the sentence saying so. */
  bWins: boolean;
  verdict: string;
}

/** The report's section "Worker A/B: <change>" (Markdown lines). */
export function workerAbSection(f: WorkerAbFigures): string[] {
  const out = [
    `## Worker A/B: ${f.change}`,
    '',
    `One worker binary, \`${f.env}\` read once by the worker: A = \`${f.a.value}\` (${f.a.label}), ` +
      `B = \`${f.b.value}\` (${f.b.label}). One worker pinned to the SFU's CPU, GCM PlainTransport viewers, ` +
      `the sleeping sink; ${f.pairs} pairs per audience, alternated ABBA in this run. Gain = median over pairs ` +
      'of 1 − B/A; "user" is the worker\'s user-space CPU alone (without the kernel\'s send and loopback delivery). ' +
      'See [ADR 0035](../decisions/0035-worker-ab.md).',
    '',
  ];
  if (!f.supported) return [...out, `${f.verdict.charAt(0).toUpperCase()}${f.verdict.slice(1)}.`, ''];
  out.push(
    '| viewers | arm | µs/packet (each measurement) | median µs/packet | median user µs/packet | worker CPU % | loss % |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of f.steps) {
    for (const [arm, list, med] of [
      ['A', s.a, s.medianA],
      ['B', s.b, s.medianB],
    ] as const) {
      const value = arm === 'A' ? f.a.value : f.b.value;
      out.push(
        `| ${s.viewers} | ${arm} \`${value}\` | ${list.map((m) => m.serverUsPerPacket).join(', ')} | ` +
          `${med.usPerPacket} | ${med.userUsPerPacket} | ${med.cpuPct} | ${med.lossPct} |`,
      );
    }
  }
  out.push('');
  for (const s of f.steps)
    out.push(
      `- ${s.viewers} viewers: B cheaper in ${s.pairsBCheaper} of ${s.a.length} pairs; gain ${s.gainPct}% per packet, ${s.userGainPct}% of the user-space part.`,
    );
  out.push('', `**Verdict:** ${f.verdict}.`, '');
  return out;
}
