/**
 * The one place that knows which signalling connections belong to which staff account, session,
 * invitation and pass, and what each was granted at its handshake. Revocations published on the
 * bus (auth/revocation.ts) end or downgrade the connections they name at once; every request then
 * asks {@link ConnectionRegistry.check}, which reads this in-memory state only (no database query
 * per request): the state is invalidated by the bus, not re-read.
 */
import { AppError } from '../errors';
import type { RemovedReason } from '../protocol';
import type { Identity } from '../sittings/participant';
import type { Revocation, RevocationBus } from './revocation';

/** What a connection's credentials granted at its handshake, and until when. */
export type ConnectionGrant =
  | {
      kind: 'staff';
      sittingId: string;
      userId: string;
      /** The staff session the connection was opened with. */
      sessionId: string;
      /** The host who runs the sitting (null: admins only), to re-check a changed role. */
      sittingHostUserId: string | null;
      expiresAt: Date;
    }
  | {
      kind: 'participant';
      sittingId: string;
      /** The pass's `jti`. */
      passId: string;
      expiresAt: Date;
    };

/** A connection as the registry tracks it. */
export interface TrackedConnection {
  readonly grant: ConnectionGrant;
  /** The connection's identity: a downgrade changes its role in place. */
  readonly identity: Identity;
  /** Why the connection was ended, once it was: every later request is refused. */
  revoked?: RemovedReason;
  /** Tells the client why and closes the connection (the signalling layer's part). */
  end(reason: RemovedReason): void;
}

/** Options of the registry. */
export interface ConnectionRegistryOptions {
  /** Connections one identity may have open to one sitting at once (MAX_CONNECTIONS_PER_PASS). */
  maxPerIdentity: number;
}

const key = (sittingId: string, subject: string) => `${sittingId} ${subject}`;

/** Open signalling connections by identity, and the revocations that reach them. */
export class ConnectionRegistry {
  #bySubject = new Map<string, Set<TrackedConnection>>();
  #options: ConnectionRegistryOptions;
  #unsubscribe: () => void;

  constructor(bus: RevocationBus, options: ConnectionRegistryOptions) {
    this.#options = options;
    this.#unsubscribe = bus.subscribe((r) => this.#apply(r));
  }

  /** `rate_limited` when this identity already has as many connections to the sitting as allowed. */
  checkRoom(sittingId: string, subject: string): void {
    const open = this.#bySubject.get(key(sittingId, subject))?.size ?? 0;
    if (open >= this.#options.maxPerIdentity) {
      throw new AppError(
        'rate_limited',
        `too many connections to this sitting with the same credentials (${this.#options.maxPerIdentity}): close another tab`,
      );
    }
  }

  /** Tracks an open connection. */
  add(c: TrackedConnection): void {
    const k = key(c.grant.sittingId, c.identity.subject);
    let set = this.#bySubject.get(k);
    if (!set) this.#bySubject.set(k, (set = new Set()));
    set.add(c);
  }

  /** Forgets a closed connection. */
  delete(c: TrackedConnection): void {
    const k = key(c.grant.sittingId, c.identity.subject);
    const set = this.#bySubject.get(k);
    set?.delete(c);
    if (set?.size === 0) this.#bySubject.delete(k);
  }

  /** How many connections are tracked (all identities). */
  get size(): number {
    let n = 0;
    for (const set of this.#bySubject.values()) n += set.size;
    return n;
  }

  /**
   * Whether the connection may still send requests: undefined if so, else why not (and the
   * connection is ended). Cheap: a flag set by the bus, and the grant's expiry.
   */
  check(c: TrackedConnection, now = Date.now()): RemovedReason | undefined {
    if (c.revoked === undefined && now >= c.grant.expiresAt.getTime()) this.#end(c, 'session_ended');
    return c.revoked;
  }

  /** Stops listening to the bus. */
  close(): void {
    this.#unsubscribe();
  }

  #apply(r: Revocation): void {
    switch (r.kind) {
      case 'account_disabled':
        return this.#endStaff((g) => g.userId === r.userId, 'account_disabled');
      case 'sessions_ended':
        return this.#endStaff((g) => g.userId === r.userId, 'session_ended');
      case 'session_ended':
        return this.#endStaff((g) => g.sessionId === r.sessionId, 'session_ended');
      case 'role_changed':
        return this.#roleChanged(r.userId, r.role);
      case 'invite_revoked':
        return this.#endSubject(r.sittingId, `invite:${r.inviteId}`, 'invite_revoked');
      case 'banned':
        return this.#endSubject(r.sittingId, r.subject, 'kicked');
    }
  }

  /**
   * An admin who became a host keeps only the connections to sittings they run, as a host; an
   * upgrade changes nothing until the next connection (it grants, it does not revoke).
   */
  #roleChanged(userId: string, role: 'admin' | 'host'): void {
    if (role === 'admin') return;
    for (const c of this.#staffOf((g) => g.userId === userId)) {
      if (c.grant.kind !== 'staff') continue;
      if (c.grant.sittingHostUserId === userId) c.identity.role = 'host';
      else this.#end(c, 'role_changed');
    }
  }

  #endStaff(match: (g: Extract<ConnectionGrant, { kind: 'staff' }>) => boolean, reason: RemovedReason): void {
    for (const c of this.#staffOf(match)) this.#end(c, reason);
  }

  #endSubject(sittingId: string, subject: string, reason: RemovedReason): void {
    for (const c of [...(this.#bySubject.get(key(sittingId, subject)) ?? [])]) this.#end(c, reason);
  }

  #staffOf(match: (g: Extract<ConnectionGrant, { kind: 'staff' }>) => boolean): TrackedConnection[] {
    const found: TrackedConnection[] = [];
    for (const set of this.#bySubject.values()) {
      for (const c of set) if (c.grant.kind === 'staff' && match(c.grant)) found.push(c);
    }
    return found;
  }

  #end(c: TrackedConnection, reason: RemovedReason): void {
    if (c.revoked !== undefined) return;
    c.revoked = reason;
    c.end(reason);
  }
}
