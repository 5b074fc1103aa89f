import type { Kysely, Selectable } from 'kysely';
import type { ChatMessagesTable, Database } from '../db/schema';
import { AppError } from '../errors';
import {
  CHAT_HISTORY_LIMIT,
  CHAT_MAX_CHARS,
  CHAT_RATE_COUNT,
  CHAT_RATE_WINDOW_MS,
  type ChatMessage,
} from '../protocol';
import type { Identity } from './participant';

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

/** Sliding-window limiter: at most `count` events per `windowMs` per key. */
export class RateLimiter {
  readonly #hits = new Map<string, number[]>();

  constructor(
    readonly count: number,
    readonly windowMs: number,
  ) {}

  /** Records an event for `key`, or throws `rate_limited` when the window is full. */
  take(key: string, now = Date.now()): void {
    const recent = (this.#hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.count) {
      const waitS = Math.ceil((this.windowMs - (now - recent[0]!)) / 1000);
      this.#hits.set(key, recent);
      throw new AppError('rate_limited', `too many messages: wait ${waitS} s`);
    }
    recent.push(now);
    this.#hits.set(key, recent);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toMessage = (row: Selectable<ChatMessagesTable>): ChatMessage => ({
  id: row.id,
  participantId: row.participant_id,
  name: row.sender_name,
  role: row.sender_role,
  text: row.text,
  at: new Date(row.created_at).toISOString(),
});

/**
 * The chat of one sitting: persisted lines, history for late joiners, a per-sender rate limit,
 * and deletion by the host (the line is kept in the database, marked deleted).
 */
export class Chat {
  readonly #db: Kysely<Database>;
  readonly #sittingId: string;
  readonly #limiter = new RateLimiter(CHAT_RATE_COUNT, CHAT_RATE_WINDOW_MS);

  constructor(db: Kysely<Database>, sittingId: string) {
    this.#db = db;
    this.#sittingId = sittingId;
  }

  /** Stores a line from `sender`; `rate_limited` past CHAT_RATE_COUNT lines per window. */
  async send(sender: Identity, participantId: string, text: string): Promise<ChatMessage> {
    const clean = cleanChatText(text);
    // Keyed by subject, not connection: reconnecting does not reset the limit.
    this.#limiter.take(sender.subject);
    const row = await this.#db
      .insertInto('chat_messages')
      .values({
        sitting_id: this.#sittingId,
        participant_id: participantId,
        sender_subject: sender.subject,
        sender_name: sender.name,
        sender_role: sender.role,
        text: clean,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMessage(row);
  }

  /** The latest lines not deleted, oldest first. */
  async history(limit = CHAT_HISTORY_LIMIT): Promise<ChatMessage[]> {
    const rows = await this.#db
      .selectFrom('chat_messages')
      .selectAll()
      .where('sitting_id', '=', this.#sittingId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map(toMessage);
  }

  /** Marks a line deleted; returns what it said (for the audit log). `not_found` if not in this sitting. */
  async delete(messageId: string, by: Identity): Promise<ChatMessage> {
    if (!UUID.test(messageId)) throw new AppError('not_found', 'no such message');
    const row = await this.#db
      .updateTable('chat_messages')
      .set({ deleted_at: new Date(), deleted_by: by.subject })
      .where('id', '=', messageId)
      .where('sitting_id', '=', this.#sittingId)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'no such message');
    return toMessage(row);
  }
}
