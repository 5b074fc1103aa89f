/**
 * The origin side of a sitting hosted across nodes: this node runs the sitting (roster, floor,
 * chat, publishers, recorder) and serves the participants who reached it through another node
 * (an edge). Each such participant speaks through a proxy connection whose requests arrive by
 * rpc and whose notifications leave by rpc; the media it receives leaves through one SRTP
 * PipeTransport per sitting and edge, one pipe consumer per producer the edge asked for; the
 * tracks they publish arrive through the same pipe, as producers with the edge's producer ids.
 */
import type { types } from 'mediasoup';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import type { MediaSource, Notification, Reply, SittingInfo } from '../protocol';
import { dispatch } from '../signalling/dispatch';
import { connectionLost, leaveSitting, type Connection, type HandlerDeps } from '../signalling/handlers';
import type { Identity } from '../sittings/participant';
import type { SittingService } from '../sittings/service';
import { NodeError, type ClusterRpc } from './rpc';

/** A request of an edge's client, forwarded to the origin. */
export interface ForwardedRequest {
  connectionId: string;
  sittingId: string;
  identity: Identity;
  msg: unknown;
}

/** The edge's end of a pipe, or the origin's answer with its own. */
export interface PipeEnd {
  ip: string;
  port: number;
  srtpParameters: types.SrtpParameters;
}

/** What an edge needs to make the piped producer (same id) on its router. */
export interface PipedProducer {
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
  appData: Record<string, unknown>;
  owner: { id: string; identity: Identity };
}

/**
 * A track a client publishes through an edge: the edge's producer, as its pipe consumer sends it
 * to the origin (made on the origin's end of the pipe with the same id).
 */
export interface PipePublish {
  sittingId: string;
  connectionId: string;
  producerId: string;
  kind: types.MediaKind;
  source: MediaSource;
  rtpParameters: types.RtpParameters;
  paused: boolean;
}

/** What became of a piped producer on the origin, for the edge to follow. */
export type PipedProducerChange = 'closed' | 'paused' | 'resumed';

/** The origin's answer when the edge's pipe has no end here (its router was made again): open a new pair. */
const noPipe = () => new NodeError('invalid_state', 'no_pipe', 'no pipe to that node: open it first');

/** The rpc methods between origin and edges (one place, so both sides agree). */
export const XN = {
  request: 'xn.request',
  gone: 'xn.gone',
  note: 'xn.note',
  pipeOpen: 'xn.pipe.open',
  pipeConsume: 'xn.pipe.consume',
  pipeDrop: 'xn.pipe.drop',
  pipeClose: 'xn.pipe.close',
  pipeChange: 'xn.pipe.change',
  pipeProduce: 'xn.pipe.produce',
  pipeUnpublish: 'xn.pipe.unpublish',
  state: 'xn.state',
} as const;

interface Proxy {
  connection: Connection;
  node: string;
}

interface OriginPipe {
  sittingId: string;
  node: string;
  transport: types.PipeTransport;
  consumers: Map<string, types.Consumer>;
  /** Producers of tracks published through that edge (they close with the pipe). */
  published: Map<string, types.Producer>;
}

const pipeKey = (sittingId: string, node: string) => `${sittingId}/${node}`;

/** The origin's end of cross-node sittings. */
export class OriginSide {
  readonly #rpc: ClusterRpc;
  readonly #sittings: SittingService;
  readonly #deps: HandlerDeps;
  readonly #mediaIp: string;
  readonly #log: Logger;
  /** Proxy connections of edge clients, by connection id. */
  readonly #proxies = new Map<string, Proxy>();
  /** Participants who joined through an edge: their media is not here (a resume here starts it anew). */
  readonly #remote = new Set<string>();
  readonly #pipes = new Map<string, Promise<OriginPipe>>();

  constructor(deps: {
    rpc: ClusterRpc;
    sittings: SittingService;
    handlerDeps: HandlerDeps;
    mediaIp: string;
    logger: Logger;
  }) {
    this.#rpc = deps.rpc;
    this.#sittings = deps.sittings;
    this.#deps = deps.handlerDeps;
    this.#mediaIp = deps.mediaIp;
    this.#log = deps.logger;
    this.#rpc.handle<ForwardedRequest, Reply<unknown>>(XN.request, (args, from) => this.#request(args, from));
    this.#rpc.handle<{ connectionId: string; how: 'left' | 'lost'; reason: string }, void>(
      XN.gone,
      async ({ connectionId, how, reason }) => this.#gone(connectionId, how, reason),
    );
    this.#rpc.handle<{ sittingId: string } & PipeEnd, PipeEnd>(XN.pipeOpen, (args, from) =>
      this.#open(args.sittingId, from, args),
    );
    this.#rpc.handle<{ sittingId: string; producerId: string }, PipedProducer>(XN.pipeConsume, (args, from) =>
      this.#consume(args.sittingId, from, args.producerId),
    );
    this.#rpc.handle<{ sittingId: string; producerId: string }, void>(XN.pipeDrop, async (args, from) => {
      const pipe = await this.#pipes.get(pipeKey(args.sittingId, from))?.catch(() => undefined);
      pipe?.consumers.get(args.producerId)?.close();
    });
    this.#rpc.handle<PipePublish, { producerId: string }>(XN.pipeProduce, (args, from) =>
      this.#publish(args, from),
    );
    this.#rpc.handle<{ sittingId: string; producerId: string }, void>(
      XN.pipeUnpublish,
      async (args, from) => {
        const pipe = await this.#pipes.get(pipeKey(args.sittingId, from))?.catch(() => undefined);
        pipe?.published.get(args.producerId)?.close();
      },
    );
    this.#rpc.handle<{ sittingId: string }, SittingInfo>(XN.state, ({ sittingId }) =>
      this.#sittings.current(sittingId),
    );
    this.#rpc.handle<{ sittingId: string }, void>(XN.pipeClose, async ({ sittingId }, from) =>
      this.#closePipe(sittingId, from),
    );
  }

  /** The pipes to edges of a sitting (tests, benchmark): each edge node with its pipe consumers. */
  async pipes(sittingId: string): Promise<Map<string, types.Consumer[]>> {
    const byNode = new Map<string, types.Consumer[]>();
    for (const [key, pipe] of this.#pipes) {
      if (!key.startsWith(`${sittingId}/`)) continue;
      const p = await pipe.catch(() => undefined);
      if (p && !p.transport.closed) byNode.set(p.node, [...p.consumers.values()]);
    }
    return byNode;
  }

  /** Whether this participant joined through an edge (so none of its media is on this node). */
  isRemote(participantId: string): boolean {
    return this.#remote.has(participantId);
  }

  /** A participant who joined through an edge came back on this node. */
  forgetRemote(participantId: string): void {
    this.#remote.delete(participantId);
  }

  /** An edge died: its participants are held for a resume (then leave); its pipes close. */
  nodeDown(node: string): void {
    for (const [id, proxy] of [...this.#proxies]) {
      if (proxy.node !== node) continue;
      this.#proxies.delete(id);
      connectionLost(proxy.connection, `node ${node} down`);
    }
    for (const key of [...this.#pipes.keys()]) {
      if (key.endsWith(`/${node}`)) void this.#closePipe(key.slice(0, key.indexOf('/')), node);
    }
  }

  /** Closes every proxy (held for a resume elsewhere) and pipe: this node is shutting down. */
  close(): void {
    for (const { connection } of this.#proxies.values()) connectionLost(connection, 'node shutting down');
    this.#proxies.clear();
    for (const pipe of this.#pipes.values())
      void pipe.then(
        (p) => p.transport.close(),
        () => undefined,
      );
    this.#pipes.clear();
  }

  async #request(args: ForwardedRequest, node: string): Promise<Reply<unknown>> {
    let proxy = this.#proxies.get(args.connectionId);
    if (!proxy) {
      const connection: Connection = {
        id: args.connectionId,
        sittingId: args.sittingId,
        identity: args.identity,
        notify: (note: Notification) =>
          this.#rpc.send(node, XN.note, { connectionId: args.connectionId, note }),
      };
      proxy = { connection, node };
      this.#proxies.set(args.connectionId, proxy);
    }
    const reply = await dispatch(proxy.connection, args.msg, this.#deps);
    const joined = proxy.connection.joined;
    if (reply.ok && joined) this.#remote.add(joined.participant.id);
    return reply;
  }

  #gone(connectionId: string, how: 'left' | 'lost', reason: string): void {
    const proxy = this.#proxies.get(connectionId);
    if (!proxy) return;
    this.#proxies.delete(connectionId);
    if (how === 'left') leaveSitting(proxy.connection, reason);
    else connectionLost(proxy.connection, reason);
  }

  /** The edge's end of the sitting's pipe: this node makes its own, connects it, answers with it. */
  async #open(sittingId: string, node: string, remote: PipeEnd): Promise<PipeEnd> {
    const live = await this.#sittings.liveIfAny(sittingId);
    if (!live || live.closed) throw new AppError('invalid_state', 'the sitting is not hosted on this node');
    // The edge made a new end (its router was made again): the old pipe goes.
    await this.#closePipe(sittingId, node);
    const key = pipeKey(sittingId, node);
    const made = (async (): Promise<OriginPipe> => {
      const transport = await live.router.createPipeTransport({
        participantId: `pipe:${node}`,
        announcedAddress: this.#mediaIp,
      });
      await transport.connect(remote);
      transport.observer.once('close', () => {
        if (this.#pipes.get(key) === made) this.#pipes.delete(key);
      });
      return { sittingId, node, transport, consumers: new Map(), published: new Map() };
    })();
    this.#pipes.set(key, made);
    made.catch(() => {
      if (this.#pipes.get(key) === made) this.#pipes.delete(key);
    });
    const { transport } = await made;
    this.#log.info({ sittingId, edgeNodeId: node }, 'pipe to an edge opened');
    return {
      ip: transport.tuple.localAddress ?? this.#mediaIp,
      port: transport.tuple.localPort,
      srtpParameters: transport.srtpParameters!,
    };
  }

  async #consume(sittingId: string, node: string, producerId: string): Promise<PipedProducer> {
    const pipe = await this.#pipes.get(pipeKey(sittingId, node));
    if (!pipe || pipe.transport.closed) throw noPipe();
    const live = await this.#sittings.liveIfAny(sittingId);
    if (!live || live.closed) throw new AppError('invalid_state', 'the sitting is not hosted on this node');
    const { producer, owner } = live.findProducer(producerId);
    let consumer = pipe.consumers.get(producerId);
    if (!consumer || consumer.closed) {
      const made = await pipe.transport.consume({ producerId });
      consumer = made;
      pipe.consumers.set(producerId, made);
      const change = (state: PipedProducerChange) =>
        this.#rpc.send(node, XN.pipeChange, { sittingId, producerId, state });
      made.observer.once('close', () => {
        if (pipe.consumers.get(producerId) === made) pipe.consumers.delete(producerId);
      });
      made.on('producerclose', () => change('closed'));
      made.on('producerpause', () => change('paused'));
      made.on('producerresume', () => change('resumed'));
    }
    return {
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.producerPaused,
      appData: producer.appData,
      owner: { id: owner.id, identity: owner.identity },
    };
  }

  /**
   * A client of `node` publishes a track there: the same path as on a single node (floor checked
   * before and after, announced, recorded, host mute), the producer made on this node's end of the
   * pipe. What becomes of it here (floor revoked, host mute, left) the edge's producer follows.
   */
  async #publish(args: PipePublish, node: string): Promise<{ producerId: string }> {
    const proxy = this.#proxies.get(args.connectionId);
    const joined = proxy?.node === node ? proxy.connection.joined : undefined;
    if (!joined || joined.participant.closed || joined.live.id !== args.sittingId)
      throw new AppError('invalid_state', 'join the sitting first');
    const pipe = await this.#pipes.get(pipeKey(args.sittingId, node))?.catch(() => undefined);
    if (!pipe || pipe.transport.closed) throw noPipe();
    const { live, participant } = joined;
    const from = { pipe: pipe.transport, producerId: args.producerId };
    await live.produce(participant, from, args.kind, args.source, args.rtpParameters);
    const producer = participant.producer(args.producerId);
    pipe.published.set(producer.id, producer);
    const change = (state: PipedProducerChange) =>
      this.#rpc.send(node, XN.pipeChange, { sittingId: args.sittingId, producerId: producer.id, state });
    producer.observer.on('pause', () => change('paused'));
    producer.observer.on('resume', () => change('resumed'));
    producer.observer.once('close', () => {
      if (pipe.published.get(producer.id) === producer) pipe.published.delete(producer.id);
      change('closed');
    });
    // Host mute paused it as it was made: the edge's producer follows from the start.
    if (producer.paused) change('paused');
    else if (args.paused) await producer.pause();
    return { producerId: producer.id };
  }

  async #closePipe(sittingId: string, node: string): Promise<void> {
    const key = pipeKey(sittingId, node);
    const pipe = this.#pipes.get(key);
    if (!pipe) return;
    this.#pipes.delete(key);
    const made = await pipe.catch(() => undefined);
    made?.transport.close();
  }
}
