/**
 * Staff routes (session cookie + CSRF header): a host's own sittings (an admin's: all), creating
 * one, its links, commissioners' invitations; admins also manage staff accounts. Who may call
 * each is in auth/http-permissions.ts; the guard has checked it, and ownership, before these run.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appendAudit } from '../audit/audit-log';
import type { AccessService } from '../auth/access-service';
import { staffIdentity } from '../auth/principal';
import type { StaffSession } from '../auth/sessions';
import {
  createOwnedSitting,
  listManagedSittings,
  resolveHostByEmail,
  sittingLinks,
} from '../auth/sitting-owners';
import {
  createStaffUser,
  disableStaffUser,
  enableStaffUser,
  listStaffUsers,
  normaliseEmail,
  resetStaffPassword,
  setStaffRole,
} from '../auth/staff-users';
import { AppError } from '../errors';
import { SittingKind } from '../protocol';

/** Options of the staff routes. */
export interface StaffRoutesOptions {
  access: AccessService;
}

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const InviteParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  inviteId: Type.String({ format: 'uuid' }),
});
const CreateSittingBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 300 }),
    kind: Type.Optional(SittingKind),
    scheduledAt: Type.Optional(Type.String({ format: 'date-time' })),
    /** Admins only: the host who will run it (default: nobody, i.e. admins). */
    hostEmail: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
  },
  { additionalProperties: false },
);
const InviteBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 80 }),
  },
  { additionalProperties: false },
);
const RoleBody = Type.Object(
  { role: Type.Union([Type.Literal('admin'), Type.Literal('host')]) },
  { additionalProperties: false },
);
const PasswordBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
const CreateUserBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 80 }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('host')]),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

function staff(req: FastifyRequest): StaffSession {
  if (req.principal.kind !== 'staff') throw new AppError('unauthorized', 'sign in first');
  return req.principal.session;
}

/** Registers the staff routes. */
export async function staffRoutes(app: FastifyInstance, opts: StaffRoutesOptions): Promise<void> {
  const { access } = opts;
  const { db } = access;

  app.get('/api/staff/sittings', async (req) => ({
    sittings: await listManagedSittings(db, staff(req).user),
  }));

  app.post<{ Body: Static<typeof CreateSittingBody> }>(
    '/api/staff/sittings',
    { schema: { body: CreateSittingBody } },
    async (req, reply) => {
      const session = staff(req);
      const { hostEmail } = req.body;
      if (hostEmail !== undefined && session.user.role !== 'admin') {
        throw new AppError('forbidden', 'only an admin may choose the host of a sitting');
      }
      const hostUserId =
        session.user.role === 'host'
          ? session.user.id
          : hostEmail
            ? await resolveHostByEmail(db, hostEmail)
            : null;
      const sitting = await createOwnedSitting(app.sittings, db, {
        title: req.body.title,
        kind: req.body.kind ?? 'public',
        scheduledAt: req.body.scheduledAt ? new Date(req.body.scheduledAt) : null,
        createdBy: staffIdentity(session).subject,
        hostUserId,
      });
      reply.code(201);
      return { sitting, hostUserId, links: sittingLinks(access.publicOrigin, sitting.id) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/staff/sittings/:id',
    { schema: { params: IdParams } },
    async (req) => {
      const sitting = await app.sittings.get(req.params.id);
      return {
        sitting,
        hostUserId: req.sittingAccess?.hostUserId ?? null,
        links: sittingLinks(access.publicOrigin, sitting.id),
        invites: await access.invites.list(sitting.id),
      };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/staff/sittings/:id/invites',
    { schema: { params: IdParams } },
    async (req) => ({
      invites: await access.invites.list(req.params.id),
    }),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof InviteBody> }>(
    '/api/staff/sittings/:id/invites',
    { schema: { params: IdParams, body: InviteBody } },
    async (req, reply) => {
      const name = req.body.name.trim();
      if (name.length === 0) throw new AppError('bad_request', 'the name must not be blank');
      const result = await access.invites.create(
        req.params.id,
        { email: normaliseEmail(req.body.email), name },
        staffIdentity(staff(req)),
      );
      reply.code(201);
      return result;
    },
  );

  app.delete<{ Params: Static<typeof InviteParams> }>(
    '/api/staff/sittings/:id/invites/:inviteId',
    { schema: { params: InviteParams } },
    async (req) => ({
      invite: await access.invites.revoke(req.params.id, req.params.inviteId, staffIdentity(staff(req))),
    }),
  );

  app.get('/api/staff/users', async () => ({ users: await listStaffUsers(db) }));

  app.post<{ Body: Static<typeof CreateUserBody> }>(
    '/api/staff/users',
    { schema: { body: CreateUserBody } },
    async (req, reply) => {
      const by = staffIdentity(staff(req));
      const user = await createStaffUser(db, req.body);
      await appendAudit(db, {
        actor: by.subject,
        role: by.role,
        action: 'staff.create',
        details: { email: user.email, role: user.role },
      });
      reply.code(201);
      return { user };
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/staff/users/:id/disable',
    { schema: { params: IdParams } },
    async (req) => {
      const session = staff(req);
      if (session.user.id === req.params.id)
        throw new AppError('invalid_state', 'you cannot disable your own account');
      const user = await disableStaffUser(db, req.params.id);
      // Its sessions are gone (same transaction); its open connections end now.
      access.revocations.publish({ kind: 'account_disabled', userId: user.id });
      const by = staffIdentity(session);
      await appendAudit(db, {
        actor: by.subject,
        role: by.role,
        action: 'staff.disable',
        details: { email: user.email },
      });
      return { user };
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/staff/users/:id/enable',
    { schema: { params: IdParams } },
    async (req) => {
      const user = await enableStaffUser(db, req.params.id);
      const by = staffIdentity(staff(req));
      await appendAudit(db, {
        actor: by.subject,
        role: by.role,
        action: 'staff.enable',
        details: { email: user.email },
      });
      return { user };
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RoleBody> }>(
    '/api/staff/users/:id/role',
    { schema: { params: IdParams, body: RoleBody } },
    async (req) => {
      const session = staff(req);
      if (session.user.id === req.params.id)
        throw new AppError('invalid_state', 'you cannot change your own role');
      const user = await setStaffRole(db, req.params.id, req.body.role);
      // An admin who became a host keeps only the connections to sittings they run.
      access.revocations.publish({ kind: 'role_changed', userId: user.id, role: user.role });
      const by = staffIdentity(session);
      await appendAudit(db, {
        actor: by.subject,
        role: by.role,
        action: 'staff.role',
        details: { email: user.email, role: user.role },
      });
      return { user };
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof PasswordBody> }>(
    '/api/staff/users/:id/password',
    { schema: { params: IdParams, body: PasswordBody } },
    async (req) => {
      const user = await resetStaffPassword(db, req.params.id, req.body.password);
      access.revocations.publish({ kind: 'sessions_ended', userId: user.id });
      const by = staffIdentity(staff(req));
      // The password itself is never logged.
      await appendAudit(db, {
        actor: by.subject,
        role: by.role,
        action: 'staff.password_reset',
        details: { email: user.email },
      });
      return { user };
    },
  );
}
