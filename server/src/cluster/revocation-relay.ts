/**
 * Revocations across nodes: what one node's RevocationBus publishes goes out on the Redis channel
 * `seduta:revocations`, and every other node's bus delivers it to its own listeners, which close
 * the connections they hold. While Redis is out of reach the revocations published here wait in a
 * bounded queue and go out when it is back: a ban or a disabled account must reach every node.
 * They go out {@link FLUSH_AFTER_UP_MS} after this node is back, so that the other nodes, which
 * reconnect on their own schedule (at most a second apart), are subscribed again by then.
 */
import type { Revocation, RevocationListener, RevocationRelay } from '../auth/revocation';
import type { Logger } from '../logger';
import type { RedisLink } from './redis';

const CHANNEL = 'seduta:revocations';
/** Revocations kept while Redis is away; past this the oldest are dropped (and logged). */
const MAX_QUEUED = 10_000;
/** How long after Redis is back the queued revocations go out. */
const FLUSH_AFTER_UP_MS = 2000;

interface Envelope {
  from: string;
  revocation: Revocation;
}

/** The Redis relay of one node's revocation bus. */
export class RedisRevocationRelay implements RevocationRelay {
  readonly #link: RedisLink;
  readonly #nodeId: string;
  readonly #log: Logger;
  readonly #queue: string[] = [];
  #listener: RevocationListener | undefined;
  #started = false;
  readonly #onMessage = (channel: string, raw: string) => {
    if (channel !== CHANNEL || !this.#listener) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (envelope.from !== this.#nodeId) this.#listener(envelope.revocation);
  };

  constructor(link: RedisLink, nodeId: string, logger: Logger) {
    this.#link = link;
    this.#nodeId = nodeId;
    this.#log = logger.child({ module: 'cluster', nodeId });
    link.on('up', () => setTimeout(() => void this.#flush(), FLUSH_AFTER_UP_MS).unref());
  }

  /** Subscribes to the channel (before the server listens). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#link.subscriber.on('message', this.#onMessage);
    await this.#link.subscriber.subscribe(CHANNEL);
  }

  publish(revocation: Revocation): void {
    this.#queue.push(JSON.stringify({ from: this.#nodeId, revocation } satisfies Envelope));
    if (this.#queue.length > MAX_QUEUED) {
      this.#queue.shift();
      this.#log.error('revocations queued while Redis is away: the oldest was dropped');
    }
    void this.#flush();
  }

  subscribe(listener: RevocationListener): void {
    this.#listener = listener;
  }

  /** Stops listening (the queue, if any, is dropped: its revocations are in the database). */
  async close(): Promise<void> {
    this.#link.subscriber.off('message', this.#onMessage);
    this.#listener = undefined;
  }

  #flushing = false;

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0 && this.#link.healthy) {
        await this.#link.command.publish(CHANNEL, this.#queue[0]!);
        this.#queue.shift();
      }
    } catch (err) {
      this.#log.warn({ err, queued: this.#queue.length }, 'revocations wait for Redis to come back');
    } finally {
      this.#flushing = false;
    }
    if (this.#queue.length > 0 && this.#link.healthy) void this.#flush();
  }
}
