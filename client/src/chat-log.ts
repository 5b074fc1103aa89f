import { CHAT_RATE_COUNT, CHAT_RATE_WINDOW_MS, type ChatMessage } from '@seduta/server/protocol';
import { SignallingError } from './signalling';

/** The server refused a chat line because of the rate limit; `retryAfterS` says how long to wait. */
export class ChatRateLimitedError extends SignallingError {
  constructor(
    readonly retryAfterS: number,
    message: string,
  ) {
    super('rate_limited', message);
  }
}

/**
 * The chat of the sitting as this client knows it: the lines in order (history, then live ones,
 * without duplicates; deleted ones removed) and when this client last sent, to tell the user how
 * long to wait when the server's rate limit refuses a line.
 */
export class ChatLog {
  #messages: ChatMessage[] = [];
  #sentAt: number[] = [];

  /** The lines, oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }

  /** Replaces everything with the history delivered on join. */
  reset(history: readonly ChatMessage[]): void {
    this.#messages = [...history];
  }

  /** Appends a line; false if it was already there (the sender gets it both as reply and as note). */
  add(message: ChatMessage): boolean {
    if (this.#messages.some((m) => m.id === message.id)) return false;
    this.#messages = [...this.#messages, message];
    return true;
  }

  /** Removes a deleted line; false if it was not there. */
  remove(messageId: string): boolean {
    const kept = this.#messages.filter((m) => m.id !== messageId);
    if (kept.length === this.#messages.length) return false;
    this.#messages = kept;
    return true;
  }

  /** Remembers that this client's line was accepted at `now`. */
  noteSent(now = Date.now()): void {
    this.#sentAt = [...this.#sentAt.filter((t) => now - t < CHAT_RATE_WINDOW_MS), now];
  }

  /**
   * Seconds until the server accepts another line, after it refused one with `rate_limited`:
   * from this client's own sends (the same sliding window as the server's), else from the number
   * in the server's message (the limit outlives a page reload), else a whole window.
   */
  retryAfterS(serverMessage: string, now = Date.now()): number {
    const recent = this.#sentAt.filter((t) => now - t < CHAT_RATE_WINDOW_MS);
    if (recent.length >= CHAT_RATE_COUNT) {
      return Math.max(1, Math.ceil((CHAT_RATE_WINDOW_MS - (now - recent[0]!)) / 1000));
    }
    const stated = /(\d+)\s*s\b/.exec(serverMessage);
    if (stated) return Math.max(1, Number(stated[1]));
    return Math.ceil(CHAT_RATE_WINDOW_MS / 1000);
  }
}
