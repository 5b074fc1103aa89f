/**
 * The counting sink: a separate process that receives every forwarded packet on a few UDP sockets
 * with large receive buffers, counts RTP packets per SSRC (the SRTP header is not encrypted, so
 * nothing is decrypted) and reports its own CPU. The native sink (sink.c, recvmmsg, built once with
 * the system C compiler into ~/.cache/seduta/bench) costs far less per packet than the SFU; when no
 * compiler is present, a Node sink (this file run as `--child`, over IPC) takes its place.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pinnedCommand } from './cpu';

/** Packets seen by the sink so far (cumulative; the benchmark subtracts two snapshots). */
export interface SinkSnapshot {
  /** RTP packets per SSRC. */
  rtp: Record<number, number>;
  /** RTCP packets (sender reports from the forwarders), all SSRCs together. */
  rtcp: number;
  bytes: number;
  /** The sink's own user + system CPU so far, in µs. */
  cpuUs: number;
}

/** A running sink process. */
export interface Sink {
  readonly pid: number;
  /** 'native' (sink.c) or 'node' (the fallback). */
  readonly kind: 'native' | 'node';
  /** Whether packets wake the sink ('wake') or it drains its sockets every millisecond ('sleep'). */
  readonly mode: SinkMode;
  /** Ports of the sink's sockets on 127.0.0.1; spread destinations over them. */
  readonly ports: number[];
  snapshot(): Promise<SinkSnapshot>;
  close(): Promise<void>;
}

type ToChild = { type: 'snapshot'; id: number };
type FromChild = { type: 'ready'; ports: number[] } | ({ type: 'snapshot'; id: number } & SinkSnapshot);

/** Receive buffer of each sink socket; Linux caps it at net.core.rmem_max. */
const RECV_BUFFER_BYTES = 8 * 1024 * 1024;

/** Starts a sink with `sockets` sockets, pinned to `cpu` when possible: native if it can be built. */
export async function startSink(sockets: number, cpu?: number, mode: SinkMode = 'sleep'): Promise<Sink> {
  const binary = nativeSinkBinary();
  return binary ? startNativeSink(binary, sockets, cpu, mode) : startNodeSink(sockets, cpu);
}

/**
 * How the native sink waits: 'sleep' drains its sockets every millisecond without ever waiting on them
 * (the sender never wakes it, as with a remote viewer); 'wake' blocks on the sockets and is woken by
 * every burst. The Node sink is always woken.
 */
export type SinkMode = 'sleep' | 'wake';

/** Path of the compiled native sink (building it if needed), or undefined when there is no C compiler. */
function nativeSinkBinary(): string | undefined {
  const source = fileURLToPath(new URL('./sink.c', import.meta.url));
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const dir = path.join(os.homedir(), '.cache', 'seduta', 'bench');
  const binary = path.join(dir, `sink-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  const cc = process.env.CC ?? 'cc';
  const built = spawnSync(cc, ['-O2', '-Wall', '-o', partial, source], { stdio: 'inherit' });
  if (built.status !== 0) return undefined;
  renameSync(partial, binary);
  return binary;
}

async function startNativeSink(
  binary: string,
  sockets: number,
  cpu: number | undefined,
  mode: SinkMode,
): Promise<Sink> {
  const [command, args] = pinnedCommand(cpu, binary, [String(sockets), String(RECV_BUFFER_BYTES), mode]);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const nextLine = (what: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`native sink: no ${what} within 10 s`)), 10_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const first = await Promise.race([
    nextLine('ports'),
    exited.then(() => {
      throw new Error(`native sink exited with ${child.exitCode}`);
    }),
  ]);
  const ports = first.split(' ').slice(1).map(Number);
  // One snapshot at a time: the protocol answers requests in order.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    pid: child.pid!,
    kind: 'native',
    mode,
    ports,
    snapshot() {
      const next = queue.then(async () => {
        const reply = nextLine('snapshot');
        child.stdin.write('s\n');
        return JSON.parse(await reply) as SinkSnapshot;
      });
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end('q\n');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    },
  };
}

async function startNodeSink(sockets: number, cpu?: number): Promise<Sink> {
  const [command, args] = pinnedCommand(cpu, process.execPath, [
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--child',
    String(sockets),
  ]);
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, (s: SinkSnapshot) => void>();
  let nextId = 1;
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sink did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`sink exited with ${code} before it was ready`)));
    child.on('message', (msg: FromChild) => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg.ports);
      } else {
        pending.get(msg.id)?.(msg);
        pending.delete(msg.id);
      }
    });
  });
  return {
    pid: child.pid!,
    kind: 'node',
    mode: 'wake',
    ports,
    snapshot() {
      const id = nextId++;
      return new Promise<SinkSnapshot>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('sink did not answer within 10 s')), 10_000);
        pending.set(id, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        child.send({ type: 'snapshot', id } satisfies ToChild);
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The child side: binds the sockets, counts, answers snapshots; exits when its parent goes. */
async function runChild(sockets: number): Promise<void> {
  const rtp = new Map<number, number>();
  let rtcp = 0;
  let bytes = 0;
  const onMessage = (msg: Buffer): void => {
    bytes += msg.length;
    // RTCP packet types 200-206 sit where RTP keeps its marker bit and payload type.
    const pt = msg[1]!;
    if (pt >= 200 && pt <= 206) {
      rtcp += 1;
      return;
    }
    const ssrc = msg.readUInt32BE(8);
    rtp.set(ssrc, (rtp.get(ssrc) ?? 0) + 1);
  };
  const bound = await Promise.all(
    Array.from({ length: sockets }, async () => {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECV_BUFFER_BYTES });
      socket.on('message', onMessage);
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      return socket;
    }),
  );
  process.on('message', (msg: ToChild) => {
    if (msg.type !== 'snapshot') return;
    const usage = process.cpuUsage();
    const reply: FromChild = {
      type: 'snapshot',
      id: msg.id,
      rtp: Object.fromEntries(rtp),
      rtcp,
      bytes,
      cpuUs: usage.user + usage.system,
    };
    process.send!(reply);
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.send!({ type: 'ready', ports: bound.map((s) => s.address().port) } satisfies FromChild);
}

if (process.argv[2] === '--child') void runChild(Number(process.argv[3] ?? 1));
