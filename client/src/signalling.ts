import { io, type Socket } from 'socket.io-client';
import { EVENTS, PING_SILENCE_MS, REQUEST_TIMEOUT_MS } from '@seduta/server/protocol';
import type {
  ErrorCode,
  HandshakeAuth,
  Notification,
  Reply,
  ReplyData,
  RequestOf,
  RequestType,
} from '@seduta/server/protocol';
import { markJoin } from './join-timing';

/** A request that failed: the server's error code, or `timeout` when no reply came in time. */
export class SignallingError extends Error {
  override readonly name = 'SignallingError';

  constructor(
    readonly code: ErrorCode | 'offline',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Connection state of the signalling socket as the UI shows it: `disconnected` retries by itself;
 * `refused` (the server rejected the credentials) does not; `unstable`: still connected as far as
 * socket.io knows, but the server's pings stopped arriving (a cut link, before socket.io gives up);
 * `closed`: closed for good, by this client or by the server (after a `removed` notification).
 */
export type ConnectionState = 'connecting' | 'connected' | 'unstable' | 'disconnected' | 'refused' | 'closed';

/** Callbacks the owner of a {@link Signalling} is told about. */
export interface SignallingHandlers {
  notification(note: Notification): void;
  connection(state: ConnectionState, reason?: string): void;
}

/**
 * The socket.io connection to the signalling server: typed requests with one reply each, and the
 * server's notifications. Knows nothing about media.
 */
export class Signalling {
  readonly #socket: Socket;
  readonly #handlers: SignallingHandlers;
  #closed = false;
  /** Handshakes refused with `unavailable` in a row (the server's database is down): backoff. */
  #unavailable = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the server last pinged (or the connection opened), and the timer that watches it. */
  #lastHeard = 0;
  #silent = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(auth: HandshakeAuth, handlers: SignallingHandlers, url?: string) {
    this.#handlers = handlers;
    const options = {
      auth: { ...auth },
      autoConnect: false,
      transports: ['websocket'],
      // Back quickly after a drop or a server restart: 0.5 s, then up to 2 s between attempts.
      reconnectionDelay: 500,
      reconnectionDelayMax: 2_000,
      randomizationFactor: 0.3,
    };
    this.#socket = url === undefined ? io(options) : io(url, options);
    this.#socket.on(EVENTS.notification, (note: Notification) => this.#handlers.notification(note));
    this.#socket.on('connect', () => {
      markJoin('socket');
      this.#unavailable = 0;
      this.#heard();
      this.#handlers.connection('connected');
    });
    // The server pings every PING_INTERVAL_MS: silence for longer means the link is cut.
    this.#socket.io.on('ping', () => this.#heard());
    this.#socket.on(EVENTS.notification, () => this.#heard());
    this.#socket.on('disconnect', (reason) => {
      this.#silent = false;
      if (this.#closed) return;
      // The server closed this connection on purpose (removed, revoked, replaced by another tab):
      // socket.io does not reconnect after that, and neither does anything else here.
      this.#handlers.connection(reason === 'io server disconnect' ? 'closed' : 'disconnected', reason);
    });
    this.#socket.on('connect_error', (error: Error & { data?: { code?: ErrorCode } }) => {
      if (this.#closed) return;
      if (!this.#socket.active && retryable(error.data?.code)) {
        // The server is there but cannot check the credentials now (its database is down):
        // socket.io gives up on a refused handshake, so try again, more slowly each time.
        this.#scheduleRetry();
        this.#handlers.connection('disconnected', error.message);
        return;
      }
      this.#handlers.connection(this.#socket.active ? 'disconnected' : 'refused', error.message);
    });
  }

  #heard(): void {
    this.#lastHeard = Date.now();
    this.#watchdog ??= setInterval(() => this.#checkSilence(), 500);
    if (this.#silent) {
      this.#silent = false;
      if (this.#socket.connected) this.#handlers.connection('connected');
    }
  }

  #checkSilence(): void {
    if (this.#closed || !this.#socket.connected || this.#silent) return;
    if (Date.now() - this.#lastHeard < PING_SILENCE_MS) return;
    this.#silent = true;
    this.#handlers.connection('unstable');
  }

  #scheduleRetry(): void {
    clearTimeout(this.#retryTimer);
    const delay = Math.min(1_000 * 2 ** this.#unavailable, 8_000);
    this.#unavailable += 1;
    this.#retryTimer = setTimeout(() => {
      if (!this.#closed && !this.#socket.connected) this.#socket.connect();
    }, delay);
  }

  /** Whether the socket is connected right now. */
  get connected(): boolean {
    return this.#socket.connected;
  }

  /** Opens the connection (socket.io reconnects by itself after drops). */
  connect(): void {
    if (this.#closed) return;
    this.#handlers.connection('connecting');
    this.#socket.connect();
  }

  /** (Re)connects with new handshake credentials, resolving once connected. */
  async reconnect(auth: HandshakeAuth): Promise<void> {
    if (this.#closed) throw new SignallingError('invalid_state', 'signalling is closed');
    this.#socket.auth = { ...auth };
    this.#socket.disconnect();
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new SignallingError('timeout', 'could not connect to the server'));
      }, REQUEST_TIMEOUT_MS);
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: Error & { data?: { code?: ErrorCode } }): void => {
        // Refused by the server (bad credentials): socket.io will not retry, so neither do we.
        // `unavailable` is retried (see the constructor) until the timeout.
        if (this.#socket.active || retryable(error.data?.code)) return;
        cleanup();
        reject(new SignallingError(error.data?.code ?? 'unauthorized', error.message));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#socket.off('connect', onConnect);
        this.#socket.off('connect_error', onError);
      };
      this.#socket.on('connect', onConnect);
      this.#socket.on('connect_error', onError);
    });
    this.connect();
    await connected;
  }

  /** Sends one request and resolves with its reply's data; throws {@link SignallingError}. */
  async request<T extends RequestType>(msg: RequestOf<T> & { type: T }): Promise<ReplyData[T]> {
    if (this.#closed) throw new SignallingError('invalid_state', 'signalling is closed');
    // Not queued for later: a chat line sent while reconnecting would arrive (or not) unseen.
    if (!this.#socket.connected) throw new SignallingError('offline', 'not connected: reconnecting');
    let reply: Reply<ReplyData[T]>;
    try {
      reply = (await this.#socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck(EVENTS.request, msg)) as Reply<
        ReplyData[T]
      >;
    } catch {
      throw new SignallingError('timeout', `no reply to ${msg.type} within ${REQUEST_TIMEOUT_MS} ms`);
    }
    if (!reply.ok) throw new SignallingError(reply.error.code, reply.error.message);
    markJoin(msg.type);
    return reply.data;
  }

  /** Disconnects for good; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#watchdog);
    this.#socket.disconnect();
    this.#socket.removeAllListeners();
    this.#handlers.connection('closed');
  }
}

/** Handshake refusals that are worth trying again: the server is up, a dependency is not. */
function retryable(code: ErrorCode | undefined): boolean {
  return code === 'unavailable';
}
