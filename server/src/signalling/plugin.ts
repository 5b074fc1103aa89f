import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import { AppError } from '../errors';
import {
  EVENTS,
  MAX_REQUEST_BYTES,
  type HandshakeAuth,
  type Notification,
  type SittingInfo,
} from '../protocol';
import type { Identity } from '../sittings/participant';
import type { SittingService } from '../sittings/service';
import { dispatch, toWireError } from './dispatch';
import { leaveSitting, type Connection } from './handlers';

/** Options of the signalling plugin. */
export interface SignallingOptions {
  sittings: SittingService;
  logger: Logger;
  /** Browser origins allowed to open a signalling connection. */
  allowedOrigins: readonly string[];
}

const room = (sittingId: string) => `sitting:${sittingId}`;
const MAX_NAME = 80;

/** Establishes who a new connection is from its handshake credentials, or throws. */
async function authenticate(
  auth: unknown,
  sittings: SittingService,
): Promise<{ sittingId: string; identity: Identity }> {
  const a = (typeof auth === 'object' && auth !== null ? auth : {}) as Partial<
    Record<keyof HandshakeAuth, unknown>
  >;
  if (typeof a.sittingId !== 'string' || a.sittingId.length === 0 || a.sittingId.length > 64) {
    throw new AppError('bad_request', 'sittingId is required');
  }
  const sitting = await sittings.get(a.sittingId).catch(() => {
    throw new AppError('not_found', 'no such sitting');
  });
  if (typeof a.hostKey === 'string' && a.hostKey.length > 0) {
    if (!(await sittings.isHostKey(sitting.id, a.hostKey)))
      throw new AppError('unauthorized', 'wrong host key');
    const name = typeof a.name === 'string' && a.name.trim() ? a.name.trim().slice(0, MAX_NAME) : 'Host';
    return { sittingId: sitting.id, identity: { subject: `host:${sitting.id}`, name, role: 'host' } };
  }
  const name = typeof a.name === 'string' ? a.name.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME) {
    throw new AppError('bad_request', `a display name of 1–${MAX_NAME} characters is required`);
  }
  return { sittingId: sitting.id, identity: { subject: `operator:${name}`, name, role: 'operator' } };
}

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
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      // Non-browser clients (the platform, tests) send no Origin; browsers always do.
      callback(null, origin === undefined || origins.has(origin));
    },
  });

  io.use((socket, next) => {
    authenticate(socket.handshake.auth, opts.sittings).then(
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

  io.on('connection', (socket: Socket) => {
    const { sittingId, identity } = socket.data as { sittingId: string; identity: Identity };
    const connection: Connection = {
      id: randomUUID(),
      sittingId,
      identity,
      notify: (n: Notification) => socket.emit(EVENTS.notification, n),
    };
    void socket.join(room(sittingId));
    void opts.sittings.get(sittingId).then(
      (sitting) => connection.notify({ type: 'sitting.state', sitting }),
      (err: unknown) => log.warn({ err, sittingId }, 'could not send the sitting state'),
    );

    socket.on(EVENTS.request, (msg: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return; // a request without an ack cannot be answered
      void dispatch(connection, msg, { sittings: opts.sittings, logger: log }).then((reply) => ack(reply));
    });
    socket.on('disconnect', (reason) => {
      leaveSitting(connection, `disconnected: ${reason}`);
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
    io.disconnectSockets(true);
    io.engine.close();
  });
}
