import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { WorkerPool } from '@seduta/media';
import { AuditBatcher } from '../audit/audit-batcher';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { IceSettings, RecordingIndicator, SittingInfo, SittingKind, SittingStatus } from '../protocol';
import type { RecordingControls } from '../recordings/controls';
import { assertTransition } from './lifecycle';
import { DEFAULT_LIMITS, type Limits } from './limits';
import { LiveSitting } from './live-sitting';
import type { FloorChange } from './floor';
import type { Identity } from './participant';
import type { SittingRooms } from './room';
import { findSitting, insertSitting, toSittingInfo, transitionSitting } from './sittings-repo';

/** Dependencies of the sitting service. */
export interface SittingServiceDeps {
  db: Kysely<Database>;
  pool: WorkerPool;
  logger: Logger;
  /** How long a live sitting waits for a host who is gone (HOST_GRACE_SECONDS); default 60 s. */
  hostGraceMs?: number;
  /** TURN relays and ICE policy for each joiner (sittings/turn.ts); default: no TURN, `all`. */
  iceFor?: (identity: Identity) => IceSettings;
  /** What a participant and a connection may hold and send; default DEFAULT_LIMITS. */
  limits?: Limits;
}

/** Who ends a sitting whose host did not come back (audit log: actor `system`). */
const SYSTEM: Identity = { subject: 'system', name: 'Seduta', role: 'admin' };
const DEFAULT_HOST_GRACE_MS = 60_000;

/** A participant entered or left a live sitting (webhooks). */
export interface PresenceEvent {
  sittingId: string;
  change: 'joined' | 'left';
  participantId: string;
  identity: Identity;
  /** Why a participant left (`left`, `did not come back: …`, `removed: …`). */
  reason?: string;
}

/** A hand or the floor changed in a live sitting (the sitting's register). */
export interface FloorEvent extends FloorChange {
  sittingId: string;
  at: Date;
}

/**
 * Events: `state` (a sitting's status or recording changed), `created`, `transition` (a lifecycle
 * change, with the status before), `presence` (a participant joined or left), `floor` (a hand or
 * the floor changed).
 */
interface SittingServiceEvents {
  state: [SittingInfo];
  created: [SittingInfo];
  transition: [SittingInfo, SittingStatus];
  presence: [PresenceEvent];
  floor: [FloorEvent];
}

/**
 * Sittings: creation, the lifecycle (`scheduled → live → ended`, `cancelled`), and the runtime of
 * the live ones. Every transition is audit-logged and announced on the `state` event.
 */
export class SittingService extends EventEmitter<SittingServiceEvents> {
  #deps: SittingServiceDeps;
  #log: Logger;
  #live = new Map<string, Promise<LiveSitting>>();
  #recording = new Map<string, RecordingIndicator>();
  #closed = false;
  /** The sittings' audit entries, written in order with a group commit. */
  #audits: AuditBatcher;
  /** The recording controls, set by the recordings feature. */
  recordings: RecordingControls | undefined;
  /** Where a live sitting's notifications for everyone go in one emit, set by signalling. */
  rooms: SittingRooms | undefined;
  /** Checks another feature runs before a sitting starts (a booked room not open yet); may throw. */
  readonly startChecks: ((sittingId: string, by: Identity) => Promise<void>)[] = [];

  constructor(deps: SittingServiceDeps) {
    super();
    this.#deps = deps;
    this.#log = deps.logger.child({ module: 'sittings' });
    this.#audits = new AuditBatcher(deps.db);
  }

  /** Creates a scheduled sitting. */
  async create(input: {
    title: string;
    kind?: SittingKind;
    scheduledAt?: Date | null;
    createdBy: string;
  }): Promise<{ sitting: SittingInfo }> {
    const row = await insertSitting(this.#deps.db, {
      title: input.title,
      kind: input.kind ?? 'public',
      scheduledAt: input.scheduledAt ?? null,
      createdBy: input.createdBy,
    });
    const sitting = toSittingInfo(row);
    await this.#audit(input.createdBy, 'host', 'sitting.create', sitting.id, { title: sitting.title });
    this.emit('created', sitting);
    return { sitting };
  }

  /** The sitting, or `not_found`. */
  async get(id: string): Promise<SittingInfo> {
    const row = await this.#row(id);
    const recording = this.#recording.get(id);
    return recording ? { ...toSittingInfo(row), recording } : toSittingInfo(row);
  }

  /**
   * The sitting as a new connection is told it: from its runtime when it is live in this process
   * (which every change of a live sitting goes through), without a query; else from the database.
   */
  async current(id: string): Promise<SittingInfo> {
    const live = await this.#live.get(id)?.catch(() => undefined);
    return live && !live.closed ? live.info : this.get(id);
  }

  /** The recording controls, or `invalid_state` when recording is not available on this server. */
  recordingControls(): RecordingControls {
    if (!this.recordings) throw new AppError('invalid_state', 'recording is not available on this server');
    return this.recordings;
  }

  /**
   * Records a sitting's recording state: its participants get `recording.state`, and every
   * connection (also those not joined yet, who must see the notice) a new `sitting.state`.
   */
  async setRecording(id: string, recording: RecordingIndicator): Promise<void> {
    this.#recording.set(id, recording);
    const live = await this.#live.get(id)?.catch(() => undefined);
    if (live && !live.closed) live.setRecording(recording);
    this.emit('state', await this.get(id));
  }

  /** scheduled → live: creates the sitting's media router. */
  async start(id: string, by: Identity): Promise<SittingInfo> {
    for (const check of this.startChecks) await check(id, by);
    const sitting = await this.#transition(id, 'live', by);
    await this.#runtime(id, false);
    this.emit('state', sitting);
    return sitting;
  }

  /** live → ended: every participant is told, all media closes. */
  async end(id: string, by: Identity): Promise<SittingInfo> {
    // The hand changes still gathered go into the audit log before the sitting's end does.
    await this.#live.get(id)?.then(
      (live) => live.flushAudit(),
      () => undefined,
    );
    const sitting = await this.#transition(id, 'ended', by);
    const live = this.#live.get(id);
    this.#live.delete(id);
    if (live) (await live).close(sitting);
    this.emit('state', sitting);
    return sitting;
  }

  /** scheduled → cancelled. */
  async cancel(id: string, by: Identity): Promise<SittingInfo> {
    const sitting = await this.#transition(id, 'cancelled', by);
    this.emit('state', sitting);
    return sitting;
  }

  /**
   * The runtime of a live sitting, created on first use (also after a server restart, for
   * sittings the database still holds as live). `invalid_state` if the sitting is not live.
   */
  async live(id: string): Promise<LiveSitting> {
    // Made here (not by `start`): the server restarted under a live sitting, so its host is not
    // connected yet and gets the same grace as one whose connection dropped.
    return this.#runtime(id, true);
  }

  /**
   * Makes the runtimes of the sittings the database holds as live (after a restart): each waits
   * for its host for the grace period, then ends by itself. Returns how many. `claim`: in
   * multi-node mode, whether this node is to host the sitting (another node may already).
   */
  async restoreLive(claim?: (sittingId: string) => Promise<boolean>): Promise<number> {
    const rows = await this.#deps.db
      .selectFrom('sittings')
      .select('id')
      .where('status', '=', 'live')
      .execute();
    let restored = 0;
    for (const { id } of rows) {
      try {
        if (claim && !(await claim(id))) continue;
        await this.live(id);
        restored += 1;
      } catch (err) {
        this.#log.error({ err, sittingId: id }, 'could not restore a live sitting');
      }
    }
    if (restored > 0) this.#log.warn({ restored }, 'live sittings restored: waiting for their hosts');
    return restored;
  }

  /**
   * The runtime of `id`, made once: its promise is in the map before the first await, so calls
   * that arrive together (the joins of a whole sitting reaching the node that took it over from
   * a dead one) share one runtime — two would split the sitting in halves that never see each other.
   */
  #runtime(id: string, awaitHost: boolean): Promise<LiveSitting> {
    if (this.#closed) return Promise.reject(new AppError('invalid_state', 'server is shutting down'));
    let live = this.#live.get(id);
    if (!live) {
      const made = this.#makeRuntime(id, awaitHost);
      live = made;
      this.#live.set(id, made);
      made.catch(() => {
        if (this.#live.get(id) === made) this.#live.delete(id);
      });
    }
    return live;
  }

  async #makeRuntime(id: string, awaitHost: boolean): Promise<LiveSitting> {
    const sitting = await this.get(id);
    if (sitting.status !== 'live') throw new AppError('invalid_state', `the sitting is ${sitting.status}`);
    return LiveSitting.create(
      sitting,
      {
        pool: this.#deps.pool,
        db: this.#deps.db,
        logger: this.#deps.logger,
        audit: (by, action, details, at) => this.audit(by, action, id, details, at),
        hostGraceMs: this.#deps.hostGraceMs ?? DEFAULT_HOST_GRACE_MS,
        onHostDeadline: () => this.#endWithoutHost(id),
        iceFor: this.#deps.iceFor,
        limits: this.limits,
        room: this.rooms?.of(id),
        onPresence: (change, participantId, identity, reason) =>
          this.emit('presence', {
            sittingId: id,
            change,
            participantId,
            identity,
            ...(reason === undefined ? {} : { reason }),
          }),
        onFloor: (change) => this.emit('floor', { ...change, sittingId: id, at: new Date() }),
      },
      awaitHost,
    );
  }

  /** The host's grace ran out: the sitting ends as if the host had ended it (audit: `system`). */
  #endWithoutHost(id: string): void {
    this.end(id, SYSTEM).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'invalid_state') return; // ended meanwhile
      this.#log.error({ err, sittingId: id }, 'could not end a sitting whose host did not come back');
    });
  }

  /** The runtime if the sitting is live in this process, without creating it. */
  async liveIfAny(id: string): Promise<LiveSitting | undefined> {
    return this.#live.get(id);
  }

  /** What a participant and a connection may hold and send (MAX_TRANSPORTS_PER_DIRECTION…). */
  get limits(): Limits {
    return this.#deps.limits ?? DEFAULT_LIMITS;
  }

  /** Writes one audit entry for an action on a sitting (`at`: when it happened, default now). */
  async audit(
    by: Identity,
    action: string,
    sittingId: string | null,
    details: Record<string, unknown> = {},
    at?: Date,
  ) {
    await this.#audit(by.subject, by.role, action, sittingId, details, at);
  }

  /** Closes every live runtime (the sittings stay live in the database; clients rejoin on restart). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const lives = await Promise.allSettled([...this.#live.values()]);
    for (const r of lives) if (r.status === 'fulfilled') r.value.shutdown();
    await Promise.all(lives.map((r) => (r.status === 'fulfilled' ? r.value.flushAudit() : undefined)));
    this.#live.clear();
  }

  async #row(id: string) {
    const row = await findSitting(this.#deps.db, id);
    if (!row) throw new AppError('not_found', 'no such sitting');
    return row;
  }

  async #transition(id: string, to: SittingStatus, by: Identity): Promise<SittingInfo> {
    const row = await this.#row(id);
    assertTransition(row.status, to);
    const updated = await transitionSitting(this.#deps.db, id, row.status, to);
    if (!updated) throw new AppError('invalid_state', 'the sitting changed meanwhile; reload');
    const sitting = toSittingInfo(updated);
    await this.audit(by, `sitting.${to === 'live' ? 'start' : to === 'ended' ? 'end' : 'cancel'}`, id, {
      from: row.status,
      to,
    });
    this.#log.info({ sittingId: id, from: row.status, to, by: by.subject }, 'sitting transition');
    this.emit('transition', sitting, row.status);
    return sitting;
  }

  async #audit(
    actor: string,
    role: string,
    action: string,
    sittingId: string | null,
    details: object,
    at?: Date,
  ) {
    await this.#audits.append({ actor, role, action, sittingId, details, ...(at ? { at } : {}) });
  }
}
