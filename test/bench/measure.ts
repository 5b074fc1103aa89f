/** One measurement window: CPU of the forwarding process(es) and of the sink, packets expected and received. */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMicros, udpDrops } from './cpu';
import { AUDIO, VIDEO } from './publisher';
import type { Sink, SinkSnapshot } from './sink';

/** SRTP suite of the forwarded streams ('none' = plain RTP). */
export type Suite = 'AEAD_AES_256_GCM' | 'AES_CM_128_HMAC_SHA1_80' | 'none';

/** Raw figures of one repetition of one fan-out step. */
export interface Measurement {
  system: 'mediasoup' | 'janus';
  suite: Suite;
  viewers: number;
  /** Forwarding processes measured (mediasoup workers, or 1 for Janus). */
  workers: number;
  windowS: number;
  /** Packets the publisher sent during the window (video + audio), from the reference copy. */
  inputPackets: number;
  /** `inputPackets × viewers`. */
  expectedPackets: number;
  /** RTP media packets the sink received from the forwarders. */
  receivedPackets: number;
  /** mediasoup bandwidth-probation padding packets (SSRC 1234) received; not counted as media. */
  probationPackets: number;
  /** Share of expected packets that did not arrive, in %. May be slightly negative (window edges). */
  lossPct: number;
  /** Packets the kernel dropped because a sink socket's buffer was full (part of the loss). */
  sinkSocketDrops: number;
  /** Publisher packets dropped at the SFU's receiving sockets (the SFU fell behind; × viewers lost). */
  inputSocketDrops: number;
  /** Busy time of each CPU during the window, in % (everything on the machine, not only the benchmark). */
  coreBusyPct: number[];
  forwardedPps: number;
  /** CPU of the forwarding process(es), in % of one core (summed over workers). */
  serverCpuPct: number;
  /** Forwarder CPU per received packet, in µs. */
  serverUsPerPacket: number;
  sinkCpuPct: number;
  /** Sink CPU per packet it received (all RTP and RTCP), in µs. */
  sinkUsPerPacket: number;
}

const REFERENCE_SSRCS = new Set<number>([VIDEO.referenceSsrc, AUDIO.referenceSsrc]);
/** SSRC of mediasoup's bandwidth-probation padding (RTP_PROBATOR_SSRC): not media, counted apart. */
const PROBATION_SSRC = 1234;

interface Mark {
  at: bigint;
  serverUs: number;
  sink: SinkSnapshot;
  drops: number;
  inputDrops: number;
  cores: { busy: number; total: number }[];
}

async function mark(serverPids: readonly number[], sink: Sink, inputPorts: readonly number[]): Promise<Mark> {
  const sinkSnap = await sink.snapshot();
  return {
    at: process.hrtime.bigint(),
    serverUs: serverPids.reduce((sum, pid) => sum + cpuMicros(pid), 0),
    sink: sinkSnap,
    drops: udpDrops(sink.ports),
    inputDrops: udpDrops(inputPorts),
    cores: coreTimes(),
  };
}

/** Busy and total jiffies of each CPU from /proc/stat. */
export function coreTimes(): { busy: number; total: number }[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      const [user, nice, system, idle, iowait, irq, softirq, steal] = line
        .split(/\s+/)
        .slice(1, 9)
        .map(Number);
      const idleAll = idle! + iowait!;
      const busy = user! + nice! + system! + irq! + softirq! + steal!;
      return { busy, total: busy + idleAll };
    });
}

function delta(
  a: Record<number, number>,
  b: Record<number, number>,
  keep: (ssrc: number) => boolean,
): number {
  let total = 0;
  for (const [key, count] of Object.entries(b)) {
    const ssrc = Number(key);
    if (keep(ssrc)) total += count - (a[ssrc] ?? 0);
  }
  return total;
}

/** Waits `warmupMs`, then measures a window of `windowMs` over `serverPids` and the sink. */
export async function measureWindow(opts: {
  system: Measurement['system'];
  suite: Suite;
  viewers: number;
  serverPids: readonly number[];
  sink: Sink;
  /** Ports where the SFU receives the publisher's packets. */
  inputPorts: readonly number[];
  warmupMs: number;
  windowMs: number;
}): Promise<Measurement> {
  const { serverPids, sink, viewers, inputPorts } = opts;
  await sleep(opts.warmupMs);
  const start = await mark(serverPids, sink, inputPorts);
  await sleep(opts.windowMs);
  const end = await mark(serverPids, sink, inputPorts);
  const windowS = Number(end.at - start.at) / 1e9;
  const inputPackets = delta(start.sink.rtp, end.sink.rtp, (s) => REFERENCE_SSRCS.has(s));
  const receivedPackets = delta(
    start.sink.rtp,
    end.sink.rtp,
    (s) => !REFERENCE_SSRCS.has(s) && s !== PROBATION_SSRC,
  );
  const probationPackets = delta(start.sink.rtp, end.sink.rtp, (s) => s === PROBATION_SSRC);
  const expectedPackets = inputPackets * viewers;
  const serverUs = end.serverUs - start.serverUs;
  const sinkUs = end.sink.cpuUs - start.sink.cpuUs;
  const sinkPackets = delta(start.sink.rtp, end.sink.rtp, () => true) + (end.sink.rtcp - start.sink.rtcp);
  return {
    system: opts.system,
    suite: opts.suite,
    viewers,
    workers: serverPids.length,
    windowS: round(windowS, 2),
    inputPackets,
    expectedPackets,
    receivedPackets,
    probationPackets,
    lossPct:
      expectedPackets > 0 ? round((100 * (expectedPackets - receivedPackets)) / expectedPackets, 3) : 100,
    sinkSocketDrops: end.drops - start.drops,
    inputSocketDrops: end.inputDrops - start.inputDrops,
    coreBusyPct: end.cores.map((c, i) => {
      const s = start.cores[i] ?? { busy: 0, total: 0 };
      return c.total > s.total ? round((100 * (c.busy - s.busy)) / (c.total - s.total), 1) : 0;
    }),
    forwardedPps: Math.round(receivedPackets / windowS),
    serverCpuPct: round((100 * serverUs) / (windowS * 1e6), 1),
    serverUsPerPacket: receivedPackets > 0 ? round(serverUs / receivedPackets, 2) : NaN,
    sinkCpuPct: round((100 * sinkUs) / (windowS * 1e6), 1),
    sinkUsPerPacket: sinkPackets > 0 ? round(sinkUs / sinkPackets, 2) : NaN,
  };
}

/** Median of each numeric figure over repetitions (the first repetition gives the labels). */
export function medianOf(reps: readonly Measurement[]): Measurement {
  const first = reps[0]!;
  const out = { ...first };
  for (const key of Object.keys(first) as (keyof Measurement)[]) {
    if (key === 'coreBusyPct') {
      out.coreBusyPct = first.coreBusyPct.map((_, i) => median(reps.map((r) => r.coreBusyPct[i] ?? NaN)));
      continue;
    }
    if (typeof first[key] !== 'number' || key === 'viewers' || key === 'workers') continue;
    (out as Record<string, unknown>)[key] = median(reps.map((r) => r[key] as number));
  }
  return out;
}

/** Median of numbers (NaN ignored; NaN if none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
