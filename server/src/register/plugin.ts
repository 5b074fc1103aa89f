/**
 * The sitting's register (issue 13, item 3): the journal that keeps who entered and left and the
 * floor's timeline as sittings run, and the routes that make the register (HTML, PDF) after a
 * sitting. Register it after the sittings feature; closing the app stores what the journal still
 * holds (for a short while) and stops it.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppDeps } from '../app';
import type { SittingInfo, SittingStatus } from '../protocol';
import type { FloorEvent, PresenceEvent } from '../sittings/service';
import { RegisterJournal } from './journal';
import { registerRoutes } from './register-routes';

declare module 'fastify' {
  interface FastifyInstance {
    /** The sitting register's journal (server/src/register/). */
    sittingRegister: { journal: RegisterJournal };
  }
}

async function registerFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const journal = new RegisterJournal(deps.db.db, deps.logger);
  app.decorate('sittingRegister', { journal });
  const { sittings } = app;
  const onPresence = (e: PresenceEvent) => journal.presence(e);
  const onFloor = (e: FloorEvent) => journal.floor(e);
  const onTransition = (s: SittingInfo, _from: SittingStatus) => {
    if (s.status === 'ended') journal.ended(s.id, s.endedAt ? new Date(s.endedAt) : new Date());
  };
  sittings.on('presence', onPresence);
  sittings.on('floor', onFloor);
  sittings.on('transition', onTransition);
  await app.register(registerRoutes, { db: deps.db.db, journal });
  app.addHook('onClose', async () => {
    sittings.off('presence', onPresence);
    sittings.off('floor', onFloor);
    sittings.off('transition', onTransition);
    await journal.close();
  });
}

/** The sitting's register: journal and downloads. */
export const registerPlugin = fp(registerFeature, { name: 'register', dependencies: ['sittings'] });
