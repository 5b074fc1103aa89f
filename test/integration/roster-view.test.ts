import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ParticipantInfo } from '../../server/src/protocol';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

/**
 * ADR 0039: the host is told the whole roster; an operator only those who run the sitting, the
 * operators on the floor, and itself.
 */
describe('the roster an operator is told', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  async function client(sittingId: string, cookie: string): Promise<RawClient> {
    const c = await connectRaw(srv.url, { sittingId, cookie });
    clients.push(c);
    return c;
  }

  /** The roster a client holds: its join reply's, with each change it was told applied in order. */
  function roster(c: RawClient, joined: { participants: ParticipantInfo[] }): Map<string, ParticipantInfo> {
    const map = new Map(joined.participants.map((p) => [p.id, p]));
    for (const n of c.notes) {
      if (n.type === 'participant.joined') map.set(n.participant.id, n.participant);
      else if (n.type === 'participant.updated') {
        if (map.has(n.participant.id)) map.set(n.participant.id, n.participant);
      } else if (n.type === 'participant.left') map.delete(n.participantId);
    }
    return map;
  }

  it('shows operators the host and the operators on the floor, the host everyone', async () => {
    const sitting = await srv.createSitting({ title: 'Apertura buste' });
    const host = await client(sitting.id, (await srv.host()).cookie);
    await host.request({ type: 'sitting.start' });
    const hostJoined = await host.request({ type: 'join' });
    const anna = await client(sitting.id, await srv.operatorCookie(sitting.id, 'Anna'));
    const annaJoined = await anna.request({ type: 'join' });
    const bruno = await client(sitting.id, await srv.operatorCookie(sitting.id, 'Bruno'));
    const brunoJoined = await bruno.request({ type: 'join' });
    const names = (m: Map<string, ParticipantInfo>) => [...m.values()].map((p) => p.name).sort();

    // Bruno's reply: himself and the host, not Anna; the host is told of both.
    expect(brunoJoined.participants.map((p) => p.name).sort()).toEqual(names(roster(bruno, brunoJoined)));
    expect(names(roster(bruno, brunoJoined))).toEqual(['Bruno', hostJoined.participants[0]!.name].sort());
    await vi.waitFor(() => expect(roster(host, hostJoined).size).toBe(3));
    expect(roster(anna, annaJoined).has(brunoJoined.participantId)).toBe(false);

    // Bruno raises his hand: the host sees it, Bruno sees his own entry change, Anna nothing.
    await bruno.request({ type: 'hand.raise' });
    await vi.waitFor(() => {
      expect(roster(host, hostJoined).get(brunoJoined.participantId)?.hand).toBe('raised');
      expect(roster(bruno, brunoJoined).get(brunoJoined.participantId)?.hand).toBe('raised');
    });

    // Until then no notification named Bruno to Anna.
    expect(JSON.stringify(anna.notes)).not.toContain(brunoJoined.participantId);

    // Given the floor, Bruno enters Anna's roster; once it is taken back he leaves it, and keeps
    // his own entry.
    await host.request({
      type: 'hand.approve',
      participantId: brunoJoined.participantId,
      audio: true,
      video: false,
    });
    await vi.waitFor(() =>
      expect(roster(anna, annaJoined).get(brunoJoined.participantId)?.hand).toBe('speaking'),
    );
    await host.request({ type: 'floor.revoke', participantId: brunoJoined.participantId });
    await vi.waitFor(() => {
      expect(roster(anna, annaJoined).has(brunoJoined.participantId)).toBe(false);
      expect(roster(host, hostJoined).get(brunoJoined.participantId)?.hand).toBe('none');
    });
    expect(roster(bruno, brunoJoined).get(brunoJoined.participantId)?.hand).toBe('none');

    // A host mute of an operator off the floor reaches that operator's own entry.
    await host.request({ type: 'participant.mute', participantId: brunoJoined.participantId, muted: true });
    await vi.waitFor(() =>
      expect(roster(bruno, brunoJoined).get(brunoJoined.participantId)?.mutedByHost).toBe(true),
    );
    expect(names(roster(anna, annaJoined))).toEqual(['Anna', hostJoined.participants[0]!.name].sort());
  });
});
