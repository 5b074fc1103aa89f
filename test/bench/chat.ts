/**
 * Chat under load (issue 15): N signalling participants joined to one live sitting of the real
 * server (in its own process, control-plane.ts), sending chat lines at a fixed total rate, round
 * robin, so every client keeps the same spacing between its own lines. For each line: send → ack
 * latency (the sender's `chat.send` reply) and whether it was refused `rate_limited`.
 *
 * The clients are lean: they speak socket.io's wire format over a plain WebSocket and only decode
 * acknowledgements; the chat lines fanned out to them (N per line) are counted by their prefix, not
 * parsed. With socket.io-client, 300 clients decoding 15,000 notifications per second in this one
 * process would measure this process, not the server. The client process's own event-loop delay is
 * reported so a slow client side can still be told apart.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
// A dependency of socket.io's engine (no package of its own here): a plain WebSocket client.
import WebSocket from 'ws';
import { EVENTS } from '@seduta/server/protocol';
import { cpuMicros } from './cpu';
import { startServerChild } from './control-plane';
import type { ServerChild } from './control-plane';
import { percentile } from './join-steps';
import { round } from './measure';

/** One chat phase: a total rate spread evenly over every participant. */
export interface ChatPhase {
  participants: number;
  /** Lines per second, all participants together. */
  ratePerS: number;
  /** What each participant sent, in lines per 10 s (the limit is 5 per 10 s). */
  linesPerClientPer10s: number;
  durationS: number;
  sent: number;
  /** Accepted (acknowledged with the stored line). */
  acked: number;
  /** Refused `rate_limited`, although every client kept under the limit. */
  refusedRateLimited: number;
  /** Refused for another reason, or no reply within 10 s. */
  failed: number;
  /** Send → ack of the accepted lines, nearest rank. */
  ackP50Ms: number | null;
  ackP95Ms: number | null;
  ackP99Ms: number | null;
  ackMaxMs: number | null;
  /** Chat lines the participants received (the fan-out), and that number per accepted line. */
  delivered: number;
  deliveredPerLine: number | null;
  /** Server process CPU during the phase: % of one core, and ms per accepted line (fan-out included). */
  serverCpuPct: number;
  serverCpuMsPerLine: number | null;
  /** This (client) process's event-loop delay p99 during the phase: high means the clients were late. */
  clientLoopDelayP99Ms: number;
}

/** The chat benchmark's figures. */
export interface ChatFigures {
  participants: number;
  /** Every participant connected and joined at once, before the phases. */
  joinAllAtOnce: {
    joined: number;
    failed: number;
    p50Ms: number | null;
    p95Ms: number | null;
    durationS: number;
  };
  phases: ChatPhase[];
}

interface Reply {
  ok: boolean;
  error?: { code: string; message: string };
}

/** A signalling client speaking Engine.IO 4 / Socket.IO 5 directly; decodes only acks. */
class LeanClient {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  #nextId = 0;
  /** `chat.message` notifications received. */
  chatLines = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  /** Connects as whoever `cookie` signs in, to `sittingId`; rejects if the handshake is refused. */
  static connect(url: string, cookie: string, sittingId: string, timeoutMs: number): Promise<LeanClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      headers: { cookie },
    });
    const client = new LeanClient(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no socket.io connect within the timeout'));
      }, timeoutMs);
      ws.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      ws.on('message', (raw) => {
        const text = raw.toString();
        const type = text[0];
        if (type === '0') ws.send(`40${JSON.stringify({ sittingId })}`);
        else if (type === '2') ws.send('3');
        else if (text.startsWith('40')) {
          clearTimeout(timer);
          resolve(client);
        } else if (text.startsWith('44')) {
          clearTimeout(timer);
          ws.close();
          reject(new Error(`handshake refused: ${text.slice(2, 200)}`));
        } else if (text.startsWith('43')) client.#ack(text);
        else if (text.startsWith(`42["${EVENTS.notification}",{"type":"chat.message"`)) client.chatLines++;
      });
    });
  }

  /** Sends a request and resolves with its reply (a timeout is a failed reply). */
  request(msg: Record<string, unknown>, timeoutMs = 10_000): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ ok: false, error: { code: 'timeout', message: 'no reply' } });
      }, timeoutMs);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.#ws.send(`42${id}${JSON.stringify([EVENTS.request, msg])}`);
    });
  }

  close(): void {
    this.#ws.terminate();
  }

  #ack(text: string): void {
    const bracket = text.indexOf('[');
    const id = Number(text.slice(2, bracket));
    const done = this.#pending.get(id);
    if (!done) return;
    this.#pending.delete(id);
    done((JSON.parse(text.slice(bracket)) as Reply[])[0]!);
  }
}

/**
 * Joins `participants` at once to the sitting of `server` (a server child left running, or one
 * started and stopped here), then runs each phase in turn (total lines per second, for `seconds`).
 */
export async function chatBench(opts: {
  participants: number;
  phases: { ratePerS: number; seconds: number }[];
  server?: ServerChild;
  log?: (message: string) => void;
}): Promise<ChatFigures> {
  const { operatorPassCookie } = await import('../support/server');
  const server = opts.server ?? (await startServerChild());
  const clients: LeanClient[] = [];
  try {
    const cookies = await Promise.all(
      Array.from({ length: opts.participants }, (_, i) =>
        operatorPassCookie(server.sittingId, `Partecipante ${i + 1}`, `chat-${i + 1}`),
      ),
    );
    // --- Everybody at once: connect and join.
    const joinLatencies: number[] = [];
    let joinFailed = 0;
    const t0 = performance.now();
    await Promise.all(
      cookies.map(async (cookie) => {
        const started = performance.now();
        try {
          const client = await LeanClient.connect(server.url, cookie, server.sittingId, 30_000);
          clients.push(client);
          const reply = await client.request({ type: 'join' }, 30_000);
          if (!reply.ok) throw new Error(reply.error?.code);
          joinLatencies.push(performance.now() - started);
        } catch {
          joinFailed++;
        }
      }),
    );
    const joinAllAtOnce = {
      joined: joinLatencies.length,
      failed: joinFailed,
      p50Ms: roundOrNull(percentile(joinLatencies, 0.5)),
      p95Ms: roundOrNull(percentile(joinLatencies, 0.95)),
      durationS: round((performance.now() - t0) / 1000, 2),
    };
    opts.log?.(
      `chat: ${joinAllAtOnce.joined} participants joined at once (${joinFailed} failed), ` +
        `p95 ${joinAllAtOnce.p95Ms} ms`,
    );
    if (clients.length === 0) throw new Error('no chat participant could join');
    await sleep(1000);
    const phases: ChatPhase[] = [];
    for (const phase of opts.phases) {
      // Between phases: the last one's lines and fan-out are done.
      if (phases.length > 0) await sleep(2000);
      phases.push(await runPhase(clients, server.pid, phase.ratePerS, phase.seconds));
      const p = phases.at(-1)!;
      opts.log?.(
        `chat: ${p.participants} participants at ${p.ratePerS} lines/s (${p.linesPerClientPer10s} per client per 10 s): ` +
          `ack p50 ${p.ackP50Ms} ms, p95 ${p.ackP95Ms} ms, p99 ${p.ackP99Ms} ms; ${p.refusedRateLimited} refused rate_limited, ` +
          `${p.failed} failed; server ${p.serverCpuPct}% CPU`,
      );
    }
    return { participants: opts.participants, joinAllAtOnce, phases };
  } finally {
    for (const c of clients) c.close();
    if (!opts.server) await server.close();
  }
}

async function runPhase(
  clients: LeanClient[],
  serverPid: number,
  ratePerS: number,
  seconds: number,
): Promise<ChatPhase> {
  const total = Math.round(ratePerS * seconds);
  const interval = 1000 / ratePerS;
  const latencies: number[] = [];
  let refused = 0;
  let failed = 0;
  const deliveredBefore = clients.reduce((n, c) => n + c.chatLines, 0);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpuBefore = cpuMicros(serverPid);
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const wait = t0 + k * interval - performance.now();
    if (wait > 1) await sleep(wait);
    const client = clients[k % clients.length]!;
    const sent = performance.now();
    inFlight.push(
      client.request({ type: 'chat.send', text: `riga ${k}` }).then((reply) => {
        if (reply.ok) latencies.push(performance.now() - sent);
        else if (reply.error?.code === 'rate_limited') refused++;
        else failed++;
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - t0;
  const cpuMs = (cpuMicros(serverPid) - cpuBefore) / 1000;
  loop.disable();
  // Let the last lines' fan-out arrive before counting it.
  await sleep(500);
  const delivered = clients.reduce((n, c) => n + c.chatLines, 0) - deliveredBefore;
  return {
    participants: clients.length,
    ratePerS,
    linesPerClientPer10s: round((ratePerS / clients.length) * 10, 2),
    durationS: round(elapsedMs / 1000, 2),
    sent: total,
    acked: latencies.length,
    refusedRateLimited: refused,
    failed,
    ackP50Ms: roundOrNull(percentile(latencies, 0.5)),
    ackP95Ms: roundOrNull(percentile(latencies, 0.95)),
    ackP99Ms: roundOrNull(percentile(latencies, 0.99)),
    ackMaxMs: roundOrNull(latencies.length ? Math.max(...latencies) : null),
    delivered,
    deliveredPerLine: latencies.length ? round(delivered / latencies.length, 1) : null,
    serverCpuPct: round((cpuMs / elapsedMs) * 100, 1),
    serverCpuMsPerLine: latencies.length ? round(cpuMs / latencies.length, 2) : null,
    clientLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
  };
}

function roundOrNull(v: number | null): number | null {
  return v === null ? null : round(v, 1);
}
