import { timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors';
import { SittingKind } from '../protocol';
import type { SittingService } from '../sittings/service';

/** Options of the sittings HTTP routes. */
export interface SittingRoutesOptions {
  sittings: SittingService;
  /** Server-to-server API key (procurement platform, administrators' scripts). */
  apiKey: string;
  /** Origin used to build the links returned to the caller. */
  publicOrigin: string;
}

const CreateBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 300 }),
    kind: Type.Optional(SittingKind),
    scheduledAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

function requireApiKey(req: FastifyRequest, apiKey: string): string {
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(apiKey);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('unauthorized', 'a valid API key is required (Authorization: Bearer <key>)');
  }
  return 'api';
}

/**
 * `GET /api/sittings/:id` (details, for whoever may be in that sitting) and `POST /api/sittings`
 * (API key: create a sitting, answered with the host link and the operators' link). Who may call
 * each is in auth/http-permissions.ts.
 */
export async function sittingRoutes(app: FastifyInstance, opts: SittingRoutesOptions): Promise<void> {
  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/sittings/:id',
    { schema: { params: IdParams } },
    async (req) => opts.sittings.get(req.params.id),
  );

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/sittings',
    { schema: { body: CreateBody } },
    async (req, reply) => {
      const createdBy = requireApiKey(req, opts.apiKey);
      const { sitting } = await opts.sittings.create({
        title: req.body.title,
        kind: req.body.kind ?? 'public',
        scheduledAt: req.body.scheduledAt ? new Date(req.body.scheduledAt) : null,
        createdBy,
      });
      reply.code(201);
      // The host console needs a staff sign-in (an admin's, for a sitting created here without a
      // host; /api/platform/sittings can name one); operators need a join token.
      return {
        sitting,
        hostUrl: `${opts.publicOrigin}/host/${sitting.id}`,
        joinUrl: `${opts.publicOrigin}/s/${sitting.id}`,
      };
    },
  );
}
