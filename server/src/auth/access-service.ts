/**
 * Access control in one place: who a request or a signalling connection is (API key, staff
 * session, participant pass), sign-in with its rate limit, join-token and invitation exchanges,
 * and bans. The HTTP hook (auth/plugin.ts) and the signalling handshake both ask this service,
 * so the rules cannot drift apart.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/audit-log';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import { InviteService } from '../invites/invite-service';
import { OutboxSender } from '../mail/outbox-sender';
import { smtpTransport, type MailTransport } from '../mail/transport';
import type { LiveSitting } from '../sittings/live-sitting';
import type { Identity, Participant } from '../sittings/participant';
import { banSubject, isBanned } from './bans';
import type { AccessConfig } from './config';
import type { ConnectionGrant } from './connections';
import { JoinTokens, type JoinClaims } from './join-tokens';
import { LocalWindows, SignInGuard, type LimitWindows, type SignInLimits } from './login-limiter';
import { ParticipantPasses, passCookieName, type PassRole } from './participant-pass';
import { AdmissionCache, type ParticipantAdmission } from './admission-cache';
import { HashQueue, HashQueueFullError, verifyNothing, verifyPassword } from './passwords';
import type { Principal } from './principal';
import { staffIdentity } from './principal';
import { RevocationBus, type RevocationRelay } from './revocation';
import { deriveKey } from './secrets';
import { FailedSignInAudit } from './sign-in-audit';
import { createSession, deleteSession, findSession, SESSION_COOKIE, type StaffSession } from './sessions';
import { manages, sittingAccessInfo, type SittingAccessInfo } from './sitting-owners';
import { findStaffUserByEmail, toStaffUser } from './staff-users';
import { claimTokenUse, pruneTokenUses } from './token-uses';

/** Dependencies of the access service. */
export interface AccessServiceDeps {
  db: Kysely<Database>;
  logger: Logger;
  access: AccessConfig;
  /** The server-to-server API key. */
  apiKey: string;
  /**
   * Secret every token and link is derived from (see auth/secrets.ts); a function is called on
   * first need only, so a server that never mints or checks a token writes no generated secret.
   */
  signingSecret: string | (() => string);
  /** Origin used in links handed out (invitations, join URLs). */
  publicOrigin: string;
  /** Delivers e-mail; default: SMTP_URL through nodemailer, or none when unset. */
  mailTransport?: MailTransport;
  /** Sign-in limits and the hashing queue's size (LOGIN_*); default DEFAULT_SIGN_IN_LIMITS. */
  signIn?: SignInLimits;
  /** Where the sign-in and meeting-password limits count; default this process's memory. */
  limitWindows?: LimitWindows;
  /** Carries revocations to the other nodes (multi-node mode); default none. */
  revocationRelay?: RevocationRelay;
}

/** Thrown when sign-in is rate-limited; carries the delay for the Retry-After header. */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterS: number,
    message = `too many failed sign-ins; try again in ${retryAfterS} s`,
  ) {
    super('rate_limited', message);
  }
}

/** Headers a credential can come from. */
export interface CredentialHeaders {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How often the uses of expired join tokens are forgotten. */
const PRUNE_TOKEN_USES_MS = 10 * 60_000;

/** Who a signalling connection is, and what its credentials granted (see auth/connections.ts). */
export interface ConnectionIdentity {
  sittingId: string;
  identity: Identity;
  grant: ConnectionGrant;
}

/** Authentication and the checks every entry point shares. */
export class AccessService {
  readonly invites: InviteService;
  /** Where revocations are published (staff, invitations, bans) for open connections to end. */
  readonly revocations: RevocationBus;
  /** Every sign-in limit (per account, per address, global, in progress per address). */
  readonly signIn: SignInGuard;
  /** The counts behind the sign-in and meeting-password limits (shared by every node, when several). */
  readonly limitWindows: LimitWindows;
  readonly publicOrigin: string;
  readonly outbox: OutboxSender | undefined;
  /** `METHOD /path` of every `/api/` route registered after the access feature (all, in buildApp). */
  readonly routes: string[] = [];
  #deps: AccessServiceDeps;
  #log: Logger;
  #apiKey: Buffer;
  #secret: () => string;
  #joinTokens: JoinTokens | undefined;
  #passes: ParticipantPasses | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  /** Password checks of sign-ins, bounded so that a flood cannot starve file serving. */
  #hashing: HashQueue;
  #failedSignIns: FailedSignInAudit;
  /** Participants' connection checks: the sitting's kind and bans, from memory (ADR 0037). */
  #admissions: AdmissionCache;

  constructor(deps: AccessServiceDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ module: 'access' });
    this.revocations = new RevocationBus(deps.logger, deps.revocationRelay);
    this.#admissions = new AdmissionCache(deps.db, this.revocations);
    this.#apiKey = Buffer.from(deps.apiKey);
    this.publicOrigin = deps.publicOrigin;
    let secret: string | undefined;
    const { signingSecret } = deps;
    this.#secret = () => (secret ??= typeof signingSecret === 'string' ? signingSecret : signingSecret());
    this.limitWindows = deps.limitWindows ?? new LocalWindows();
    this.signIn = new SignInGuard(deps.signIn, Date.now, this.limitWindows);
    this.#hashing = new HashQueue(this.signIn.limits.hashConcurrency, this.signIn.limits.hashQueue);
    this.#failedSignIns = new FailedSignInAudit(deps.db, this.#log);
    const transport =
      deps.mailTransport ?? (deps.access.smtpUrl ? smtpTransport(deps.access.smtpUrl) : undefined);
    this.outbox = transport
      ? new OutboxSender({ db: deps.db, transport, from: deps.access.mailFrom, logger: deps.logger })
      : undefined;
    const outbox = this.outbox;
    this.invites = new InviteService({
      db: deps.db,
      linkKey: () => deriveKey(this.#secret(), 'invite-link'),
      publicOrigin: deps.publicOrigin,
      sendMail: outbox ? (mail) => outbox.enqueue(mail) : undefined,
      revocations: this.revocations,
      logger: deps.logger,
    });
  }

  /** Signalling connections one identity may have open to one sitting (MAX_CONNECTIONS_PER_PASS). */
  get maxConnectionsPerPass(): number {
    return this.#deps.access.maxConnectionsPerPass;
  }

  /** Mints and verifies join tokens. */
  get joinTokens(): JoinTokens {
    return (this.#joinTokens ??= new JoinTokens(
      deriveKey(this.#secret(), 'join-token'),
      this.#deps.access.joinTokenClockSkewS,
    ));
  }

  /** Issues and verifies participant passes. */
  get passes(): ParticipantPasses {
    return (this.#passes ??= new ParticipantPasses(deriveKey(this.#secret(), 'participant-pass')));
  }

  /** The database (for the routes' repositories). */
  get db(): Kysely<Database> {
    return this.#deps.db;
  }

  /** Starts background work (the outbox sender, forgetting the uses of expired join tokens). */
  start(): void {
    this.outbox?.start();
    this.#pruneTimer = setInterval(() => void this.pruneTokenUses(), PRUNE_TOKEN_USES_MS);
    this.#pruneTimer.unref();
  }

  /** Stops background work; idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.#failedSignIns.flush();
    await this.outbox?.close();
  }

  /** Forgets the uses of join tokens that have expired (past the clock skew); never throws. */
  async pruneTokenUses(): Promise<number> {
    try {
      const pruned = await pruneTokenUses(this.#deps.db, this.#deps.access.joinTokenClockSkewS * 1000);
      if (pruned > 0) this.#log.debug({ pruned }, 'forgot the uses of expired join tokens');
      return pruned;
    } catch (err) {
      this.#log.warn({ err }, 'could not prune the uses of expired join tokens');
      return 0;
    }
  }

  /** Whether `given` is the API key (constant-time). */
  isApiKey(given: string): boolean {
    const g = Buffer.from(given);
    return g.length === this.#apiKey.length && timingSafeEqual(g, this.#apiKey);
  }

  /**
   * Signs a staff member in. Refuses with `rate_limited` (and when to retry) past the sign-in
   * limits or when the password-hashing queue is full, and with one `unauthorized` message for
   * every other failure (unknown account, wrong password, disabled account: each costs one hash,
   * so the answer takes as long). Sign-ins are audit-logged; failed ones aggregated per address
   * and minute (auth/sign-in-audit.ts).
   */
  async login(
    email: string,
    password: string,
    ip: string,
  ): Promise<{ token: string; session: StaffSession }> {
    const { db } = this.#deps;
    const normalised = email.trim().toLowerCase().slice(0, 254);
    const attempt = await this.signIn.begin(normalised, ip);
    if (!('succeeded' in attempt)) {
      const retryAfterS = Math.max(1, Math.ceil(attempt.retryAfterMs / 1000));
      // Logged, not audited: the audit log already holds the failures that led here, and a flood
      // of refused attempts must not flood it.
      this.#log.warn({ email: normalised, ip, retryAfterS, limit: attempt.limit }, 'sign-in rate-limited');
      throw new RateLimitedError(
        retryAfterS,
        attempt.limit === 'account'
          ? `too many failed sign-ins; try again in ${retryAfterS} s`
          : `too many sign-ins right now; try again in ${retryAfterS} s`,
      );
    }
    let row: Awaited<ReturnType<typeof findStaffUserByEmail>>;
    let ok: boolean;
    try {
      // The lookup and the hash, known e-mail or not, in one slot of the bounded queue.
      [row, ok] = await this.#hashing.run(async () => {
        const found = await findStaffUserByEmail(db, normalised);
        const matches = found
          ? await verifyPassword(password, found.password_hash)
          : await verifyNothing(password);
        return [found, matches] as const;
      });
    } catch (err) {
      attempt.failed();
      if (!(err instanceof HashQueueFullError)) throw err;
      const retryAfterS = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
      this.#log.warn({ ip, retryAfterS }, 'sign-in refused: the password-hashing queue is full');
      throw new RateLimitedError(retryAfterS, `too many sign-ins right now; try again in ${retryAfterS} s`);
    }
    if (!row || !ok || row.disabled_at !== null) {
      attempt.failed();
      const reason = !row ? 'unknown account' : !ok ? 'wrong password' : 'account disabled';
      await this.#failedSignIns.failed(normalised, ip, reason);
      this.#log.info({ email: normalised, ip, reason }, 'sign-in refused');
      throw new AppError('unauthorized', 'wrong e-mail address or password');
    }
    attempt.succeeded();
    const user = toStaffUser(row);
    const created = await createSession(db, user);
    await this.#audit(`staff:${user.email}`, user.role, 'auth.login', { ip });
    return created;
  }

  /** Ends a session and the connections opened with it; audit-logged. */
  async logout(session: StaffSession): Promise<void> {
    await deleteSession(this.#deps.db, session.id);
    this.revocations.publish({ kind: 'session_ended', sessionId: session.id });
    await this.#audit(staffIdentity(session).subject, session.user.role, 'auth.logout', {});
  }

  /** The valid staff session a cookie token names, if any. */
  async session(token: string | undefined): Promise<StaffSession | undefined> {
    return token === undefined ? undefined : findSession(this.#deps.db, token);
  }

  /**
   * Exchanges a join token for a pass to its sitting: the token must be valid for `sittingId`,
   * the sitting public and not over, the operator not banned from it, and the token not
   * exchanged before (`token_used`: each token is single-use).
   */
  async exchangeJoinToken(
    sittingId: string,
    token: string,
  ): Promise<{ identity: Identity & { role: PassRole }; pass: string }> {
    const claims: JoinClaims = await this.joinTokens.verify(token, sittingId);
    const sitting = await this.#sitting(sittingId);
    const identity = { subject: `operator:${claims.subject}`, name: claims.name, role: 'operator' as const };
    await this.admit(sitting, identity);
    if (sitting.status === 'ended' || sitting.status === 'cancelled') {
      throw new AppError('invalid_state', `the sitting is ${sitting.status}`);
    }
    await claimTokenUse(this.#deps.db, {
      jti: claims.jti,
      sittingId,
      subject: claims.subject,
      expiresAt: claims.expiresAt,
    });
    const pass = await this.passes.issue(sittingId, identity);
    await this.#audit(
      identity.subject,
      'operator',
      'access.join_token',
      { jti: claims.jti, name: claims.name },
      sittingId,
    );
    return { identity, pass };
  }

  /**
   * A participant of a booked sitting entering with the meeting password the office e-mailed
   * (bookings): an operator under the name they typed, with an identity of their own (a reload
   * keeps it through the pass; another browser is another participant). The password and the
   * opening time are checked by the caller (bookings/room.ts) before this.
   */
  async admitWithMeetingPassword(
    sittingId: string,
    name: string,
  ): Promise<{ identity: Identity & { role: PassRole }; pass: string }> {
    const sitting = await this.#sitting(sittingId);
    const identity = { subject: `operator:meeting-${randomUUID()}`, name, role: 'operator' as const };
    // A subject made just now has no ban to look up.
    await this.admit({ ...sitting, ban: { subject: identity.subject, banned: false } }, identity);
    if (sitting.status === 'ended' || sitting.status === 'cancelled') {
      throw new AppError('invalid_state', `the sitting is ${sitting.status}`);
    }
    const pass = await this.passes.issue(sittingId, identity);
    await this.#audit(identity.subject, 'operator', 'access.meeting_password', { name }, sittingId);
    return { identity, pass };
  }

  /** Exchanges an invitation link's token for a commissioner's pass to its sitting. */
  async exchangeInvite(
    token: string,
  ): Promise<{ sittingId: string; identity: Identity & { role: PassRole }; pass: string }> {
    const { invite } = await this.invites.redeem(token);
    const sitting = await this.#sitting(invite.sittingId);
    const identity = { subject: `invite:${invite.id}`, name: invite.name, role: 'commissioner' as const };
    await this.admit(sitting, identity);
    const pass = await this.passes.issue(sitting.id, identity);
    await this.#audit(
      identity.subject,
      'commissioner',
      'access.invite',
      { inviteId: invite.id, email: invite.email },
      sitting.id,
    );
    return { sittingId: sitting.id, identity, pass };
  }

  /**
   * Who an HTTP request is: the API key (an Authorization header must be a valid one), else a
   * staff session, else the participant pass for `sittingId` when the route is about a sitting.
   */
  async principal(headers: CredentialHeaders, sittingId?: string): Promise<Principal> {
    if (headers.authorization !== undefined) {
      const [scheme, key] = headers.authorization.split(' ', 2);
      if (scheme !== 'Bearer' || key === undefined || !this.isApiKey(key)) {
        throw new AppError('unauthorized', 'a valid API key is required (Authorization: Bearer <key>)');
      }
      return { kind: 'api' };
    }
    const cookies = headers.cookie ? fastifyCookie.parse(headers.cookie) : {};
    const session = await this.session(cookies[SESSION_COOKIE]);
    if (session) return { kind: 'staff', session };
    if (sittingId !== undefined && UUID.test(sittingId)) {
      const pass = cookies[passCookieName(sittingId)];
      if (pass !== undefined) {
        const { identity, id, expiresAt } = await this.passes.verifyPass(pass, sittingId.toLowerCase());
        return { kind: 'participant', sittingId: sittingId.toLowerCase(), identity, pass: { id, expiresAt } };
      }
    }
    return { kind: 'anonymous' };
  }

  /**
   * Whether a participant may be in the sitting now, or why not: `not_found` for an operator
   * and a reserved sitting (operators never see those), `forbidden` once banned, `unauthorized`
   * for a revoked invitation. A sitting given with the identity's ban ({@link ParticipantAdmission})
   * is not asked about it again.
   */
  async admit(
    sitting: Pick<SittingAccessInfo, 'id' | 'kind'> & { ban?: ParticipantAdmission['ban'] },
    identity: Identity & { role: PassRole },
  ): Promise<void> {
    if (identity.role === 'operator' && sitting.kind === 'reserved')
      throw new AppError('not_found', 'no such sitting');
    const banned =
      sitting.ban?.subject === identity.subject
        ? sitting.ban.banned
        : await isBanned(this.#deps.db, sitting.id, identity.subject);
    if (banned) {
      throw new AppError('forbidden', 'you were removed from this sitting');
    }
    if (identity.role === 'commissioner') {
      const inviteId = identity.subject.replace(/^invite:/, '');
      if (!(await this.invites.isOpen(sitting.id, inviteId))) {
        throw new AppError('unauthorized', 'the invitation was revoked');
      }
    }
  }

  /**
   * Removes a participant from a live sitting: bans their subject from it, tells them `removed`,
   * closes everything they owned, publishes the ban (every connection of theirs to the sitting
   * closes), and audit-logs it.
   * Staff cannot be removed.
   */
  async kick(live: LiveSitting, participantId: string, by: Identity): Promise<void> {
    let target: Participant;
    try {
      target = live.participant(participantId);
    } catch {
      throw new AppError('not_found', 'no such participant');
    }
    const { identity } = target;
    if (identity.role === 'host' || identity.role === 'admin') {
      throw new AppError('forbidden', 'staff cannot be removed from a sitting');
    }
    await banSubject(this.#deps.db, {
      sittingId: live.id,
      subject: identity.subject,
      reason: 'kicked',
      by: by.subject,
    });
    target.notify({ type: 'removed', reason: 'kicked' });
    live.leave(participantId, 'kicked');
    this.revocations.publish({ kind: 'banned', sittingId: live.id, subject: identity.subject });
    await this.#audit(
      by.subject,
      by.role,
      'participant.kick',
      {
        participantId,
        subject: identity.subject,
        name: identity.name,
        role: identity.role,
      },
      live.id,
    );
    this.#log.info(
      { sittingId: live.id, participantId, subject: identity.subject, by: by.subject },
      'participant removed',
    );
  }

  /**
   * Who a signalling connection is, from its handshake: `auth.sittingId` and the cookies (a staff
   * session managing that sitting, or a participant pass for it). Refused with `bad_request`,
   * `not_found`, `unauthorized` or `forbidden` and a reason.
   */
  async identifyConnection(headers: CredentialHeaders, auth: unknown): Promise<ConnectionIdentity> {
    const sittingId = (typeof auth === 'object' && auth !== null ? (auth as { sittingId?: unknown }) : {})
      .sittingId;
    if (typeof sittingId !== 'string' || sittingId.length === 0 || sittingId.length > 64) {
      throw new AppError('bad_request', 'sittingId is required');
    }
    if (!UUID.test(sittingId)) throw new AppError('not_found', 'no such sitting');
    const id = sittingId.toLowerCase();
    // Who it is first: a participant is checked against the sitting's kind and bans in memory
    // (ADR 0037), anyone else against the sitting read now; an unknown sitting is still
    // `not_found` whatever the credentials say.
    let principal: Principal | undefined;
    let refused: unknown;
    try {
      // Only cookies: an Authorization header (the API key) never opens a signalling connection.
      principal = await this.principal({ cookie: headers.cookie }, id);
    } catch (err) {
      refused = err;
    }
    if (principal?.kind === 'participant') {
      const admission = await this.#admissions.get(id, principal.identity.subject);
      if (!admission) throw new AppError('not_found', 'no such sitting');
      await this.admit(admission, principal.identity);
      return {
        sittingId: admission.id,
        identity: principal.identity,
        grant: {
          kind: 'participant',
          sittingId: admission.id,
          passId: principal.pass.id,
          expiresAt: principal.pass.expiresAt,
        },
      };
    }
    const sitting = await sittingAccessInfo(this.#deps.db, id);
    if (!sitting) throw new AppError('not_found', 'no such sitting');
    if (principal === undefined) throw refused;
    switch (principal.kind) {
      case 'staff':
        if (!manages(principal.session.user, sitting)) {
          throw new AppError('forbidden', 'this sitting is run by another host');
        }
        return {
          sittingId: sitting.id,
          identity: staffIdentity(principal.session),
          grant: {
            kind: 'staff',
            sittingId: sitting.id,
            userId: principal.session.user.id,
            sessionId: principal.session.id,
            sittingHostUserId: sitting.hostUserId,
            expiresAt: principal.session.expiresAt,
          },
        };
      case 'api':
      case 'anonymous':
        throw new AppError('unauthorized', 'sign in, or open your link to the sitting again');
    }
  }

  /** Whether a subject is banned from a sitting. */
  isBanned(sittingId: string, subject: string): Promise<boolean> {
    return isBanned(this.#deps.db, sittingId, subject);
  }

  async #sitting(id: string): Promise<SittingAccessInfo> {
    const sitting = await sittingAccessInfo(this.#deps.db, id);
    if (!sitting) throw new AppError('not_found', 'no such sitting');
    return sitting;
  }

  async #audit(
    actor: string,
    role: string,
    action: string,
    details: object,
    sittingId?: string,
  ): Promise<void> {
    await appendAudit(this.#deps.db, { actor, role, action, details, sittingId: sittingId ?? null });
  }
}
