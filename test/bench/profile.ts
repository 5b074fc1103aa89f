/** Where the worker's time goes: `perf record -e cpu-clock` on a running worker, top symbols by self time. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** One line of the profile: a symbol and its share of the worker's samples. */
export interface ProfileEntry {
  symbol: string;
  /** Shared object (or `[kernel.kallsyms]`). */
  dso: string;
  kernel: boolean;
  selfPct: number;
}

/** A finished profile. */
export interface Profile {
  samples: number;
  kernelPct: number;
  top: ProfileEntry[];
}

/** Whether `perf` can sample here (hardware counters are usually absent in VMs; the software clock works). */
export function perfAvailable(): boolean {
  return spawnSync('perf', ['stat', '-e', 'cpu-clock', 'true'], { stdio: 'ignore' }).status === 0;
}

/** Samples `pid` for `seconds` and returns its top symbols by self time. */
export async function profilePid(pid: number, seconds: number): Promise<Profile> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'seduta-bench-perf-'));
  const data = path.join(dir, 'perf.data');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'perf',
        [
          'record',
          '-q',
          '-e',
          'cpu-clock',
          '-F',
          '2000',
          '-p',
          String(pid),
          '-o',
          data,
          '--',
          'sleep',
          String(seconds),
        ],
        { stdio: 'ignore' },
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`perf record exited with ${code}`));
      });
    });
    const report = spawnSync(
      'perf',
      [
        'report',
        '-i',
        data,
        '--stdio',
        '--no-children',
        '--sort',
        'dso,symbol',
        '--percent-limit',
        '0.5',
        '-g',
        'none',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const byDso = spawnSync(
      'perf',
      ['report', '-i', data, '--stdio', '--no-children', '--sort', 'dso', '-g', 'none'],
      {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const profile = parseReport(report.stdout ?? '');
    const kernel = (byDso.stdout ?? '').match(/^\s+([\d.]+)%\s+\[kernel\.kallsyms\]/m);
    return { ...profile, kernelPct: kernel ? Number(kernel[1]) : profile.kernelPct };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Parses `perf report --stdio --sort dso,symbol` output (kernelPct counts only the listed symbols). */
export function parseReport(text: string): Profile {
  const count = text.match(/# Samples: ([\d.]+)([KM]?)/);
  const samples = count ? Math.round(Number(count[1]) * ({ K: 1e3, M: 1e6 }[count[2] ?? ''] ?? 1)) : 0;
  const top: ProfileEntry[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^\s+([\d.]+)%\s+(\S+)\s+\[([k.])\]\s+(.+?)\s*$/);
    if (!m) continue;
    // Newer perf prints IPC columns ('-  -' without hardware counters) after the symbol.
    const symbol = m[4]!.replace(/(\s+-)+$/, '');
    top.push({ selfPct: Number(m[1]), dso: m[2]!, kernel: m[3] === 'k', symbol });
  }
  const kernelPct = Math.round(top.filter((e) => e.kernel).reduce((s, e) => s + e.selfPct, 0) * 10) / 10;
  return { samples, kernelPct, top: top.slice(0, 20) };
}
