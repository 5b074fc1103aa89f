/**
 * Request/response between nodes over Redis pub/sub. Each node listens on its own channel
 * `seduta:rpc:<nodeId>`; a call publishes a request there and waits for the reply on the caller's
 * channel. A call fails fast with `unavailable` when Redis is out of reach, when nobody listens on
 * the target's channel (the node is gone), or after its timeout; an AppError thrown by the remote
 * handler arrives as an AppError with the same code and message (a {@link NodeError} with its node
 * code too), anything else as `internal`.
 */
import { randomUUID } from 'node:crypto';
import { AppError, ERROR_STATUS, type ErrorCode } from '../errors';
import type { Logger } from '../logger';
import type { RedisLink } from './redis';

/** Why a node refused, for the calling node to act on (its client sees only the AppError's code). */
export const NODE_ERROR_CODES = ['no_pipe'] as const;

/** One of {@link NODE_ERROR_CODES}: `no_pipe`, the origin has no end of the caller's pipe (open a new pair). */
export type NodeErrorCode = (typeof NODE_ERROR_CODES)[number];

/** An AppError whose `nodeCode` the calling node recognises it by; it travels with code and message. */
export class NodeError extends AppError {
  constructor(
    code: ErrorCode,
    readonly nodeCode: NodeErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** A handler of one method: receives the arguments and the calling node's id. */
export type RpcHandler<A, R> = (args: A, fromNode: string) => Promise<R>;

type Message =
  | { kind: 'req'; id: string; from: string; method: string; args: unknown }
  | { kind: 'send'; from: string; method: string; args: unknown }
  | { kind: 'res'; id: string; ok: true; result: unknown }
  | { kind: 'res'; id: string; ok: false; code: ErrorCode; message: string; nodeCode?: NodeErrorCode };

interface Pending {
  resolve(value: unknown): void;
  reject(err: AppError): void;
  timer: NodeJS.Timeout;
}

const channelOf = (nodeId: string) => `seduta:rpc:${nodeId}`;

/** One node's end of the cluster RPC. */
export class ClusterRpc {
  readonly #link: RedisLink;
  readonly #nodeId: string;
  readonly #channel: string;
  readonly #log: Logger | undefined;
  readonly #handlers = new Map<string, RpcHandler<unknown, unknown>>();
  readonly #pending = new Map<string, Pending>();
  readonly #onMessage = (channel: string, raw: string) => {
    if (channel === this.#channel) this.#receive(raw);
  };
  #started = false;
  #closed = false;

  constructor(link: RedisLink, nodeId: string, opts: { logger?: Logger } = {}) {
    this.#link = link;
    this.#nodeId = nodeId;
    this.#channel = channelOf(nodeId);
    this.#log = opts.logger?.child({ module: 'cluster-rpc', nodeId });
  }

  /** Subscribes to this node's channel. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#link.subscriber.on('message', this.#onMessage);
    await this.#link.subscriber.subscribe(this.#channel);
  }

  /** Registers the handler of `method` (one per method). */
  handle<A, R>(method: string, fn: RpcHandler<A, R>): void {
    if (this.#handlers.has(method)) throw new Error(`rpc: ${method} already has a handler`);
    this.#handlers.set(method, fn as RpcHandler<unknown, unknown>);
  }

  /**
   * Calls `method` on `nodeId`. Rejects with AppError('unavailable', ...) after timeoutMs (default
   * 5000) or if Redis is down; an AppError thrown by the remote handler arrives as an AppError
   * with the same code/message.
   */
  async call<R>(nodeId: string, method: string, args: unknown, timeoutMs = 5000): Promise<R> {
    const unavailable = (why: string) => new AppError('unavailable', `node ${nodeId} ${why} (${method})`);
    if (this.#closed) throw unavailable('cannot be called: this node is shutting down');
    if (!this.#link.healthy) throw unavailable('is out of reach: Redis is down');
    const id = randomUUID();
    const result = new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(unavailable(`did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
    const request: Message = { kind: 'req', id, from: this.#nodeId, method, args };
    let receivers: number;
    try {
      receivers = await this.#link.command.publish(channelOf(nodeId), JSON.stringify(request));
    } catch {
      receivers = -1;
    }
    if (receivers <= 0) {
      const pending = this.#pending.get(id);
      if (pending) {
        this.#pending.delete(id);
        clearTimeout(pending.timer);
        pending.reject(unavailable(receivers === 0 ? 'is not running' : 'is out of reach: Redis is down'));
      }
    }
    return result;
  }

  /** Fire-and-forget message to a node (no reply); lost if Redis or the node is down. */
  send(nodeId: string, method: string, args: unknown): void {
    if (this.#closed || !this.#link.healthy) return;
    const message: Message = { kind: 'send', from: this.#nodeId, method, args };
    this.#link.command.publish(channelOf(nodeId), JSON.stringify(message)).catch((err: unknown) => {
      this.#log?.debug({ err, method, nodeId }, 'rpc send failed');
    });
  }

  /** Unsubscribes; calls still waiting fail with `unavailable`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new AppError('unavailable', 'this node is shutting down'));
      this.#pending.delete(id);
    }
    this.#link.subscriber.off('message', this.#onMessage);
    if (this.#started && this.#link.healthy) {
      await this.#link.subscriber.unsubscribe(this.#channel).catch(() => undefined);
    }
  }

  #receive(raw: string): void {
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      this.#log?.warn('rpc: a message that is not JSON was ignored');
      return;
    }
    switch (message.kind) {
      case 'res': {
        const pending = this.#pending.get(message.id);
        if (!pending) return; // Timed out already.
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.result);
        // A node code this node does not know (another version's) leaves a plain AppError.
        else if (message.nodeCode && NODE_ERROR_CODES.includes(message.nodeCode))
          pending.reject(new NodeError(message.code, message.nodeCode, message.message));
        else pending.reject(new AppError(message.code, message.message));
        return;
      }
      case 'req':
        void this.#serve(message);
        return;
      case 'send': {
        const handler = this.#handlers.get(message.method);
        if (!handler) {
          this.#log?.warn({ method: message.method, fromNode: message.from }, 'rpc: no handler');
          return;
        }
        handler(message.args, message.from).catch((err: unknown) =>
          this.#log?.error({ err, method: message.method, fromNode: message.from }, 'rpc: handler failed'),
        );
        return;
      }
      default:
        this.#log?.warn('rpc: a message of unknown kind was ignored');
    }
  }

  async #serve(request: Extract<Message, { kind: 'req' }>): Promise<void> {
    let reply: Message;
    const handler = this.#handlers.get(request.method);
    try {
      if (!handler)
        throw new AppError('not_found', `no rpc method ${request.method} on node ${this.#nodeId}`);
      reply = { kind: 'res', id: request.id, ok: true, result: await handler(request.args, request.from) };
    } catch (err) {
      if (err instanceof AppError && err.code in ERROR_STATUS) {
        reply = {
          kind: 'res',
          id: request.id,
          ok: false,
          code: err.code,
          message: err.message,
          ...(err instanceof NodeError && { nodeCode: err.nodeCode }),
        };
      } else {
        this.#log?.error({ err, method: request.method, fromNode: request.from }, 'rpc: handler failed');
        reply = {
          kind: 'res',
          id: request.id,
          ok: false,
          code: 'internal',
          message: 'remote handler failed',
        };
      }
    }
    try {
      await this.#link.command.publish(channelOf(request.from), JSON.stringify(reply));
    } catch (err) {
      this.#log?.warn({ err, method: request.method, fromNode: request.from }, 'rpc: reply lost');
    }
  }
}
