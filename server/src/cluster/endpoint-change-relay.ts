/**
 * Webhook endpoint changes across nodes: a node that created, changed or removed an endpoint says
 * so on the Redis channel `seduta:webhook-endpoints`, and every other node reads its endpoints
 * again (webhooks/endpoint-cache.ts). A notice lost while Redis is away is made up by the cache's
 * own periodic refresh.
 */
import type { EndpointChangeRelay } from '../webhooks/endpoint-cache';
import type { Logger } from '../logger';
import type { RedisLink } from './redis';

const CHANNEL = 'seduta:webhook-endpoints';

/** The Redis relay of one node's webhook endpoint changes. */
export class RedisEndpointChangeRelay implements EndpointChangeRelay {
  readonly #link: RedisLink;
  readonly #nodeId: string;
  readonly #log: Logger;
  #listener: (() => void) | undefined;
  readonly #onMessage = (channel: string, from: string) => {
    if (channel === CHANNEL && from !== this.#nodeId) this.#listener?.();
  };

  constructor(link: RedisLink, nodeId: string, logger: Logger) {
    this.#link = link;
    this.#nodeId = nodeId;
    this.#log = logger.child({ module: 'cluster', nodeId });
  }

  /** Subscribes to the channel. */
  async start(): Promise<void> {
    this.#link.subscriber.on('message', this.#onMessage);
    await this.#link.subscriber.subscribe(CHANNEL);
  }

  publish(): void {
    this.#link.command
      .publish(CHANNEL, this.#nodeId)
      .catch((err: unknown) =>
        this.#log.warn(
          { err },
          'could not tell the other nodes a webhook endpoint changed (they re-read it within 30 s)',
        ),
      );
  }

  subscribe(listener: () => void): void {
    this.#listener = listener;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.#link.subscriber.off('message', this.#onMessage);
    this.#listener = undefined;
    await this.#link.subscriber.unsubscribe(CHANNEL).catch(() => undefined);
  }
}
