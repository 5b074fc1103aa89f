/**
 * The bookings feature: the office (as `app.bookings`), its routes, the booked rooms' opening
 * (a start check on the sitting service; the operators' check is called by the join-token
 * exchange), and the fulfilment when a booked sitting ends or its recording is ready (listening
 * to the sitting service's and the recorder's events). Register it after sittings, recordings
 * and webhooks.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RecordingStateEvent } from '@seduta/recorder';
import type { AppDeps } from '../app';
import { resolveSigningSecret } from '../auth/secrets';
import { createOwnedSitting } from '../auth/sitting-owners';
import type { SittingInfo, SittingStatus } from '../protocol';
import { checkHostStart, checkOperatorEntry, hasMeetingPassword } from './room';
import { bookingRoutes } from './routes';
import { BookingService } from './service';

declare module 'fastify' {
  interface FastifyInstance {
    /** The bookings office (server/src/bookings/). */
    bookings: BookingService;
    /** A booked sitting's entry check for operators: password and start time (bookings/room.ts). */
    bookedRoomEntry: (sittingId: string, password: string | undefined) => Promise<void>;
    /** Whether a sitting is entered with its meeting password (a booked sitting that has one). */
    meetingPasswordEntry: (sittingId: string) => Promise<boolean>;
  }
}

/** How often unconfirmed public requests older than 24 h are dropped. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const SYSTEM = { subject: 'system', name: 'Seduta', role: 'admin' as const };

async function bookingsFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const log = deps.logger.child({ module: 'bookings' });
  const config = deps.config.bookings;
  const db = deps.db.db;
  const attachmentsDir = path.join(deps.config.dataDir, 'booking-attachments');
  const origin = app.access.publicOrigin;
  let keySecret: Uint8Array | undefined;
  const sendMail = app.access.outbox;
  if (config.publicForm && !sendMail) {
    log.warn('BOOKINGS_PUBLIC=true but SMTP_URL is not set: the public form needs e-mail, and stays closed');
  }
  const recorder = app.hasDecorator('recorder') ? app.recorder : undefined;

  const service = new BookingService({
    db,
    config,
    logger: deps.logger,
    origin,
    attachmentsDir,
    get keySecret() {
      // Derived on first use, like the access feature's keys: DATA_DIR is only touched when needed.
      keySecret ??= new Uint8Array(
        createHmac(
          'sha256',
          resolveSigningSecret(deps.config.access.joinTokenSecret, deps.config.dataDir).secret,
        )
          .update('seduta:booking-key')
          .digest(),
      );
      return keySecret;
    },
    createSitting: (input) => createOwnedSitting(app.sittings, db, input),
    cancelSitting: async (id) => {
      await app.sittings.cancel(id, SYSTEM);
    },
    invite: async (sittingId, email, by) => {
      const name = email.split('@')[0] ?? email;
      await app.access.invites.create(sittingId, { email, name }, { ...by, role: 'admin' });
    },
    sendMail: sendMail ? (mail) => sendMail.enqueue(mail) : undefined,
    emitEvent: (type, data) => {
      if (app.hasDecorator('webhooks')) app.webhooks.events.emitLater(type, data);
    },
    sittingStatus: (id) =>
      app.sittings.get(id).then(
        (s) => s.status as string,
        () => undefined,
      ),
    recordings: async (sittingId) =>
      recorder
        ? (await recorder.list(sittingId)).map((r) => ({
            id: r.id,
            state: r.state,
            sha256: r.final?.sha256 ?? null,
            durationSeconds: r.final?.duration ?? null,
          }))
        : [],
  });
  app.decorate('bookings', service);
  app.decorate('bookedRoomEntry', (sittingId: string, password: string | undefined) =>
    checkOperatorEntry(db, sittingId, password),
  );
  app.decorate('meetingPasswordEntry', (sittingId: string) => hasMeetingPassword(db, sittingId));

  const startCheck = (sittingId: string) => checkHostStart(db, sittingId, config.roomOpensMinutesBefore);
  app.sittings.startChecks.push(startCheck);
  const fulfil = (sittingId: string): void => {
    service
      .fulfilIfDone(sittingId)
      .catch((err: unknown) => log.error({ err, sittingId }, 'could not fulfil a booking'));
  };
  const onTransition = (s: SittingInfo, _from: SittingStatus): void => {
    if (s.status === 'ended') fulfil(s.id);
  };
  const onRecording = (e: RecordingStateEvent): void => {
    if (e.state === 'ready' || e.state === 'failed') fulfil(e.sittingId);
  };
  app.sittings.on('transition', onTransition);
  recorder?.on('state', onRecording);

  await app.register(bookingRoutes, {
    service,
    attachmentsDir,
    attachmentMaxBytes: config.attachmentMaxBytes,
  });

  const purge = (): void => {
    service
      .purgeUnconfirmed()
      .then((n) => n > 0 && log.info({ dropped: n }, 'dropped unconfirmed public booking requests'))
      .catch((err: unknown) => log.warn({ err }, 'could not drop unconfirmed booking requests'));
  };
  const timer = setInterval(purge, PURGE_INTERVAL_MS);
  timer.unref();

  app.addHook('onClose', async () => {
    clearInterval(timer);
    app.sittings.off('transition', onTransition);
    recorder?.off('state', onRecording);
    const i = app.sittings.startChecks.indexOf(startCheck);
    if (i >= 0) app.sittings.startChecks.splice(i, 1);
  });
}

/** Bookings: requests, answers, thread, booked rooms, fulfilment. */
export const bookingsPlugin = fp(bookingsFeature, { name: 'bookings', dependencies: ['sittings'] });
