/**
 * The procurement platform's server-to-server API (`Authorization: Bearer <API key>`):
 * - `POST /api/platform/sittings` {title, kind?, scheduledAt?, hostEmail?} → 201 {sitting, links};
 * - `GET /api/platform/sittings/:id` → {sitting};
 * - `POST /api/platform/sittings/:id/join-tokens` {subject, name, ttlSeconds?} → 201 {token, url,
 *   expiresAt, jti}: a join token for one of the platform's users, valid ≤ 10 minutes, for a public
 *   sitting that is not over. Every token minted is audit-logged.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { appendAudit } from '../audit/audit-log';
import type { AccessService } from '../auth/access-service';
import { MAX_JOIN_TOKEN_TTL_S } from '../auth/join-tokens';
import { createOwnedSitting, resolveHostByEmail, sittingLinks } from '../auth/sitting-owners';
import { AppError } from '../errors';
import { SittingKind } from '../protocol';

/** Options of the platform routes. */
export interface PlatformRoutesOptions {
  access: AccessService;
}

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const CreateBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 300 }),
    kind: Type.Optional(SittingKind),
    scheduledAt: Type.Optional(Type.String({ format: 'date-time' })),
    /** The staff account that runs the sitting; without it only admins can. */
    hostEmail: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
  },
  { additionalProperties: false },
);
const MintBody = Type.Object(
  {
    /** The operator's stable identity on the platform (user id, tax code…). */
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    /** Display name shown to everyone in the sitting (usually person and company). */
    name: Type.String({ minLength: 1, maxLength: 80 }),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_JOIN_TOKEN_TTL_S })),
  },
  { additionalProperties: false },
);

/** Registers the platform routes. */
export async function platformRoutes(app: FastifyInstance, opts: PlatformRoutesOptions): Promise<void> {
  const { access } = opts;
  const { db } = access;

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/platform/sittings',
    { schema: { body: CreateBody } },
    async (req, reply) => {
      const hostUserId = req.body.hostEmail ? await resolveHostByEmail(db, req.body.hostEmail) : null;
      const sitting = await createOwnedSitting(app.sittings, db, {
        title: req.body.title,
        kind: req.body.kind ?? 'public',
        scheduledAt: req.body.scheduledAt ? new Date(req.body.scheduledAt) : null,
        createdBy: 'api',
        hostUserId,
      });
      reply.code(201);
      return { sitting, hostUserId, links: sittingLinks(access.publicOrigin, sitting.id) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/platform/sittings/:id',
    { schema: { params: IdParams } },
    async (req) => ({
      sitting: await app.sittings.get(req.params.id),
    }),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof MintBody> }>(
    '/api/platform/sittings/:id/join-tokens',
    { schema: { params: IdParams, body: MintBody } },
    async (req, reply) => {
      const sitting = await app.sittings.get(req.params.id);
      if (sitting.kind === 'reserved') {
        throw new AppError(
          'invalid_state',
          'a reserved sitting admits invited commissioners only, never operators',
        );
      }
      if (sitting.status === 'ended' || sitting.status === 'cancelled') {
        throw new AppError('invalid_state', `the sitting is ${sitting.status}`);
      }
      const { token, claims } = await access.joinTokens.mint({
        sittingId: sitting.id,
        subject: req.body.subject,
        name: req.body.name,
        ttlSeconds: req.body.ttlSeconds,
      });
      await appendAudit(db, {
        actor: 'api',
        role: 'api',
        action: 'join_token.mint',
        sittingId: sitting.id,
        details: {
          subject: claims.subject,
          name: claims.name,
          jti: claims.jti,
          expiresAt: claims.expiresAt.toISOString(),
        },
      });
      reply.code(201);
      return {
        token,
        url: `${sittingLinks(access.publicOrigin, sitting.id).join}?token=${encodeURIComponent(token)}`,
        expiresAt: claims.expiresAt.toISOString(),
        jti: claims.jti,
      };
    },
  );
}
