import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import {
  EVENTS,
  MAX_REQUEST_BYTES,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  type Notification,
  type Role,
  type SittingInfo,
} from '../protocol';
import type { AccessService, BanEvent } from '../auth/access-service';
import type { Identity } from '../sittings/participant';
import type { SittingService } from '../sittings/service';
import { dispatch, toWireError } from './dispatch';
import { connectionLost, leaveSitting, type Connection } from './handlers';
import type { ConnectedParticipants } from './metrics';

/** Options of the signalling plugin. */
export interface SignallingOptions {
  sittings: SittingService;
  /** Establishes who each connection is (cookies: staff session or participant pass). */
  access: AccessService;
  logger: Logger;
  /** Browser origins allowed to open a signalling connection. */
  allowedOrigins: readonly string[];
}

const room = (sittingId: string) => `sitting:${sittingId}`;
/** How long the `server.restarting` notification gets to leave before the sockets close. */
const RESTART_NOTICE_FLUSH_MS = 150;

/**
 * Signalling over socket.io, attached to Fastify's HTTP server. Each connection belongs to one
 * sitting; requests arrive on `req` with an ack (exactly one reply each), notifications leave on
 * `note`. Every connection is told the sitting's state on connect and on every change.
 */
export async function signallingPlugin(app: FastifyInstance, opts: SignallingOptions): Promise<void> {
  const log = opts.logger.child({ module: 'signalling' });
  const origins = new Set(opts.allowedOrigins);
  const io = new Server(app.server, {
    serveClient: false,
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

  io.use((socket, next) => {
    opts.access.identifyConnection(socket.handshake.headers, socket.handshake.auth).then(
      ({ sittingId, identity }) => {
        socket.data = { sittingId, identity };
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
  metrics?.countParticipants(() => connectedParticipants(connections));
  const deps = { sittings: opts.sittings, access: opts.access, logger: log, metrics };

  io.on('connection', (socket: Socket) => {
    const { sittingId, identity } = socket.data as { sittingId: string; identity: Identity };
    const connection: Connection = {
      id: randomUUID(),
      sittingId,
      identity,
      notify: (n: Notification) => socket.emit(EVENTS.notification, n),
    };
    (socket.data as { connection?: Connection }).connection = connection;
    connections.add(connection);
    void socket.join(room(sittingId));
    void opts.sittings.get(sittingId).then(
      (sitting) => connection.notify({ type: 'sitting.state', sitting }),
      (err: unknown) => log.warn({ err, sittingId }, 'could not send the sitting state'),
    );

    socket.on(EVENTS.request, (msg: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return; // a request without an ack cannot be answered
      void dispatch(connection, msg, deps).then((reply) => ack(reply));
    });
    socket.on('disconnect', (reason) => {
      connections.delete(connection);
      // The client closed on purpose (its page called close): gone now. Anything else (network,
      // page closed, ping timeout) may come back: held for a resume.
      if (reason === 'client namespace disconnect') leaveSitting(connection, 'closed by the client');
      else connectionLost(connection, reason);
    });
  });

  const onState = (sitting: SittingInfo) => {
    io.to(room(sitting.id)).emit(EVENTS.notification, {
      type: 'sitting.state',
      sitting,
    } satisfies Notification);
  };
  opts.sittings.on('state', onState);

  // A removed participant's connections (every tab of that subject) are told and closed; the
  // handshake refuses them from now on.
  const onBan = async ({ sittingId, subject, participantId }: BanEvent) => {
    for (const socket of await io.in(room(sittingId)).fetchSockets()) {
      const data = socket.data as { identity: Identity; connection?: Connection };
      if (data.identity.subject !== subject) continue;
      if (data.connection?.joined?.participant.id !== participantId) {
        socket.emit(EVENTS.notification, { type: 'removed', reason: 'kicked' } satisfies Notification);
      }
      // A DISCONNECT packet after the notification: the client does not reconnect by itself.
      socket.disconnect();
    }
  };
  const onBanSafe = (event: BanEvent) =>
    void onBan(event).catch((err: unknown) =>
      log.error({ err, sittingId: event.sittingId }, 'could not close a removed participant'),
    );
  opts.access.on('ban', onBanSafe);

  app.addHook('preClose', async () => {
    opts.sittings.off('state', onState);
    opts.access.off('ban', onBanSafe);
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
