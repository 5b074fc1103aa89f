/**
 * One sitting across nodes (multi-node mode): which node hosts a sitting (its origin, holder of
 * the sitting's lease) and where each client request goes. A client of a sitting this node hosts,
 * or that nobody hosts (this node takes the lease when it joins or starts it), is served here as
 * in single-node mode; a client of a sitting another node hosts is an edge client (edge.ts). A
 * node that dies is seen by the registry: its edge clients are held for a resume on the origin;
 * a dead origin's clients here reconnect, and the first node a client of the sitting reaches
 * after the lease expired takes it and restores the sitting as after a restart.
 */
import type { types } from 'mediasoup';
import type { WorkerPool } from '@seduta/media';
import type { Logger } from '../logger';
import type { Reply, SittingInfo } from '../protocol';
import { dispatch } from '../signalling/dispatch';
import type { Connection, HandlerDeps } from '../signalling/handlers';
import type { RequestRouter } from '../signalling/plugin';
import type { SittingService } from '../sittings/service';
import { EdgeSide, type EdgeView } from './edge';
import type { SittingLeases } from './lease';
import type { NodeRegistry } from './node-registry';
import { OriginSide, XN } from './origin';
import type { ClusterRpc } from './rpc';

/** What cross-node sittings need of the cluster. */
export interface CrossNodeDeps {
  registry: NodeRegistry;
  leases: SittingLeases;
  rpc: ClusterRpc;
  sittings: SittingService;
  pool: WorkerPool;
  logger: Logger;
}

/** How often, and how many times, a join waits for a dead origin's lease to expire (7.5 s). */
const DEAD_OWNER_POLL_MS = 250;
const DEAD_OWNER_POLLS = 30;

const typeOf = (msg: unknown): unknown =>
  typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;

/** Routes signalling requests between this node and the nodes hosting the sittings. */
export class CrossNode implements RequestRouter {
  readonly #deps: CrossNodeDeps;
  readonly #self: string;
  readonly #log: Logger;
  readonly #edge: EdgeSide;
  #origin: OriginSide | undefined;

  constructor(deps: CrossNodeDeps) {
    this.#deps = deps;
    this.#self = deps.registry.self.id;
    this.#log = deps.logger.child({ module: 'cross-node', nodeId: this.#self });
    this.#edge = new EdgeSide({
      rpc: deps.rpc,
      pool: deps.pool,
      limits: () => deps.sittings.limits,
      mediaIp: deps.registry.self.mediaIp,
      logger: this.#log,
    });
    deps.registry.on('nodeDown', (node) => {
      this.#origin?.nodeDown(node);
      this.#edge.nodeDown(node);
    });
    deps.leases.on('lost', (sittingId) =>
      this.#log.error({ sittingId }, 'another node took this sitting while Redis was out of reach'),
    );
    // A sitting started here (also through the HTTP API) is hosted here; an ended one by nobody.
    deps.sittings.on('transition', (sitting) => {
      if (sitting.status === 'live') void this.claim(sitting.id).catch(() => undefined);
      if (sitting.status === 'ended' || sitting.status === 'cancelled') void this.#release(sitting.id);
    });
  }

  start(deps: HandlerDeps): void {
    this.#origin = new OriginSide({
      rpc: this.#deps.rpc,
      sittings: this.#deps.sittings,
      handlerDeps: deps,
      mediaIp: this.#deps.registry.self.mediaIp,
      logger: this.#log,
    });
  }

  /**
   * Whether this node should host the sitting after a restart of the deployment: it takes the
   * lease if nobody holds it (sittings another node hosts are not restored here).
   */
  async claim(sittingId: string): Promise<boolean> {
    return (await this.#deps.leases.acquire(sittingId)) === this.#self;
  }

  async dispatch(c: Connection, msg: unknown, deps: HandlerDeps): Promise<Reply<unknown>> {
    const edgeOrigin = this.#edge.originOf(c);
    if (edgeOrigin !== undefined)
      return dispatch(c, msg, deps, (req) => this.#edge.handle(c, req, edgeOrigin));
    if (c.joined && !c.joined.live.closed) return dispatch(c, msg, deps);
    const type = typeOf(msg);
    // Each of these makes the sitting's runtime here when nobody hosts it: this node takes it.
    const claims = type === 'join' || type === 'sitting.start' || type === 'media.prepare';
    let owner: string | null;
    try {
      owner = await this.#owner(c.sittingId, claims);
    } catch (err) {
      // Redis out of reach: this node serves what it can by itself.
      this.#log.warn({ err, sittingId: c.sittingId }, 'sitting owner unknown: serving here');
      owner = null;
    }
    if (owner !== null && owner !== this.#self)
      return dispatch(c, msg, deps, (req) => this.#edge.handle(c, req, owner));
    const local = this.#localJoin(msg);
    const reply = await dispatch(c, local, deps);
    if (claims && !(await this.#hosts(c.sittingId))) await this.#release(c.sittingId);
    return reply;
  }

  /** The sitting as this node serves it as an edge, if it does (tests, benchmark). */
  edgeView(sittingId: string): Promise<EdgeView | undefined> {
    return this.#edge.view(sittingId);
  }

  /** The pipes this node (as origin) feeds for a sitting, by edge node (tests, benchmark). */
  async originPipes(sittingId: string): Promise<Map<string, types.Consumer[]>> {
    return (await this.#origin?.pipes(sittingId)) ?? new Map();
  }

  /** This node's id in the deployment. */
  get nodeId(): string {
    return this.#self;
  }

  async current(sittingId: string): Promise<SittingInfo> {
    const owner = await this.#deps.leases.owner(sittingId).catch(() => null);
    if (owner === null || owner === this.#self) return this.#deps.sittings.current(sittingId);
    // Only the origin knows the recording state (a joiner must see the notice before joining).
    return this.#deps.rpc
      .call<SittingInfo>(owner, XN.state, { sittingId })
      .catch(() => this.#deps.sittings.current(sittingId));
  }

  disconnected(c: Connection, how: 'left' | 'lost', reason: string): void {
    this.#edge.disconnected(c, how, reason);
  }

  async close(): Promise<void> {
    this.#edge.close();
    this.#origin?.close();
  }

  /**
   * A resume here of a participant who had joined through an edge: its media was there, so
   * nothing is kept.
   */
  #localJoin(msg: unknown): unknown {
    if (typeOf(msg) !== 'join' || this.#origin === undefined) return msg;
    const resume = (msg as { resume?: unknown }).resume;
    if (typeof resume !== 'string' || !this.#origin.isRemote(resume)) return msg;
    this.#origin.forgetRemote(resume);
    return { ...(msg as object), keepMedia: false };
  }

  /**
   * The node hosting the sitting: a dead owner's lease is waited out (it expires within its TTL);
   * with `claim`, this node takes a lease nobody holds.
   */
  async #owner(sittingId: string, claim: boolean): Promise<string | null> {
    const { leases, registry } = this.#deps;
    let owner = await leases.owner(sittingId);
    for (let poll = 0; owner !== null && owner !== this.#self && poll < DEAD_OWNER_POLLS; poll++) {
      if (await registry.isAlive(owner)) break;
      await new Promise((resolve) => setTimeout(resolve, DEAD_OWNER_POLL_MS));
      owner = await leases.owner(sittingId);
    }
    if (owner === null && claim) owner = await leases.acquire(sittingId);
    return owner;
  }

  /** Whether this node runs the sitting now. */
  async #hosts(sittingId: string): Promise<boolean> {
    const live = await this.#deps.sittings.liveIfAny(sittingId).catch(() => undefined);
    return live !== undefined && !live.closed;
  }

  async #release(sittingId: string): Promise<void> {
    await this.#deps.leases.release(sittingId).catch((err: unknown) => {
      this.#log.warn({ err, sittingId }, 'could not release a sitting lease (it expires by itself)');
    });
  }
}
