/**
 * Recorder figures: runs the recorder's own benchmark (recorder/bench/recorder-bench.ts, owned by the
 * recorder) in a child process and takes its CPU per recorded stream (FFmpeg remux) and finalize speed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { median, round } from './measure';

/** What the benchmark keeps from the recorder's run. */
export interface RecorderFigures {
  /** CPU of each recording FFmpeg, in % of one core, by stream. */
  cpuPctByStream: Record<string, number>;
  cpuPctPerStream: number;
  finalizeSpeedX: number;
  recordedSeconds: number | null;
  /** The recorder benchmark's whole JSON output, for the record. */
  raw: Record<string, unknown>;
}

/** Path of the recorder's benchmark script under `root`, if the recorder has one. */
export function recorderBenchScript(root: string): string | undefined {
  const script = path.join(root, 'recorder', 'bench', 'recorder-bench.ts');
  return existsSync(script) ? script : undefined;
}

/** Runs the recorder benchmark for `recordSeconds` (killed after `timeoutMs`) and parses its JSON. */
export function runRecorderBench(
  root: string,
  script: string,
  recordSeconds: number,
  timeoutMs: number,
): Promise<RecorderFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, String(recordSeconds)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(
          new Error(`recorder bench exited with ${code ?? signal}: ${err.trim().split('\n').at(-1) ?? ''}`),
        );
        return;
      }
      try {
        const raw = JSON.parse(out.slice(out.indexOf('{'))) as Record<string, unknown>;
        const cpu = (raw.recordingFfmpegCpuPercentOfOneCore ?? {}) as Record<string, number>;
        const values = Object.values(cpu).filter((v) => typeof v === 'number');
        const speed = raw.finalizeSpeedTimesRealtime;
        if (values.length === 0 || typeof speed !== 'number')
          throw new Error('no CPU or finalize figures in its output');
        resolve({
          cpuPctByStream: cpu,
          cpuPctPerStream: round(median(values), 2),
          finalizeSpeedX: speed,
          recordedSeconds: typeof raw.recordedSeconds === 'number' ? raw.recordedSeconds : null,
          raw,
        });
      } catch (error) {
        reject(new Error(`recorder bench output not understood: ${(error as Error).message}`));
      }
    });
  });
}
