/**
 * The benchmark's "Two nodes" step (cluster.ts): split audiences at growing sizes, then the pipe's
 * own cost; and `npm run bench -- --only=cluster`, which runs just this step and writes
 * .test-results/bench-cluster.json and .md, leaving docs/bench alone.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { boost, canPin, pin, useRealtime } from './cpu';
import { pipeCostRep, pipeSuite, splitRep, startNodes } from './cluster';
import { clusterJoinStorm } from './cluster-control';
import type { ClusterJoinStorm } from './cluster-control';
import type { PipeCostMeasurement, SplitMeasurement } from './cluster';
import type { RepTiming } from './fanout';
import { median } from './measure';
import { ensureClip } from './publisher';
import { clusterSection } from './report';
import { startSink } from './sink';
import type { Sink } from './sink';

const MAX_LOSS_PCT = 1;

/** One split audience: every repetition and the median of each figure. */
export interface ClusterStep {
  viewersPerNode: { origin: number; edge: number };
  reps: SplitMeasurement[];
  median: SplitMeasurement;
}

/** What latest.json's `details.cluster` holds. */
export interface ClusterFigures {
  /** The largest split audience with ≤ 1% loss on both nodes (null if none). */
  viewersPerNode: { origin: number; edge: number } | null;
  /** Origin send + edge receive CPU per piped packet, in µs (median over repetitions). */
  pipeCpuUsPerPacket: number | null;
  pipeOriginUsPerPacket: number | null;
  pipeEdgeUsPerPacket: number | null;
  /** SRTP suite of the viewers and of the pipe. */
  viewerSuite: 'AEAD_AES_256_GCM';
  pipeSuite: string;
  steps: ClusterStep[];
  pipeCost: { reps: PipeCostMeasurement[]; median: PipeCostMeasurement } | null;
  /** Signalling joins through two real server nodes (cluster-control.ts); null if not measured. */
  joins: ClusterJoinStorm | null;
  /** Where the processes ran. */
  placement: string;
  notes: string[];
}

/** Median of every numeric figure (element by element in arrays); the first repetition gives the rest. */
function medianOf<T extends object>(reps: readonly T[]): T {
  const first = reps[0]!;
  const out = { ...first } as Record<string, unknown>;
  for (const [key, value] of Object.entries(first)) {
    const all = reps.map((r) => (r as Record<string, unknown>)[key]);
    if (typeof value === 'number') out[key] = median(all as number[]);
    else if (Array.isArray(value))
      out[key] = value.map((_, i) => median((all as number[][]).map((a) => a[i] ?? NaN)));
  }
  return out as T;
}

/**
 * Runs the step: each audience in `perNode` split evenly over the two nodes (`repetitions` times),
 * then `pipes` pipe pairs measured with and without. The origin's worker runs on CPU 0, the edge's on
 * CPU 1; the sink, FFmpeg and the controller wherever the scheduler puts them.
 */
export async function clusterPart(opts: {
  sink: Sink;
  clip: string;
  timing: RepTiming;
  repetitions: number;
  perNode: number[];
  pipes: number;
  /** Joins through two real server nodes, spread over `periodMs`; null: not measured. */
  joins: { count: number; periodMs: number } | null;
  log: (message: string) => void;
}): Promise<ClusterFigures> {
  const notes: string[] = [];
  const twoCores = canPin && os.cpus().length > 1;
  const nodes = await startNodes((pid, node) => (twoCores ? pin(pid, node) : boost(pid)));
  let media: Omit<ClusterFigures, 'joins'>;
  try {
    const probe = await nodes.origin.createRouter('cluster-probe');
    const suite = await pipeSuite(probe.router);
    probe.close();
    const steps: ClusterStep[] = [];
    for (const n of opts.perNode) {
      const reps: SplitMeasurement[] = [];
      for (let r = 0; r < opts.repetitions; r++) {
        try {
          reps.push(
            await splitRep({
              nodes,
              sink: opts.sink,
              clip: opts.clip,
              originViewers: n,
              edgeViewers: n,
              timing: opts.timing,
            }),
          );
        } catch (error) {
          notes.push(
            `two nodes, ${n} + ${n} viewers, repetition ${r + 1} failed: ${(error as Error).message}`,
          );
        }
      }
      if (reps.length === 0) break;
      const m = medianOf(reps);
      steps.push({ viewersPerNode: { origin: n, edge: n }, reps, median: m });
      opts.log(
        `two nodes: ${n} + ${n} viewers → loss ${m.lossPctPerNode.join('% / ')}%, worker CPU ` +
          `${m.cpuPctPerNode.join('% / ')}%, ${m.usPerPacketPerNode.join(' / ')} µs/pkt (origin / edge), ` +
          `pipe ${m.pipeSent} sent, ${m.pipeReceived} received`,
      );
      if (Math.max(...m.lossPctPerNode) > MAX_LOSS_PCT) break;
    }
    const costs: PipeCostMeasurement[] = [];
    for (let r = 0; r < opts.repetitions; r++) {
      try {
        costs.push(
          await pipeCostRep({
            nodes,
            sink: opts.sink,
            clip: opts.clip,
            pipes: opts.pipes,
            timing: opts.timing,
          }),
        );
      } catch (error) {
        notes.push(`pipe cost, repetition ${r + 1} failed: ${(error as Error).message}`);
      }
    }
    const cost = costs.length ? medianOf(costs) : null;
    if (cost)
      opts.log(
        `pipe cost: ${cost.pipes} pipes, ${cost.pipedPps} pkt/s → origin +${cost.originUsPerPacket} µs/pkt, ` +
          `edge +${cost.edgeUsPerPacket} µs/pkt, loss ${cost.pipeLossPct}%`,
      );
    const best = steps.filter((s) => Math.max(...s.median.lossPctPerNode) <= MAX_LOSS_PCT).at(-1);
    const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
    media = {
      viewersPerNode: best ? best.viewersPerNode : null,
      pipeCpuUsPerPacket: finite(cost?.totalUsPerPacket),
      pipeOriginUsPerPacket: finite(cost?.originUsPerPacket),
      pipeEdgeUsPerPacket: finite(cost?.edgeUsPerPacket),
      viewerSuite: 'AEAD_AES_256_GCM',
      pipeSuite: suite,
      steps,
      pipeCost: cost ? { reps: costs, median: cost } : null,
      placement: twoCores
        ? "Origin worker pinned to CPU 0, edge worker to CPU 1; the sink, FFmpeg and the controller share both CPUs (the scheduler's choice)."
        : 'Processes could not be pinned: both workers, the sink, FFmpeg and the controller share the CPUs.',
      notes,
    };
  } finally {
    await nodes.close();
  }
  let joins: ClusterJoinStorm | null = null;
  if (!opts.joins) {
    notes.push(
      'Joins through two server nodes are measured in the full run (`--cluster-joins=N` asks for them).',
    );
    return { ...media, joins };
  }
  try {
    joins = await clusterJoinStorm(opts.joins.count, opts.joins.periodMs);
    const [o, e] = joins.nodes;
    opts.log(
      `two server nodes: ${o.viewers} + ${e.viewers} joins (${o.failed + e.failed} failed) in ${joins.periodS} s, ` +
        `CPU ${o.cpuMsPerJoin} / ${e.cpuMsPerJoin} ms per join (origin / edge), ${joins.deploymentCpuMsPerJoin} ms for both`,
    );
    if (o.failed + e.failed > 0)
      notes.push(`${o.failed + e.failed} joins through the two server nodes failed.`);
  } catch (error) {
    notes.push(`joins through two server nodes not measured: ${(error as Error).message.split('\n')[0]}`);
  }
  return { ...media, joins };
}

/** `--only=cluster`: this step alone; figures in .test-results/bench-cluster.{json,md}. */
export async function onlyCluster(opts: {
  root: string;
  outDir?: string;
  timing: RepTiming;
  repetitions: number;
  perNode: number[];
  pipes: number;
  joins: { count: number; periodMs: number } | null;
  realtime: boolean;
  closers: (() => Promise<unknown>)[];
  log: (message: string) => void;
}): Promise<number> {
  useRealtime(opts.realtime);
  const cpus = os.cpus().length;
  // The controller is not measured: nice, never real-time, on any CPU.
  pin(process.pid, `0-${cpus - 1}`, false);
  const clip = await ensureClip();
  const sink = await startSink(16);
  opts.closers.push(() => sink.close());
  if (canPin) pin(sink.pid, `0-${cpus - 1}`);
  const figures = await clusterPart({ ...opts, sink, clip });
  await sink.close();
  const dir = opts.outDir ?? path.join(opts.root, '.test-results');
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'bench-cluster.json');
  await writeFile(
    json,
    `${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  await writeFile(path.join(dir, 'bench-cluster.md'), `${clusterSection(figures).join('\n')}\n`);
  opts.log(
    `two nodes: viewersPerNode=${JSON.stringify(figures.viewersPerNode)} pipeCpuUsPerPacket=${figures.pipeCpuUsPerPacket} ` +
      `→ ${path.relative(opts.root, json)} (docs/bench/latest.* unchanged)`,
  );
  for (const note of figures.notes) opts.log(`note: ${note}`);
  return figures.steps.some((s) => s.median.receivedPerNode[1] > 0) ? 0 : 1;
}
