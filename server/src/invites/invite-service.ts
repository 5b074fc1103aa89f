/**
 * Commissioners' invitations. Each invitation is for one person and one sitting, with a personal
 * link `/i/<token>`. The token is an HMAC of the invitation id under a key derived from the
 * server secret: the database keeps only its SHA-256 (a leaked table opens nothing), yet the
 * server can show the host the same link again at any time. A link works while the invitation
 * is not revoked and the sitting is neither ended nor cancelled. With SMTP configured, the link
 * is also e-mailed (through the outbox); it is always returned to the host to copy. Revoking an
 * invitation also ends its commissioner's open connections (published on the revocation bus).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/audit-log';
import type { Database, SittingInvitesTable } from '../db/schema';
import { AppError } from '../errors';
import type { RevocationBus } from '../auth/revocation';
import type { OutgoingMail } from '../mail/outbox';
import type { Identity } from '../sittings/participant';
import { findSitting, toSittingInfo } from '../sittings/sittings-repo';
import type { SittingInfo } from '../protocol';
import { invitationMail } from './invite-mail';

/** An invitation as shown to the host. */
export interface Invite {
  id: string;
  sittingId: string;
  email: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  /** The personal link (null once revoked). */
  link: string | null;
}

/** How the link reached the invitee: queued for e-mail, or only shown to the host. */
export type InviteDelivery = 'email' | 'link-only';

/** Dependencies of the invitation service. */
export interface InviteServiceDeps {
  db: Kysely<Database>;
  /** Key the link tokens are derived with (see auth/secrets.ts), asked for on first need. */
  linkKey: () => Uint8Array;
  /** Origin the links point to. */
  publicOrigin: string;
  /** Queues an e-mail; undefined when SMTP is not configured. */
  sendMail: ((mail: OutgoingMail) => Promise<number>) | undefined;
  /** Where a revocation is published, so the commissioner's open connections end. */
  revocations?: RevocationBus;
  logger: Logger;
}

type InviteRow = Selectable<SittingInvitesTable>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Creates, lists, revokes and redeems invitations. */
export class InviteService {
  #deps: InviteServiceDeps;
  #log: Logger;
  #linkKey: Uint8Array | undefined;

  constructor(deps: InviteServiceDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ module: 'invites' });
  }

  /**
   * Invites one person. `invalid_state` if the sitting is over or the address already has an open
   * invitation. Audit-logged; e-mailed when SMTP is configured.
   */
  async create(
    sittingId: string,
    input: { email: string; name: string },
    by: Identity,
  ): Promise<{ invite: Invite; delivery: InviteDelivery }> {
    const { db } = this.#deps;
    const sitting = await this.#openSitting(sittingId);
    // The id is chosen here so that the token, derived from it, is stored in the same insert.
    const id = randomUUID();
    const stored = await db
      .insertInto('sitting_invites')
      .values({
        id,
        sitting_id: sittingId,
        email: input.email,
        name: input.name,
        token_hash: sha256(this.#token(id)),
        created_by: by.subject,
      })
      .onConflict((oc) => oc.columns(['sitting_id', 'email']).where('revoked_at', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!stored)
      throw new AppError('invalid_state', `${input.email} is already invited; copy the link from the list`);
    const invite = this.#toInvite(stored);
    let delivery: InviteDelivery = 'link-only';
    if (this.#deps.sendMail) {
      const outboxId = await this.#deps.sendMail(
        invitationMail({
          to: invite.email,
          name: invite.name,
          sittingTitle: sitting.title,
          scheduledAt: sitting.scheduledAt,
          link: invite.link!,
          invitedBy: by.name,
        }),
      );
      delivery = 'email';
      this.#log.info({ sittingId, inviteId: invite.id, outboxId }, 'invitation queued for e-mail');
    }
    await appendAudit(db, {
      actor: by.subject,
      role: by.role,
      action: 'invite.create',
      sittingId,
      details: { inviteId: invite.id, email: invite.email, name: invite.name, delivery },
    });
    return { invite, delivery };
  }

  /** Every invitation of a sitting, oldest first, with the links of the open ones. */
  async list(sittingId: string): Promise<Invite[]> {
    const rows = await this.#deps.db
      .selectFrom('sitting_invites')
      .selectAll()
      .where('sitting_id', '=', sittingId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.#toInvite(r));
  }

  /**
   * Revokes an invitation: its link stops working and its commissioner's open connections are
   * closed (told `invite_revoked`); idempotent; audit-logged.
   */
  async revoke(sittingId: string, inviteId: string, by: Identity): Promise<Invite> {
    const { db } = this.#deps;
    const row = await db
      .updateTable('sitting_invites')
      .set({ revoked_at: new Date() })
      .where('id', '=', inviteId)
      .where('sitting_id', '=', sittingId)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const existing = await this.#find(sittingId, inviteId);
      if (!existing) throw new AppError('not_found', 'no such invitation');
      return this.#toInvite(existing);
    }
    this.#deps.revocations?.publish({ kind: 'invite_revoked', sittingId: row.sitting_id, inviteId: row.id });
    await appendAudit(db, {
      actor: by.subject,
      role: by.role,
      action: 'invite.revoke',
      sittingId,
      details: { inviteId, email: row.email },
    });
    return this.#toInvite(row);
  }

  /**
   * The invitation and sitting a link token opens, or `unauthorized` (unknown or revoked link)
   * / `invalid_state` (the sitting is over).
   */
  async redeem(token: string): Promise<{ invite: Invite; sitting: SittingInfo }> {
    if (!TOKEN.test(token)) throw new AppError('unauthorized', 'invitation link refused: malformed');
    const row = await this.#deps.db
      .selectFrom('sitting_invites')
      .selectAll()
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst();
    if (!row) throw new AppError('unauthorized', 'invitation link refused: unknown link');
    if (row.revoked_at !== null) throw new AppError('unauthorized', 'invitation link refused: revoked');
    const sitting = await this.#openSitting(row.sitting_id);
    return { invite: this.#toInvite(row), sitting };
  }

  /** Whether an invitation is still open (not revoked). */
  async isOpen(sittingId: string, inviteId: string): Promise<boolean> {
    const row = await this.#find(sittingId, inviteId);
    return row !== undefined && row.revoked_at === null;
  }

  #token(inviteId: string): string {
    this.#linkKey ??= this.#deps.linkKey();
    return createHmac('sha256', this.#linkKey).update(inviteId).digest('base64url');
  }

  async #find(sittingId: string, inviteId: string): Promise<InviteRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(inviteId)) return undefined;
    return this.#deps.db
      .selectFrom('sitting_invites')
      .selectAll()
      .where('id', '=', inviteId)
      .where('sitting_id', '=', sittingId)
      .executeTakeFirst();
  }

  async #openSitting(sittingId: string): Promise<SittingInfo> {
    const row = await findSitting(this.#deps.db, sittingId);
    if (!row) throw new AppError('not_found', 'no such sitting');
    if (row.status === 'ended' || row.status === 'cancelled') {
      throw new AppError('invalid_state', `the sitting is ${row.status}`);
    }
    return toSittingInfo(row);
  }

  #toInvite(row: InviteRow): Invite {
    const revoked = row.revoked_at !== null;
    return {
      id: row.id,
      sittingId: row.sitting_id,
      email: row.email,
      name: row.name,
      createdAt: new Date(row.created_at).toISOString(),
      revokedAt: revoked ? new Date(row.revoked_at!).toISOString() : null,
      link: revoked ? null : `${this.#deps.publicOrigin}/i/${this.#token(row.id)}`,
    };
  }
}
