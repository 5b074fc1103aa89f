/**
 * What a test watches on a page while the network, the media worker or the database misbehaves:
 * the camera video decoding again, a notice appearing or going, the chat lines shown, the page's
 * client state (for failure messages). Each wait is bounded.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { TestPage } from './browsers';
import { seen } from './testids';

/**
 * Waits until a camera video on the page decodes new frames, watched in the page itself every
 * 100 ms from `from` on (the page and the test share the machine's clock); returns when the first
 * new frame was seen.
 */
export async function cameraFlowing(page: TestPage, timeout: number, from = Date.now()): Promise<number> {
  while (Date.now() < from) await delay(50);
  const seenAt = await within(
    timeout + 5_000,
    `camera video on ${page.browserName}`,
    page.evaluate(async (limitMs: number) => {
      type Stream = { kind: string; source: string; consumerId: string; framesDecoded: number };
      const w = window as unknown as { __sedutaInbound?: () => Promise<Stream[]> };
      const deadline = Date.now() + limitMs;
      const last = new Map<string, number>();
      while (Date.now() < deadline) {
        // A transport closed in the middle of getStats() may never answer (Firefox): bounded.
        const sample = await Promise.race([
          w.__sedutaInbound?.() ?? Promise.resolve([]),
          new Promise<Stream[]>((resolve) => setTimeout(() => resolve([]), 1_000)),
        ]);
        const streams = sample.filter((s) => s.kind === 'video' && s.source === 'camera');
        const now = Date.now();
        for (const s of streams) {
          const before = last.get(s.consumerId);
          if (before !== undefined && s.framesDecoded > before) return now;
          last.set(s.consumerId, s.framesDecoded);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return 0;
    }, timeout),
  );
  if (seenAt === 0) {
    throw new Error(
      `no camera video decoding on ${page.browserName} within ${timeout} ms\n${page.logs.slice(-20).join('\n')}`,
    );
  }
  return seenAt;
}

/** A stream the page receives, as its client's inbound stats give it. */
export type InboundStream = { kind: string; source: string; consumerId: string; framesDecoded: number };

/** The camera streams the page receives now (its client's inbound stats). */
export async function cameraStreams(page: TestPage): Promise<InboundStream[]> {
  const streams = await page.evaluate(async () => {
    const w = window as unknown as { __sedutaInbound?: () => Promise<InboundStream[]> };
    return Promise.race([
      w.__sedutaInbound?.() ?? Promise.resolve([]),
      new Promise<InboundStream[]>((resolve) => setTimeout(() => resolve([]), 1_000)),
    ]);
  });
  return streams.filter((s) => s.kind === 'video' && s.source === 'camera');
}

/**
 * Waits until a camera stream the page did not have before (`before`: consumer ids) decodes new
 * frames, so that frames still in the old stream's buffer do not count; returns when it did.
 */
export async function newCameraDecoding(
  page: TestPage,
  before: Set<string>,
  timeout: number,
): Promise<number> {
  const deadline = Date.now() + timeout;
  const last = new Map<string, number>();
  while (Date.now() < deadline) {
    for (const s of await cameraStreams(page)) {
      if (before.has(s.consumerId)) continue;
      const previous = last.get(s.consumerId);
      if (previous !== undefined && s.framesDecoded > previous) return Date.now();
      last.set(s.consumerId, s.framesDecoded);
    }
    await delay(100);
  }
  throw new Error(`no new camera stream decoding on ${page.browserName} within ${timeout} ms`);
}

/** `promise`, or an error naming `what` after `ms` (a browser call that hangs must not hang the test). */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What {@link clientState} reads of a page's SittingClient. */
export interface ClientState {
  element: string;
  phase: unknown;
  connection?: string;
  reconnecting?: boolean;
  participantId: unknown;
  remote: { consumerId: string; producerId: string; kind: string; source: string; paused: boolean }[];
  transports: Record<string, unknown>[];
}

/**
 * The page's SittingClient as the component that made it holds it (looked for through shadow
 * roots: an operator's view sits inside the sitting page's), for waits and failure messages: its
 * phase and connection, the tracks it receives, and — unless `transports` is false, for a wait that
 * polls often — the ICE and DTLS state of its receive transport. Null when the page has no client.
 */
export async function clientState(page: TestPage, transports = true): Promise<ClientState | null> {
  return page.evaluate(async (withTransports: boolean) => {
    type Remote = ClientState['remote'][number];
    type Found = { el: Element; client: Record<string, unknown> };
    const find = (root: Document | ShadowRoot): Found | null => {
      for (const el of root.querySelectorAll('*')) {
        const client = (el as unknown as { client?: Record<string, unknown> }).client;
        if (client && typeof client === 'object' && 'phase' in client) return { el, client };
        const inner = el.shadowRoot ? find(el.shadowRoot) : null;
        if (inner) return inner;
      }
      return null;
    };
    const found = find(document);
    if (!found) return null;
    const { el, client } = found;
    const stats = (window as unknown as { __sedutaStats?: () => Promise<RTCStatsReport[]> }).__sedutaStats;
    // A transport closed in the middle of getStats() may never answer (Firefox): bounded.
    const reports = withTransports
      ? await Promise.race([
          stats?.() ?? Promise.resolve([]),
          new Promise<RTCStatsReport[]>((resolve) => setTimeout(() => resolve([]), 1_000)),
        ])
      : [];
    return {
      element: el.localName,
      phase: client.phase,
      connection: client.connection as string | undefined,
      reconnecting: client.reconnecting as boolean | undefined,
      participantId: client.participantId,
      remote: ((client.remote as Remote[] | undefined) ?? []).map((r) => ({
        consumerId: r.consumerId,
        producerId: r.producerId,
        kind: r.kind,
        source: r.source,
        paused: r.paused,
      })),
      transports: reports.flatMap((report) =>
        [...report.values()]
          .filter((s: { type: string }) => s.type === 'transport' || s.type === 'candidate-pair')
          .map((s: Record<string, unknown>) => ({
            type: s.type,
            state: s.dtlsState ?? s.state,
            ...(s.type === 'transport' ? { ice: s.iceState } : { nominated: s.nominated }),
          })),
      ),
    };
  }, transports);
}

export async function waitGone(page: TestPage, testid: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (!(await seen(page)).some((n) => n.testid === testid)) return;
    await delay(100);
  }
  throw new Error(`${testid} still shown on ${page.browserName} after ${timeout} ms`);
}

export async function chatTexts(page: TestPage): Promise<string[]> {
  return (await seen(page)).filter((n) => n.testid === 'chat-text').map((n) => n.text);
}

export async function waitChat(
  page: TestPage,
  ok: (texts: string[]) => boolean,
  timeout = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await chatTexts(page);
    if (ok(last)) return;
    await delay(100);
  }
  throw new Error(`the chat on ${page.browserName} never matched (last: ${JSON.stringify(last)})`);
}
