/**
 * Loopback UDP ports for FFmpeg to listen on. FFmpeg's SDP input binds the RTP port and the port
 * above it (for RTCP, even with rtcp-mux), so ports are handed out in pairs.
 */
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const LOOPBACK = '127.0.0.1';
const PAIR_ATTEMPTS = 50;
const POLL_MS = 20;

/** An even port P on 127.0.0.1 such that P and P + 1 were both free a moment ago. */
export async function freeUdpPortPair(): Promise<number> {
  for (let i = 0; i < PAIR_ATTEMPTS; i++) {
    const first = await bind(0);
    const port = first.address().port;
    const base = port % 2 === 0 ? port : port - 1;
    const other = await bind(base === port ? port + 1 : base).catch(() => undefined);
    await close(first);
    if (other) {
      await close(other);
      return base;
    }
  }
  throw new Error('no free pair of UDP ports on 127.0.0.1');
}

/**
 * Resolves once some process listens on UDP 127.0.0.1:port (read from /proc/net/udp, so that
 * checking never races FFmpeg for the port); rejects after timeoutMs.
 */
export async function waitUdpBound(port: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const needle = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const table = await readFile('/proc/net/udp', 'utf8');
    if (table.includes(needle)) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on udp ${LOOPBACK}:${port} after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

function bind(port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind(port, LOOPBACK, () => resolve(socket));
  });
}

function close(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
