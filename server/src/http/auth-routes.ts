/**
 * Sign-in and credential exchanges:
 * - `POST /api/auth/login` {email, password} → {user, csrfToken} and the session cookie; `user`
 *   carries `canListRecordings` (admins, and hosts when RECORDINGS_HOST_DOWNLOAD is on);
 * - `POST /api/auth/logout`, `GET /api/auth/me` (staff);
 * - `POST /api/auth/join-token` {sittingId, token, password?}: an operator's join token → a pass
 *   cookie (a booked sitting also needs its password, and its start time to have come);
 * - `POST /api/auth/invite` {token}: a commissioner's invitation link → a pass cookie;
 * - `GET /api/sittings/:id/entry` → {meetingPassword}: whether the sitting is entered with the
 *   meeting password the bookings office e-mailed (a booked sitting), besides personal links;
 * - `POST /api/auth/meeting-password` {sittingId, password, name, company?}: that password → an
 *   operator's pass under the name typed (wrong passwords limited per address);
 * - `GET /api/sittings/:id/me`: who the caller is in that sitting (name and role).
 * Who may call each is in auth/http-permissions.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RateLimitedError, type AccessService } from '../auth/access-service';
import { cookieOptions, type CookiePolicy } from '../auth/cookies';
import type { LimitWindows, WindowLimit } from '../auth/login-limiter';
import { PASS_TTL_MS, passCookieName } from '../auth/participant-pass';
import { staffIdentity } from '../auth/principal';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../auth/sessions';
import type { StaffUser } from '../auth/staff-users';
import { AppError } from '../errors';

/** Options of the auth routes. */
export interface AuthRoutesOptions {
  access: AccessService;
  cookies: CookiePolicy;
}

const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
const JoinTokenBody = Type.Object(
  {
    sittingId: Type.String({ format: 'uuid' }),
    token: Type.String({ minLength: 1, maxLength: 4096 }),
    /** A booked sitting's password (bookings/room.ts). */
    password: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const InviteBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const MeetingPasswordBody = Type.Object(
  {
    sittingId: Type.String({ format: 'uuid' }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 80 }),
    company: Type.Optional(Type.String({ maxLength: 80 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Wrong meeting passwords one address may send in WRONG_PASSWORD_WINDOW_MS. */
const WRONG_PASSWORDS_PER_ADDRESS = 10;
const WRONG_PASSWORD_WINDOW_MS = 10 * 60_000;
/** The meeting-password limit: counted where the sign-in limits are (shared by every node). */
const WRONG_PASSWORDS: WindowLimit = {
  name: 'meeting-password',
  max: WRONG_PASSWORDS_PER_ADDRESS,
  windowMs: WRONG_PASSWORD_WINDOW_MS,
};

/** Counts wrong meeting passwords per address over a sliding window. */
class WrongPasswords {
  constructor(readonly windows: LimitWindows) {}

  /** Throws `rate_limited` when the address has used up its wrong attempts. */
  async check(address: string): Promise<void> {
    const check = await this.windows.check(WRONG_PASSWORDS, address);
    if (check.limited) {
      const waitS = Math.ceil(check.retryAfterMs / 1000);
      throw new AppError('rate_limited', `too many wrong passwords from this address: wait ${waitS} s`);
    }
  }

  async record(address: string): Promise<void> {
    await this.windows.record(WRONG_PASSWORDS, address);
  }
}

/** Registers the auth routes. */
export async function authRoutes(app: FastifyInstance, opts: AuthRoutesOptions): Promise<void> {
  const { access, cookies } = opts;
  // The recordings feature is registered by its own plugin: read its decorations per request.
  const withRecordingsAccess = (user: StaffUser) => ({
    ...user,
    canListRecordings:
      app.hasDecorator('recorder') &&
      (user.role === 'admin' || (app.hasDecorator('recordingsHostDownload') && app.recordingsHostDownload)),
  });

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    { schema: { body: LoginBody } },
    async (req, reply) => {
      try {
        const { token, session } = await access.login(req.body.email, req.body.password, req.ip);
        void reply.setCookie(SESSION_COOKIE, token, cookieOptions(req, cookies, SESSION_TTL_MS));
        return { user: withRecordingsAccess(session.user), csrfToken: session.csrfToken };
      } catch (err) {
        if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterS));
        throw err;
      }
    },
  );

  app.post('/api/auth/logout', async (req, reply) => {
    if (req.principal.kind === 'staff') await access.logout(req.principal.session);
    void reply.clearCookie(SESSION_COOKIE, cookieOptions(req, cookies));
    return reply.code(204).send();
  });

  app.get('/api/auth/me', async (req, reply) => {
    if (req.principal.kind !== 'staff') throw new AppError('unauthorized', 'sign in first');
    void reply.header('cache-control', 'no-store');
    return {
      user: withRecordingsAccess(req.principal.session.user),
      csrfToken: req.principal.session.csrfToken,
    };
  });

  app.post<{ Body: Static<typeof JoinTokenBody> }>(
    '/api/auth/join-token',
    { schema: { body: JoinTokenBody } },
    async (req, reply) => {
      const sittingId = req.body.sittingId.toLowerCase();
      // A booked sitting: its password and start time, checked before the single-use token is spent.
      if (app.hasDecorator('bookedRoomEntry')) await app.bookedRoomEntry(sittingId, req.body.password);
      const { identity, pass } = await access.exchangeJoinToken(sittingId, req.body.token);
      void reply.setCookie(passCookieName(sittingId), pass, cookieOptions(req, cookies, PASS_TTL_MS));
      return { sittingId, name: identity.name, role: identity.role };
    },
  );

  app.post<{ Body: Static<typeof InviteBody> }>(
    '/api/auth/invite',
    { schema: { body: InviteBody } },
    async (req, reply) => {
      const { sittingId, identity, pass } = await access.exchangeInvite(req.body.token);
      void reply.setCookie(passCookieName(sittingId), pass, cookieOptions(req, cookies, PASS_TTL_MS));
      return { sittingId, name: identity.name, role: identity.role };
    },
  );

  const wrongPasswords = new WrongPasswords(access.limitWindows);
  const meetingPasswordEntry = (sittingId: string) =>
    app.hasDecorator('meetingPasswordEntry') ? app.meetingPasswordEntry(sittingId) : Promise.resolve(false);

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/sittings/:id/entry',
    { schema: { params: IdParams } },
    async (req) => ({ meetingPassword: await meetingPasswordEntry(req.params.id.toLowerCase()) }),
  );

  app.post<{ Body: Static<typeof MeetingPasswordBody> }>(
    '/api/auth/meeting-password',
    { schema: { body: MeetingPasswordBody } },
    async (req, reply) => {
      const sittingId = req.body.sittingId.toLowerCase();
      if (!(await meetingPasswordEntry(sittingId))) {
        throw new AppError(
          'not_found',
          'this sitting has no meeting password: enter with your personal link',
        );
      }
      await wrongPasswords.check(req.ip);
      try {
        await app.bookedRoomEntry(sittingId, req.body.password);
      } catch (err) {
        if (err instanceof AppError && err.code === 'wrong_password') await wrongPasswords.record(req.ip);
        throw err;
      }
      const name = req.body.company?.trim()
        ? `${req.body.name.trim()} – ${req.body.company.trim()}`
        : req.body.name.trim();
      if (!name) throw new AppError('bad_request', 'a name is needed to enter');
      const { identity, pass } = await access.admitWithMeetingPassword(sittingId, name);
      void reply.setCookie(passCookieName(sittingId), pass, cookieOptions(req, cookies, PASS_TTL_MS));
      return { sittingId, name: identity.name, role: identity.role };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/sittings/:id/me',
    { schema: { params: IdParams } },
    async (req) => {
      const p = req.principal;
      const identity =
        p.kind === 'staff' ? staffIdentity(p.session) : p.kind === 'participant' ? p.identity : undefined;
      if (!identity) throw new AppError('unauthorized', 'no identity in this sitting');
      return { sittingId: req.params.id.toLowerCase(), name: identity.name, role: identity.role };
    },
  );
}
