/**
 * Issue 16 acceptance, tokens and identities: a join token dated in the future is refused (401,
 * with the reason); a token opens the sitting once (the second exchange: 401 `token_used`, also
 * when both arrive at the same time); one live participant per identity — the same operator (or
 * the same invitation link) joining from a second connection replaces the first, which is told
 * `replaced` and closed, and the roster lists the name once; a resume on a new connection is not
 * a second tab; connections per pass are bounded. Raw socket.io and HTTP clients, a real server.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ParticipantInfo } from '@seduta/server/protocol';
import { JoinTokens } from '../../server/src/auth/join-tokens';
import { passCookieName } from '../../server/src/auth/participant-pass';
import { deriveKey } from '../../server/src/auth/secrets';
import { connectRaw, type RawClient } from '../support/raw-client';
import { startTestServer, TEST_JOIN_TOKEN_SECRET, type TestServer } from '../support/server';

/** Connections one identity may have open to one sitting in this file's server. */
const MAX_CONNECTIONS = 3;

describe('join tokens and identities under abuse (issue 16)', () => {
  let srv: TestServer;
  const clients: RawClient[] = [];
  const connect = async (...args: Parameters<typeof connectRaw>) => {
    const c = await connectRaw(...args);
    clients.push(c);
    return c;
  };
  const tokens = new JoinTokens(deriveKey(TEST_JOIN_TOKEN_SECRET, 'join-token'));

  beforeAll(async () => {
    srv = await startTestServer({ env: { MAX_CONNECTIONS_PER_PASS: String(MAX_CONNECTIONS) } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close();
  });

  const exchange = (sittingId: string, token: string) =>
    srv.app.inject({ method: 'POST', url: '/api/auth/join-token', payload: { sittingId, token } });

  /** The Cookie header a successful exchange sets. */
  const cookieOf = (res: Awaited<ReturnType<typeof exchange>>) =>
    res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');

  /** A live sitting with its host joined. */
  async function liveSitting(kind: 'public' | 'reserved' = 'public') {
    const sitting = await srv.createSitting({ title: 'Apertura buste — lotto 2', kind });
    const host = await connect(srv.url, { sittingId: sitting.id, cookie: (await srv.host()).cookie });
    await host.request({ type: 'sitting.start' });
    await host.request({ type: 'join' });
    return { sitting, host };
  }

  /** The roster as someone joining now sees it (an admin, so nobody else is replaced). */
  async function rosterOf(sittingId: string): Promise<ParticipantInfo[]> {
    const admin = await connect(srv.url, { sittingId, cookie: (await srv.signIn('admin')).cookie });
    return (await admin.request({ type: 'join' })).participants;
  }

  it('refuses a token issued in the future (beyond the clock skew) with 401 and the reason', async () => {
    const { sitting } = await liveSitting();
    const { token } = await tokens.mint({
      sittingId: sitting.id,
      subject: 'op-futuro',
      name: 'Dal futuro',
      ttlSeconds: 600,
      now: new Date(Date.now() + 24 * 3600_000),
    });
    const res = await exchange(sitting.id, token);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      error: {
        code: 'unauthorized',
        message: expect.stringMatching(/join token refused: issued in the future/),
      },
    });
    // Within the 30 s of tolerated skew (a platform clock 10 s fast): accepted.
    const slightlyAhead = await tokens.mint({
      sittingId: sitting.id,
      subject: 'op-quasi',
      name: 'Orologio avanti',
      now: new Date(Date.now() + 10_000),
    });
    expect((await exchange(sitting.id, slightlyAhead.token)).statusCode).toBe(200);
  });

  it('exchanges a token once: the second exchange gets 401 token_used, also when both arrive together', async () => {
    const { sitting } = await liveSitting();
    const { token } = await tokens.mint({ sittingId: sitting.id, subject: 'op-1', name: 'Mario Rossi' });
    expect((await exchange(sitting.id, token)).statusCode).toBe(200);
    const again = await exchange(sitting.id, token);
    expect(again.statusCode).toBe(401);
    expect(again.json()).toEqual({
      error: { code: 'token_used', message: expect.stringMatching(/already used/) },
    });

    const racing = await tokens.mint({ sittingId: sitting.id, subject: 'op-2', name: 'Luigi Bianchi' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => exchange(sitting.id, racing.token)));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);

    // Remembered until the token expires, then forgotten (pruned).
    const row = await srv.db.db
      .selectFrom('token_uses')
      .selectAll()
      .where('jti', '=', racing.claims.jti)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ sitting_id: sitting.id, subject: 'op-2' });
    expect(new Date(row.expires_at).getTime()).toBe(racing.claims.expiresAt.getTime());
    await srv.db.db
      .insertInto('token_uses')
      .values({
        jti: 'scaduto',
        sitting_id: sitting.id,
        subject: 'x',
        expires_at: new Date(Date.now() - 3600_000),
      })
      .execute();
    expect(await srv.app.access.pruneTokenUses()).toBeGreaterThanOrEqual(1);
    const left = await srv.db.db
      .selectFrom('token_uses')
      .select('jti')
      .where('jti', 'in', ['scaduto', racing.claims.jti])
      .execute();
    expect(left.map((r) => r.jti)).toEqual([racing.claims.jti]);
  });

  it('replaces the first connection when the same operator joins from a second one: told, closed, listed once, media cleaned', async () => {
    const { sitting, host } = await liveSitting();
    const live = await srv.sittings.live(sitting.id);
    // Two tokens for the same operator (say, two devices), each exchanged once.
    const cookies = [];
    for (let i = 0; i < 2; i++) {
      const { token } = await tokens.mint({ sittingId: sitting.id, subject: 'op-doppio', name: 'Anna Neri' });
      cookies.push(cookieOf(await exchange(sitting.id, token)));
    }
    const first = await connect(srv.url, { sittingId: sitting.id, cookie: cookies[0]! });
    const joined = await first.request({ type: 'join' });
    await first.request({ type: 'transport.create', direction: 'recv' });
    const transports = live.router.transportCount();

    const second = await connect(srv.url, { sittingId: sitting.id, cookie: cookies[1]! });
    const closed = new Promise<void>((resolve) => first.socket.once('disconnect', () => resolve()));
    const again = await second.request({ type: 'join' });

    await closed;
    expect(first.notes.filter((n) => n.type === 'removed')).toEqual([
      { type: 'removed', reason: 'replaced' },
    ]);
    expect(again.participantId).not.toBe(joined.participantId);
    expect(again.participants.filter((p) => p.name === 'Anna Neri')).toHaveLength(1);
    await host.waitForNote('participant.left', (n) => n.participantId === joined.participantId);
    expect(live.router.transportCount()).toBe(transports - 1);
    // The roster, as someone joining now gets it: the name once.
    const roster = await rosterOf(sitting.id);
    expect(roster.filter((p) => p.name === 'Anna Neri').map((p) => p.id)).toEqual([again.participantId]);
  });

  it('keeps one participant when the same operator joins from two connections at the same instant', async () => {
    const { sitting } = await liveSitting();
    const cookies = [];
    for (let i = 0; i < 2; i++) {
      const { token } = await tokens.mint({
        sittingId: sitting.id,
        subject: 'op-gemello',
        name: 'Gemma Doppi',
      });
      cookies.push(cookieOf(await exchange(sitting.id, token)));
    }
    const [a, b] = await Promise.all(
      cookies.map((cookie) => connect(srv.url, { sittingId: sitting.id, cookie })),
    );
    // Both requests leave together; each may be answered or refused, but one participant stays.
    const replies = await Promise.all([a!, b!].map((c) => c.send({ type: 'join' })));
    expect(replies.some((r) => r.ok)).toBe(true);
    const roster = await rosterOf(sitting.id);
    expect(roster.filter((p) => p.name === 'Gemma Doppi')).toHaveLength(1);
    // The other connection was told it was replaced.
    await vi.waitFor(() =>
      expect([a!, b!].filter((c) => c.notes.some((n) => n.type === 'removed'))).toHaveLength(1),
    );
  });

  it('admits one live participant per invitation link: the second person to open it replaces the first', async () => {
    const { sitting, host } = await liveSitting('reserved');
    const by = { subject: 'test', name: 'Test', role: 'admin' as const };
    const { invite } = await srv.app.access.invites.create(
      sitting.id,
      { email: 'condiviso@ente.example.it', name: 'Commissario Condiviso' },
      by,
    );
    const link = invite.link!.split('/i/')[1]!;
    const passes = [await srv.app.access.exchangeInvite(link), await srv.app.access.exchangeInvite(link)];
    const [a, b] = await Promise.all(
      passes.map(({ pass }) =>
        connect(srv.url, { sittingId: sitting.id, cookie: `${passCookieName(sitting.id)}=${pass}` }),
      ),
    );
    const joinedA = await a!.request({ type: 'join' });
    await b!.request({ type: 'join' });
    await vi.waitFor(() => expect(a!.socket.connected).toBe(false));
    expect(a!.notes.at(-1)).toEqual({ type: 'removed', reason: 'replaced' });
    await host.waitForNote('participant.left', (n) => n.participantId === joinedA.participantId);
    const roster = await rosterOf(sitting.id);
    expect(roster.filter((p) => p.name === 'Commissario Condiviso')).toHaveLength(1);
  });

  it('treats a resume on a new connection as the same participant, not a second tab', async () => {
    const { sitting, host } = await liveSitting();
    const cookie = await srv.operatorCookie(sitting.id, 'Rientrante', 'op-rientro');
    const before = await connect(srv.url, { sittingId: sitting.id, cookie });
    const { participantId } = await before.request({ type: 'join' });
    before.socket.io.engine.close(); // a network drop: no DISCONNECT packet
    await host.waitForNote('participant.updated', (n) => n.participant.id === participantId);

    const after = await connect(srv.url, { sittingId: sitting.id, cookie });
    const resumed = await after.request({ type: 'join', resume: participantId });
    expect(resumed).toMatchObject({ participantId, resumed: true });
    expect(resumed.participants.filter((p) => p.name === 'Rientrante')).toHaveLength(1);
    expect(after.notes.some((n) => n.type === 'removed')).toBe(false);
    expect(host.notes.some((n) => n.type === 'participant.left' && n.participantId === participantId)).toBe(
      false,
    );
  });

  it(`bounds the connections of one pass to ${MAX_CONNECTIONS}: the next is refused with rate_limited until one closes`, async () => {
    const { sitting } = await liveSitting();
    const cookie = await srv.operatorCookie(sitting.id, 'Molte schede', 'op-schede');
    const open = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++)
      open.push(await connect(srv.url, { sittingId: sitting.id, cookie }));
    await expect(connect(srv.url, { sittingId: sitting.id, cookie })).rejects.toMatchObject({
      data: { code: 'rate_limited', message: expect.stringMatching(/too many connections/) },
    });
    open[0]!.close();
    await vi.waitFor(() => connect(srv.url, { sittingId: sitting.id, cookie }), {
      timeout: 3_000,
      interval: 100,
    });
  });
});
