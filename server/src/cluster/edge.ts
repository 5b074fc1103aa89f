/**
 * The edge side of a sitting hosted across nodes: a client connected to this node for a sitting
 * another node hosts (its origin). Its sitting requests (join, hands, floor, chat, recording…)
 * go to the origin by rpc, which answers and notifies as for its own clients; its media runs
 * here, on an edge router of the sitting: the producers it consumes are piped from the origin
 * over one SRTP PipeTransport pair (same producer ids), each on demand and closed when nobody
 * here watches it any more, the pair and the router when nobody here is in the sitting. A track
 * its client publishes is produced here and piped to the origin over the same pair (same id),
 * where the sitting's usual produce path runs; each side's producer follows the other's.
 */
import type { types } from 'mediasoup';
import type { MediaRouter, WorkerPool } from '@seduta/media';
import { AppError } from '../errors';
import type { JoinResult, MediaSource, Notification, Reply, RequestOf, RequestType } from '../protocol';
import type { Connection } from '../signalling/handlers';
import type { Limits } from '../sittings/limits';
import { Participant } from '../sittings/participant';
import type { Logger } from '../logger';
import {
  XN,
  type ForwardedRequest,
  type PipedProducer,
  type PipedProducerChange,
  type PipePublish,
  type PipeEnd,
} from './origin';
import { NodeError, type ClusterRpc } from './rpc';

/** A validated request, as dispatch hands it over. */
type Request = { type: RequestType } & Record<string, unknown>;

interface Piped {
  producer: types.Producer;
  owner: PipedProducer['owner'];
  /** Consumers of it here, also those being made. */
  viewers: number;
}

/** A track a client of this edge publishes: its producer here, piped to the origin (same id). */
interface Published {
  producer: types.Producer;
  owner: Participant;
}

/** One sitting as this edge serves it: its router, its pipe from the origin, who is in it here. */
interface EdgeSitting {
  id: string;
  origin: string;
  router: MediaRouter;
  pipe: Promise<types.PipeTransport> | undefined;
  piped: Map<string, Promise<Piped>>;
  /** Tracks published here: viewers here consume them directly, the origin through the pipe. */
  published: Map<string, Published>;
  sessions: Set<EdgeSession>;
}

/** A client of this node joined to a sitting hosted elsewhere. */
interface EdgeSession {
  connection: Connection;
  sitting: EdgeSitting;
  /** Its media here (same id as the participant on the origin). */
  participant: Participant;
}

/** What an edge serves of a sitting (tests, benchmark). */
export interface EdgeView {
  origin: string;
  router: MediaRouter;
  /** Its clients joined through this node. */
  participants: number;
  /** The producers piped in from the origin, by id. */
  piped: Map<string, types.Producer>;
  /** The producers of tracks published through this edge, by id. */
  published: Map<string, types.Producer>;
}

/** The edge's end of cross-node sittings. */
export class EdgeSide {
  readonly #rpc: ClusterRpc;
  readonly #pool: WorkerPool;
  readonly #limits: () => Limits;
  readonly #mediaIp: string;
  readonly #log: Logger;
  /** Connections whose requests went to an origin, with that origin. */
  readonly #forwarded = new Map<string, { connection: Connection; origin: string }>();
  readonly #sessions = new Map<string, EdgeSession>();
  readonly #sittings = new Map<string, Promise<EdgeSitting>>();

  constructor(deps: {
    rpc: ClusterRpc;
    pool: WorkerPool;
    limits: () => Limits;
    mediaIp: string;
    logger: Logger;
  }) {
    this.#rpc = deps.rpc;
    this.#pool = deps.pool;
    this.#limits = deps.limits;
    this.#mediaIp = deps.mediaIp;
    this.#log = deps.logger;
    this.#rpc.handle<{ connectionId: string; note: Notification }, void>(XN.note, async (args) =>
      this.#deliver(args.connectionId, args.note),
    );
    this.#rpc.handle<{ sittingId: string; producerId: string; state: PipedProducerChange }, void>(
      XN.pipeChange,
      (args) => this.#follow(args.sittingId, args.producerId, args.state),
    );
  }

  /** The origin this connection joined through this edge, if it did. */
  originOf(c: Connection): string | undefined {
    return this.#sessions.get(c.id)?.sitting.origin;
  }

  /** The sitting as this edge serves it (tests, benchmark): its router and the producers piped in. */
  async view(sittingId: string): Promise<EdgeView | undefined> {
    const sitting = await this.#sittings.get(sittingId)?.catch(() => undefined);
    if (!sitting) return undefined;
    const piped = new Map<string, types.Producer>();
    for (const [id, entry] of sitting.piped) {
      const p = await entry.catch(() => undefined);
      if (p && !p.producer.closed) piped.set(id, p.producer);
    }
    const published = new Map([...sitting.published].map(([id, p]) => [id, p.producer]));
    return {
      origin: sitting.origin,
      router: sitting.router,
      participants: sitting.sessions.size,
      piped,
      published,
    };
  }

  /** Handles a request of a client of a sitting hosted on `origin`. */
  async handle(c: Connection, req: Request, origin: string): Promise<unknown> {
    const session = this.#sessions.get(c.id);
    switch (req.type) {
      case 'join':
        return this.#join(c, req as RequestOf<'join'> & Request, session?.sitting.origin ?? origin);
      case 'leave': {
        const data = await this.#forward(c, session?.sitting.origin ?? origin, req);
        if (session) this.#close(session);
        return data;
      }
      case 'media.capabilities':
        this.#joined(c).participant.setRtpCapabilities(
          (req as RequestOf<'media.capabilities'>).rtpCapabilities,
        );
        return {};
      case 'transport.create':
        return this.#joined(c).participant.createTransport((req as RequestOf<'transport.create'>).direction);
      case 'transport.restartIce': {
        const { transportId } = req as RequestOf<'transport.restartIce'>;
        return { iceParameters: await this.#joined(c).participant.restartIce(transportId) };
      }
      case 'transport.connect': {
        const m = req as RequestOf<'transport.connect'>;
        await this.#joined(c).participant.connectTransport(m.transportId, m.dtlsParameters);
        return {};
      }
      case 'consume':
        return this.#consume(this.#joined(c), req as RequestOf<'consume'>);
      case 'consumer.resume':
        await this.#joined(c)
          .participant.consumer((req as RequestOf<'consumer.resume'>).consumerId)
          .resume();
        return {};
      case 'consumer.pause':
        await this.#joined(c)
          .participant.consumer((req as RequestOf<'consumer.pause'>).consumerId)
          .pause();
        return {};
      case 'consumer.viewSize': {
        const m = req as RequestOf<'consumer.viewSize'>;
        return {
          spatialLayer: await this.#joined(c).participant.setViewSize(m.consumerId, m.width, m.height),
        };
      }
      case 'produce':
        return this.#produce(this.#joined(c), req as RequestOf<'produce'>);
      case 'producer.close':
        this.#joined(c)
          .participant.producer((req as RequestOf<'producer.close'>).producerId)
          .close();
        return {};
      case 'producer.pause': {
        const { sitting, participant } = this.#joined(c);
        const producer = participant.producer((req as RequestOf<'producer.pause'>).producerId);
        await producer.pause();
        await this.#forward(c, sitting.origin, req);
        return {};
      }
      case 'producer.resume': {
        // The origin says whether it may (not while the host muted it); then it resumes here too.
        const { sitting, participant } = this.#joined(c);
        const producer = participant.producer((req as RequestOf<'producer.resume'>).producerId);
        await this.#forward(c, sitting.origin, req);
        await producer.resume();
        return {};
      }
      default:
        return this.#forward(c, session?.sitting.origin ?? origin, req);
    }
  }

  /** The connection closed: the origin is told (leave, or hold for a resume); its media here closes. */
  disconnected(c: Connection, how: 'left' | 'lost', reason: string): void {
    const forwarded = this.#forwarded.get(c.id);
    this.#forwarded.delete(c.id);
    const session = this.#sessions.get(c.id);
    if (session) this.#close(session);
    if (forwarded) this.#rpc.send(forwarded.origin, XN.gone, { connectionId: c.id, how, reason });
  }

  /** An origin died: its clients here reconnect (and resume on whichever node takes the sitting). */
  nodeDown(node: string): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.sitting.origin !== node) continue;
      this.#close(session);
      session.connection.drop?.();
    }
    for (const [id, { origin }] of [...this.#forwarded]) if (origin === node) this.#forwarded.delete(id);
  }

  /** Closes every edge sitting (this node is shutting down; its clients reconnect elsewhere). */
  close(): void {
    for (const session of [...this.#sessions.values()]) this.#close(session);
  }

  async #forward(c: Connection, origin: string, msg: unknown): Promise<unknown> {
    this.#forwarded.set(c.id, { connection: c, origin });
    const request: ForwardedRequest = {
      connectionId: c.id,
      sittingId: c.sittingId,
      identity: c.identity,
      msg,
    };
    const reply = await this.#rpc.call<Reply<unknown>>(origin, XN.request, request);
    if (!reply.ok) throw new AppError(reply.error.code, reply.error.message);
    return reply.data;
  }

  async #join(c: Connection, req: RequestOf<'join'> & Request, origin: string): Promise<JoinResult> {
    const previous = this.#sessions.get(c.id);
    if (previous) this.#close(previous);
    // Nothing of this client's media is here any more: the origin closes what it had, if anything.
    // The origin would make the fast join's receive side on its own router: the client asks here.
    const { receive: _here, ...asked } = req;
    const result = (await this.#forward(c, origin, { ...asked, keepMedia: false })) as JoinResult;
    let sitting: EdgeSitting;
    try {
      sitting = await this.#sitting(c.sittingId, origin);
    } catch (err) {
      this.#rpc.send(origin, XN.gone, { connectionId: c.id, how: 'left', reason: 'edge media failed' });
      throw err;
    }
    // The same participant on another connection of this node (a resume): that one is replaced.
    for (const other of sitting.sessions) {
      if (other.participant.id === result.participantId) this.#close(other);
    }
    const participant = new Participant(result.participantId, c.identity, sitting.router, c.notify, {
      connectionId: c.id,
      limits: this.#limits(),
      logger: this.#log,
    });
    const session: EdgeSession = { connection: c, sitting, participant };
    this.#sessions.set(c.id, session);
    sitting.sessions.add(session);
    this.#log.info(
      { sittingId: c.sittingId, participantId: participant.id, originNodeId: origin },
      'joined through this edge',
    );
    return { ...result, routerRtpCapabilities: sitting.router.rtpCapabilities, mediaKept: false };
  }

  #joined(c: Connection): EdgeSession {
    const session = this.#sessions.get(c.id);
    if (!session || session.participant.closed) throw new AppError('invalid_state', 'join the sitting first');
    return session;
  }

  /**
   * A track published through this edge: the producer is made here (the participant's own checks),
   * then piped to the origin, which makes its own with the same id on the sitting's usual path
   * (floor, announcement, recorder). Refused there, it closes here and the client gets that error.
   * Closed here for any reason, it closes on the origin; closed, paused or resumed there, it
   * follows here (see #follow).
   */
  async #produce(session: EdgeSession, m: RequestOf<'produce'>): Promise<{ producerId: string }> {
    const { sitting, participant } = session;
    const producer = await participant.produce(
      { transportId: m.transportId },
      m.kind,
      m.source,
      m.rtpParameters,
    );
    const producerId = producer.id;
    // Known before the origin answers: what it does at once (host mute) finds it here.
    sitting.published.set(producerId, { producer, owner: participant });
    producer.observer.once('close', () => {
      if (sitting.published.get(producerId)?.producer !== producer) return;
      sitting.published.delete(producerId);
      this.#rpc.send(sitting.origin, XN.pipeUnpublish, { sittingId: sitting.id, producerId });
    });
    try {
      try {
        await this.#pipeOut(session, producer, m.source);
      } catch (err) {
        if (!(err instanceof NodeError) || err.nodeCode !== 'no_pipe') throw err;
        // The origin's end is gone (its router was made again after a worker died): a new pair.
        (await this.#pipe(sitting)).close();
        await this.#pipeOut(session, producer, m.source);
      }
      // Closed while the origin made its own: that one is closed by the message sent on close.
      if (producer.closed) throw new AppError('invalid_state', 'the track closed while it was published');
    } catch (err) {
      producer.close();
      throw err;
    }
    this.#log.info(
      { sittingId: sitting.id, participantId: participant.id, producerId, source: m.source },
      'publishing through this edge',
    );
    return { producerId };
  }

  /** Sends a producer of this edge to the origin over the sitting's pipe (same id); the origin decides. */
  async #pipeOut(session: EdgeSession, producer: types.Producer, source: MediaSource): Promise<void> {
    const { sitting, connection } = session;
    const pipe = await this.#pipe(sitting);
    // Send and pipe transports are both on the router's own worker: no spreading to cross.
    const consumer = await pipe.consume({ producerId: producer.id });
    const publish: PipePublish = {
      sittingId: sitting.id,
      connectionId: connection.id,
      producerId: producer.id,
      kind: producer.kind,
      source,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.producerPaused,
    };
    try {
      await this.#rpc.call<{ producerId: string }>(sitting.origin, XN.pipeProduce, publish);
    } catch (err) {
      consumer.close();
      throw err;
    }
    // The pipe went (the origin's end was made again, or this sitting closes): nothing carries it.
    if (consumer.closed) producer.close();
    else consumer.observer.once('close', () => producer.close());
  }

  async #consume(session: EdgeSession, m: RequestOf<'consume'>) {
    const { sitting, participant } = session;
    // Published through this edge: its producer is here already, nothing to pipe in.
    const here = sitting.published.get(m.producerId);
    if (here && !here.producer.closed) return participant.consume(m.transportId, here.producer, here.owner);
    const entry = this.#pipeIn(sitting, m.producerId);
    const piped = await entry;
    piped.viewers += 1;
    let consumerId: string;
    try {
      const result = await participant.consume(m.transportId, piped.producer, piped.owner);
      consumerId = result.consumerId;
      participant
        .consumer(consumerId)
        .observer.once('close', () => this.#unwatch(sitting, m.producerId, entry));
      return result;
    } catch (err) {
      this.#unwatch(sitting, m.producerId, entry);
      throw err;
    }
  }

  /** One viewer fewer of a piped producer; the last one takes the pipe consumer on the origin too. */
  #unwatch(sitting: EdgeSitting, producerId: string, entry: Promise<Piped>): void {
    void entry.then((piped) => {
      piped.viewers -= 1;
      if (piped.viewers > 0 || sitting.piped.get(producerId) !== entry) return;
      sitting.piped.delete(producerId);
      piped.producer.close();
      this.#rpc.send(sitting.origin, XN.pipeDrop, { sittingId: sitting.id, producerId });
    });
  }

  /** The producer piped from the origin to this edge's router (same id), made on first use. */
  #pipeIn(sitting: EdgeSitting, producerId: string): Promise<Piped> {
    const known = sitting.piped.get(producerId);
    if (known) return known;
    const made = (async (): Promise<Piped> => {
      let transport = await this.#pipe(sitting);
      const ask = () =>
        this.#rpc.call<PipedProducer>(sitting.origin, XN.pipeConsume, { sittingId: sitting.id, producerId });
      let p: PipedProducer;
      try {
        p = await ask();
      } catch (err) {
        if (!(err instanceof NodeError) || err.nodeCode !== 'no_pipe') throw err;
        // The origin's end is gone (its router was made again after a worker died): a new pair.
        transport.close();
        transport = await this.#pipe(sitting);
        p = await ask();
      }
      const producer = await transport.produce({
        id: producerId,
        kind: p.kind,
        rtpParameters: p.rtpParameters,
        paused: p.paused,
        appData: p.appData,
      });
      producer.observer.once('close', () => {
        if (sitting.piped.get(producerId) === made) sitting.piped.delete(producerId);
      });
      return { producer, owner: p.owner, viewers: 0 };
    })();
    sitting.piped.set(producerId, made);
    made.catch(() => {
      if (sitting.piped.get(producerId) === made) sitting.piped.delete(producerId);
    });
    return made;
  }

  /** This edge's end of the sitting's pipe, connected to the origin's end (made on first use). */
  #pipe(sitting: EdgeSitting): Promise<types.PipeTransport> {
    const current = sitting.pipe;
    if (current) return current;
    const made = (async () => {
      const transport = await sitting.router.createPipeTransport({
        participantId: 'pipe:origin',
        announcedAddress: this.#mediaIp,
      });
      try {
        const remote = await this.#rpc.call<PipeEnd>(sitting.origin, XN.pipeOpen, {
          sittingId: sitting.id,
          ip: transport.tuple.localAddress ?? this.#mediaIp,
          port: transport.tuple.localPort,
          srtpParameters: transport.srtpParameters,
        });
        await transport.connect(remote);
      } catch (err) {
        transport.close();
        throw err;
      }
      transport.observer.once('close', () => {
        if (sitting.pipe === made) sitting.pipe = undefined;
      });
      return transport;
    })();
    sitting.pipe = made;
    made.catch(() => {
      if (sitting.pipe === made) sitting.pipe = undefined;
    });
    return made;
  }

  /**
   * The origin's producer closed, paused or resumed: the one here follows, piped in from it or
   * published through this edge (the floor revoked, the host's mute).
   */
  async #follow(sittingId: string, producerId: string, state: PipedProducerChange): Promise<void> {
    const sitting = await this.#sittings.get(sittingId)?.catch(() => undefined);
    const producer =
      sitting?.published.get(producerId)?.producer ??
      (await sitting?.piped.get(producerId)?.catch(() => undefined))?.producer;
    if (!producer || producer.closed) return;
    switch (state) {
      case 'closed':
        producer.close();
        return;
      case 'paused':
        await producer.pause();
        return;
      case 'resumed':
        await producer.resume();
        return;
    }
  }

  #deliver(connectionId: string, note: Notification): void {
    const forwarded = this.#forwarded.get(connectionId);
    if (!forwarded) return;
    forwarded.connection.notify(note);
    if (note.type === 'sitting.ended') {
      const session = this.#sessions.get(connectionId);
      if (session) this.#close(session);
    }
  }

  async #sitting(sittingId: string, origin: string): Promise<EdgeSitting> {
    const known = await this.#sittings.get(sittingId)?.catch(() => undefined);
    if (known && known.origin === origin && !known.router.closed) return known;
    if (known) this.#closeSitting(known);
    const made = (async (): Promise<EdgeSitting> => {
      const router = await this.#pool.createRouter(sittingId);
      const sitting: EdgeSitting = {
        id: sittingId,
        origin,
        router,
        pipe: undefined,
        piped: new Map(),
        published: new Map(),
        sessions: new Set(),
      };
      router.on('close', () => {
        for (const session of [...sitting.sessions]) {
          this.#close(session);
          // Its media is gone (a worker died): the client reconnects and makes it again.
          session.connection.drop?.();
        }
        if (this.#sittings.get(sittingId) === made) this.#sittings.delete(sittingId);
      });
      return sitting;
    })();
    this.#sittings.set(sittingId, made);
    made.catch(() => {
      if (this.#sittings.get(sittingId) === made) this.#sittings.delete(sittingId);
    });
    return made;
  }

  #close(session: EdgeSession): void {
    if (this.#sessions.get(session.connection.id) === session) this.#sessions.delete(session.connection.id);
    session.participant.close();
    const { sitting } = session;
    if (!sitting.sessions.delete(session) || sitting.sessions.size > 0) return;
    this.#closeSitting(sitting);
  }

  /** Nobody here is in the sitting any more: its router (and pipe) close, the origin's end too. */
  #closeSitting(sitting: EdgeSitting): void {
    const current = this.#sittings.get(sitting.id);
    void current?.then((s) => {
      if (s === sitting) this.#sittings.delete(sitting.id);
    });
    for (const session of [...sitting.sessions]) {
      sitting.sessions.delete(session);
      this.#close(session);
    }
    if (sitting.router.closed) return;
    sitting.router.close();
    this.#rpc.send(sitting.origin, XN.pipeClose, { sittingId: sitting.id });
    this.#log.info({ sittingId: sitting.id, originNodeId: sitting.origin }, 'edge sitting closed');
  }
}
