/**
 * Signalling against a real socket.io server on 127.0.0.1: a handshake refused as `unavailable`
 * (the server's database is out of reach) is tried again until it is accepted, with no click; a
 * refusal of the credentials is final; a request made while disconnected fails at once instead
 * of being queued to arrive unseen later.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENTS, PING_SILENCE_MS } from '@seduta/server/protocol';
import { Signalling, SignallingError, type ConnectionState } from './signalling';

interface Running {
  url: string;
  io: Server;
  handshakes: number;
  close(): Promise<void>;
}

/** A socket.io server whose handshake answers `refusal(n)` for the n-th attempt (undefined: accept). */
async function serve(
  refusal: (attempt: number) => string | undefined,
  options: { pingInterval?: number } = {},
): Promise<Running> {
  const server = http.createServer();
  const io = new Server(server, options);
  const running: Running = {
    url: '',
    io,
    handshakes: 0,
    close: async () => {
      await io.close();
    },
  };
  io.use((_socket, next) => {
    running.handshakes += 1;
    const code = refusal(running.handshakes);
    if (code === undefined) return next();
    next(Object.assign(new Error(`refused: ${code}`), { data: { code, message: code } }));
  });
  io.on('connection', (socket) => {
    socket.on(EVENTS.request, (_msg: unknown, ack: (reply: unknown) => void) => ack({ ok: true, data: {} }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return running;
}

describe('Signalling', () => {
  const open: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  function connect(url: string): { signalling: Signalling; states: ConnectionState[] } {
    const states: ConnectionState[] = [];
    const signalling = new Signalling(
      { sittingId: 's1' },
      { notification: () => undefined, connection: (state) => states.push(state) },
      url,
    );
    open.push(signalling);
    signalling.connect();
    return { signalling, states };
  }

  it('tries again by itself while the handshake is refused as unavailable, and gets in once it is not', async () => {
    const server = await serve((n) => (n <= 2 ? 'unavailable' : undefined));
    open.push(server);
    const { signalling, states } = connect(server.url);
    await vi.waitFor(() => expect(signalling.connected).toBe(true), { timeout: 8_000, interval: 50 });
    expect(server.handshakes).toBe(3);
    expect(states).not.toContain('refused');
    expect(states.filter((s) => s === 'disconnected')).toHaveLength(2);
    expect(states.at(-1)).toBe('connected');
  });

  it('does not try again when the credentials are refused', async () => {
    const server = await serve(() => 'unauthorized');
    open.push(server);
    const { states } = connect(server.url);
    await vi.waitFor(() => expect(states).toContain('refused'), { timeout: 3_000, interval: 20 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(server.handshakes).toBe(1);
  });

  it('says the connection is unstable when the server goes silent, and connected when it is heard again', async () => {
    // No ping for 20 s: as a cut link looks from the client before socket.io gives up.
    const server = await serve(() => undefined, { pingInterval: 20_000 });
    open.push(server);
    const { states } = connect(server.url);
    await vi.waitFor(() => expect(states).toContain('connected'), { timeout: 3_000, interval: 20 });
    const connectedAt = Date.now();
    await vi.waitFor(() => expect(states.at(-1)).toBe('unstable'), { timeout: 5_000, interval: 50 });
    expect(Date.now() - connectedAt).toBeGreaterThanOrEqual(PING_SILENCE_MS - 100);
    server.io.emit(EVENTS.notification, { type: 'server.restarting' });
    await vi.waitFor(() => expect(states.at(-1)).toBe('connected'), { timeout: 2_000, interval: 20 });
  });

  it('treats a connection closed by the server after `removed` as final: closed, never reconnected', async () => {
    const server = await serve(() => undefined);
    open.push(server);
    server.io.on('connection', (socket) => {
      socket.emit(EVENTS.notification, { type: 'removed', reason: 'replaced' });
      socket.disconnect();
    });
    const { states } = connect(server.url);
    await vi.waitFor(() => expect(states.at(-1)).toBe('closed'), { timeout: 3_000, interval: 20 });
    // socket.io's reconnection would have tried within 0.5–2 s.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(server.handshakes).toBe(1);
    expect(states).not.toContain('disconnected');
  });

  it('fails a request made while disconnected at once, with code offline', async () => {
    const server = await serve(() => undefined);
    open.push(server);
    const { signalling } = connect(server.url);
    await vi.waitFor(() => expect(signalling.connected).toBe(true), { timeout: 3_000, interval: 20 });
    await expect(signalling.request({ type: 'leave' })).resolves.toEqual({});
    server.io.disconnectSockets(true);
    await vi.waitFor(() => expect(signalling.connected).toBe(false), { timeout: 3_000, interval: 20 });
    const started = Date.now();
    const error = await signalling.request({ type: 'chat.send', text: 'riga' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignallingError);
    expect((error as SignallingError).code).toBe('offline');
    expect(Date.now() - started).toBeLessThan(100);
  });
});
