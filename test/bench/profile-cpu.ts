/**
 * Where a Node process's time went: sums a V8 `.cpuprofile` (written by `node --cpu-prof`, e.g.
 * the benchmark's server child with SEDUTA_BENCH_CPU_PROF=<dir>) by function — self time and
 * inclusive time — and by package (self time).
 *
 *   npx tsx test/bench/profile-cpu.ts <file.cpuprofile | dir> [--skip=S] [--until=S] [--top=N]
 *     [--match=TEXT] [--callees=TEXT] [--idle]
 *
 * `--skip=S` leaves out the first S seconds (the server's start), `--until=S` what comes after S
 * seconds (e.g. the clients' closing), `--top=N` how many rows each table shows (default 30),
 * `--match=TEXT` shows only the inclusive rows naming TEXT (e.g. `server/src`), `--callees=TEXT`
 * splits the time under the outermost function naming TEXT by what it called, `--idle` keeps the `(idle)` samples in the percentages (they are left
 * out by default, so the shares are of the CPU the process used). A directory means its newest
 * profile.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A V8 CPU profile as `--cpu-prof` writes it. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample (the first since `startTime`). */
  timeDeltas: number[];
}

/** One row of a summary: a function or a package, and its time. */
export interface ProfileRow {
  name: string;
  ms: number;
  pct: number;
}

/** A profile summed up. */
export interface ProfileSummary {
  /** Time covered by the samples counted, in ms (idle included only with `idle`). */
  totalMs: number;
  idleMs: number;
  self: ProfileRow[];
  inclusive: ProfileRow[];
  packages: ProfileRow[];
  /** With `callees`: the time under the first function naming it, by the function it called. */
  callees: ProfileRow[];
  /** CPU time (idle left out) in each second since the profile's start, in ms: to choose `skipS`. */
  perSecondMs: number[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The package a script belongs to: an npm package, Node's own code, or a part of this repository. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const rel = path.relative(ROOT, file);
  if (!rel.startsWith('..')) return `seduta/${rel.split(path.sep).slice(0, 2).join('/')}`;
  return file;
}

/** Sums a profile by function (self and inclusive) and by package (self), largest first. */
export function summarize(
  profile: CpuProfile,
  opts: { skipS?: number; untilS?: number; idle?: boolean; callees?: string } = {},
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url === '' ? '' : ` ${shortUrl(url)}:${lineNumber + 1}`;
    return `${functionName || '(anonymous)'}${where}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  const callees = new Map<string, number>();
  let t = profile.startTime;
  const from = profile.startTime + (opts.skipS ?? 0) * 1e6;
  const until = opts.untilS === undefined ? Infinity : profile.startTime + opts.untilS * 1e6;
  let totalUs = 0;
  let idleUs = 0;
  const perSecond: number[] = [];
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // The time a sample stands for: until the next one (the last, the mean of the others).
    const us = profile.timeDeltas[i + 1] ?? (profile.endTime - profile.startTime) / profile.samples.length;
    const id = profile.samples[i]!;
    const frame = byId.get(id)!.callFrame;
    const second = Math.floor((t - profile.startTime) / 1e6);
    while (perSecond.length <= second) perSecond.push(0);
    if (frame.functionName !== '(idle)') perSecond[second]! += us;
    if (t < from || t >= until) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      if (!opts.idle) continue;
    }
    totalUs += us;
    add(self, label(id), us);
    add(packages, packageOf(frame.url, frame.functionName), us);
    const seen = new Set<string>();
    let below = '(self)';
    let callee: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = label(at);
      if (opts.callees !== undefined && name.includes(opts.callees)) callee = below;
      below = name;
      if (seen.has(name)) continue; // recursion counts once
      seen.add(name);
      add(inclusive, name, us);
    }
    if (callee !== undefined) add(callees, callee, us);
  }
  const rows = (m: Map<string, number>) =>
    [...m]
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 100) / 10,
        pct: Math.round((1000 * us) / totalUs) / 10,
      }))
      .sort((a, b) => b.ms - a.ms);
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    self: rows(self),
    inclusive: rows(inclusive).filter((r) => r.name !== '(root)'),
    packages: rows(packages),
    callees: rows(callees),
    perSecondMs: perSecond.map((us) => Math.round(us / 1000)),
  };
}

function add(m: Map<string, number>, key: string, us: number): void {
  m.set(key, (m.get(key) ?? 0) + us);
}

function shortUrl(url: string): string {
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return file.slice(nm + '/node_modules/'.length);
  const rel = path.relative(ROOT, file);
  return rel.startsWith('..') ? file : rel;
}

/** The profile at `p`, or the newest `.cpuprofile` in the directory `p`. */
async function profilePath(p: string): Promise<string> {
  if (!(await stat(p)).isDirectory()) return p;
  const files = (await readdir(p)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${p}`);
  const dated = await Promise.all(
    files.map(async (f) => ({ f: path.join(p, f), m: (await stat(path.join(p, f))).mtimeMs })),
  );
  return dated.sort((a, b) => b.m - a.m)[0]!.f;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const target = args.find((a) => !a.startsWith('--'));
  if (!target)
    throw new Error('usage: profile-cpu.ts <file.cpuprofile | dir> [--skip=S] [--until=S] [--top=N]');
  const file = await profilePath(target);
  const top = Number(opt('top') ?? 30);
  const summary = summarize(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, {
    skipS: Number(opt('skip') ?? 0),
    ...(opt('until') === undefined ? {} : { untilS: Number(opt('until')) }),
    idle: args.includes('--idle'),
    ...(opt('callees') === undefined ? {} : { callees: opt('callees') }),
  });
  const table = (title: string, rows: ProfileRow[]) => {
    process.stdout.write(`\n${title}\n`);
    for (const r of rows.slice(0, top))
      process.stdout.write(`${r.pct.toFixed(1).padStart(6)} %${r.ms.toFixed(0).padStart(8)} ms  ${r.name}\n`);
  };
  process.stdout.write(
    `${path.relative(process.cwd(), file)}: ${summary.totalMs} ms on CPU, ${summary.idleMs} ms idle\n`,
  );
  process.stdout.write(`CPU ms in each second: ${summary.perSecondMs.join(' ')}\n`);
  table('self time by package', summary.packages);
  table('self time by function', summary.self);
  const match = opt('match');
  table(
    `inclusive time by function${match ? ` (naming ${match})` : ''}`,
    match ? summary.inclusive.filter((r) => r.name.includes(match)) : summary.inclusive,
  );
  if (opt('callees') !== undefined) table(`under ${opt('callees')}, by callee`, summary.callees);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  });
}
