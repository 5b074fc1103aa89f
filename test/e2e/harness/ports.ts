/**
 * Free ports for servers a test starts, found by asking the kernel (bind to port 0).
 */
import dgram from 'node:dgram';
import net from 'node:net';

const MAX_ATTEMPTS = 20;

/** A TCP port free on `ip` now (another process may take it before the caller binds it). */
export function freeTcpPort(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, ip, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function udpPortFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(ip.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, ip, () => socket.close(() => resolve(true)));
  });
}

/**
 * A port that is free for both TCP and UDP on `ip` (a mediasoup WebRtcServer binds both) and
 * outside `avoid` (e.g. the pool's PlainTransport range). Another process may still take it
 * before the caller binds it; callers bind it at once.
 */
export async function findFreeRtcPort(ip: string, avoid?: { min: number; max: number }): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await freeTcpPort(ip);
    if (avoid && port >= avoid.min && port <= avoid.max) continue;
    if (await udpPortFree(ip, port)) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${ip} after ${MAX_ATTEMPTS} attempts`);
}
