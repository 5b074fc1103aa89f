/** The benchmark's output: docs/bench/latest.json (headline numbers + raw steps) and latest.md with SVG charts. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserFigures } from './browser-run';
import type { ChatFigures } from './chat';
import type { ClusterFigures } from './cluster-run';
import type { JoinStorm, KeyframeStorm } from './control-plane';
import type { MachineInfo } from './cpu';
import type { Measurement, Suite } from './measure';
import type { Profile } from './profile';
import type { RecorderFigures } from './recorder';
import { fmt, ms } from './format';
import { chatSection, joinSection } from './report-join';
import { headlineSection } from './report-targets';
import { workerAbSection } from './worker-ab-report';
import type { WorkerAbFigures } from './worker-ab-report';

/** One fan-out step: a line (system, suite, workers) at one audience size, every repetition and the median. */
export interface Step {
  line: string;
  system: Measurement['system'];
  suite: Suite;
  workers: number;
  viewers: number;
  reps: Measurement[];
  median: Measurement;
}

/** Everything the run measured, beyond the headline numbers. */
export interface Details {
  mode: 'full' | 'quick';
  /** Which sink counted the packets and how it waited, e.g. 'native, sleep'. */
  sink: string;
  startedAt: string;
  durationS: number;
  versions: Record<string, string>;
  timing: { warmupS: number; windowS: number; repetitions: number };
  lines: Record<string, { largestViewersAtMax1PctLoss: number | null; description: string }>;
  multiWorker: {
    workers: number;
    largestViewers: number | null;
    viewersPerCore: number | null;
    note: string;
  } | null;
  /** The same fan-out alternated with a sleeping and a woken sink: the receiver wake-up share of the cost. */
  sinkWake: { viewers: number; sleeping: Measurement; woken: Measurement } | null;
  janusComparison: { viewers: number; seduta: number; janus: number; ratio: number }[];
  /** The signalling join storm, the way the web client joins (joinServerCpuMs). */
  joinStorm: JoinStorm | null;
  /** The same storm one request at a time (full run only). */
  joinStormClassic?: JoinStorm | null;
  /** Chat under load (chat.ts): participants joined to one sitting, chatting at fixed rates. */
  chat: ChatFigures | null;
  keyframeStorms: KeyframeStorm[];
  profile: (Profile & { viewers: number; usPerPacket: number }) | null;
  recorder: RecorderFigures | null;
  /** The real-browser part (browser.ts), without the raw latency samples; null in --quick or if it failed. */
  browser: Omit<BrowserFigures, 'e2eLatencyMs'> | null;
  /** Two nodes (cluster-run.ts): one sitting's audience split over an origin and an edge; null in --quick. */
  cluster?: ClusterFigures | null;
  /** One worker change switched at run time, A and B alternated in this run (worker-ab.ts); null in --quick. */
  workerAb?: WorkerAbFigures | null;
}

/** The JSON document; the headline numbers are plain numbers (or null with a note). */
export interface BenchReport {
  viewersPerCore: number | null;
  workerCpuUsPerPacket: number | null;
  sinkCpuUsPerPacket: number | null;
  joinToFirstFrameP95Ms: number | null;
  /** Click → first frame p95 of sequential single joins (nobody else joining), per browser. */
  joinToFirstFrameSingleP95Ms: { chromium: number | null; firefox: number | null } | null;
  /** Server CPU per signalling join (the control plane's join storm), in ms. */
  joinServerCpuMs: number | null;
  /** Chat send → ack, p95 and p99, at 50 lines/s over the chat part's participants. */
  chatAckP95Ms: number | null;
  chatAckP99Ms: number | null;
  /** Lines refused `rate_limited` in the chat part, although every client kept under the limit. */
  chatRefusedUnderLimit: number | null;
  e2eLatencyP99Ms: number | null;
  keyframeRequestsPerSecMax: number | null;
  recorderCpuPctPerStream: number | null;
  finalizeSpeedX: number | null;
  ratioVsJanus: number | null;
  machine: MachineInfo;
  steps: Step[];
  notes: string[];
  details: Details;
}

/** Writes latest.json and latest.md into `dir`. */
export async function writeReport(dir: string, report: BenchReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'latest.json'), `${JSON.stringify(report, jsonNumbers, 2)}\n`);
  await writeFile(path.join(dir, 'latest.md'), markdown(report));
}

/** NaN and Infinity are not JSON: write them as null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** A line chart over the audience sizes (equally spaced: they double), as an SVG string. */
export function lineChart(opts: {
  title: string;
  yLabel: string;
  xValues: number[];
  series: { name: string; points: Map<number, number> }[];
  threshold?: { value: number; label: string };
}): string {
  const W = 640;
  const H = 320;
  const m = { l: 64, r: 16, t: 36, b: 72 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const values = opts.series.flatMap((s) => [...s.points.values()]).filter(Number.isFinite);
  if (opts.threshold) values.push(opts.threshold.value);
  const yMax = niceCeil(Math.max(1e-9, ...values) * 1.1);
  const x = (i: number) => m.l + (opts.xValues.length === 1 ? pw / 2 : (i * pw) / (opts.xValues.length - 1));
  const y = (v: number) => m.t + ph - (Math.max(0, Math.min(v, yMax)) / yMax) * ph;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  opts.xValues.forEach((n, i) => {
    parts.push(`<text x="${x(i)}" y="${m.t + ph + 16}" text-anchor="middle">${n}</text>`);
  });
  parts.push(
    `<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" text-anchor="middle">viewers</text>`,
    `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  );
  if (opts.threshold) {
    const ty = y(opts.threshold.value);
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${ty}" y2="${ty}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${W - m.r - 4}" y="${ty - 4}" text-anchor="end" fill="#666">${esc(opts.threshold.label)}</text>`,
    );
  }
  opts.series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length]!;
    const pts = opts.xValues
      .map((n, i) => [i, s.points.get(n)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([i, v]) => `${x(i)},${y(v)}`).join(' ')}"/>`,
      );
    for (const [i, v] of pts) parts.push(`<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${color}"/>`);
    const lx = m.l + (si % 3) * 200;
    const ly = H - 22 + Math.floor(si / 3) * 14;
    parts.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${color}"/>`,
      `<text x="${lx + 14}" y="${ly + 1}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

/**
 * Where a join storm's CPU went besides the joins themselves: the idle server's upkeep and the
 * keep-alives of the clients already connected.
 */
function keepAliveLine(j: JoinStorm): string {
  return (
    `Of that, the idle server's own upkeep (${fmt(j.idleServerCpuMsPerS)} ms/s) and keeping the clients already ` +
    `connected (${fmt(j.keepAliveCpuMsPerClientS, 3)} ms/s per idle client, socket.io's pings every 2 s; ` +
    `${fmt(j.connectedClientS, 0)} client-seconds during the storm) leave **${fmt(j.serverCpuMsPerJoinLessKeepAlive, 2)} ms ` +
    `per join itself**.`
  );
}

/** The "Real browsers" section of latest.md. */
function browserSection(b: NonNullable<Details['browser']>): string[] {
  const sorted = [...b.joinToFirstFrameMs].sort((x, y) => x - y);
  const part = (cpu: Record<string, number>) =>
    `server + Playwright (node) ${fmt(cpu.node)}%, mediasoup worker ${fmt(cpu.mediasoupWorker)}%, ` +
    `host Chromium ${fmt(cpu.hostChromium)}%, viewer Chromium ${fmt(cpu.viewerChromium)}%`;
  const out = [
    '## Real browsers',
    '',
    `${b.browser}, headless, in the test network namespace: a host page publishes camera + microphone through the real ` +
      `server and web client; ${b.viewers} operator pages (one browser context each) press "join" together. ` +
      'Method and what the figures include: [ADR 0006](../decisions/0006-benchmark-method.md).',
    '',
    `**Join → first frame** (click landing in the page → first frame of the host's camera presented; clicks landed within ` +
      `${b.joinClickSpreadMs} ms of each other): p50 **${fmt(b.joinToFirstFrameP50Ms)} ms**, p95 **${fmt(b.joinToFirstFrameP95Ms)} ms** ` +
      `(nearest rank); every sample: ${sorted.map((v) => fmt(v, 0)).join(', ')} ms.` +
      (b.joinKeyframeRequestsMs.length
        ? ` Keyframe requests the SFU sent to the host from the first click to the end of the settle time: ` +
          `+${b.joinKeyframeRequestsMs.join(', +')} ms.`
        : ''),
    '',
    `**End-to-end latency** (stamped canvas camera at ${b.timing.canvas}, ${b.timing.fps} fps → viewer's frame callback, ` +
      `${b.timing.sampleSeconds} s per viewer after a ${fmt(b.timing.settleMs / 1000)} s settle): p50 **${fmt(b.e2eLatencyP50Ms)} ms**, ` +
      `p90 ${fmt(b.e2eLatencyP90Ms)} ms, p99 **${fmt(b.e2eLatencyP99Ms)} ms**, min ${fmt(b.e2eLatencyMinMs)}, max ${fmt(b.e2eLatencyMaxMs)} ms ` +
      `over ${b.e2eLatencySamples} frames read; ${b.framesRejected} rejected ` +
      `(${Object.entries(b.framesRejectedByReason)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}), ${b.framesMissed} presented without a callback. ` +
      `Last packet received → frame callback: p50 ${ms(b.receiveToCallbackP50Ms)}.`,
    '',
    `Machine: ${b.machine.cores} cores, load ${fmt(b.machine.loadAvg1AtStart, 2)} at start, nice ${b.machine.nice}; all CPUs ` +
      `${fmt(b.machine.busyPctDuringJoin)}% busy during the join, ${fmt(b.machine.busyPctDuringSampling)}% while sampling ` +
      '(anything else running included). CPU of this run, % of one core — during the join: ' +
      `${part(b.machine.cpuPctDuringJoin)}; while sampling: ${part(b.machine.cpuPctDuringSampling)}.`,
    '',
    '| viewer | join → first frame ms | client figure ms | frames read | rejected | not called back | decoded (stats) | latency p50 ms | latency p99 ms | received → callback p50 ms | jitter buffer ms | decode ms | decoded sizes |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...b.perViewer.map(
      (v) =>
        `| ${v.viewer} | ${fmt(v.joinToFirstFrameMs, 0)} | ${fmt(v.clientJoinToFirstFrameMs, 0)} | ${v.samples} | ` +
        `${Object.values(v.rejected).reduce((a, n) => a + n, 0)} | ${v.missed} | ${v.framesDecoded} | ` +
        `${fmt(v.latencyP50Ms, 0)} | ${fmt(v.latencyP99Ms, 0)} | ${fmt(v.receiveToCallbackP50Ms)} | ` +
        `${fmt(v.jitterBufferMs)} | ${fmt(v.decodeMs)} | ` +
        `${Object.entries(v.frameSizes)
          .map(([size, n]) => `${size} ×${n}`)
          .join(', ')} |`,
    ),
    '',
  ];
  if (b.notes.length) out.push(...b.notes.map((n) => `- ${n}`), '');
  return out;
}

/** The "Two nodes" section of latest.md (also written alone by `--only=cluster`). */
export function clusterSection(c: ClusterFigures): string[] {
  const pair = (v: [number, number], digits = 1) => `${fmt(v[0], digits)} / ${fmt(v[1], digits)}`;
  const out = [
    '## Two nodes',
    '',
    "One sitting's audience split over two nodes, as a multi-node deployment serves it: the origin node receives " +
      'the publisher (VP8 1.2 Mbit/s + Opus) and forwards it to its viewers and, once, over a PipeTransport pair ' +
      `(SRTP ${c.pipeSuite}) to the edge node, which forwards it to its own viewers. Each node is one mediasoup worker ` +
      'process; the pair is connected by address, port and SRTP key as between two machines (on loopback). Viewers are ' +
      `${c.viewerSuite} SRTP PlainTransports to the sink. ${c.placement}`,
    '',
    `Largest split audience at ≤ 1% loss on both nodes: **${
      c.viewersPerNode ? `${c.viewersPerNode.origin} + ${c.viewersPerNode.edge} viewers` : 'none'
    }**.`,
    '',
    '| viewers origin + edge | loss % origin / edge | worker CPU % origin / edge | µs per viewer packet origin / edge | pipe packets sent / received | drops at sink | CPU busy % per core |',
    '|---|---|---|---|---|---|---|',
    ...c.steps.map((s) => {
      const m = s.median;
      return (
        `| ${s.viewersPerNode.origin} + ${s.viewersPerNode.edge} | ${pair(m.lossPctPerNode, 2)} | ${pair(m.cpuPctPerNode)} | ` +
        `${pair(m.usPerPacketPerNode, 2)} | ${m.pipeSent} / ${m.pipeReceived} | ${m.sinkSocketDrops} | ` +
        `${m.coreBusyPct.map((v) => fmt(v, 0)).join(' / ')} |`
      );
    }),
    '',
  ];
  const p = c.pipeCost?.median;
  const first = c.steps[0]?.median;
  if (p)
    out.push(
      `**The pipe's CPU cost per packet: ${fmt(p.originUsPerPacket, 2)} µs on the origin (sending) + ` +
        `${fmt(p.edgeUsPerPacket, 2)} µs on the edge (receiving) = ${fmt(p.totalUsPerPacket, 2)} µs.** ` +
        'Method: a fresh sitting with the publisher alone on the origin and an empty router on the edge is measured ' +
        `(window "without"), then ${p.pipes} pipe pairs are connected from the one to the other, each carrying the ` +
        'sitting\'s video and audio, and measured again (window "with"); each worker\'s added CPU divided by the packets ' +
        "the pipes carried (the origin's pipe consumers' and the edge's pipe producers' own counts) is what a piped packet " +
        `costs it. Many pipes stand in for one because a single pipe's ~170 packets/s cost too little to rise above a ` +
        `window's noise; the cost per packet does not depend on how many pipes carry them. Median of ` +
        `${c.pipeCost!.reps.length} repetition(s): ${p.pipedPps} piped packets/s, origin worker ` +
        `${fmt(p.originCpuPctWithout)}% → ${fmt(p.originCpuPctWith)}%, edge worker ${fmt(p.edgeCpuPctWithout)}% → ` +
        `${fmt(p.edgeCpuPctWith)}% of a core, ${fmt(p.pipeLossPct, 2)}% of piped packets lost. A deployment pays this ` +
        "once per edge node and sitting, whatever the edge's audience" +
        (first
          ? `: next to a viewer packet's ${fmt(first.usPerPacketPerNode[0], 2)} µs on the origin at ` +
            `${c.steps[0]!.viewersPerNode.origin} + ${c.steps[0]!.viewersPerNode.edge} viewers, the pipe costs the origin ` +
            `about ${fmt(p.originUsPerPacket / first.usPerPacketPerNode[0], 1)} viewer(s) and the edge about ` +
            `${fmt(p.edgeUsPerPacket / first.usPerPacketPerNode[1], 1)}.`
          : '.'),
      '',
    );
  else out.push("The pipe's cost: not measured (see notes).", '');
  const j = c.joins;
  if (j) {
    const [o, e] = j.nodes;
    out.push(
      `**Joins through two real server nodes** (each a server process with its own mediasoup worker, one Redis, one ` +
        `PostgreSQL database): the host publishes on the origin; ${j.joins + o.failed + e.failed} raw signalling clients ` +
        `join in ${j.periodS} s, alternately through each node as a round-robin balancer sends them (join → ` +
        'media.capabilities → transport.create → consume → consumer.resume; an edge forwards the sitting requests to the ' +
        'origin and has the camera piped to it).',
      '',
      '| node | viewers | failed | server CPU ms | ms per join through it | join p50 ms | join p95 ms |',
      '|---|---|---|---|---|---|---|',
      ...j.nodes.map(
        (n) =>
          `| ${n.role} | ${n.viewers} | ${n.failed} | ${fmt(n.cpuMs)} | ${fmt(n.cpuMsPerJoin, 2)} | ` +
          `${fmt(n.joinLatencyP50Ms)} | ${fmt(n.joinLatencyP95Ms)} |`,
      ),
      '',
      `Both nodes together: **${fmt(j.deploymentCpuMsPerJoin, 2)} ms of server CPU per join** (the origin's figure ` +
        "includes answering the edge's forwarded requests; the workers' CPU is not counted, as in the control plane above).",
      '',
    );
  } else out.push('Joins through two server nodes: not measured (see notes).', '');
  if (c.notes.length) out.push(...c.notes.map((n) => `- ${n}`), '');
  return out;
}

/** latest.md: the report in prose, tables and SVG charts. */
export function markdown(r: BenchReport): string {
  const d = r.details;
  // Lines with a single audience (the woken-sink comparison) go in the text, not in the charts.
  const lines = [...new Set(r.steps.map((s) => s.line))].filter(
    (l) => r.steps.filter((s) => s.line === l).length > 1 || !l.includes('woken'),
  );
  const xValues = [...new Set(r.steps.map((s) => s.viewers))].sort((a, b) => a - b);
  const series = (pick: (m: Measurement) => number, only?: (line: string) => boolean) =>
    lines
      .filter((l) => !only || only(l))
      .map((line) => ({
        name: line,
        points: new Map(r.steps.filter((s) => s.line === line).map((s) => [s.viewers, pick(s.median)])),
      }));
  const out: string[] = [];
  out.push(
    '# Benchmark results',
    '',
    `Generated by \`npm run bench${d.mode === 'quick' ? ' -- --quick' : ''}\` on ${d.startedAt} in ${Math.round(d.durationS)} s ` +
      `(${d.mode} run). Method: [ADR 0006](../decisions/0006-benchmark-method.md); ` +
      'viewer spreading: [ADR 0007](../decisions/0007-viewer-spreading.md).',
    '',
    '## Machine',
    '',
    `${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.kernel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}. ` +
      (r.machine.pinned
        ? 'The SFU under test was pinned to CPU 0, the sink, FFmpeg and the Node controller to CPU 1 (`taskset`)' +
          (r.machine.realtime
            ? '; the SFU, sink and FFmpeg ran SCHED_RR (`chrt`), the controller at nice −10.'
            : '.')
        : 'Processes could not be pinned (no `taskset` or one core).'),
    `Versions: ${Object.entries(d.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `Sink: ${d.sink.startsWith('native') ? `native (sink.c, recvmmsg, ${d.sink.split(', ')[1]} mode)` : 'Node (no C compiler found)'}, separate process. ` +
      `Each step: ${d.timing.warmupS} s warm-up, ${d.timing.windowS} s window, ${d.timing.repetitions} repetition(s), median.`,
    '',
  );
  out.push(...headlineSection(r));
  if (r.notes.length) out.push('Notes:', '', ...r.notes.map((n) => `- ${n}`), '');
  out.push('## Fan-out', '');
  for (const [line, info] of Object.entries(d.lines)) {
    out.push(
      `- **${line}**: ${info.description} Largest audience at ≤ 1% loss: ${info.largestViewersAtMax1PctLoss ?? 'none'}.`,
    );
  }
  out.push(
    '',
    lineChart({
      title: 'CPU per forwarded packet',
      yLabel: 'µs / packet',
      xValues,
      series: series((m) => m.serverUsPerPacket),
    }),
    '',
    lineChart({
      title: 'Packet loss',
      yLabel: 'loss %',
      xValues,
      series: series((m) => Math.max(0, m.lossPct)),
      threshold: { value: 1, label: '1% loss' },
    }),
    '',
    lineChart({
      title: 'Forwarder CPU (100% = one core)',
      yLabel: 'CPU %',
      xValues,
      series: series((m) => m.serverCpuPct),
      threshold: { value: 100, label: 'one core' },
    }),
    '',
    '| line | viewers | forwarder CPU % | packets/s forwarded | µs/packet | loss % | sink µs/packet | sink CPU % | drops at sink / at SFU input | CPU busy % per core |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of r.steps) {
    const m = s.median;
    out.push(
      `| ${s.line} | ${s.viewers} | ${fmt(m.serverCpuPct)} | ${m.forwardedPps} | ${fmt(m.serverUsPerPacket, 2)} | ${fmt(m.lossPct, 2)} | ` +
        `${fmt(m.sinkUsPerPacket, 2)} | ${fmt(m.sinkCpuPct)} | ${m.sinkSocketDrops} / ${m.inputSocketDrops} | ${m.coreBusyPct.map((c) => fmt(c, 0)).join(' / ')} |`,
    );
  }
  out.push('');
  if (d.janusComparison.length) {
    out.push(
      '## Seduta (mediasoup) and Janus side by side',
      '',
      'Same publisher, same sink, run alternately (never together), both AES_CM_128_HMAC_SHA1_80 SRTP out.',
      '',
      '| viewers | Seduta µs/packet | Janus µs/packet | ratio |',
      '|---|---|---|---|',
      ...d.janusComparison.map(
        (c) => `| ${c.viewers} | ${fmt(c.seduta, 2)} | ${fmt(c.janus, 2)} | ${fmt(c.ratio, 2)} |`,
      ),
      '',
      'What differs: Janus `rtp_forward` rewrites SSRC and payload type in place and encrypts; it keeps no ' +
        'per-destination sequence/timestamp rewriting state, no NACK retransmission buffer, no RTCP sender reports, ' +
        'no congestion-control bookkeeping and no per-destination stats. mediasoup consumers do all of these, as they ' +
        'must for browser viewers. Janus supports only AES-CM (32/80) for forwarders, so the comparison uses ' +
        'AES_CM_128_HMAC_SHA1_80 on both sides; browsers negotiate AEAD_AES_256_GCM with mediasoup (the GCM line).',
      '',
    );
  }
  if (d.sinkWake) {
    const w = d.sinkWake;
    out.push(
      "## How much of the worker cost is the receiver's wake-up",
      '',
      `At ${w.viewers} viewers (GCM), alternating two sinks: worker ${fmt(w.sleeping.serverUsPerPacket, 2)} µs/packet ` +
        `when the sink drains its sockets every millisecond without waiting on them, ${fmt(w.woken.serverUsPerPacket, 2)} µs/packet ` +
        "when every burst wakes it. On loopback the kernel runs the receiver's wake-up in the sender's context, so " +
        'the difference is a test artefact a viewer on another machine never costs the server; the headline uses the sleeping sink.',
      '',
    );
  }
  if (d.multiWorker) {
    out.push(
      '## Multi-worker (automatic spreading)',
      '',
      `${d.multiWorker.note} Largest audience at ≤ 1% loss over ${d.multiWorker.workers} workers: ` +
        `${d.multiWorker.largestViewers ?? 'none'} (${fmt(d.multiWorker.viewersPerCore)} viewers per core).`,
      '',
    );
  }
  out.push('## Control plane', '');
  const joinPaths = {
    fast:
      "the capabilities from the connection's first state, then join with `receive`: the transport and a consumer " +
      'of every track in its answer',
    classic: 'join → media.capabilities → transport.create → consume → consumer.resume',
  };
  if (d.joinStorm) {
    for (const j of [d.joinStorm, d.joinStormClassic ?? null]) {
      if (!j) continue;
      out.push(
        `${j.joins} signalling joins (${j.failed} failed) in ${j.periodS} s through the real server in its own process ` +
          `(${joinPaths[j.path ?? 'classic']}): ` +
          `**${fmt(j.serverCpuMsPerJoin, 2)} ms of server CPU per join**, latency p50 ${fmt(j.joinLatencyP50Ms)} ms, p95 ${fmt(j.joinLatencyP95Ms)} ms. ` +
          keepAliveLine(j),
        '',
      );
    }
  } else out.push('Signalling join storm: not measured (see notes).', '');
  for (const k of d.keyframeStorms) {
    out.push(
      `Keyframe requests to the publisher while ${k.viewers} viewers joined in ${k.periodS} s with ` +
        `keyFrameRequestDelay ${k.keyFrameRequestDelayMs} ms: per second [${k.perSecond.join(', ')}], ` +
        `max **${k.max}** in any 1 s window, mean ${fmt(k.meanPerSecond, 2)}/s, shortest interval ${fmt(k.minIntervalMs, 0)} ms.`,
      '',
    );
  }
  if (d.chat) out.push(...chatSection(d.chat));
  if (d.recorder) {
    const rec = d.recorder;
    out.push(
      '## Recorder',
      '',
      `From the recorder's own benchmark: recording FFmpeg (remux) CPU by track ${Object.entries(
        rec.cpuPctByStream,
      )
        .map(([k, v]) => `${k} ${fmt(v)}%`)
        .join(', ')} of one core; finalize ${fmt(rec.finalizeSpeedX)}× real time` +
        (rec.recordedSeconds ? ` for ${fmt(rec.recordedSeconds, 0)} s recorded.` : '.'),
      '',
    );
  }
  if (d.browser) out.push(...browserSection(d.browser), ...joinSection(d.browser));
  if (d.cluster) out.push(...clusterSection(d.cluster));
  if (d.profile) {
    const p = d.profile;
    out.push(
      '## Where the worker time goes',
      '',
      `\`perf record -e cpu-clock\` on the worker at ${p.viewers} viewers (GCM), ${p.samples} samples; ` +
        `${fmt(p.kernelPct)}% of the samples are in the kernel (loopback delivery runs on the sender). ` +
        `Cost per forwarded packet = share × ${fmt(p.usPerPacket, 2)} µs.`,
      '',
      '| self % | µs/packet | symbol | object |',
      '|---|---|---|---|',
      ...p.top.map(
        (e) =>
          `| ${fmt(e.selfPct)} | ${fmt((e.selfPct / 100) * p.usPerPacket, 2)} | \`${e.symbol.replace(/\|/g, '\\|')}\` | ${e.dso} |`,
      ),
      '',
    );
  }
  if (d.workerAb) out.push(...workerAbSection(d.workerAb));
  return `${out.join('\n')}\n`;
}
