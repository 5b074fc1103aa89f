/**
 * Issue 14: the benchmark's two-node step, in its quick form (`npm run bench -- --only=cluster
 * --quick`): one sitting's audience split over an origin and an edge worker joined by an SRTP
 * PipeTransport pair, and the pipe's cost measured with and without pipes (the joins through two
 * real server nodes run in the full run only). This checks that both nodes' viewers received media
 * through the real workers, that the pipe carried it, and that the report has the figures;
 * performance targets belong to the benchmark's report, never to a test.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterFigures } from './cluster-run';

/** The quick step takes about 30 s; past this it is stuck. */
const RUN_LIMIT_MS = 4 * 60_000;

let outDir: string | undefined;
afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

async function runClusterStep(dir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    path.resolve('node_modules', '.bin', 'tsx'),
    ['test/bench/run.ts', '--only=cluster', '--quick', `--out=${dir}`],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), RUN_LIMIT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, output };
}

describe('npm run bench -- --only=cluster --quick', () => {
  it("splits one sitting's audience over two nodes joined by an SRTP pipe and reports viewers per node and the pipe's cost", async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'seduta-bench-cluster-'));
    const { code, output } = await runClusterStep(outDir);
    expect(code, output.slice(-2000)).toBe(0);

    const figures = JSON.parse(
      await readFile(path.join(outDir, 'bench-cluster.json'), 'utf8'),
    ) as ClusterFigures;
    expect(figures.pipeSuite).toBe('AEAD_AES_256_GCM');
    const [step] = figures.steps;
    expect(step?.viewersPerNode).toEqual({ origin: 25, edge: 25 });
    // Viewers on both nodes received the publisher's media; the edge's came through the pipe.
    expect(step!.median.inputPackets).toBeGreaterThan(0);
    expect(step!.median.receivedPerNode[0]).toBeGreaterThan(0);
    expect(step!.median.receivedPerNode[1]).toBeGreaterThan(0);
    expect(step!.median.pipeSent).toBeGreaterThan(0);
    expect(step!.median.pipeReceived).toBeGreaterThan(0);
    expect(step!.median.cpuPctPerNode.every((v) => v > 0)).toBe(true);
    // The pipe's cost comes from windows with and without the pipes, both sides counted.
    const cost = figures.pipeCost?.median;
    expect(cost?.pipes).toBe(20);
    expect(cost!.pipedPps).toBeGreaterThan(0);
    expect(figures.pipeCpuUsPerPacket === null || typeof figures.pipeCpuUsPerPacket === 'number').toBe(true);
    expect(figures.pipeCpuUsPerPacket).toBe(figures.pipeCost!.median.totalUsPerPacket);

    // Joins through two real server nodes belong to the full run; the report says so.
    expect(figures.joins).toBeNull();
    expect(figures.notes.join('\n')).toContain('measured in the full run');

    const markdown = await readFile(path.join(outDir, 'bench-cluster.md'), 'utf8');
    expect(markdown).toContain('## Two nodes');
    expect(markdown).toContain("The pipe's CPU cost per packet");
    expect(markdown).toMatch(/\| 25 \+ 25 \|/);
  });
});
