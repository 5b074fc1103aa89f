/**
 * The operator's personal link from the host console (issue 13 item 7): the procurement platform
 * normally mints operators' join tokens (`POST /api/platform/sittings/:id/join-tokens`); an
 * operator who did not receive one gets a link from the sitting's host or an admin here.
 * - `POST /api/staff/sittings/:id/join-tokens` {name, company?} → 201 {url, expiresAt}: a join
 *   token for this public sitting, valid once and for MAX_JOIN_TOKEN_TTL_S, carrying the name the
 *   host typed ("name – company"); audit-logged (`join_token.mint`, with the staff member as
 *   actor). A reserved sitting admits invited commissioners only (409 `invalid_state`), as does an
 *   ended or cancelled one. Who may call it is in auth/http-permissions.ts (the sitting's host,
 *   admins).
 */
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppDeps } from '../app';
import { appendAudit } from '../audit/audit-log';
import { MAX_JOIN_TOKEN_TTL_S } from '../auth/join-tokens';
import { auditActor } from '../auth/principal';
import { sittingLinks } from '../auth/sitting-owners';
import { AppError } from '../errors';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const LinkBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80 }),
    company: Type.Optional(Type.String({ maxLength: 120 })),
  },
  { additionalProperties: false },
);

/** The name the sitting shows for an operator: "name – company", or the name alone. */
export function operatorDisplayName(name: string, company?: string): string {
  const who = name.trim();
  const firm = company?.trim() ?? '';
  return firm ? `${who} – ${firm}` : who;
}

async function operatorLinks(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.db.db;
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof LinkBody> }>(
    '/api/staff/sittings/:id/join-tokens',
    { schema: { params: IdParams, body: LinkBody } },
    async (req, reply) => {
      const sitting = await app.sittings.get(req.params.id);
      if (sitting.kind === 'reserved') {
        throw new AppError(
          'invalid_state',
          'a reserved sitting admits invited commissioners only: invite them',
        );
      }
      if (sitting.status === 'ended' || sitting.status === 'cancelled') {
        throw new AppError('invalid_state', `the sitting is ${sitting.status}`);
      }
      const name = operatorDisplayName(req.body.name, req.body.company);
      if (!name) throw new AppError('bad_request', 'name is empty');
      const { token, claims } = await app.access.joinTokens.mint({
        sittingId: sitting.id,
        // One identity per link: two links never share a participant.
        subject: `link:${randomUUID()}`,
        name,
        ttlSeconds: MAX_JOIN_TOKEN_TTL_S,
      });
      await appendAudit(db, {
        ...auditActor(req.principal),
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
        url: `${sittingLinks(app.access.publicOrigin, sitting.id).join}?token=${encodeURIComponent(token)}`,
        expiresAt: claims.expiresAt.toISOString(),
      };
    },
  );
}

/** The host's operator links (after the access plugin, which guards them). */
export const operatorLinksPlugin = fp(operatorLinks, {
  name: 'operator-links',
  dependencies: ['access', 'sittings'],
});
