import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
});
