/**
 * The headline of latest.md as rows with their targets, whether this run met each, and for each
 * one missed why, in this run's own figures (issue 15: "report where a target is missed and why").
 * The reasons are computed from what the run measured; the ADRs hold the longer story.
 */
import { fmt, ms } from './format';
import type { BenchReport } from './report';
import type { StepRow } from './join-steps';

/** One headline figure. `met` is null where there is no target or nothing was measured. */
export interface TargetRow {
  figure: string;
  value: string;
  target: string;
  met: boolean | null;
  /** Why the target was missed, from this run's figures (only when `met` is false). */
  why: string[];
}

/** Whether `v` meets the target (`pass(v)`), or null when it was not measured. */
function check(v: number | null | undefined, pass: (v: number) => boolean): boolean | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : pass(v);
}

/** The most events (times in ms) that fall in any one-second window. */
export function maxPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** The steps that added the most to a join at the given percentile, largest first, as text. */
function largestSteps(
  steps: readonly StepRow[],
  pct: 'p50' | 'p95',
  count: number,
  compare?: readonly StepRow[],
) {
  const added = (s: StepRow) => (pct === 'p50' ? s.addedP50Ms : s.addedP95Ms) ?? 0;
  return [...steps]
    .filter((s) => s.joins > 0 && added(s) > 0)
    .sort((a, b) => added(b) - added(a))
    .slice(0, count)
    .map((s) => {
      const other = compare?.find((c) => c.id === s.id && c.joins > 0);
      const than = other
        ? ` (${fmt(pct === 'p50' ? other.addedP50Ms : other.addedP95Ms)} ms in single Chromium joins)`
        : '';
      return `"${s.label}" +${fmt(added(s))} ms${than}`;
    });
}

function pctList(cpu: Record<string, number>): string {
  const names: Record<string, string> = {
    node: 'server + Playwright (node)',
    hostChromium: 'host Chromium',
    viewerChromium: 'viewer Chromium',
    mediasoupWorker: 'mediasoup worker',
  };
  return Object.entries(cpu)
    .filter(([, v]) => v >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${names[k] ?? k} ${fmt(v)}%`)
    .join(', ');
}

/** The headline rows, with whether this run met each target and, where not, why. */
export function targetRows(r: BenchReport): TargetRow[] {
  const d = r.details;
  const b = d.browser;
  const j = d.joinStorm;
  const gcm = r.steps.filter((s) => s.line === 'mediasoup, 1 worker, SRTP AEAD_AES_256_GCM');
  const p = d.profile;
  const topSymbols = p
    ? p.top
        .slice(0, 3)
        .map((e) => `\`${e.symbol}\` ${fmt((e.selfPct / 100) * p.usPerPacket, 2)} µs`)
        .join(', ')
    : '';
  const workerWhy = p
    ? [
        `${fmt(p.kernelPct)}% of the worker's samples are in the kernel (loopback delivery runs on the sender); ` +
          `its largest own costs per packet: ${topSymbols} ("Where the worker time goes").`,
      ]
    : [];
  const keyframeTimes = b ? (b.joinKeyframeRequestsWorkerMs ?? b.joinKeyframeRequestsMs) : [];
  const layers = b?.hostLayers.filter((l) => l.active).length ?? 0;
  const rows: TargetRow[] = [
    {
      figure: 'viewers per worker core at ≤ 1% loss (1.2 Mbit/s VP8 + Opus, SRTP GCM)',
      value: fmt(r.viewersPerCore),
      target: '≥ 400',
      met: check(r.viewersPerCore, (v) => v >= 400),
      why: [
        `Loss per audience on one worker: ${gcm.map((s) => `${s.viewers}: ${fmt(s.median.lossPct, 2)}%`).join(', ')}.`,
        ...workerWhy,
      ],
    },
    {
      figure: 'worker CPU per forwarded SRTP packet',
      value: `${fmt(r.workerCpuUsPerPacket, 2)} µs`,
      target: '≤ 6 µs',
      met: check(r.workerCpuUsPerPacket, (v) => v <= 6),
      why: workerWhy,
    },
    {
      figure: 'sink CPU per received packet',
      value: `${fmt(r.sinkCpuUsPerPacket, 2)} µs`,
      target: '(cheaper than the SFU)',
      met:
        r.sinkCpuUsPerPacket === null || r.workerCpuUsPerPacket === null
          ? null
          : r.sinkCpuUsPerPacket < r.workerCpuUsPerPacket,
      why: [],
    },
    {
      figure: 'Seduta/Janus CPU per packet (both AES-CM SRTP)',
      value: fmt(r.ratioVsJanus, 2),
      target: '< 1',
      met: check(r.ratioVsJanus, (v) => v < 1),
      why: d.janusComparison.map(
        (c) =>
          `At ${c.viewers} viewers: Seduta ${fmt(c.seduta, 2)} µs, Janus ${fmt(c.janus, 2)} µs per packet.`,
      ),
    },
    {
      figure: 'keyframe requests reaching the publisher, max per second',
      value: fmt(r.keyframeRequestsPerSecMax, 0),
      target: '≤ 1',
      met: check(r.keyframeRequestsPerSecMax, (v) => v <= 1),
      why: [],
    },
  ];
  if (b)
    rows.push({
      figure: `the same for a simulcast browser host while ${b.viewers} viewers join (any 1 s window, all layers)`,
      value: String(maxPerSecond(keyframeTimes)),
      target: '≤ 1',
      met: keyframeTimes.length ? maxPerSecond(keyframeTimes) <= 1 : null,
      why: [
        `mediasoup spaces the requests per layer (per SSRC, keyFrameRequestDelay 1000 ms) and the host sent ` +
          `${layers} layer(s): at most one request per layer per second, the layers' together counted here ` +
          `(requests at ${keyframeTimes.map((t) => `+${fmt(t, 0)}`).join(', ')} ms).`,
      ],
    });
  const single = b?.single;
  for (const [name, s] of [
    ['Chromium', single?.chromium],
    ['Firefox', single?.firefox],
  ] as const) {
    rows.push({
      figure: `join-to-first-frame p95, single joins (nobody else joining), ${name}`,
      value: ms(
        name === 'Chromium'
          ? r.joinToFirstFrameSingleP95Ms?.chromium
          : r.joinToFirstFrameSingleP95Ms?.firefox,
      ),
      target: '< 800 ms',
      met: check(s?.joinToFirstFrameP95Ms, (v) => v < 800),
      why: s ? [`At p95 the largest steps were ${largestSteps(s.steps, 'p95', 3).join(', ')}.`] : [],
    });
  }
  const stormWhy: string[] = [];
  if (b) {
    const m = b.machine;
    stormWhy.push(
      `The machine's ${m.cores} cores were ${fmt(m.busyPctDuringJoin)}% busy during the join (% of one core: ` +
        `${pctList(m.cpuPctDuringJoin)}): ${b.viewers} viewer pages, the host's encoder and the server share them.`,
      `The steps that added the most (p50): ${largestSteps(b.stormSteps, 'p50', 3, single?.chromium?.steps).join(', ')}.`,
    );
    const added = (id: string) => b.stormSteps.find((s) => s.id === id && s.joins > 0);
    const keyframe = added('server:keyframe.sent');
    const frame = added('client:frame');
    if (frame)
      stormWhy.push(
        'After the transport connected, ' +
          (keyframe
            ? `the first keyframe sent to the viewer added p50 ${fmt(keyframe.addedP50Ms)} / p95 ${fmt(keyframe.addedP95Ms)} ms (${keyframe.joins} of ${b.viewers} joins traced) and `
            : '') +
          `the first frame p50 ${fmt(frame.addedP50Ms)} / p95 ${fmt(frame.addedP95Ms)} ms: the keyframe wait, one request per ` +
          `layer per second (requests to the host at ${b.joinKeyframeRequestsMs.map((t) => `+${fmt(t, 0)}`).join(', ')} ms ` +
          'after the first click), and the decoding.',
      );
  }
  rows.push(
    {
      figure: `join-to-first-frame p95 (${b?.viewers ?? 10} Chromium viewers joining together)`,
      value: ms(r.joinToFirstFrameP95Ms),
      target: '< 1500 ms',
      met: check(r.joinToFirstFrameP95Ms, (v) => v < 1500),
      why: stormWhy,
    },
    {
      figure: 'server CPU per signalling join',
      value: ms(r.joinServerCpuMs),
      target: '≤ 5 ms',
      met: check(r.joinServerCpuMs, (v) => v <= 5),
      why: j
        ? [
            `Of ${fmt(j.serverCpuMsPerJoin, 2)} ms, ${fmt((j.idleServerCpuMsPerS * j.periodS) / j.joins, 2)} ms is the idle ` +
              `server's upkeep over the storm and ${fmt((j.keepAliveCpuMsPerClientS * j.connectedClientS) / j.joins, 2)} ms ` +
              `the keep-alives (socket.io's pings every 2 s) of the clients already connected; the join itself ` +
              `${fmt(j.serverCpuMsPerJoinLessKeepAlive, 2)} ms. What it is made of (socket writes, socket.io framing, ` +
              'mediasoup channel requests, the register): ADR 0037 and ADR 0040.',
          ]
        : [],
    },
    {
      figure: `chat send → ack p95 / p99 (${d.chat?.participants ?? 300} participants, ${d.chat?.phases[0]?.ratePerS ?? 50} lines/s)`,
      value: `${ms(r.chatAckP95Ms)} / ${ms(r.chatAckP99Ms)}`,
      target: 'p95 < 300 ms',
      met: check(r.chatAckP95Ms, (v) => v < 300),
      why: d.chat
        ? d.chat.phases.map(
            (ph) => `At ${fmt(ph.ratePerS)} lines/s the server was ${fmt(ph.serverCpuPct)}% busy.`,
          )
        : [],
    },
    {
      figure: 'chat lines refused rate_limited from clients under the limit',
      value: fmt(r.chatRefusedUnderLimit, 0),
      target: '0',
      met: check(r.chatRefusedUnderLimit, (v) => v === 0),
      why: [],
    },
    {
      figure: "end-to-end latency p99 (camera capture → viewer's frame callback)",
      value: ms(r.e2eLatencyP99Ms),
      target: '–',
      met: null,
      why: [],
    },
    {
      figure: 'recorder CPU per stream',
      value: fmt(r.recorderCpuPctPerStream),
      target: '–',
      met: null,
      why: [],
    },
    { figure: 'recorder finalize speed', value: fmt(r.finalizeSpeedX), target: '–', met: null, why: [] },
  );
  return rows;
}

/** The headline table (with a "met" column) and, below it, every target this run missed and why. */
export function headlineSection(r: BenchReport): string[] {
  const rows = targetRows(r);
  const out = [
    '## Headline',
    '',
    '| figure | value | target | met |',
    '|---|---|---|---|',
    ...rows.map(
      (t) =>
        `| ${t.figure} | ${t.value} | ${t.target} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`,
    ),
    '',
  ];
  const missed = rows.filter((t) => t.met === false);
  if (missed.length) {
    out.push('### Missed in this run, and why', '');
    for (const t of missed) {
      out.push(
        `- **${t.figure}**: ${t.value} against ${t.target}.${t.why.length ? ` ${t.why.join(' ')}` : ''}`,
      );
    }
    out.push('');
  }
  return out;
}
