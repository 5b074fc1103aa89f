/**
 * The bookings office: requests (by a host, or through the public form confirmed by e-mail), the
 * office's answers, the thread, and the fulfilment the server makes by itself when the booked
 * sitting ends or its recording is ready. Every state change is one compare-and-set in a
 * transaction that also posts the system message and appends the audit entry; e-mails and the
 * `booking.state_changed` webhook follow the commit.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/audit-log';
import type { Database, JsonValue } from '../db/schema';
import { AppError } from '../errors';
import type { OutgoingMail } from '../mail/outbox';
import type { SittingInfo } from '../protocol';
import type { BookingsConfig } from './config';
import { capacityProblem, type CapacityProblem } from './capacity';
import { earliestStart, romeDateTime } from './calendar';
import { checkAttachments, removeFiles, storeAttachments, type AttachmentUpload } from './attachments';
import { confirmationMail, formatCode, participantMail, threadMail } from './mails';
import {
  acceptedSlots,
  bookingJson,
  findBooking,
  listBookingRows,
  listMessages,
  officeEmails,
  unreadCounts,
  type BookingJson,
  type BookingRow,
  type MessageJson,
  type Side,
} from './repo';
import { isFinal, nextState, STATE_NAMES, type BookingAction, type BookingState } from './states';

/** Who is asking: an admin (the office), a host, or a public requester holding their key. */
export type Caller =
  | { kind: 'admin'; userId: string; email: string; name: string }
  | { kind: 'host'; userId: string; email: string; name: string }
  | { kind: 'public'; key: string | undefined };

/** What a requester asks for. */
export interface BookingRequest {
  startsAt: Date;
  durationMinutes: number;
  subject: string;
  contactName: string;
  contactEmail: string;
  participants: string[];
  recording: boolean;
  visibility: 'public' | 'reserved';
}

/** A recording of a booked sitting, as the delivery names it. */
export interface DeliveredRecording {
  id: string;
  state: string;
  sha256: string | null;
  durationSeconds: number | null;
}

/** What the service needs from the rest of the server (injected: no feature imports another). */
export interface BookingServiceDeps {
  db: Kysely<Database>;
  config: BookingsConfig;
  logger: Logger;
  /** The first public origin: links in e-mails and messages. */
  origin: string;
  /** Where attachments are stored. */
  attachmentsDir: string;
  /** Secret behind public requesters' keys (derived from the server's signing secret). */
  keySecret: Uint8Array;
  /** Creates the booked sitting (scheduled, owned by `hostUserId` or admins only). */
  createSitting(input: {
    title: string;
    kind: 'public' | 'reserved';
    scheduledAt: Date;
    createdBy: string;
    hostUserId: string | null;
  }): Promise<SittingInfo>;
  /** Cancels a sitting made for an acceptance that lost a race. */
  cancelSitting(id: string): Promise<void>;
  /** Invites a reserved sitting's participant (personal link, e-mailed by the invitations). */
  invite(sittingId: string, email: string, by: { subject: string; name: string }): Promise<void>;
  /** Queues an e-mail; undefined when SMTP is not configured. */
  sendMail: ((mail: OutgoingMail) => Promise<number>) | undefined;
  /** Emits a webhook event (never throws). */
  emitEvent(type: 'booking.state_changed', data: { [key: string]: JsonValue }): void;
  /** A sitting's status, or undefined. */
  sittingStatus(id: string): Promise<string | undefined>;
  /** A sitting's recordings, when the server records. */
  recordings(sittingId: string): Promise<DeliveredRecording[]>;
  now?: () => Date;
}

/** How long a public request waits for its e-mail confirmation. */
export const CONFIRM_TTL_MS = 24 * 60 * 60 * 1000;
/** Unconfirmed public requests one e-mail address may have at once. */
const MAX_UNCONFIRMED_PER_EMAIL = 5;
const PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const SYSTEM_NAME = 'Seduta';
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** The bookings office. */
export class BookingService {
  #d: BookingServiceDeps;
  #log: Logger;
  #now: () => Date;

  constructor(deps: BookingServiceDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ module: 'bookings' });
    this.#now = deps.now ?? (() => new Date());
  }

  /** The public form's setting (BOOKINGS_PUBLIC), for the routes. */
  get publicForm(): boolean {
    return this.#d.config.publicForm && this.#d.sendMail !== undefined;
  }

  /**
   * A new request: a host's is `open` at once; a public one waits for the e-mailed confirmation.
   * Refused with `notice_too_short` or `capacity`, naming the earliest start or the busy slot.
   */
  async create(caller: Caller, input: BookingRequest): Promise<{ booking?: BookingJson; pending: boolean }> {
    const now = this.#now();
    this.#checkNotice(input.startsAt, now);
    await this.#checkCapacity(input.startsAt, input.durationMinutes, input.participants.length + 1);
    const publicRequest = caller.kind === 'public';
    if (publicRequest && !this.publicForm) throw new AppError('unauthorized', 'sign in to ask for a sitting');
    const token = publicRequest ? randomBytes(24).toString('base64url') : undefined;
    const db = this.#d.db;
    if (publicRequest) {
      const waiting = await db
        .selectFrom('bookings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('confirmed_at', 'is', null)
        .where('contact_email', '=', input.contactEmail)
        .executeTakeFirstOrThrow();
      if (Number(waiting.n) >= MAX_UNCONFIRMED_PER_EMAIL) {
        throw new AppError(
          'rate_limited',
          'too many requests wait for confirmation at this address: confirm them first',
        );
      }
    }
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('bookings')
        .values({
          starts_at: input.startsAt,
          duration_minutes: input.durationMinutes,
          subject: input.subject,
          contact_name: input.contactName,
          contact_email: input.contactEmail,
          participants: JSON.stringify(input.participants),
          recording: input.recording,
          visibility: input.visibility,
          requester_kind: publicRequest ? 'public' : 'host',
          requester_user_id: caller.kind === 'public' ? null : caller.userId,
          created_at: now,
          answer_due_at: new Date(now.getTime() + this.#d.config.answerHours * 3_600_000),
          confirmed_at: publicRequest ? null : now,
          confirm_token_hash: token === undefined ? null : hash(token),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendAudit(trx, {
        ...actorOf(caller),
        action: 'booking.create',
        details: {
          bookingId: inserted.id,
          startsAt: input.startsAt.toISOString(),
          durationMinutes: input.durationMinutes,
          subject: input.subject,
          recording: input.recording,
          confirmed: !publicRequest,
        },
      });
      return inserted;
    });
    if (token !== undefined) {
      await this.#mail(
        confirmationMail({
          to: input.contactEmail,
          name: input.contactName,
          subject: input.subject,
          link: `${this.#d.origin}/bookings/confirm#${token}`,
        }),
      );
      return { pending: true };
    }
    await this.#notifyOffice(
      row,
      'Nuova richiesta',
      `${input.contactName} chiede una seduta: «${input.subject}», ${romeDateTime(input.startsAt)}.`,
    );
    return { booking: bookingJson(row, 0, now, this.#d.origin), pending: false };
  }

  /** Confirms a public request by its e-mailed token: it is now `open`; returns the requester's key. */
  async confirm(token: string): Promise<{ booking: BookingJson; key: string }> {
    const now = this.#now();
    const row = await this.#d.db
      .updateTable('bookings')
      .set({ confirmed_at: now, confirm_token_hash: null, updated_at: now })
      .where('confirm_token_hash', '=', hash(token))
      .where('confirmed_at', 'is', null)
      .where('created_at', '>', new Date(now.getTime() - CONFIRM_TTL_MS))
      .returningAll()
      .executeTakeFirst();
    if (!row)
      throw new AppError('not_found', 'this confirmation link is not valid or has expired (24 hours)');
    const key = this.#keyOf(row.id);
    await this.#d.db
      .updateTable('bookings')
      .set({ requester_key_hash: hash(key) })
      .where('id', '=', row.id)
      .execute();
    await appendAudit(this.#d.db, {
      actor: `public:${row.contact_email}`,
      role: 'anonymous',
      action: 'booking.confirm',
      details: { bookingId: row.id },
    });
    await this.#notifyOffice(
      row,
      'Nuova richiesta',
      `${row.contact_name} chiede una seduta: «${row.subject}», ${romeDateTime(row.starts_at)}.`,
    );
    return { booking: bookingJson(row, 0, now, this.#d.origin), key };
  }

  /** Drops public requests never confirmed within 24 h. */
  async purgeUnconfirmed(): Promise<number> {
    const gone = await this.#d.db
      .deleteFrom('bookings')
      .where('confirmed_at', 'is', null)
      .where('created_at', '<=', new Date(this.#now().getTime() - CONFIRM_TTL_MS))
      .executeTakeFirst();
    return Number(gone.numDeletedRows);
  }

  /** An admin's list (all) or a host's (own), newest first. */
  async list(caller: Caller, filter: { state?: BookingState; overdue?: boolean }): Promise<BookingJson[]> {
    if (caller.kind === 'public') throw new AppError('unauthorized', 'sign in first');
    const now = this.#now();
    const rows = await listBookingRows(this.#d.db, {
      ...(caller.kind === 'host' ? { requesterUserId: caller.userId } : {}),
      ...(filter.state ? { state: filter.state } : {}),
      ...(filter.overdue ? { overdueAt: now } : {}),
    });
    const side = sideOf(caller);
    const unread = await unreadCounts(
      this.#d.db,
      rows.map((r) => r.id),
      side,
    );
    return rows.map((r) => bookingJson(r, unread.get(r.id) ?? 0, now, this.#d.origin));
  }

  /** One booking and its thread, for the office or its requester. */
  async get(caller: Caller, id: string): Promise<{ booking: BookingJson; messages: MessageJson[] }> {
    const row = await this.#visible(caller, id);
    const side = sideOf(caller);
    const unread = await unreadCounts(this.#d.db, [row.id], side);
    return {
      booking: bookingJson(row, unread.get(row.id) ?? 0, this.#now(), this.#d.origin),
      messages: await listMessages(this.#d.db, row.id, side),
    };
  }

  /**
   * The office accepts: capacity checked again, the scheduled sitting created with its meeting
   * code and operators' password, the requester and every participant e-mailed.
   */
  async accept(caller: Caller, id: string): Promise<{ booking: BookingJson; sitting: AcceptedSitting }> {
    const office = requireOffice(caller);
    const row = await this.#visible(caller, id);
    nextState(row.state, 'accept');
    await this.#checkCapacity(row.starts_at, row.duration_minutes, row.participants.length + 1, row.id);
    const by = `staff:${office.email}`;
    const sitting = await this.#d.createSitting({
      title: row.subject,
      kind: row.visibility,
      scheduledAt: row.starts_at,
      createdBy: by,
      hostUserId: row.requester_kind === 'host' ? row.requester_user_id : null,
    });
    const code = await this.#freeCode();
    const password = Array.from(
      { length: 8 },
      () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)],
    ).join('');
    const joinUrl = `${this.#d.origin}/s/${sitting.id}`;
    const hostUrl = `${this.#d.origin}/host/${sitting.id}`;
    const opens = new Date(row.starts_at.getTime() - this.#d.config.roomOpensMinutesBefore * 60_000);
    const text = [
      `La richiesta è stata accettata: la seduta «${row.subject}» è programmata per ${romeDateTime(row.starts_at)}.`,
      `Link per i partecipanti: ${joinUrl}`,
      `Codice riunione: ${formatCode(code)} — password: ${password}`,
      `Link per chi presiede: ${hostUrl} (la sala apre alle ${romeDateTime(opens)} per la prova tecnica).`,
      row.recording
        ? 'La registrazione sarà consegnata in questa conversazione al termine della seduta.'
        : '',
    ]
      .filter(Boolean)
      .join('\n');
    let updated: BookingRow;
    try {
      updated = await this.#transition(row, 'accept', caller, {
        subject: 'Prenotazione accettata',
        text,
        set: { sitting_id: sitting.id, meeting_code: code, meeting_password: password },
        audit: { sittingId: sitting.id, code },
      });
    } catch (err) {
      // Another admin answered first: the sitting made for this answer must not stay scheduled.
      await this.#d
        .cancelSitting(sitting.id)
        .catch((e: unknown) => this.#log.error({ err: e }, 'could not cancel'));
      throw err;
    }
    for (const to of row.participants) {
      await this.#mail(
        participantMail({
          to,
          title: row.subject,
          startsAt: row.starts_at,
          durationMinutes: row.duration_minutes,
          joinUrl,
          code,
          password,
          reserved: row.visibility === 'reserved',
          recording: row.recording,
        }),
      );
      if (row.visibility === 'reserved') {
        await this.#d
          .invite(sitting.id, to, { subject: by, name: office.name })
          .catch((err: unknown) =>
            this.#log.warn({ err, bookingId: row.id }, 'could not invite a participant'),
          );
      }
    }
    return {
      booking: bookingJson(updated, 0, this.#now(), this.#d.origin),
      sitting: {
        id: sitting.id,
        title: sitting.title,
        scheduledAt: row.starts_at.toISOString(),
        joinUrl,
        hostUrl,
        code,
        password,
      },
    };
  }

  /** The office answers "not available", with the reason the requester reads. */
  async refuse(caller: Caller, id: string, reason: string): Promise<BookingJson> {
    requireOffice(caller);
    const row = await this.#visible(caller, id);
    const updated = await this.#transition(row, 'refuse', caller, {
      subject: 'Prenotazione non disponibile',
      text: `La richiesta non può essere accolta. Motivo: ${reason}`,
      set: { reason },
      audit: { reason },
    });
    return bookingJson(updated, 0, this.#now(), this.#d.origin);
  }

  /**
   * Fulfils the booking of a sitting when it is done: without recording when the sitting has
   * ended; with recording once it has ended and none of its recordings is still being made, the
   * delivery (each ready file's link and SHA-256) posted in the thread. Idempotent.
   */
  async fulfilIfDone(sittingId: string): Promise<boolean> {
    const row = await this.#d.db
      .selectFrom('bookings')
      .selectAll()
      .where('sitting_id', '=', sittingId)
      .executeTakeFirst();
    if (!row || row.state !== 'in_processing') return false;
    if ((await this.#d.sittingStatus(sittingId)) !== 'ended') return false;
    let text = 'La seduta si è conclusa: la prenotazione è evasa.';
    let subject = 'Prenotazione evasa';
    const delivered: DeliveredRecording[] = [];
    if (row.recording) {
      const recordings = await this.#d.recordings(sittingId);
      if (recordings.some((r) => r.state !== 'ready' && r.state !== 'failed')) return false;
      delivered.push(...recordings.filter((r) => r.state === 'ready'));
      const failed = recordings.length - delivered.length;
      subject = 'Registrazione consegnata';
      text = [
        delivered.length > 0
          ? 'La seduta si è conclusa e la registrazione è pronta. Per scaricarla:'
          : 'La seduta si è conclusa senza registrazioni pronte da consegnare.',
        ...delivered.map(
          (r) =>
            `${this.#d.origin}/api/bookings/${row.id}/recordings/${r.id}` +
            (r.sha256
              ? ` (SHA-256 ${r.sha256}${r.durationSeconds ? `, ${Math.round(r.durationSeconds)} s` : ''})`
              : ''),
        ),
        failed > 0 ? `${failed} registrazione/i non è stata completata: l'ufficio ne ha i dettagli.` : '',
        'La prenotazione è evasa.',
      ]
        .filter(Boolean)
        .join('\n');
    }
    try {
      await this.#transition(row, 'fulfil', undefined, {
        subject,
        text,
        set: {},
        audit: { sittingId, recordings: delivered.map((r) => ({ id: r.id, sha256: r.sha256 })) },
      });
      return true;
    } catch (err) {
      // The sitting's end and its recording's readiness may both arrive: the second finds it done.
      if (err instanceof AppError && err.code === 'invalid_state') return false;
      throw err;
    }
  }

  /** Posts a message to the thread (with checked attachments), e-mailing the other side. */
  async post(
    caller: Caller,
    id: string,
    input: { subject?: string | undefined; text: string; attachments: AttachmentUpload[] },
  ): Promise<MessageJson> {
    const row = await this.#visible(caller, id);
    if (isFinal(row.state)) {
      throw new AppError(
        'invalid_state',
        `the booking is ${STATE_NAMES[row.state]} (${row.state}): its thread is closed`,
      );
    }
    const files = checkAttachments(
      input.attachments,
      this.#d.config.attachmentMaxBytes,
      this.#d.config.attachmentTypes,
    );
    const side = sideOf(caller);
    const author = caller.kind === 'public' ? row.contact_name : caller.name;
    const created = await storeAttachments(this.#d.attachmentsDir, files);
    let messageId: string;
    try {
      messageId = await this.#d.db.transaction().execute(async (trx) => {
        const locked = await trx
          .selectFrom('bookings')
          .select('state')
          .where('id', '=', row.id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (isFinal(locked.state))
          throw new AppError('invalid_state', 'the booking is closed: its thread is closed');
        const m = await trx
          .insertInto('booking_messages')
          .values({
            booking_id: row.id,
            author_kind: side,
            author_name: author,
            subject: input.subject?.trim() || null,
            text: input.text,
            ...(side === 'office' ? { office_read_at: this.#now() } : { requester_read_at: this.#now() }),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        if (files.length > 0) {
          await trx
            .insertInto('booking_attachments')
            .values(
              files.map((f) => ({
                message_id: m.id,
                booking_id: row.id,
                name: f.name,
                type: f.type,
                size: f.size,
                sha256: f.sha256,
              })),
            )
            .execute();
        }
        await appendAudit(trx, {
          ...actorOf(caller, row),
          action: 'booking.message',
          sittingId: row.sitting_id,
          details: {
            bookingId: row.id,
            messageId: m.id,
            attachments: files.map((f) => ({ name: f.name, sha256: f.sha256, size: f.size })),
          },
        });
        return m.id;
      });
    } catch (err) {
      await removeFiles(created);
      throw err;
    }
    const message = (await listMessages(this.#d.db, row.id, side)).find((m) => m.id === messageId);
    if (!message) throw new AppError('internal', 'the message just posted is missing');
    const subject = input.subject?.trim() || null;
    if (side === 'office') await this.#notifyRequester(row, subject, input.text, author);
    else await this.#notifyOffice(row, subject, input.text, author);
    return message;
  }

  /** An attachment of a booking the caller sees: where its bytes are and how to send them. */
  async attachment(
    caller: Caller,
    id: string,
    attachmentId: string,
  ): Promise<{ name: string; type: string; size: number; sha256: string }> {
    const row = await this.#visible(caller, id);
    const file = await this.#d.db
      .selectFrom('booking_attachments')
      .select(['name', 'type', 'size', 'sha256'])
      .where('id', '=', attachmentId)
      .where('booking_id', '=', row.id)
      .executeTakeFirst();
    if (!file) throw new AppError('not_found', 'no such attachment');
    return file;
  }

  /** A booked sitting's recording, for the office and the requester (checked against the booking). */
  async recordingOf(
    caller: Caller,
    id: string,
    recordingId: string,
  ): Promise<{ sittingId: string; bookingId: string }> {
    const row = await this.#visible(caller, id);
    if (!row.sitting_id || !row.recording) throw new AppError('not_found', 'this booking has no recording');
    const recordings = await this.#d.recordings(row.sitting_id);
    if (!recordings.some((r) => r.id === recordingId && r.state === 'ready')) {
      throw new AppError('not_found', 'no such recording of this booking');
    }
    return { sittingId: row.sitting_id, bookingId: row.id };
  }

  /** Marks the thread read for the caller's side. */
  async markRead(caller: Caller, id: string): Promise<void> {
    const row = await this.#visible(caller, id);
    const column = sideOf(caller) === 'office' ? 'office_read_at' : 'requester_read_at';
    await this.#d.db
      .updateTable('booking_messages')
      .set({ [column]: this.#now() })
      .where('booking_id', '=', row.id)
      .where(column, 'is', null)
      .execute();
  }

  /** The booking `caller` may see, or 404 (a booking of someone else is not revealed). */
  async #visible(caller: Caller, id: string): Promise<BookingRow> {
    const row = await findBooking(this.#d.db, id);
    const visible =
      row !== undefined &&
      row.confirmed_at !== null &&
      (caller.kind === 'admin' ||
        (caller.kind === 'host' && row.requester_user_id === caller.userId) ||
        (caller.kind === 'public' &&
          caller.key !== undefined &&
          row.requester_key_hash !== null &&
          same(hash(caller.key), row.requester_key_hash)));
    if (!visible) throw new AppError('not_found', 'no such booking');
    return row;
  }

  /** One transition: compare-and-set, system message, audit entry; then the e-mail and the webhook. */
  async #transition(
    row: BookingRow,
    action: BookingAction,
    caller: Caller | undefined,
    change: {
      subject: string;
      text: string;
      set: Partial<Pick<BookingRow, 'reason' | 'sitting_id' | 'meeting_code' | 'meeting_password'>>;
      audit: Record<string, JsonValue>;
    },
  ): Promise<BookingRow> {
    const to = nextState(row.state, action);
    const now = this.#now();
    const updated = await this.#d.db.transaction().execute(async (trx: Transaction<Database>) => {
      const next = await trx
        .updateTable('bookings')
        .set({ ...change.set, state: to, updated_at: now })
        .where('id', '=', row.id)
        .where('state', '=', row.state)
        .returningAll()
        .executeTakeFirst();
      if (!next) {
        const current = await findBooking(trx, row.id);
        nextState(current?.state ?? row.state, action);
        throw new AppError('invalid_state', 'the booking changed meanwhile: reload it');
      }
      await trx
        .insertInto('booking_messages')
        .values({
          booking_id: row.id,
          author_kind: 'system',
          author_name: SYSTEM_NAME,
          subject: change.subject,
          text: change.text,
          office_read_at: now,
        })
        .execute();
      await appendAudit(trx, {
        ...(caller ? actorOf(caller) : { actor: 'system', role: 'system' }),
        action: `booking.${to === 'in_processing' ? 'accepted' : to}`,
        sittingId: next.sitting_id,
        details: { bookingId: row.id, from: row.state, to, ...change.audit },
      });
      return next;
    });
    this.#log.info({ bookingId: row.id, from: row.state, to }, 'booking state changed');
    await this.#notifyRequester(updated, change.subject, change.text, SYSTEM_NAME);
    this.#d.emitEvent('booking.state_changed', {
      booking: webhookBooking(updated),
      previousState: row.state,
    });
    return updated;
  }

  #checkNotice(startsAt: Date, now: Date): void {
    const earliest = earliestStart(now, this.#d.config.minWorkingDays);
    if (startsAt.getTime() < earliest.getTime()) {
      throw new AppError(
        'notice_too_short',
        `requests need ${this.#d.config.minWorkingDays} working days of notice (weekends and national holidays excluded): the earliest start is ${romeDateTime(earliest)} (${earliest.toISOString()})`,
      );
    }
  }

  async #checkCapacity(start: Date, minutes: number, people: number, except?: string): Promise<void> {
    const to = new Date(start.getTime() + minutes * 60_000);
    const booked = await acceptedSlots(this.#d.db, start, to, 600, except);
    const problem = capacityProblem({ start, minutes, people }, booked, this.#d.config);
    if (problem) throw new AppError('capacity', capacityMessage(problem));
  }

  /** A 9-digit code no sitting that is not over uses. */
  async #freeCode(): Promise<string> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = String(randomInt(100_000_000, 1_000_000_000));
      const taken = await this.#d.db
        .selectFrom('bookings')
        .innerJoin('sittings', 'sittings.id', 'bookings.sitting_id')
        .select('bookings.id')
        .where('bookings.meeting_code', '=', code)
        .where('sittings.status', 'in', ['scheduled', 'live'])
        .executeTakeFirst();
      if (!taken) return code;
    }
    throw new AppError('internal', 'no free meeting code found');
  }

  #keyOf(bookingId: string): string {
    return createHmac('sha256', this.#d.keySecret).update(`booking-key:${bookingId}`).digest('base64url');
  }

  #link(row: BookingRow): string {
    const base = `${this.#d.origin}/bookings/${row.id}`;
    return row.requester_kind === 'public' ? `${base}#key=${this.#keyOf(row.id)}` : base;
  }

  async #notifyRequester(row: BookingRow, subject: string | null, text: string, from: string): Promise<void> {
    await this.#mail(
      threadMail({
        to: row.contact_email,
        bookingSubject: row.subject,
        subject,
        text,
        from,
        link: this.#link(row),
      }),
    );
  }

  async #notifyOffice(row: BookingRow, subject: string | null, text: string, from?: string): Promise<void> {
    for (const to of await officeEmails(this.#d.db)) {
      await this.#mail(
        threadMail({
          to,
          bookingSubject: row.subject,
          subject,
          text,
          from: from ?? row.contact_name,
          link: `${this.#d.origin}/bookings/${row.id}`,
        }),
      );
    }
  }

  /** Queues an e-mail; a failure is logged, never undoes the change it tells about. */
  async #mail(mail: OutgoingMail): Promise<void> {
    if (!this.#d.sendMail) return;
    await this.#d
      .sendMail(mail)
      .catch((err: unknown) => this.#log.error({ err, subject: mail.subject }, 'could not queue an e-mail'));
  }
}

/** The sitting an acceptance created. */
export interface AcceptedSitting {
  id: string;
  title: string;
  scheduledAt: string;
  joinUrl: string;
  hostUrl: string;
  code: string;
  password: string;
}

/** The refusal's message for a capacity problem. */
export function capacityMessage(p: CapacityProblem): string {
  const what =
    p.limit === 'MAX_CONCURRENT_SITTINGS'
      ? `${p.sittings} sittings at once, over the ${p.max} this server runs (MAX_CONCURRENT_SITTINGS)`
      : `${p.people} people at once, over the ${p.max} this server serves (MAX_VIEWERS)`;
  return `no capacity from ${romeDateTime(p.from)} to ${romeDateTime(p.to)} (${p.from.toISOString()}–${p.to.toISOString()}): ${what}`;
}

function sideOf(caller: Caller): Side {
  return caller.kind === 'admin' ? 'office' : 'requester';
}

function requireOffice(caller: Caller): Extract<Caller, { kind: 'admin' }> {
  if (caller.kind !== 'admin') throw new AppError('forbidden', 'only the office (an admin) answers bookings');
  return caller;
}

function actorOf(caller: Caller, row?: BookingRow): { actor: string; role: string } {
  if (caller.kind === 'public')
    return { actor: `public:${row?.contact_email ?? 'anonymous'}`, role: 'anonymous' };
  return { actor: `staff:${caller.email}`, role: caller.kind };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function webhookBooking(row: BookingRow): { [key: string]: JsonValue } {
  return {
    id: row.id,
    state: row.state,
    startsAt: row.starts_at.toISOString(),
    durationMinutes: row.duration_minutes,
    subject: row.subject,
    recording: row.recording,
    visibility: row.visibility,
    reason: row.reason,
    sittingId: row.sitting_id,
  };
}
