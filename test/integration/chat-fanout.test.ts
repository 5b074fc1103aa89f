import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ParticipantInfo } from '../../server/src/protocol';
import { connectRaw, type Note, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

/** The chat lines a client was told of, by id: each must appear once. */
const linesOf = (c: RawClient) =>
  c.notes.flatMap((n: Note) => (n.type === 'chat.message' ? [n.message.id] : []));

describe('notifications for everyone go to the room of the joined participants', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  async function operator(sittingId: string, name: string): Promise<RawClient> {
    const op = await connectRaw(srv.url, { sittingId, cookie: await srv.operatorCookie(sittingId, name) });
    clients.push(op);
    return op;
  }

  it('tells each joined participant once, a connection not joined (or no longer) never, and follows a resume', async () => {
    const sitting = await srv.createSitting({ title: 'Seduta pubblica' });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    clients.push(host);
    await host.request({ type: 'sitting.start' });
    const { participantId: hostId } = await host.request({ type: 'join' });
    const anna = await operator(sitting.id, 'Anna');
    const { participantId: annaId } = await anna.request({ type: 'join' });
    const bruno = await operator(sitting.id, 'Bruno');
    await bruno.request({ type: 'join' });
    const carla = await operator(sitting.id, 'Carla'); // connected, not joined
    // The host is told of an arrival once (arrivals close together come in one roster batch,
    // which may also name the joiner itself); an operator is not told of other operators (ADR 0039).
    const arrivals = (c: RawClient, self: string) =>
      c.notes.filter((n) => n.type === 'participant.joined' && n.participant.id !== self);
    await vi.waitFor(() => expect(arrivals(host, hostId)).toHaveLength(2));
    expect(arrivals(anna, annaId)).toHaveLength(0);

    const { message: first } = await anna.request({ type: 'chat.send', text: 'Buongiorno' });
    await host.waitForNote('chat.message', (n) => n.message.id === first.id);
    await bruno.waitForNote('chat.message', (n) => n.message.id === first.id);
    // Notifications keep their order on a connection: had Carla been sent the line, it would
    // have arrived before her join's reply. Her history has it; her notifications do not.
    const carlaJoined = await carla.request({ type: 'join' });
    expect(carlaJoined.chat.map((m) => m.id)).toEqual([first.id]);
    expect(linesOf(carla)).toEqual([]);
    for (const c of [host, anna, bruno]) expect(linesOf(c)).toEqual([first.id]);

    // Bruno leaves (his connection stays open): no more lines for him until he joins again.
    await bruno.request({ type: 'leave' });
    const { message: second } = await host.request({ type: 'chat.send', text: 'Si apre la seduta' });
    await carla.waitForNote('chat.message', (n) => n.message.id === second.id);
    await bruno.request({ type: 'join' });
    expect(linesOf(bruno)).toEqual([first.id]);

    // Anna's network drops; she resumes on a new connection, which is told each line once.
    anna.socket.io.engine.close();
    await host.waitForNote('participant.updated', (n) => n.participant.id === annaId);
    const back = await operator(sitting.id, 'Anna');
    const resumed = await back.request({ type: 'join', resume: annaId });
    expect(resumed.resumed).toBe(true);
    const { message: third } = await bruno.request({ type: 'chat.send', text: 'Presente' });
    await back.waitForNote('chat.message', (n) => n.message.id === third.id);
    await host.waitForNote('chat.message', (n) => n.message.id === third.id);
    expect(linesOf(back)).toEqual([third.id]);
    expect(linesOf(host)).toEqual([first.id, second.id, third.id]);
    expect(linesOf(carla)).toEqual([second.id, third.id]);
  });

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

  // ADR 0039: the host is told the whole roster; an operator only those who run the sitting, the
  // operators on the floor, and itself.
  it('shows operators the host and the operators on the floor, the host everyone', async () => {
    const sitting = await srv.createSitting({ title: 'Apertura buste' });
    const host = await connectRaw(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    await host.request({ type: 'sitting.start' });
    clients.push(host);
    const hostJoined = await host.request({ type: 'join' });
    const anna = await operator(sitting.id, 'Anna');
    const annaJoined = await anna.request({ type: 'join' });
    const bruno = await operator(sitting.id, 'Bruno');
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
