/** The worker A/B's figures and its section of the benchmark report (the runner is worker-ab.ts). */
import type { Measurement } from './measure';

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
  if (!f.supported) return [...out, `Not measured: ${f.verdict}.`, ''];
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
