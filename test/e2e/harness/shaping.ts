/**
 * Bad links for one browser, inside the test's own network namespace (never a host's): every
 * browser and the server run in that namespace, and media between them crosses its loopback.
 *
 *  - {@link impairLink}: packet loss and delay, as `tc netem` would give — but these kernels have
 *    no netem qdisc (`Specified qdisc kind is unknown`), so a userspace one stands in
 *    (harness/netem.py, Python's standard library): the browser's UDP datagrams, both ways, are
 *    marked by nftables (a `route` chain: the mark re-routes them), sent by a policy-routing rule
 *    into a TUN device, and the helper writes each one back into the kernel after the delay, or
 *    drops it at random. Signalling (TCP) is left alone. docs/decisions/0022-lossy-link-tests.md.
 *  - {@link capDownlink}: a bandwidth cap on what the server sends the browser: an htb class on
 *    the namespace's `lo` at the given rate, with u32 filters on the browser's UDP ports.
 *
 * The browser's sockets are found as harness/link-cut.ts finds them: its processes (and their
 * children) and `ss`. Apply these once the browser has its media connection: sockets it opens
 * later (an ICE restart) are not affected.
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestBrowser } from './browsers';
import { descendants } from './link-cut';

const HELPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'netem.py');
const TUN = 'sdnetem0';
const TABLE = 'seduta_netem';
const MARK = '0x5e';
const ROUTE_TABLE = '94';

/** Loss and delay, per direction ("down": server to browser; "up": browser to server). */
export interface Impairment {
  downDelayMs: number;
  /** Probability (0–1) that a datagram is dropped. */
  downLoss: number;
  upDelayMs: number;
  upLoss: number;
  /** Seed of the helper's random drops: the same run drops the same way. */
  seed?: number;
}

/** Datagrams the emulator let through and dropped, per direction. */
export interface LinkCounters {
  down: { passed: number; dropped: number };
  up: { passed: number; dropped: number };
}

/** An impaired link in place. */
export interface ImpairedLink {
  /** The browser's local UDP ports whose datagrams pass through the emulator. */
  readonly ports: readonly number[];
  /** What the emulator has done so far (updated every second). */
  counters(): LinkCounters;
  /** Routes the browser's datagrams directly again and stops the emulator; idempotent. */
  restore(): Promise<void>;
}

/** A bandwidth cap in place. */
export interface Cap {
  readonly ports: readonly number[];
  /** Bytes and packets the capped class has sent, and packets dropped at its queue. */
  stats(): { bytes: number; packets: number; dropped: number };
  /** Removes the cap; idempotent. */
  restore(): void;
}

function requireNamespace(what: string): void {
  if (!process.env.SEDUTA_E2E_NETNS) {
    throw new Error(
      `${what} changes routing and qdiscs: run inside the test namespace (node scripts/netns.mjs)`,
    );
  }
}

function run(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' });
}

function tryRun(cmd: string, ...args: string[]): void {
  try {
    run(cmd, ...args);
  } catch {
    // not there: the usual case
  }
}

/** Local ports of the UDP sockets the browser (or any of its child processes) has open. */
export async function browserUdpPorts(browser: TestBrowser): Promise<number[]> {
  const pids = descendants(await browser.pids());
  if (pids.size === 0) throw new Error(`no process found for the ${browser.name} browser`);
  const ports = new Set<number>();
  for (const line of run('ss', '-uanpH').split('\n')) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    if (!owners.some((pid) => pids.has(pid))) continue;
    const local = line.trim().split(/\s+/)[3];
    const port = Number(local?.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  if (ports.size === 0) throw new Error(`the ${browser.name} browser has no UDP socket`);
  return [...ports];
}

/** Sends the browser's UDP datagrams, both ways, through the userspace emulator until `restore()`. */
export async function impairLink(browser: TestBrowser, impairment: Impairment): Promise<ImpairedLink> {
  requireNamespace('impairLink');
  const ports = await browserUdpPorts(browser);
  cleanUpImpairment();
  run('ip', 'tuntap', 'add', 'dev', TUN, 'mode', 'tun');
  const helper = spawn(
    'python3',
    [
      HELPER,
      TUN,
      ports.join(','),
      String(impairment.downDelayMs),
      String(impairment.downLoss),
      String(impairment.upDelayMs),
      String(impairment.upLoss),
      String(impairment.seed ?? 12),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let counters: LinkCounters = { down: { passed: 0, dropped: 0 }, up: { passed: 0, dropped: 0 } };
  const exited = new Promise<void>((resolve) => helper.once('exit', () => resolve()));
  try {
    const lines = readline.createInterface({ input: helper.stdout });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the netem helper did not start within 5 s')), 5_000);
      helper.once('error', reject);
      helper.once('exit', (code) => reject(new Error(`the netem helper exited (${code})`)));
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as { ready?: true } & Partial<LinkCounters>;
        if (msg.ready) {
          clearTimeout(timer);
          resolve();
        } else if (msg.down && msg.up) {
          counters = { down: msg.down, up: msg.up };
        }
      });
    });
    run('ip', 'link', 'set', TUN, 'up');
    // Written back into the TUN device, a datagram between two local addresses arrives from a
    // local source: accepted only with accept_local, and not filtered by the reverse path.
    run(
      'sysctl',
      '-qw',
      `net.ipv4.conf.${TUN}.accept_local=1`,
      `net.ipv4.conf.${TUN}.rp_filter=0`,
      'net.ipv4.conf.all.rp_filter=0',
    );
    run('ip', 'route', 'add', 'default', 'dev', TUN, 'table', ROUTE_TABLE);
    // The local table answers first (pref 0) for local addresses: move it after the mark's rule.
    run('ip', 'rule', 'add', 'pref', '100', 'lookup', 'local');
    run('ip', 'rule', 'del', 'pref', '0', 'lookup', 'local');
    run('ip', 'rule', 'add', 'pref', '50', 'fwmark', MARK, 'lookup', ROUTE_TABLE);
    run('nft', 'add', 'table', 'inet', TABLE);
    // A `route` chain: a packet whose mark it changes is routed again, by the rule above.
    run('nft', 'add', 'chain', 'inet', TABLE, 'out', '{ type route hook output priority mangle; }');
    const set = `{ ${ports.join(', ')} }`;
    run('nft', 'add', 'rule', 'inet', TABLE, 'out', 'udp', 'sport', set, 'meta', 'mark', 'set', MARK);
    run('nft', 'add', 'rule', 'inet', TABLE, 'out', 'udp', 'dport', set, 'meta', 'mark', 'set', MARK);
  } catch (error) {
    helper.kill('SIGTERM');
    await exited;
    cleanUpImpairment();
    throw error;
  }
  let restored = false;
  return {
    ports,
    counters: () => counters,
    async restore() {
      if (restored) return;
      restored = true;
      // Direct routing first, so nothing is left inside the device when it goes.
      tryRun('nft', 'delete', 'table', 'inet', TABLE);
      await new Promise((resolve) => setTimeout(resolve, impairment.downDelayMs + impairment.upDelayMs + 50));
      helper.stdin?.end();
      helper.kill('SIGTERM');
      await exited;
      cleanUpImpairment();
    },
  };
}

/** Removes whatever an earlier impairLink left in the namespace (a crashed run). */
function cleanUpImpairment(): void {
  tryRun('nft', 'delete', 'table', 'inet', TABLE);
  tryRun('ip', 'rule', 'del', 'pref', '50');
  const rules = (() => {
    try {
      return run('ip', 'rule', 'show');
    } catch {
      return '';
    }
  })();
  if (!/^0:\s+from all lookup local/m.test(rules))
    tryRun('ip', 'rule', 'add', 'pref', '0', 'lookup', 'local');
  tryRun('ip', 'rule', 'del', 'pref', '100', 'lookup', 'local');
  tryRun('ip', 'route', 'flush', 'table', ROUTE_TABLE);
  tryRun('ip', 'link', 'del', TUN);
}

/**
 * Caps what the server sends the browser at `kbit` kbit/s: an htb qdisc on the namespace's `lo`
 * (everything else through an unlimited default class), a class at the rate with a short packet
 * queue (about a second at 300 kbit/s, as a home router's), and u32 filters sending the datagrams
 * to the browser's UDP ports into it.
 */
export async function capDownlink(browser: TestBrowser, kbit: number): Promise<Cap> {
  requireNamespace('capDownlink');
  const ports = await browserUdpPorts(browser);
  tryRun('tc', 'qdisc', 'del', 'dev', 'lo', 'root');
  try {
    run('tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '1');
    run('tc', 'class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '10gbit');
    run(
      'tc',
      ...['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:2', 'htb'],
      ...['rate', `${kbit}kbit`, 'ceil', `${kbit}kbit`],
    );
    run('tc', 'qdisc', 'add', 'dev', 'lo', 'parent', '1:2', 'handle', '20:', 'pfifo', 'limit', '30');
    for (const port of ports) {
      run(
        'tc',
        ...['filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32'],
        ...['match', 'ip', 'protocol', '17', '0xff', 'match', 'ip', 'dport', String(port), '0xffff'],
        ...['flowid', '1:2'],
      );
    }
  } catch (error) {
    tryRun('tc', 'qdisc', 'del', 'dev', 'lo', 'root');
    throw error;
  }
  let restored = false;
  return {
    ports,
    stats() {
      const out = run('tc', '-s', 'class', 'show', 'dev', 'lo', 'classid', '1:2');
      const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+)/.exec(out);
      return { bytes: Number(m?.[1] ?? NaN), packets: Number(m?.[2] ?? NaN), dropped: Number(m?.[3] ?? NaN) };
    },
    restore() {
      if (restored) return;
      restored = true;
      tryRun('tc', 'qdisc', 'del', 'dev', 'lo', 'root');
    },
  };
}
