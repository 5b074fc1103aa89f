/**
 * Which nodes of the deployment are alive and how to reach them for media. Each node keeps a key
 * `seduta:node:<id>` (its NodeInfo as JSON) alive with a TTL, renewed every heartbeat, and its id
 * in the set `seduta:nodes` so that others can list it without scanning the keyspace. A node whose
 * key expired (it stopped heartbeating: killed, frozen, cut off) is down; every node polls and
 * emits `nodeDown` once for each node it saw alive and now sees gone. Expiry is Redis's clock, so
 * the nodes' clocks need not agree.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger';
import { redisCall, type RedisLink } from './redis';

/** A node of the deployment. */
export interface NodeInfo {
  /** Random, per process (a restarted node is a new node). */
  id: string;
  /** The address browsers and other nodes reach its media at (MEDIA_ANNOUNCED_ADDRESS). */
  mediaIp: string;
  /** When it started, ms since the epoch. */
  startedAt: number;
}

/** Options of the registry. */
export interface NodeRegistryOptions {
  /** How often the own key is renewed and the others polled (default 1000 ms). */
  heartbeatMs?: number;
  /** How long a key lives without renewal (default 4000 ms). */
  ttlMs?: number;
  logger?: Logger;
}

const SET_KEY = 'seduta:nodes';
const nodeKey = (id: string) => `seduta:node:${id}`;

/** The nodes alive, this node's heartbeat, and `nodeDown` when another stops. */
export class NodeRegistry {
  readonly self: NodeInfo;
  readonly #link: RedisLink;
  readonly #heartbeatMs: number;
  readonly #ttlMs: number;
  readonly #events = new EventEmitter();
  readonly #log: Logger | undefined;
  /** Nodes seen alive at the last poll (this one excluded). */
  #known = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(link: RedisLink, self: NodeInfo, opts: NodeRegistryOptions = {}) {
    this.#link = link;
    this.self = self;
    this.#heartbeatMs = opts.heartbeatMs ?? 1000;
    this.#ttlMs = opts.ttlMs ?? 4000;
    this.#log = opts.logger?.child({ module: 'cluster', nodeId: self.id });
  }

  /** Writes the own key with its TTL, then heartbeats and polls until close(). */
  async start(): Promise<void> {
    await this.#heartbeat();
    this.#known = new Set((await this.alive()).map((n) => n.id).filter((id) => id !== this.self.id));
    this.#timer = setInterval(() => void this.#tick(), this.#heartbeatMs);
    this.#timer.unref();
  }

  /** The nodes alive now, this one included; AppError `unavailable` while Redis is out of reach. */
  async alive(): Promise<NodeInfo[]> {
    const ids = await redisCall(this.#link, () => this.#link.command.smembers(SET_KEY));
    if (ids.length === 0) return [];
    const values = await redisCall(this.#link, () => this.#link.command.mget(ids.map(nodeKey)));
    const nodes: NodeInfo[] = [];
    const gone: string[] = [];
    values.forEach((value, i) => {
      const node = value === null ? undefined : parseNode(value);
      if (node) nodes.push(node);
      else gone.push(ids[i]!);
    });
    // A dead node's id would otherwise stay in the set forever; a live one re-adds itself.
    if (gone.length > 0) await this.#link.command.srem(SET_KEY, ...gone).catch(() => undefined);
    return nodes;
  }

  /** Whether the node's key is still alive; AppError `unavailable` while Redis is out of reach. */
  async isAlive(nodeId: string): Promise<boolean> {
    return (await redisCall(this.#link, () => this.#link.command.exists(nodeKey(nodeId)))) === 1;
  }

  /** `nodeDown`: a node seen alive stopped heartbeating (seen within ttl + heartbeat). */
  on(event: 'nodeDown', cb: (nodeId: string) => void): void {
    this.#events.on(event, cb);
  }

  /** Stops heartbeating and deletes the own key, so others see this node gone at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#events.removeAllListeners();
    if (!this.#link.healthy) return;
    try {
      await this.#link.command.multi().del(nodeKey(this.self.id)).srem(SET_KEY, this.self.id).exec();
    } catch (err) {
      this.#log?.warn({ err }, 'could not delete the node key (it expires by itself)');
    }
  }

  async #heartbeat(): Promise<void> {
    await this.#link.command
      .multi()
      .set(nodeKey(this.self.id), JSON.stringify(this.self), 'PX', this.#ttlMs)
      .sadd(SET_KEY, this.self.id)
      .exec();
  }

  async #tick(): Promise<void> {
    // While Redis is out of reach nothing can be known: no node is declared down for it.
    if (this.#closed || !this.#link.healthy) return;
    try {
      await this.#heartbeat();
      const now = new Set((await this.alive()).map((n) => n.id).filter((id) => id !== this.self.id));
      if (this.#closed) return;
      for (const id of this.#known) {
        if (now.has(id)) continue;
        this.#log?.warn({ downNodeId: id }, 'node down: it stopped heartbeating');
        this.#events.emit('nodeDown', id);
      }
      this.#known = now;
    } catch (err) {
      this.#log?.debug({ err }, 'node heartbeat failed');
    }
  }
}

function parseNode(value: string): NodeInfo | undefined {
  try {
    const v = JSON.parse(value) as Partial<NodeInfo>;
    if (typeof v.id === 'string' && typeof v.mediaIp === 'string' && typeof v.startedAt === 'number') {
      return { id: v.id, mediaIp: v.mediaIp, startedAt: v.startedAt };
    }
  } catch {
    // Not ours: treated as gone.
  }
  return undefined;
}
