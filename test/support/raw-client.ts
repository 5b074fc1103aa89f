import { io, type Socket } from 'socket.io-client';
import { vi } from 'vitest';
import {
  EVENTS,
  type HandshakeAuth,
  type Notification,
  type ParticipantChange,
  type Reply,
  type ReplyData,
  type RequestType,
} from '@seduta/server/protocol';

/**
 * What a raw client was told: each notification, and each roster change of a
 * `participants.changed` after it (so a test can wait for one participant's change).
 */
export type Note = Notification | ParticipantChange;

/** A signalling client with no UI, speaking the raw protocol (tests, benchmarks). */
export interface RawClient {
  socket: Socket;
  notes: Note[];
  /** Sends any message (valid or not) and returns the raw reply. */
  send(msg: unknown, timeoutMs?: number): Promise<Reply<unknown>>;
  /** Sends a typed request and returns its data, or throws with the error code. */
  request<T extends RequestType>(msg: { type: T } & Record<string, unknown>): Promise<ReplyData[T]>;
  /** Waits until a notification matching `type` (and `pred`) has arrived, and returns the latest such. */
  waitForNote<T extends Note['type']>(
    type: T,
    pred?: (n: Extract<Note, { type: T }>) => boolean,
  ): Promise<Extract<Note, { type: T }>>;
  close(): void;
}

/**
 * Connects to a test server as whoever `cookie` signs in (a staff session or a participant pass,
 * see TestServer); rejects with the server's wire error if the handshake is refused.
 */
export async function connectRaw(url: string, auth: HandshakeAuth & { cookie?: string }): Promise<RawClient> {
  const { cookie, ...handshake } = auth;
  const socket = io(url, {
    auth: handshake,
    // Node's WebSocket client sends these on the upgrade request, as a browser sends its cookies.
    ...(cookie ? { extraHeaders: { cookie } } : {}),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const notes: Note[] = [];
  socket.on(EVENTS.notification, (n: Notification) => {
    notes.push(n);
    if (n.type === 'participants.changed') notes.push(...n.changes);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err: Error & { data?: unknown }) => {
      socket.close();
      reject(Object.assign(new Error(err.message), { data: err.data }));
    });
  });
  const send = (msg: unknown, timeoutMs = 10_000) =>
    socket.timeout(timeoutMs).emitWithAck(EVENTS.request, msg) as Promise<Reply<unknown>>;
  return {
    socket,
    notes,
    send,
    async request(msg) {
      const reply = await send(msg);
      if (!reply.ok)
        throw Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), reply.error);
      return reply.data as never;
    },
    async waitForNote(type, pred) {
      return vi.waitFor(
        () => {
          const n = notes.findLast((x) => x.type === type && (!pred || pred(x as never)));
          if (!n) throw new Error(`no ${type} notification yet`);
          return n as never;
        },
        { timeout: 5000, interval: 20 },
      );
    },
    close: () => socket.close(),
  };
}
