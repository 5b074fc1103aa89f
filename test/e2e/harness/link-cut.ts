/**
 * Cuts one browser's network as a pulled cable would, inside the test's own network namespace
 * (nftables; never on a host's): every packet of the browser's signalling connection and of its
 * UDP (ICE/media) sockets is dropped silently in both directions — no FIN, no RST — and so is any
 * new connection to the server's port or media port meanwhile (the reconnection attempts). The
 * other browsers' established connections are untouched. `restore()` lets everything through
 * again; the sockets the browser had are the same, so TCP retransmits and ICE picks up.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { TestBrowser } from './browsers';

const TABLE = 'seduta_link_cut';

/** A cut in progress. */
export interface LinkCut {
  /** The local ports whose packets are dropped. */
  readonly ports: readonly number[];
  restore(): void;
}

/** Drops the browser's traffic to and from the server until `restore()`. */
export async function cutLink(
  browser: TestBrowser,
  server: { port: number; mediaPort: number },
): Promise<LinkCut> {
  const pids = descendants(await browser.pids());
  if (pids.size === 0) throw new Error(`no process found for the ${browser.name} browser`);
  const ports = browserPorts(pids, server.port);
  if (ports.length === 0) throw new Error(`the ${browser.name} browser has no socket to cut`);
  const nft = (...args: string[]) => execFileSync('nft', args, { stdio: 'pipe' });
  try {
    nft('delete', 'table', 'inet', TABLE);
  } catch {
    // not there: the usual case
  }
  nft('add', 'table', 'inet', TABLE);
  nft('add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority -10; }');
  const set = `{ ${ports.join(', ')} }`;
  // Everything in the namespace is local: each packet passes the output hook once.
  nft('add', 'rule', 'inet', TABLE, 'out', 'meta', 'l4proto', '{ tcp, udp }', 'th', 'sport', set, 'drop');
  nft('add', 'rule', 'inet', TABLE, 'out', 'meta', 'l4proto', '{ tcp, udp }', 'th', 'dport', set, 'drop');
  nft('add', 'rule', 'inet', TABLE, 'out', 'tcp', 'dport', String(server.port), 'ct', 'state', 'new', 'drop');
  nft(
    'add',
    'rule',
    'inet',
    TABLE,
    'out',
    'udp',
    'dport',
    String(server.mediaPort),
    'ct',
    'state',
    'new',
    'drop',
  );
  let restored = false;
  return {
    ports,
    restore() {
      if (restored) return;
      restored = true;
      nft('delete', 'table', 'inet', TABLE);
    },
  };
}

/** The pids and every process below them. */
export function descendants(roots: readonly number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (out.has(pid)) continue;
    out.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Local ports of the browser's sockets that matter: TCP connections to the server's port (its
 * signalling) and every UDP socket (ICE). Not its other TCP sockets (Firefox's WebDriver BiDi
 * connection to the test runs over one).
 */
function browserPorts(pids: ReadonlySet<number>, serverPort: number): number[] {
  const out = execFileSync('ss', ['-tunapH'], { encoding: 'utf8' });
  const ports = new Set<number>();
  for (const line of out.split('\n')) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    if (!owners.some((pid) => pids.has(pid))) continue;
    const cols = line.trim().split(/\s+/);
    const [netid, , , , local, peer] = cols;
    const localPort = Number(local?.slice(local.lastIndexOf(':') + 1));
    const peerPort = Number(peer?.slice(peer.lastIndexOf(':') + 1));
    if (!Number.isInteger(localPort) || localPort === 0) continue;
    if (netid === 'udp' || (netid === 'tcp' && peerPort === serverPort)) ports.add(localPort);
  }
  return [...ports];
}
