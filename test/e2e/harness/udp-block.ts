/**
 * A network that blocks UDP, as many company firewalls do, inside the test's own network
 * namespace (nftables; never a host's): every UDP datagram to or from one server's ip:port (the
 * media server's WebRtcServer port, or coturn's) is dropped, except those of the sockets some
 * browsers (the host's, on the entity's own network) already have. Browsers that join afterwards
 * can reach that server only over TCP: ICE-TCP on the WebRtcServer's port, TURN over TCP to
 * coturn. `restore()` lets UDP through again.
 */
import { execFileSync } from 'node:child_process';
import type { TestBrowser } from './browsers';
import { descendants } from './link-cut';

const TABLE = 'seduta_udp_block';

/** A block in place. */
export interface UdpBlock {
  /** Local UDP ports (of the exempted browsers) still let through. */
  readonly exemptPorts: readonly number[];
  /** Datagrams dropped so far (nftables counter). */
  dropped(): number;
  restore(): void;
}

/** Drops UDP between every socket but the exempted browsers' current ones and server ip:port. */
export async function blockUdp(
  server: { ip: string; port: number },
  exempt: readonly TestBrowser[] = [],
): Promise<UdpBlock> {
  if (!process.env.SEDUTA_E2E_NETNS) {
    throw new Error('blockUdp changes nftables: run inside the test namespace (node scripts/netns.mjs)');
  }
  const exemptPorts: number[] = [];
  for (const browser of exempt) {
    const pids = descendants(await browser.pids());
    if (pids.size === 0) throw new Error(`no process found for the ${browser.name} browser`);
    exemptPorts.push(...udpPorts(pids));
  }
  const nft = (...args: string[]) => execFileSync('nft', args, { encoding: 'utf8', stdio: 'pipe' });
  try {
    nft('delete', 'table', 'inet', TABLE);
  } catch {
    // not there: the usual case
  }
  nft('add', 'table', 'inet', TABLE);
  nft('add', 'counter', 'inet', TABLE, 'dropped');
  // Everything in the namespace is local: each datagram passes the output hook once.
  nft('add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority -10; }');
  const except = (field: 'sport' | 'dport') =>
    exemptPorts.length === 0 ? [] : ['udp', field, '!=', `{ ${exemptPorts.join(', ')} }`];
  // To the server, from a socket that is not exempt...
  nft(
    'add',
    'rule',
    'inet',
    TABLE,
    'out',
    'ip',
    'daddr',
    server.ip,
    'udp',
    'dport',
    String(server.port),
    ...except('sport'),
    'counter',
    'name',
    'dropped',
    'drop',
  );
  // ...and from it, to a socket that is not exempt.
  nft(
    'add',
    'rule',
    'inet',
    TABLE,
    'out',
    'ip',
    'saddr',
    server.ip,
    'udp',
    'sport',
    String(server.port),
    ...except('dport'),
    'counter',
    'name',
    'dropped',
    'drop',
  );
  let restored = false;
  return {
    exemptPorts,
    dropped() {
      const out = nft('list', 'counter', 'inet', TABLE, 'dropped');
      return Number(/packets (\d+)/.exec(out)?.[1] ?? NaN);
    },
    restore() {
      if (restored) return;
      restored = true;
      nft('delete', 'table', 'inet', TABLE);
    },
  };
}

/** Local ports of the UDP sockets owned by pids. */
function udpPorts(pids: ReadonlySet<number>): number[] {
  const out = execFileSync('ss', ['-uanpH'], { encoding: 'utf8' });
  const ports = new Set<number>();
  for (const line of out.split('\n')) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    if (!owners.some((pid) => pids.has(pid))) continue;
    const local = line.trim().split(/\s+/)[3];
    const port = Number(local?.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return [...ports];
}
