import { describe, expect, it } from 'vitest';
import { CHAT_RATE_COUNT, CHAT_RATE_WINDOW_MS, type ChatMessage } from '@seduta/server/protocol';
import { ChatLog } from './chat-log';

const line = (id: string): ChatMessage => ({
  id,
  participantId: 'p',
  name: 'Ditta A',
  role: 'operator',
  text: id,
  at: '2026-11-25T10:00:00.000Z',
});

describe('ChatLog', () => {
  it('keeps the history, adds each line once and removes deleted ones', () => {
    const log = new ChatLog();
    log.reset([line('a'), line('b')]);

    expect(log.add(line('c'))).toBe(true);
    expect(log.add(line('c'))).toBe(false);
    expect(log.remove('b')).toBe(true);
    expect(log.remove('b')).toBe(false);

    expect(log.messages.map((m) => m.id)).toEqual(['a', 'c']);
  });

  it("counts the wait from this client's own sends, as the server's sliding window does", () => {
    const log = new ChatLog();
    const t0 = 1_000_000;
    for (let i = 0; i < CHAT_RATE_COUNT; i++) log.noteSent(t0 + i * 500);

    // The oldest send leaves the window CHAT_RATE_WINDOW_MS after t0.
    expect(log.retryAfterS('too many messages: wait 99 s', t0 + 3_000)).toBe(
      Math.ceil((CHAT_RATE_WINDOW_MS - 3_000) / 1000),
    );
  });

  it("falls back to the server's figure, then to a whole window, when it did not see the sends", () => {
    const log = new ChatLog();

    expect(log.retryAfterS('too many messages: wait 4 s')).toBe(4);
    expect(log.retryAfterS('rate limited')).toBe(CHAT_RATE_WINDOW_MS / 1000);
  });
});
