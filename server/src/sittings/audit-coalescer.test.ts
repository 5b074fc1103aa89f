import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditCoalescer } from './audit-coalescer';
import type { Identity } from './participant';

const op: Identity = { subject: 'operator:7', name: 'Operatore', role: 'operator' };
const host: Identity = { subject: 'staff:host@x.it', name: 'Presidente', role: 'host' };
const about = { participantId: 'p7', name: 'Operatore', subject: 'operator:7' };

function recorder() {
  const rows: Array<{ action: string; details: Record<string, unknown>; at?: Date }> = [];
  const write = vi.fn(async (_by: Identity, action: string, details: Record<string, unknown>, at?: Date) => {
    rows.push({ action, details, ...(at ? { at } : {}) });
  });
  return { rows, audit: new AuditCoalescer(write, pino({ level: 'silent' }), 10_000) };
}

describe('AuditCoalescer', () => {
  afterEach(() => vi.useRealTimers());

  it('writes the first hand change at once and the next ones as one counted entry at the window end', async () => {
    vi.useFakeTimers();
    const { rows, audit } = recorder();
    await audit.audit(op, 'hand.raise', about);
    for (let i = 0; i < 100; i++) {
      await audit.audit(op, 'hand.lower', about);
      await audit.audit(op, 'hand.raise', about);
    }
    expect(rows.map((r) => r.action)).toEqual(['hand.raise']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(rows.map((r) => r.action)).toEqual(['hand.raise', 'hand.repeated']);
    expect(rows[1]?.details).toMatchObject({
      ...about,
      count: 200,
      raises: 100,
      lowers: 100,
      hand: 'raised',
    });
    // A new window: the next change is written at once again.
    await audit.audit(op, 'hand.lower', about);
    expect(rows.at(-1)?.action).toBe('hand.lower');
  });

  it('writes what was gathered before any other entry, and a single gathered change as itself', async () => {
    const { rows, audit } = recorder();
    await audit.audit(op, 'hand.raise', about);
    await audit.audit(op, 'hand.lower', about);
    await audit.audit(host, 'participant.mute', { participantId: 'p9', name: 'Altro' });
    expect(rows.map((r) => r.action)).toEqual(['hand.raise', 'hand.lower', 'participant.mute']);
    expect(rows[1]?.at).toBeInstanceOf(Date);
    await audit.audit(op, 'hand.raise', about);
    await audit.audit(op, 'hand.lower', about);
    await audit.flush();
    expect(rows.map((r) => r.action)).toEqual([
      'hand.raise',
      'hand.lower',
      'participant.mute',
      'hand.repeated',
    ]);
  });

  it('never coalesces what others do to a hand (an approval, a denial)', async () => {
    const { rows, audit } = recorder();
    await audit.audit(host, 'hand.deny', about);
    await audit.audit(host, 'hand.deny', about);
    expect(rows.map((r) => r.action)).toEqual(['hand.deny', 'hand.deny']);
  });
});
