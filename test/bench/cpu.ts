import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat times (almost always 100). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of a process (all its threads) so far, in µs, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; count fields from the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / CLK_TCK;
}

/** A process's CPU over the next `ms` of wall time, in ms of CPU per second. */
export async function cpuMsPerSecondOver(pid: number, ms: number): Promise<number> {
  const before = cpuMicros(pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (cpuMicros(pid) - before) / 1000 / ((performance.now() - t0) / 1000);
}

/** Whether `taskset` (util-linux) can pin processes here: present, and more than one CPU. */
export const canPin: boolean =
  os.cpus().length > 1 && spawnSync('taskset', ['-p', String(process.pid)]).status === 0;

/**
 * Nice value of the benchmark's own processes. Other work on a shared machine would otherwise take
 * their CPU and show up as packet loss; raising priority needs root.
 */
export const BENCH_NICE = -10;
/** SCHED_RR priority of the measured processes (SFU, sink, publisher) when real-time is enabled. */
export const BENCH_RT_PRIORITY = 20;
const isRoot = process.getuid?.() === 0;

/**
 * Whether the measured processes may run SCHED_RR: root, `chrt` present, and the kernel's real-time
 * throttling on (sched_rt_runtime_us > 0 leaves the other tasks a share of every CPU whatever happens).
 */
export const realtimeAvailable: boolean = (() => {
  if (!isRoot || spawnSync('chrt', ['--version'], { stdio: 'ignore' }).status !== 0) return false;
  try {
    return Number(readFileSync('/proc/sys/kernel/sched_rt_runtime_us', 'utf8')) > 0;
  } catch {
    return false;
  }
})();
let realtime = false;

/** Turns real-time scheduling of the measured processes on (when available); returns whether it is on. */
export function useRealtime(enabled: boolean): boolean {
  realtime = enabled && realtimeAvailable;
  return realtime;
}

/** Pins every thread of `pid` to `cpus` and raises its priority; returns false if pinning failed. */
export function pin(pid: number, cpus: number | string, measured = true): boolean {
  boost(pid, measured);
  if (!canPin) return false;
  return (
    spawnSync('taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' }).status === 0
  );
}

/**
 * Raises every thread of `pid`: SCHED_RR when real-time is on and the process is measured (SFU, sink,
 * publisher), else the benchmark's nice value. No-op without root.
 */
export function boost(pid: number, measured = true): void {
  if (!isRoot) return;
  if (realtime && measured) {
    spawnSync('chrt', ['-a', '-r', '-p', String(BENCH_RT_PRIORITY), String(pid)], { stdio: 'ignore' });
    return;
  }
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  spawnSync('renice', ['-n', String(BENCH_NICE), '-p', ...tids], { stdio: 'ignore' });
}

/** The command and arguments that start a measured `command` pinned to `cpu` (when possible) at the benchmark's priority. */
export function pinnedCommand(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  let argv = [command, ...args];
  if (cpu !== undefined && canPin) argv = ['taskset', '-c', String(cpu), ...argv];
  if (realtime) argv = ['chrt', '-r', String(BENCH_RT_PRIORITY), ...argv];
  else if (isRoot) argv = ['nice', '-n', String(BENCH_NICE), ...argv];
  return [argv[0]!, argv.slice(1)];
}

/** What the report says about the machine. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  memoryGiB: number;
  node: string;
  pinned: boolean;
  /** Whether the SFU, sink and publisher ran SCHED_RR (see ADR 0006). */
  realtime: boolean;
}

/** CPU model, cores, kernel, memory and Node version of this machine. */
export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    kernel: `${os.type()} ${os.release()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    pinned: canPin,
    realtime,
  };
}

/** Kernel receive-queue drops of the IPv4 UDP sockets bound to `ports` on any address (/proc/net/udp). */
export function udpDrops(ports: readonly number[]): number {
  const wanted = new Set(ports);
  let drops = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (!local) continue;
    const port = parseInt(local.split(':')[1] ?? '', 16);
    if (wanted.has(port)) drops += Number(cols[cols.length - 1]) || 0;
  }
  return drops;
}
