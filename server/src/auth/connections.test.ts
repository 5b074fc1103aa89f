import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RemovedReason } from '../protocol';
import type { Identity } from '../sittings/participant';
import { ConnectionRegistry, type ConnectionGrant, type TrackedConnection } from './connections';
import { RevocationBus } from './revocation';

const S1 = '6f1c3f4e-8a53-4c4e-9a55-2f0d7a1b9c10';
const S2 = '0b5e8a0e-2f35-4c43-8d1e-5a0f3f9c7e21';
const LATER = new Date(Date.now() + 3600_000);

function setup(maxPerIdentity = 4) {
  const bus = new RevocationBus(pino({ level: 'silent' }));
  const registry = new ConnectionRegistry(bus, { maxPerIdentity });
  const ended: Array<[string, RemovedReason]> = [];
  const track = (name: string, identity: Identity, grant: ConnectionGrant): TrackedConnection => {
    const c: TrackedConnection = { grant, identity, end: (reason) => ended.push([name, reason]) };
    registry.add(c);
    return c;
  };
  const staff = (name: string, userId: string, sittingId = S1, host: string | null = null) =>
    track(
      name,
      { subject: `staff:${userId}@ente.it`, name, role: 'admin' },
      {
        kind: 'staff',
        sittingId,
        userId,
        sessionId: `session-${name}`,
        sittingHostUserId: host,
        expiresAt: LATER,
      },
    );
  const participant = (name: string, subject: string, sittingId = S1) =>
    track(
      name,
      { subject, name, role: subject.startsWith('invite:') ? 'commissioner' : 'operator' },
      { kind: 'participant', sittingId, passId: `pass-${name}`, expiresAt: LATER },
    );
  return { bus, registry, ended, staff, participant };
}

describe('the connection registry', () => {
  it('ends every connection of a disabled account, in every sitting, and refuses their requests from then on', () => {
    const { bus, registry, ended, staff, participant } = setup();
    const a = staff('a', 'u1');
    const b = staff('b', 'u1', S2);
    const other = staff('c', 'u2');
    const op = participant('op', 'operator:42');
    bus.publish({ kind: 'account_disabled', userId: 'u1' });
    expect(ended).toEqual([
      ['a', 'account_disabled'],
      ['b', 'account_disabled'],
    ]);
    expect(registry.check(a)).toBe('account_disabled');
    expect(registry.check(b)).toBe('account_disabled');
    expect(registry.check(other)).toBeUndefined();
    expect(registry.check(op)).toBeUndefined();
  });

  it('ends the connections of one signed-out session, or of every session after a password reset', () => {
    const { bus, ended, staff } = setup();
    staff('tab1', 'u1');
    staff('tab2', 'u1');
    bus.publish({ kind: 'session_ended', sessionId: 'session-tab1' });
    expect(ended).toEqual([['tab1', 'session_ended']]);
    bus.publish({ kind: 'sessions_ended', userId: 'u1' });
    expect(ended).toEqual([
      ['tab1', 'session_ended'],
      ['tab2', 'session_ended'],
    ]);
  });

  it("ends a revoked invitation's and a banned subject's connections to that sitting only", () => {
    const { bus, ended, participant } = setup();
    participant('commissioner', 'invite:i-1');
    participant('op here', 'operator:42');
    participant('op elsewhere', 'operator:42', S2);
    bus.publish({ kind: 'invite_revoked', sittingId: S1, inviteId: 'i-1' });
    bus.publish({ kind: 'banned', sittingId: S1, subject: 'operator:42' });
    expect(ended).toEqual([
      ['commissioner', 'invite_revoked'],
      ['op here', 'kicked'],
    ]);
  });

  it('downgrades an admin who became a host where they run the sitting, and ends the rest', () => {
    const { bus, registry, ended, staff } = setup();
    const runs = staff('runs', 'u1', S1, 'u1');
    const adminOnly = staff('admin only', 'u1', S2, null);
    bus.publish({ kind: 'role_changed', userId: 'u1', role: 'admin' });
    expect(ended).toEqual([]);
    bus.publish({ kind: 'role_changed', userId: 'u1', role: 'host' });
    expect(ended).toEqual([['admin only', 'role_changed']]);
    expect(runs.identity.role).toBe('host');
    expect(registry.check(runs)).toBeUndefined();
    expect(registry.check(adminOnly)).toBe('role_changed');
  });

  it('ends a connection whose session or pass has expired at its next request', () => {
    const { registry, ended } = setup();
    const c: TrackedConnection = {
      grant: { kind: 'participant', sittingId: S1, passId: 'p', expiresAt: new Date(Date.now() + 1000) },
      identity: { subject: 'operator:1', name: 'X', role: 'operator' },
      end: (reason) => ended.push(['x', reason]),
    };
    registry.add(c);
    expect(registry.check(c)).toBeUndefined();
    expect(registry.check(c, Date.now() + 2000)).toBe('session_ended');
    expect(ended).toEqual([['x', 'session_ended']]);
  });

  it('bounds the connections of one identity to one sitting, and frees the room when one closes', () => {
    const { registry, participant } = setup(2);
    const first = participant('1', 'operator:42');
    participant('2', 'operator:42');
    expect(() => registry.checkRoom(S1, 'operator:42')).toThrow(
      expect.objectContaining({ code: 'rate_limited' }),
    );
    expect(() => registry.checkRoom(S2, 'operator:42')).not.toThrow();
    expect(() => registry.checkRoom(S1, 'operator:43')).not.toThrow();
    registry.delete(first);
    expect(() => registry.checkRoom(S1, 'operator:42')).not.toThrow();
    expect(registry.size).toBe(1);
  });

  it('tells a connection once, even when several revocations reach it', () => {
    const { bus, ended, staff } = setup();
    staff('a', 'u1');
    bus.publish({ kind: 'account_disabled', userId: 'u1' });
    bus.publish({ kind: 'sessions_ended', userId: 'u1' });
    expect(ended).toEqual([['a', 'account_disabled']]);
  });
});
