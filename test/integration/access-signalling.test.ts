/**
 * Issue 4 acceptance, signalling side: every signalling request × every role gives the documented
 * result (the permission table in server/src/sittings/permissions.ts, plus the floor for an
 * operator's `produce`); a connection without credentials is refused; identities come from
 * cookies only; a kicked operator is told, disconnected (every tab) and cannot come back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RequestSchemas, type RequestType, type Role } from '@seduta/server/protocol';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

const ROLES: readonly Role[] = ['admin', 'host', 'commissioner', 'operator'];
const STAFF_ONLY: readonly RequestType[] = [
  'sitting.start',
  'sitting.end',
  'hand.approve',
  'hand.approveNext',
  'hand.deny',
  'floor.revoke',
  'participant.mute',
  'participant.kick',
  'chat.delete',
  'recording.start',
  'recording.pause',
  'recording.resume',
  'recording.stop',
];
const OPERATOR_ONLY: readonly RequestType[] = ['hand.raise', 'hand.lower', 'floor.leave'];

/** The documented result: who gets `forbidden` for each request (everyone else gets past the check). */
function forbiddenFor(type: RequestType, role: Role): boolean {
  if (STAFF_ONLY.includes(type)) return role === 'commissioner' || role === 'operator';
  if (OPERATOR_ONLY.includes(type)) return role !== 'operator';
  // Operators may ask to publish, but the floor refuses unless the host approved their hand.
  if (type === 'produce') return role === 'operator';
  return false;
}

const NOBODY = '00000000-0000-4000-8000-000000000000';

/** A well-formed message of each type, aimed at nothing that exists (harmless to send). */
function message(type: RequestType, caps: unknown): Record<string, unknown> {
  const payloads: Record<RequestType, Record<string, unknown>> = {
    join: {},
    leave: {},
    'sitting.start': {},
    'sitting.end': {},
    'media.capabilities': { rtpCapabilities: caps },
    'media.prepare': {},
    'transport.create': { direction: 'recv' },
    'transport.connect': { transportId: NOBODY, dtlsParameters: {} },
    'transport.restartIce': { transportId: NOBODY },
    produce: { transportId: NOBODY, kind: 'audio', source: 'microphone', rtpParameters: {} },
    'producer.close': { producerId: NOBODY },
    'producer.pause': { producerId: NOBODY },
    'producer.resume': { producerId: NOBODY },
    consume: { transportId: NOBODY, producerId: NOBODY },
    'consumer.resume': { consumerId: NOBODY },
    'consumer.pause': { consumerId: NOBODY },
    'consumer.viewSize': { consumerId: NOBODY, width: 320, height: 180 },
    'hand.raise': {},
    'hand.lower': {},
    'hand.approve': { participantId: NOBODY, audio: true, video: false },
    'hand.approveNext': { audio: true, video: false },
    'hand.deny': { participantId: NOBODY },
    'floor.revoke': { participantId: NOBODY },
    'floor.leave': {},
    'participant.mute': { participantId: NOBODY, muted: true },
    'participant.kick': { participantId: NOBODY },
    'chat.send': { text: 'buongiorno' },
    'chat.delete': { messageId: NOBODY },
    'stats.report': { joinToFirstFrameMs: 120 },
    'recording.start': {},
    'recording.pause': {},
    'recording.resume': {},
    'recording.stop': {},
  };
  const payload = payloads[type];
  if (!payload) throw new Error(`no sample message for ${type}: add one to the signalling matrix`);
  return { type, ...payload };
}

describe('signalling access: identities from cookies, the permission matrix, kicks', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];
  const connect = async (...args: Parameters<typeof connectRaw>) => {
    const c = await connectRaw(...args);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  /** A live sitting with one joined connection per role. */
  async function everyoneJoined() {
    const sitting = await srv.createSitting({ title: 'Matrice dei permessi' });
    const cookies: Record<Role, string> = {
      host: (await srv.host()).cookie,
      admin: (await srv.signIn('admin')).cookie,
      commissioner: await srv.commissionerCookie(sitting.id, 'Commissario'),
      operator: await srv.operatorCookie(sitting.id, 'Operatore'),
    };
    const by = {} as Record<Role, RawClient>;
    for (const role of ROLES)
      by[role] = await connect(srv.url, { sittingId: sitting.id, cookie: cookies[role] });
    await by.host.request({ type: 'sitting.start' });
    let caps: unknown;
    for (const role of ROLES) {
      const joined = await by[role].request({ type: 'join' });
      expect(joined.role).toBe(role);
      caps = joined.routerRtpCapabilities;
    }
    return { sitting, by, caps, cookies };
  }

  it('refuses connections without credentials, with a forged session, or with a pass for another sitting', async () => {
    const sitting = await srv.createSitting({ title: 'Senza credenziali' });
    await expect(connect(srv.url, { sittingId: sitting.id })).rejects.toMatchObject({
      data: { code: 'unauthorized' },
    });
    const other = await srv.createSitting({ title: 'Altra' });
    const pass = await srv.operatorCookie(other.id, 'Operatore');
    await expect(connect(srv.url, { sittingId: sitting.id, cookie: pass })).rejects.toMatchObject({
      data: { code: 'unauthorized' },
    });
    await expect(
      connect(srv.url, { sittingId: sitting.id, cookie: 'seduta_session=forged' }),
    ).rejects.toMatchObject({
      data: { code: 'unauthorized' },
    });
  });

  it('takes the display name and role from the credentials, never from the handshake', async () => {
    const sitting = await srv.createSitting({ title: 'Nomi' });
    const cookie = await srv.operatorCookie(sitting.id, 'Nome dal token', 'op-77');
    const host = await connect(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    const op = await connectRaw(srv.url, {
      sittingId: sitting.id,
      cookie,
      ...({ name: 'Il Presidente', role: 'host', hostKey: 'x' } as object),
    });
    clients.push(op);
    const joined = await op.request({ type: 'join' });
    expect(joined.role).toBe('operator');
    const me = joined.participants.find((p) => p.id === joined.participantId);
    expect(me).toMatchObject({ name: 'Nome dal token', role: 'operator' });
    await host.waitForNote('participant.joined', (n) => n.participant.name === 'Nome dal token');
  });

  it('never lets an operator into a reserved sitting', async () => {
    const reserved = await srv.createSitting({ title: 'Riservata', kind: 'reserved' });
    // A pass made with the server's own secret (a join token cannot even be minted for it).
    const { operatorPassCookie } = await import('../support/server');
    const cookie = await operatorPassCookie(reserved.id, 'Intruso');
    await expect(connect(srv.url, { sittingId: reserved.id, cookie })).rejects.toMatchObject({
      data: { code: 'not_found' },
    });
    const commissioner = await srv.commissionerCookie(reserved.id, 'Membro');
    await expect(connect(srv.url, { sittingId: reserved.id, cookie: commissioner })).resolves.toBeDefined();
  });

  it('gives every request × role the documented result', async () => {
    const { by, caps } = await everyoneJoined();
    const types = Object.keys(RequestSchemas) as RequestType[];
    // Leaving and ending change what the later checks would see: they go last.
    const ordered = [
      ...types.filter((t) => t !== 'leave' && t !== 'sitting.end'),
      'leave',
      'sitting.end',
    ] as RequestType[];
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const type of ordered) {
      for (const role of ROLES) {
        const reply = await by[role].send(message(type, caps));
        const key = `${type} × ${role}`;
        got[key] = !reply.ok && reply.error.code === 'forbidden' ? 'forbidden' : 'allowed';
        want[key] = forbiddenFor(type, role) ? 'forbidden' : 'allowed';
      }
    }
    expect(got).toEqual(want);
    expect(Object.keys(got)).toHaveLength(types.length * ROLES.length);
  });

  it('kicks an operator: told `removed`, every tab disconnected, refused from then on; audit-logged', async () => {
    const { sitting, by, cookies } = await everyoneJoined();
    const secondTab = await connect(srv.url, { sittingId: sitting.id, cookie: cookies.operator });
    const target = (await by.host.waitForNote('participant.joined', (n) => n.participant.role === 'operator'))
      .participant;
    const hostId = (await by.admin.waitForNote('participant.joined', (n) => n.participant.role === 'host'))
      .participant.id;

    await expect(
      by.commissioner.request({ type: 'participant.kick', participantId: target.id }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await by.host.request({ type: 'participant.kick', participantId: target.id });

    await by.operator.waitForNote('removed');
    await secondTab.waitForNote('removed');
    await vi.waitFor(() => {
      expect(by.operator.socket.connected).toBe(false);
      expect(secondTab.socket.connected).toBe(false);
    });
    await by.admin.waitForNote('participant.left', (n) => n.participantId === target.id);
    await expect(connect(srv.url, { sittingId: sitting.id, cookie: cookies.operator })).rejects.toMatchObject(
      {
        data: { code: 'forbidden', message: expect.stringMatching(/removed/) },
      },
    );
    // A new token for the same operator does not help either.
    await expect(srv.operatorCookie(sitting.id, 'Operatore')).rejects.toMatchObject({ code: 'forbidden' });
    // Staff cannot be kicked.
    await expect(by.admin.request({ type: 'participant.kick', participantId: hostId })).rejects.toMatchObject(
      {
        code: 'forbidden',
      },
    );
    const audit = await srv.db.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'participant.kick')
      .where('sitting_id', '=', sitting.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ subject: 'operator:Operatore', name: 'Operatore' });
  });
});
