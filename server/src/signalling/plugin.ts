import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import {
  EVENTS,
  MAX_REQUEST_BYTES,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  type Notification,
  type RemovedReason,
  type Reply,
  type Role,
  type SittingInfo,
} from '../protocol';
import type { AccessService, ConnectionIdentity } from '../auth/access-service';
import { ConnectionRegistry, type TrackedConnection } from '../auth/connections';
import type { SittingService } from '../sittings/service';
import { dispatch, toWireError } from './dispatch';
import { connectionLost, leaveSitting, type Connection, type HandlerDeps } from './handlers';
import type { ConnectedParticipants } from './metrics';
import { SocketRooms } from './rooms';

/** Options of the signalling plugin. */
export interface SignallingOptions {
  sittings: SittingService;
  /** Establishes who each connection is (cookies: staff session or participant pass). */
  access: AccessService;
  logger: Logger;
  /** Browser origins allowed to open a signalling connection. */
  allowedOrigins: readonly string[];
  /** Multi-node mode: socket.io's Redis adapter, so room emits reach every node's sockets. */
  adapter?: ServerOptions['adapter'] | undefined;
  /** Multi-node mode: routes requests to the node hosting the sitting (cluster/cross-node.ts). */
  crossNode?: RequestRouter;
}

/** Where a connection's requests go when its sitting may be hosted by another node. */
export interface RequestRouter {
  /** Called once by the plugin: what requests forwarded from other nodes are handled with. */
  start(deps: HandlerDeps): void;
  /** Handles one request here or on the sitting's node; exactly one reply, never throws. */
  dispatch(c: Connection, msg: unknown, deps: HandlerDeps): Promise<Reply<unknown>>;
  /** The connection closed: `left` on purpose (or revoked), `lost` (may come back to resume). */
  disconnected(c: Connection, how: 'left' | 'lost', reason: string): void;
  /** The sitting as a new connection is told it, from the node hosting it (its recording state). */
  current(sittingId: string): Promise<SittingInfo>;
}

const room = (sittingId: string) => `sitting:${sittingId}`;
/** How long the `server.restarting` notification gets to leave before the sockets close. */
const RESTART_NOTICE_FLUSH_MS = 150;

/** The wire error a revoked connection's requests get, by why it was closed. */
function refusal(reason: RemovedReason): Reply<never> {
  const code = reason === 'kicked' || reason === 'role_changed' ? 'forbidden' : 'unauthorized';
  return { ok: false, error: { code, message: `this connection was closed: ${reason}` } };
}

/**
 * Signalling over socket.io, attached to Fastify's HTTP server. Each connection belongs to one
 * sitting; requests arrive on `req` with an ack (exactly one reply each), notifications leave on
 * `note`. Every connection is told the sitting's state on connect and on every change. Every
 * request is checked against the connection's current rights (auth/connections.ts): a
 * revocation (account disabled, invitation revoked, kicked, role changed, signed out) or the
 * same person joining elsewhere (`replaced`) ends the connection with a `removed` notification
 * and a DISCONNECT, so the client does not reconnect by itself.
 */
export async function signallingPlugin(app: FastifyInstance, opts: SignallingOptions): Promise<void> {
  const log = opts.logger.child({ module: 'signalling' });
  const origins = new Set(opts.allowedOrigins);
  const io = new Server(app.server, {
    serveClient: false,
    ...(opts.adapter ? { adapter: opts.adapter } : {}),
    // Above MAX_REQUEST_BYTES so an oversized request gets a `payload_too_large` reply instead of
    // a dropped connection; far bigger frames still close that one connection.
    maxHttpBufferSize: MAX_REQUEST_BYTES * 16,
    // A silent network death (no FIN, no RST) is seen within 6 s (socket.io's default is 45 s);
    // with the participant held 7 s for a resume, a ghost is gone within 13 s.
    pingInterval: PING_INTERVAL_MS,
    pingTimeout: PING_TIMEOUT_MS,
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      // Non-browser clients (the platform, tests) send no Origin; browsers always do.
      callback(null, origin === undefined || origins.has(origin));
    },
  });

  const registry = new ConnectionRegistry(opts.access.revocations, {
    maxPerIdentity: opts.access.maxConnectionsPerPass,
  });

  io.use((socket, next) => {
    opts.access.identifyConnection(socket.handshake.headers, socket.handshake.auth).then(
      (who: ConnectionIdentity) => {
        try {
          registry.checkRoom(who.sittingId, who.identity.subject);
        } catch (err) {
          const wire = toWireError(err);
          next(Object.assign(new Error(wire.message), { data: wire }));
          return;
        }
        socket.data = who;
        next();
      },
      (err: unknown) => {
        const wire = toWireError(err);
        next(Object.assign(new Error(wire.message), { data: wire }));
      },
    );
  });

  // Metrics, when the server has them (the metrics feature registers before this one).
  const metrics = app.hasDecorator('metrics') ? app.metrics : undefined;
  const connections = new Set<Connection>();
  // A live sitting's notifications for everyone: one emit to the room of its joined participants.
  const rooms = new SocketRooms(io);
  opts.sittings.rooms = rooms;
  metrics?.countParticipants(() => connectedParticipants(connections));
  const deps = { sittings: opts.sittings, access: opts.access, logger: log, metrics };
  opts.crossNode?.start(deps);

  // What a connection is told first: the sitting's state and, when it is live with its media here,
  // the router's capabilities, so the page need not ask `media.prepare` (one request less per join;
  // ADR 0040). Only a runtime this node already has: nothing is made or claimed for a reader.
  const connectState = async (sittingId: string): Promise<Notification> => {
    const sitting = await (opts.crossNode ?? opts.sittings).current(sittingId);
    const live =
      sitting.status === 'live' ? await opts.sittings.liveIfAny(sittingId).catch(() => undefined) : undefined;
    return live && !live.closed
      ? { type: 'sitting.state', sitting, routerRtpCapabilities: live.router.rtpCapabilities }
      : { type: 'sitting.state', sitting };
  };

  io.on('connection', (socket: Socket) => {
    const { sittingId, identity, grant } = socket.data as ConnectionIdentity;
    // Told `removed` (kicked, or replaced by the same person elsewhere) or revoked: the client
    // is told once, its participant leaves (media closed, roster updated), then the socket closes.
    const finish = (reason: RemovedReason, told: boolean) => {
      tracked.revoked ??= reason;
      if (!told) socket.emit(EVENTS.notification, { type: 'removed', reason } satisfies Notification);
      leaveSitting(connection, `connection closed: ${reason}`);
      // After the notification has been written: a DISCONNECT packet, so no automatic reconnect.
      setImmediate(() => socket.disconnect());
    };
    const connection: Connection = {
      id: randomUUID(),
      sittingId,
      identity,
      drop: () => socket.conn.close(),
      notify: (n: Notification) => {
        socket.emit(EVENTS.notification, n);
        if (n.type === 'removed' && tracked.revoked === undefined) {
          tracked.revoked = n.reason;
          setImmediate(() => finish(n.reason, true));
        }
      },
    };
    const tracked: TrackedConnection = { grant, identity, end: (reason) => finish(reason, false) };
    (socket.data as { connection?: Connection }).connection = connection;
    connections.add(connection);
    rooms.opened(connection.id, socket);
    registry.add(tracked);
    void socket.join(room(sittingId));
    void connectState(sittingId).then(
      (state) => connection.notify(state),
      (err: unknown) => log.warn({ err, sittingId }, 'could not send the sitting state'),
    );

    socket.on(EVENTS.request, (msg: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return; // a request without an ack cannot be answered
      // Current rights, from memory (the revocation bus keeps them current): no query per request.
      const revoked = registry.check(tracked);
      if (revoked !== undefined) {
        ack(refusal(revoked));
        return;
      }
      const reply = opts.crossNode?.dispatch(connection, msg, deps) ?? dispatch(connection, msg, deps);
      void reply.then((r) => ack(r));
    });
    socket.on('disconnect', (reason) => {
      connections.delete(connection);
      rooms.closed(connection.id);
      registry.delete(tracked);
      if (tracked.revoked !== undefined) {
        leaveSitting(connection, `connection closed: ${tracked.revoked}`);
        opts.crossNode?.disconnected(connection, 'left', `connection closed: ${tracked.revoked}`);
        return;
      }
      // The client closed on purpose (its page called close): gone now. Anything else (network,
      // page closed, ping timeout) may come back: held for a resume.
      if (reason === 'client namespace disconnect') leaveSitting(connection, 'closed by the client');
      else connectionLost(connection, reason);
      opts.crossNode?.disconnected(
        connection,
        reason === 'client namespace disconnect' ? 'left' : 'lost',
        reason === 'client namespace disconnect' ? 'closed by the client' : reason,
      );
    });
  });

  const onState = (sitting: SittingInfo) => {
    io.to(room(sitting.id)).emit(EVENTS.notification, {
      type: 'sitting.state',
      sitting,
    } satisfies Notification);
  };
  opts.sittings.on('state', onState);

  app.addHook('preClose', async () => {
    opts.sittings.off('state', onState);
    registry.close();
    // A restart, as far as clients know: they are told, then the transport closes (no DISCONNECT
    // packet), so socket.io reconnects by itself until the server is back.
    io.emit(EVENTS.notification, { type: 'server.restarting' } satisfies Notification);
    await new Promise((resolve) => setTimeout(resolve, RESTART_NOTICE_FLUSH_MS));
    io.engine.close();
  });
}

/** The participants whose connection is open and joined now, by role, and their sittings. */
function connectedParticipants(connections: Iterable<Connection>): ConnectedParticipants {
  const byRole = new Map<Role, number>();
  const sittings = new Set<string>();
  for (const { id, joined } of connections) {
    // Same test as the handlers' forgetIfGone: a participant left, removed or taken over is not counted.
    if (!joined || joined.live.closed || joined.participant.closed || joined.participant.connectionId !== id)
      continue;
    const role = joined.participant.identity.role;
    byRole.set(role, (byRole.get(role) ?? 0) + 1);
    sittings.add(joined.live.id);
  }
  return { byRole, sittings: sittings.size };
}
