/**
 * Where a browser join's time goes, step by step, on the page's clock and on the server's
 * (issue 15): the page's own marks (client/src/join-timing.ts, `window.__sedutaJoinTiming`) and the
 * server's, taken in this process (the benchmark runs the server in-process, see browser.ts):
 *
 * - every signalling request, when it arrives and when it is answered, per participant (the
 *   handler table is wrapped for the run: a test-only path, no server code changes);
 * - the handshake (AccessService.identifyConnection resolving);
 * - the viewer's receive transport ICE and DTLS state changes (mediasoup observer);
 * - the first keyframe request sent to the host's camera after the viewer's consumer was made, and
 *   the first keyframe the viewer's camera consumer sent (consumer trace events).
 *
 * All times become "ms after the click on the page's clock": a server time (Date.now()) is moved
 * onto the page clock with the page's own offset between `performance.timeOrigin + now()` and
 * `Date.now()` (same machine, same system clock).
 */
import type { types } from 'mediasoup';
import type { FastifyInstance } from 'fastify';
import { handlers } from '../../server/src/signalling/handlers';
import type { Connection } from '../../server/src/signalling/handlers';
import { round } from './measure';

/** Whose clock a step was read on. */
export type Clock = 'client' | 'server';

/** One step of the breakdown, in the order a join goes through them. */
export interface StepDef {
  id: string;
  clock: Clock;
  label: string;
}

/**
 * The steps, in their usual order (a step reached out of this order adds nothing to the path).
 * A step a client or server version does not take (e.g. capabilities merged into the join's
 * answer) is simply absent from a join: the table shows it as not taken.
 */
export const STEPS: readonly StepDef[] = [
  { id: 'client:socket', clock: 'client', label: 'socket connected (last before the join answer)' },
  { id: 'server:socket', clock: 'server', label: 'connection identified (handshake)' },
  { id: 'server:media.prepare', clock: 'server', label: 'capabilities given before the click' },
  { id: 'client:media.prepare', clock: 'client', label: 'capabilities received before the click' },
  { id: 'client:click', clock: 'client', label: 'click on "Partecipa"' },
  { id: 'server:join.in', clock: 'server', label: 'join request received' },
  { id: 'server:join', clock: 'server', label: 'join answered' },
  { id: 'client:join', clock: 'client', label: 'join answer received' },
  { id: 'client:join.applied', clock: 'client', label: "join answer's state handed to the page" },
  { id: 'client:device', clock: 'client', label: 'mediasoup device loaded' },
  { id: 'server:media.capabilities', clock: 'server', label: 'capabilities answered' },
  { id: 'client:media.capabilities', clock: 'client', label: 'capabilities answer received' },
  { id: 'server:transport.create', clock: 'server', label: 'recv transport created' },
  { id: 'client:transport.create', clock: 'client', label: 'transport answer received' },
  { id: 'server:consume', clock: 'server', label: 'first consumer created' },
  { id: 'server:camera.consumer', clock: 'server', label: 'camera consumer created' },
  { id: 'client:consume', clock: 'client', label: 'consume answer received' },
  { id: 'client:recv.consume', clock: 'client', label: 'first track handed to the peer connection' },
  { id: 'client:recv.answer', clock: 'client', label: 'remote offer applied, answer made' },
  { id: 'client:recv.wired', clock: 'client', label: 'answer applied (first track negotiated)' },
  { id: 'server:transport.connect', clock: 'server', label: "client's DTLS parameters set" },
  { id: 'client:transport.connect', clock: 'client', label: 'transport.connect answer received' },
  {
    id: 'client:recv.connecting',
    clock: 'client',
    label: 'recv transport connecting (remote description applied, ICE checks start)',
  },
  { id: 'server:ice.connected', clock: 'server', label: 'ICE connected' },
  { id: 'server:dtls.connected', clock: 'server', label: 'DTLS connected' },
  { id: 'client:recv.connected', clock: 'client', label: 'recv transport connected (ICE + DTLS)' },
  { id: 'server:consumer.resume', clock: 'server', label: 'consumer resumed' },
  { id: 'client:consumer.resume', clock: 'client', label: 'resume answer received' },
  { id: 'server:keyframe.requested', clock: 'server', label: 'keyframe requested from the host' },
  { id: 'server:keyframe.sent', clock: 'server', label: 'first keyframe sent to the viewer' },
  { id: 'client:frame', clock: 'client', label: 'first frame presented (rVFC)' },
];

/** One join: each step it took, in ms after the click (page clock); negative = before the click. */
export type JoinSteps = Record<string, number>;

/** One row of the breakdown over many joins. */
export interface StepRow {
  id: string;
  clock: Clock;
  label: string;
  /** Joins that took this step. */
  joins: number;
  /** When the step was reached, ms after the click (nearest-rank p50/p95). */
  atP50Ms: number | null;
  atP95Ms: number | null;
  /**
   * What the step added to the path: its time minus the latest step before it in {@link STEPS}
   * order (0 when it was reached earlier), so the added times of a join sum to its total.
   */
  addedP50Ms: number | null;
  addedP95Ms: number | null;
}

/** What the page reports (browser-pages.ts `__bench.joinTiming()`). */
export interface PageTiming {
  timeOrigin: number;
  /** `performance.timeOrigin + performance.now() − Date.now()` read in the page. */
  skewMs: number;
  clickAt: number | null;
  firstFrameAt: number | null;
  marks: { step: string; at: number }[];
}

/** A server-side event of one participant (by display name), at a Date.now()-based time. */
interface ServerEvent {
  step: string;
  wall: number;
}

/** Wall-clock ms with sub-ms resolution (Date.now()'s epoch). */
const wallNow = () => performance.timeOrigin + performance.now();

/**
 * Records the server's side of every join while installed. Participants are told apart by their
 * display name, which the benchmark makes unique per page.
 */
export class ServerJoinTrace {
  /** By display name (signalling) or `participant:<id>` (media, made before the join is answered). */
  readonly #events = new Map<string, ServerEvent[]>();
  /** Participant id → display name, from each joined connection. */
  readonly #names = new Map<string, string>();
  readonly #undo: (() => void)[] = [];
  /** Keyframe requests (PLI/FIR) sent to the host's camera, Date.now() times. */
  readonly #keyframeRequests: number[] = [];
  /** Requests the wrapped handlers saw: 0 after a join means the wrapping did not take. */
  handled = 0;

  /** Wraps the handlers and the handshake, and follows `router`'s new transports and consumers. */
  constructor(app: FastifyInstance, router: types.Router, camera: types.Producer) {
    const table = handlers as unknown as Record<
      string,
      (c: Connection, m: unknown, d: unknown) => Promise<unknown>
    >;
    for (const [type, original] of Object.entries(table)) {
      table[type] = async (c, m, d) => {
        this.handled++;
        this.#add(c.identity.name, `${type}.in`);
        const data = await original(c, m, d);
        const participantId = c.joined?.participant.id;
        if (participantId !== undefined) this.#names.set(participantId, c.identity.name);
        this.#add(c.identity.name, type);
        return data;
      };
      this.#undo.push(() => (table[type] = original));
    }
    const access = app.access as unknown as { identifyConnection: (...a: unknown[]) => Promise<unknown> };
    const identify = access.identifyConnection;
    access.identifyConnection = async (...args: unknown[]) => {
      const who = (await identify.apply(access, args)) as { identity?: { name?: string } };
      if (who.identity?.name) this.#add(who.identity.name, 'socket');
      return who;
    };
    this.#undo.push(() => (access.identifyConnection = identify));

    camera.on('trace', (trace) => {
      if (trace.direction === 'out' && this.#keyframeRequests.length < 10_000)
        this.#keyframeRequests.push(wallNow());
    });
    // Media is told apart by the participant id MediaRouter puts in each transport's appData (the
    // transport and consumers may be made inside the join request, before its answer names them).
    const onTransport = (transport: types.Transport) => {
      const appData = transport.appData as { participantId?: unknown; direction?: unknown };
      if (typeof appData.participantId !== 'string' || appData.direction === 'send') return;
      const key = `participant:${appData.participantId}`;
      const observer = transport.observer as unknown as NodeJS.EventEmitter;
      observer.on('icestatechange', (state: string) => {
        if (state === 'connected' || state === 'completed') this.#add(key, 'ice.connected');
      });
      observer.on('dtlsstatechange', (state: string) => {
        if (state === 'connected') this.#add(key, 'dtls.connected');
      });
      transport.observer.on('newconsumer', (consumer: types.Consumer) => {
        if (consumer.kind !== 'video' || consumer.producerId !== camera.id) return;
        this.#add(key, 'camera.consumer');
        let seen = false;
        let traced = 0;
        consumer.on('trace', (trace) => {
          // The viewer's own keyframe requests and the keyframes it was sent (a few, for the detail).
          if (traced++ < 12) this.#add(key, `trace.${trace.type}.${trace.direction}`);
          if (seen || trace.type !== 'keyframe' || trace.direction !== 'out') return;
          seen = true;
          this.#add(key, 'keyframe.sent');
        });
        consumer.enableTraceEvent(['keyframe', 'pli', 'fir']).catch(() => undefined);
        setTimeout(() => consumer.enableTraceEvent([]).catch(() => undefined), 3000).unref();
      });
    };
    router.observer.on('newtransport', onTransport);
    this.#undo.push(() => router.observer.off('newtransport', onTransport));
  }

  /** Puts the server back as it was (the handlers, the handshake, the router observer). */
  uninstall(): void {
    for (const undo of this.#undo.splice(0).reverse()) undo();
  }

  /**
   * The steps of one page's join: its own marks and the server's events for `name`, in ms after
   * its click. Null when the page has no click or no first frame.
   */
  steps(name: string, page: PageTiming): JoinSteps | null {
    if (page.clickAt === null || page.firstFrameAt === null) return null;
    const click = page.clickAt;
    const out: JoinSteps = { 'client:click': 0, 'client:frame': round(page.firstFrameAt - click, 1) };
    const first = (step: string) => page.marks.find((m) => m.step === step);
    const joinMark = page.marks.find((m) => m.step === 'join' && m.at >= click);
    for (const def of STEPS) {
      if (def.clock !== 'client' || def.id in out) continue;
      const step = def.id.slice('client:'.length);
      const mark =
        step === 'socket'
          ? page.marks.filter((m) => m.step === 'socket' && (!joinMark || m.at <= joinMark.at)).at(-1)
          : first(step);
      if (mark) out[def.id] = round(mark.at - click, 1);
    }
    // Server (Date.now()) → page clock: page time = wall + skew − timeOrigin.
    const toPage = (wall: number) => round(wall + page.skewMs - page.timeOrigin - click, 1);
    const events = [...(this.#events.get(name) ?? [])];
    for (const [participantId, owner] of this.#names)
      if (owner === name) events.push(...(this.#events.get(`participant:${participantId}`) ?? []));
    events.sort((a, b) => a.wall - b.wall);
    const joinIn = events.find((e) => e.step === 'join.in');
    for (const def of STEPS) {
      if (def.clock !== 'server' || def.id === 'server:keyframe.requested') continue;
      const step = def.id.slice('server:'.length);
      const event =
        step === 'socket'
          ? events.filter((e) => e.step === 'socket' && (!joinIn || e.wall <= joinIn.wall)).at(-1)
          : events.find((e) => e.step === step);
      if (event) out[def.id] = toPage(event.wall);
    }
    const consumerMade = events.find((e) => e.step === 'camera.consumer');
    const request = consumerMade && this.#keyframeRequests.find((t) => t >= consumerMade.wall);
    if (request !== undefined) out['server:keyframe.requested'] = toPage(request);
    return out;
  }

  /**
   * One join's keyframe story in ms after its click (page clock), for the log: the viewer's own
   * requests (`pli.in`, `fir.in`), the keyframes its camera consumer sent (`keyframe.out`), and every
   * keyframe request sent to the host's camera meanwhile (any layer), up to the first frame and a
   * little after.
   */
  keyframes(name: string, page: PageTiming): string {
    if (page.clickAt === null) return '';
    const click = page.clickAt;
    const toPage = (wall: number) => Math.round(wall + page.skewMs - page.timeOrigin - click);
    const end = (page.firstFrameAt ?? click + 5000) - click + 200;
    const events: string[] = [];
    for (const [participantId, owner] of this.#names) {
      if (owner !== name) continue;
      for (const e of this.#events.get(`participant:${participantId}`) ?? [])
        if (e.step.startsWith('trace.') && toPage(e.wall) <= end)
          events.push(`${e.step.slice('trace.'.length)}@${toPage(e.wall)}`);
    }
    const requests = this.#keyframeRequests.map(toPage).filter((at) => at >= -100 && at <= end);
    // A consumer's trace may be followed twice (the transport seen twice): one copy of each.
    const once = [...new Set(events)];
    return `viewer ${once.join(' ') || '-'}; host asked ${requests.join(' ') || '-'}`;
  }

  #add(name: string, step: string): void {
    let list = this.#events.get(name);
    if (!list) this.#events.set(name, (list = []));
    if (list.length < 500) list.push({ step, wall: wallNow() });
  }
}

/** Nearest-rank percentile (q in 0..1) of a list; null when empty. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** The breakdown over several joins: one row per step of {@link STEPS}. */
export function breakdown(joins: readonly JoinSteps[]): StepRow[] {
  const at = new Map<string, number[]>(STEPS.map((s) => [s.id, []]));
  const added = new Map<string, number[]>(STEPS.map((s) => [s.id, []]));
  for (const join of joins) {
    let reached = 0;
    for (const def of STEPS) {
      const t = join[def.id];
      if (t === undefined) continue;
      at.get(def.id)!.push(t);
      added.get(def.id)!.push(round(Math.max(0, t - reached), 1));
      reached = Math.max(reached, t);
    }
  }
  return STEPS.map((def) => {
    const a = at.get(def.id)!;
    const d = added.get(def.id)!;
    return {
      ...def,
      joins: a.length,
      atP50Ms: percentile(a, 0.5),
      atP95Ms: percentile(a, 0.95),
      addedP50Ms: percentile(d, 0.5),
      addedP95Ms: percentile(d, 0.95),
    };
  });
}
