/**
 * A TCP proxy on 127.0.0.1 for fault injection: point a client at it, then cut what lies behind.
 *
 *  - `forward`: bytes pass both ways.
 *  - `refuse`: as a server that went down: the listener closes (new connections are refused) and
 *    every open connection is reset.
 *  - `blackhole`: as a cut cable: connections stay open (new ones are accepted, and go no
 *    further), nothing passes either way. Held bytes are delivered when the cable is restored if
 *    both ends are still open (TCP would retransmit them); an end that closed meanwhile is never
 *    told to the other: a server whose client gave up keeps a silent half-open connection, as
 *    after a real cut; a client whose server end closed is reset on restore (its next send would
 *    be answered so).
 *  - `lose-replies`: requests pass, answers are held (a reply lost on the way): the server does
 *    the work, the client never hears of it.
 * Loopback only: it listens on 127.0.0.1 and forwards to 127.0.0.1.
 */
import net from 'node:net';

/** What the proxy does with traffic. */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole' | 'lose-replies';

/** A running proxy. */
export interface TcpProxy {
  /** The port it listens on (the same in every mode). */
  readonly port: number;
  readonly mode: ProxyMode;
  /** Client connections open now. */
  readonly connections: number;
  /** `url` (a postgres:// URL) with its host and port replaced by the proxy's. */
  via(url: string): string;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  toUpstream: Buffer[];
  toClient: Buffer[];
  clientClosed: boolean;
  upstreamClosed: boolean;
}

/** Starts a proxy to 127.0.0.1:targetPort (default PostgreSQL's 5432) on a free port. */
export async function startTcpProxy(targetPort = 5432): Promise<TcpProxy> {
  const host = '127.0.0.1';
  const pairs = new Set<Pair>();
  /** Server ends whose client gave up during a cut: open, silent, until the proxy closes. */
  const zombies = new Set<net.Socket>();
  let mode: ProxyMode = 'forward';
  let server: net.Server | undefined;
  let port = 0;

  const upstreamPasses = () => mode === 'forward' || mode === 'lose-replies';
  const clientPasses = () => mode === 'forward';

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect({ host, port: targetPort });
    pair.upstream = upstream;
    upstream.on('data', (chunk) => {
      if (!pairs.has(pair)) return;
      if (clientPasses()) pair.client.write(chunk);
      else pair.toClient.push(chunk);
    });
    upstream.on('error', () => undefined);
    upstream.on('close', () => {
      pair.upstreamClosed = true;
      if (!pairs.has(pair)) return;
      if (clientPasses()) drop(pair);
    });
  };

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    reset(pair.client);
    if (pair.upstream) reset(pair.upstream);
  };

  const accept = (client: net.Socket) => {
    const pair: Pair = {
      client,
      upstream: undefined,
      toUpstream: [],
      toClient: [],
      clientClosed: false,
      upstreamClosed: false,
    };
    pairs.add(pair);
    // A connection accepted during a cut gets no further: its SYN would not have arrived.
    if (mode !== 'blackhole') connectUpstream(pair);
    client.on('data', (chunk) => {
      if (!pairs.has(pair)) return;
      if (upstreamPasses() && pair.upstream) pair.upstream.write(chunk);
      else pair.toUpstream.push(chunk);
    });
    client.on('error', () => undefined);
    client.on('close', () => {
      pair.clientClosed = true;
      if (!pairs.has(pair)) return;
      // Its close reaches the server only where bytes pass that way.
      if (upstreamPasses()) drop(pair);
    });
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(accept);
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stopListening = () => {
    const s = server;
    server = undefined;
    return new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  };

  /** Delivers what was held in the directions that now pass; settles pairs broken meanwhile. */
  const release = () => {
    for (const pair of [...pairs]) {
      if (pair.clientClosed) {
        pairs.delete(pair);
        if (pair.upstream && !pair.upstreamClosed) zombies.add(pair.upstream);
        continue;
      }
      if (pair.upstreamClosed) {
        drop(pair);
        continue;
      }
      if (upstreamPasses()) {
        if (!pair.upstream) connectUpstream(pair);
        for (const chunk of pair.toUpstream.splice(0)) pair.upstream!.write(chunk);
      }
      if (clientPasses()) for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
    }
  };

  await listen();

  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get connections() {
      return pairs.size;
    },
    via(url) {
      const u = new URL(url);
      u.hostname = host;
      u.port = String(port);
      return u.toString();
    },
    async setMode(next) {
      if (next === mode) return;
      const previous = mode;
      mode = next;
      if (next === 'refuse') {
        const closed = stopListening();
        for (const pair of [...pairs]) drop(pair);
        for (const z of zombies) reset(z);
        zombies.clear();
        await closed;
        return;
      }
      if (previous === 'refuse') await listen();
      release();
    },
    async close() {
      mode = 'refuse';
      const closed = stopListening();
      for (const pair of [...pairs]) drop(pair);
      for (const z of zombies) reset(z);
      zombies.clear();
      await closed;
    },
  };
}

function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
