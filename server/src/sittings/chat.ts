import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ChatMessagesTable, Database } from '../db/schema';
import { DatabaseUnreachableError, isDatabaseUnreachable, refusedByDatabase } from '../db/unreachable';
import { AppError } from '../errors';
import {
  CHAT_HISTORY_LIMIT,
  CHAT_MAX_CHARS,
  CHAT_RATE_COUNT,
  CHAT_RATE_WINDOW_MS,
  type ChatMessage,
} from '../protocol';
import { ChatRateLimit } from './limits';
import type { Identity } from './participant';
import { UnsentLines } from './unsent-lines';

// C0 controls and DEL, except tab and newline: they have no place in a chat line.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** A chat line's text as stored: control characters removed, trimmed, at most CHAT_MAX_CHARS. */
export function cleanChatText(text: string): string {
  const clean = text.replace(CONTROL_CHARS, '').trim();
  if (clean.length === 0) throw new AppError('bad_request', 'the message is empty');
  if (clean.length > CHAT_MAX_CHARS)
    throw new AppError('bad_request', `messages are limited to ${CHAT_MAX_CHARS} characters`);
  return clean;
}

/**
 * A line not stored this long after it arrived is refused: the client gives up at
 * REQUEST_TIMEOUT_MS (10 s), and a line stored after its sender was told it failed is the bug
 * this class exists to prevent. The margin covers the network both ways.
 */
export const CHAT_STORE_DEADLINE_MS = 8000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toMessage = (row: Selectable<ChatMessagesTable>): ChatMessage => ({
  id: row.id,
  participantId: row.participant_id,
  name: row.sender_name,
  role: row.sender_role,
  text: row.text,
  at: new Date(row.created_at).toISOString(),
});

/** Options of a Chat (tests). */
export interface ChatOptions {
  /** Where refused lines wait to be withdrawn (default: the one registry of `db`). */
  unsent?: UnsentLines;
  /** Default CHAT_STORE_DEADLINE_MS. */
  storeDeadlineMs?: number;
}

/**
 * The chat of one sitting: persisted lines, history for late joiners, a per-sender rate limit,
 * and deletion by the host (the line is kept in the database, marked deleted).
 *
 * A line is either stored and returned (to be published), or refused; a refused line whose insert
 * may have reached the database is withdrawn (UnsentLines), so it is never seen. A line not stored
 * within CHAT_STORE_DEADLINE_MS is refused (and withdrawn), so the sender always hears first.
 * Lines are stored one at a time, so their order in the database is the order they were accepted.
 */
export class Chat {
  readonly #db: Kysely<Database>;
  readonly #sittingId: string;
  readonly #limiter = new ChatRateLimit(CHAT_RATE_COUNT, CHAT_RATE_WINDOW_MS);
  readonly #unsent: UnsentLines;
  /** The line being stored, which the next one waits for. */
  #previous: Promise<unknown> = Promise.resolve();
  /** Lines that found the database out of reach, so far. */
  #outages = 0;
  /**
   * The history a joiner gets (the latest CHAT_HISTORY_LIMIT lines not deleted), once read from
   * the database, kept up to date as lines are stored here: a join costs no query. Every line of
   * the sitting goes through this object (its node hosts the sitting), so nothing is missed; a
   * deletion drops it, to be read again.
   */
  #recent: ChatMessage[] | undefined;
  /** Bumped by every change, so that a history read overtaken by one is not kept. */
  #version = 0;
  readonly #storeDeadlineMs: number;

  /** `db` as openDatabase returned it (the fencing of lost connections is found by it). */
  constructor(db: Kysely<Database>, sittingId: string, options: ChatOptions = {}) {
    this.#db = db;
    this.#sittingId = sittingId;
    this.#unsent = options.unsent ?? UnsentLines.of(db);
    this.#storeDeadlineMs = options.storeDeadlineMs ?? CHAT_STORE_DEADLINE_MS;
  }

  /**
   * Stores a line from `sender`; `rate_limited` past CHAT_RATE_COUNT lines per window; the
   * database's error (`unavailable` on the wire) when it is out of reach.
   */
  async send(sender: Identity, participantId: string, text: string): Promise<ChatMessage> {
    const clean = cleanChatText(text);
    // Keyed by subject, not connection: reconnecting does not reset the limit.
    this.#limiter.take(sender.subject);
    const outagesBefore = this.#outages;
    const deadline = Date.now() + this.#storeDeadlineMs;
    const stored = this.#previous.then(() =>
      this.#store(sender, participantId, clean, outagesBefore, deadline),
    );
    this.#previous = stored.catch(() => undefined);
    return stored;
  }

  async #store(
    sender: Identity,
    participantId: string,
    text: string,
    outagesBefore: number,
    deadline: number,
  ): Promise<ChatMessage> {
    // A line queued behind one that found the database out of reach is refused at once: waiting
    // for its own timeout would take it past the client's.
    if (this.#outages !== outagesBefore) {
      throw new DatabaseUnreachableError('a chat line before this one found the database out of reach');
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new DatabaseUnreachableError('the database was too slow to store the line in time');
    const id = randomUUID();
    const insert = this.#db
      .insertInto('chat_messages')
      .values({
        id,
        sitting_id: this.#sittingId,
        participant_id: participantId,
        sender_subject: sender.subject,
        sender_name: sender.name,
        sender_role: sender.role,
        text,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DatabaseUnreachableError('the database did not store the line in time')),
        left,
      );
    });
    try {
      const message = toMessage(await Promise.race([insert, late]));
      this.#version++;
      if (this.#recent) {
        this.#recent.push(message);
        if (this.#recent.length > CHAT_HISTORY_LIMIT) this.#recent.shift();
      }
      return message;
    } catch (err) {
      // Unless the database itself refused it, the insert may have committed (or still may):
      // withdraw it once it has settled.
      if (!refusedByDatabase(err)) this.#unsent.add(this.#sittingId, id, insert);
      if (isDatabaseUnreachable(err)) this.#outages++;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The latest lines not deleted (nor refused to their sender), oldest first. */
  async history(limit = CHAT_HISTORY_LIMIT): Promise<ChatMessage[]> {
    if (this.#recent && limit <= CHAT_HISTORY_LIMIT) return this.#recent.slice(-limit);
    const version = this.#version;
    const lines = await this.#read(Math.max(limit, CHAT_HISTORY_LIMIT));
    if (this.#version === version && limit <= CHAT_HISTORY_LIMIT) this.#recent = lines;
    return lines.slice(-limit);
  }

  async #read(limit: number): Promise<ChatMessage[]> {
    const unsent = this.#unsent.pending(this.#sittingId);
    const rows = await this.#db
      .selectFrom('chat_messages')
      .selectAll()
      .where('sitting_id', '=', this.#sittingId)
      .where('deleted_at', 'is', null)
      .$if(unsent.length > 0, (q) => q.where('id', 'not in', unsent))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map(toMessage);
  }

  /** Marks a line deleted; returns what it said (for the audit log). `not_found` if not in this sitting. */
  async delete(messageId: string, by: Identity): Promise<ChatMessage> {
    if (!UUID.test(messageId)) throw new AppError('not_found', 'no such message');
    this.#version++;
    this.#recent = undefined;
    const row = await this.#db
      .updateTable('chat_messages')
      .set({ deleted_at: new Date(), deleted_by: by.subject })
      .where('id', '=', messageId)
      .where('sitting_id', '=', this.#sittingId)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    // Again once done: a history read while the update ran may still show the line.
    this.#version++;
    this.#recent = undefined;
    if (!row) throw new AppError('not_found', 'no such message');
    return toMessage(row);
  }
}
