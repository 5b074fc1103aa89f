/**
 * Issue 16 acceptance, revocation: what an admin or a host takes away reaches the connections that
 * are already open. A disabled host, a revoked invitation, a kicked operator (every tab), a signed
 * out session: told why (`removed` with the reason), then closed within 1 s (measured), and
 * nothing they send meanwhile is carried out. An admin who becomes a host loses the sittings they
 * do not run, and keeps (as a host) the ones they do. Raw socket.io clients, a real server.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS, type Notification, type RemovedReason } from '@seduta/server/protocol';
import { ParticipantPasses, PASS_TTL_MS, passCookieName } from '../../server/src/auth/participant-pass';
import { deriveKey } from '../../server/src/auth/secrets';
import { connectRaw, type RawClient } from '../support/raw-client';
import {
  startTestServer,
  TEST_JOIN_TOKEN_SECRET,
  type StaffCredentials,
  type TestServer,
} from '../support/server';

/** What revocations must take at most, from the admin's click to the closed socket. */
const CLOSE_WITHIN_MS = 1_000;

describe('revocation reaches open connections (issue 16)', () => {
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

  /** A staff request over HTTP (cookie and CSRF token), as the staff pages send it. */
  async function staffCall(by: StaffCredentials, method: 'POST' | 'DELETE', url: string, payload?: object) {
    const res = await srv.app.inject({
      method,
      url,
      headers: { cookie: by.cookie, 'x-csrf-token': by.csrfToken },
      ...(payload ? { payload } : {}),
    });
    expect([200, 204], res.body).toContain(res.statusCode);
    return res;
  }

  /** A live sitting run by `host`, with the host and one operator joined. */
  async function liveSitting(host: StaffCredentials) {
    const sitting = await srv.createSitting({ title: 'Apertura buste', host });
    const hostClient = await connect(srv.url, { sittingId: sitting.id, cookie: host.cookie });
    await hostClient.request({ type: 'sitting.start' });
    await hostClient.request({ type: 'join' });
    const op = await connect(srv.url, {
      sittingId: sitting.id,
      cookie: await srv.operatorCookie(sitting.id, 'Mario Rossi', `op-${sitting.id}`),
    });
    await op.request({ type: 'join' });
    return { sitting, hostClient, op };
  }

  /**
   * Runs `revoke` and measures until `client`'s socket is closed: returns the milliseconds, the
   * `removed` reason it was told, and whether that notification came before the close.
   */
  async function closedBy(client: RawClient, revoke: () => Promise<unknown>) {
    const closed = new Promise<number>((resolve) =>
      client.socket.once('disconnect', () => resolve(performance.now())),
    );
    const started = performance.now();
    await revoke();
    const at = await Promise.race([
      closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error('not closed within 5 s')), 5_000)),
    ]);
    const removed = client.notes.find(
      (n): n is Extract<Notification, { type: 'removed' }> => n.type === 'removed',
    );
    return { ms: at - started, reason: removed?.reason as RemovedReason | undefined };
  }

  it('closes a disabled host within 1 s, told why; nothing sent meanwhile is carried out; its sessions are gone', async () => {
    const admin = await srv.signIn('admin');
    const host = await srv.signIn('host', 'Presidente da disattivare');
    const { sitting, hostClient, op } = await liveSitting(host);

    // The host keeps sending chat lines while the admin disables the account, and tries to end
    // the sitting as soon as it is told.
    let sent = 0;
    const replies: Array<Promise<unknown>> = [];
    const spam = setInterval(() => {
      sent += 1;
      replies.push(
        hostClient.send({ type: 'chat.send', text: `riga ${sent}` }, 2_000).catch(() => 'no answer'),
      );
    }, 50);
    hostClient.socket.on(EVENTS.notification, (n: Notification) => {
      if (n.type === 'removed')
        replies.push(hostClient.send({ type: 'sitting.end' }, 2_000).catch(() => 'no answer'));
    });
    await vi.waitFor(() => expect(sent).toBeGreaterThanOrEqual(3), { timeout: 2_000, interval: 20 });
    const { ms, reason } = await closedBy(hostClient, () =>
      staffCall(admin, 'POST', `/api/staff/users/${host.user.id}/disable`),
    );
    clearInterval(spam);
    const disabledAt = Date.now();
    expect(reason).toBe('account_disabled');
    expect(ms).toBeLessThanOrEqual(CLOSE_WITHIN_MS);
    const answers = await Promise.all(replies);
    expect(sent).toBeGreaterThan(0);
    // Whatever the server answered with a refusal says why (the chat's own limit may refuse too).
    const refused = answers.filter((a) => typeof a === 'object' && a !== null && !(a as { ok: boolean }).ok);
    for (const r of refused)
      expect(['unauthorized', 'rate_limited']).toContain((r as { error: { code: string } }).error.code);
    // Nothing said after the revocation reached the sitting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lateLines = await srv.db.db
      .selectFrom('chat_messages')
      .select('created_at')
      .where('sitting_id', '=', sitting.id)
      .where('created_at', '>', new Date(disabledAt))
      .execute();
    expect(lateLines).toEqual([]);

    // The others see the host leave; the sitting is still live (the host could not end it).
    await op.waitForNote('participant.left');
    expect((await srv.sittings.get(sitting.id)).status).toBe('live');
    // Its HTTP sessions were deleted, and the cookie opens no connection any more.
    const sessions = await srv.db.db
      .selectFrom('staff_sessions')
      .select('id')
      .where('user_id', '=', host.user.id)
      .execute();
    expect(sessions).toEqual([]);
    const me = await srv.app.inject({ url: '/api/auth/me', headers: { cookie: host.cookie } });
    expect(me.statusCode).toBe(401);
    await expect(connect(srv.url, { sittingId: sitting.id, cookie: host.cookie })).rejects.toMatchObject({
      data: { code: 'unauthorized' },
    });
  });

  it("closes a commissioner's connection within 1 s when the invitation is revoked; the roster drops them", async () => {
    const host = await srv.signIn('host');
    const sitting = await srv.createSitting({ title: 'Seduta riservata', kind: 'reserved', host });
    const hostClient = await connect(srv.url, { sittingId: sitting.id, cookie: host.cookie });
    await hostClient.request({ type: 'sitting.start' });
    await hostClient.request({ type: 'join' });
    const by = { subject: `staff:${host.user.email}`, name: host.user.name, role: 'host' as const };
    const { invite } = await srv.app.access.invites.create(
      sitting.id,
      { email: 'commissaria@ente.example.it', name: 'Anna Verdi' },
      by,
    );
    const { pass } = await srv.app.access.exchangeInvite(invite.link!.split('/i/')[1]!);
    const cookie = `${passCookieName(sitting.id)}=${pass}`;
    const commissioner = await connect(srv.url, { sittingId: sitting.id, cookie });
    const { participantId } = await commissioner.request({ type: 'join' });

    const { ms, reason } = await closedBy(commissioner, () =>
      staffCall(host, 'DELETE', `/api/staff/sittings/${sitting.id}/invites/${invite.id}`),
    );
    expect(reason).toBe('invite_revoked');
    expect(ms).toBeLessThanOrEqual(CLOSE_WITHIN_MS);
    await hostClient.waitForNote('participant.left', (n) => n.participantId === participantId);
    const live = await srv.sittings.live(sitting.id);
    expect(() => live.participant(participantId)).toThrow();
    await expect(connect(srv.url, { sittingId: sitting.id, cookie })).rejects.toMatchObject({
      data: { code: 'unauthorized', message: expect.stringMatching(/revoked/) },
    });
  });

  it('closes every tab of a kicked operator within 1 s, told `kicked`, and cleans up their media', async () => {
    const host = await srv.signIn('host');
    const { sitting, hostClient, op } = await liveSitting(host);
    const live = await srv.sittings.live(sitting.id);
    await op.request({ type: 'transport.create', direction: 'recv' });
    const transportsBefore = live.router.transportCount();
    const cookie = await srv.operatorCookie(sitting.id, 'Mario Rossi', `op-${sitting.id}`);
    const secondTab = await connect(srv.url, { sittingId: sitting.id, cookie });
    const target = (
      await hostClient.waitForNote('participant.joined', (n) => n.participant.role === 'operator')
    ).participant;

    const tabClosed = new Promise<number>((resolve) =>
      secondTab.socket.once('disconnect', () => resolve(performance.now())),
    );
    const started = performance.now();
    const { ms, reason } = await closedBy(op, () =>
      hostClient.request({ type: 'participant.kick', participantId: target.id }),
    );
    expect(reason).toBe('kicked');
    expect(ms).toBeLessThanOrEqual(CLOSE_WITHIN_MS);
    expect((await tabClosed) - started).toBeLessThanOrEqual(CLOSE_WITHIN_MS);
    expect(secondTab.notes.find((n) => n.type === 'removed')).toEqual({ type: 'removed', reason: 'kicked' });
    expect(live.router.transportCount()).toBe(transportsBefore - 1);
  });

  it('ends the connections of a signed-out session, and checks every request against the pass expiry', async () => {
    const host = await srv.signIn('host');
    const { sitting, hostClient } = await liveSitting(host);
    const { ms, reason } = await closedBy(hostClient, () => staffCall(host, 'POST', '/api/auth/logout'));
    expect(reason).toBe('session_ended');
    expect(ms).toBeLessThanOrEqual(CLOSE_WITHIN_MS);

    // A pass that expires 1.5 s from now: the connection opens, and its first request after the
    // expiry is refused (no query: the registry knows the expiry), then the connection closes.
    const passes = new ParticipantPasses(deriveKey(TEST_JOIN_TOKEN_SECRET, 'participant-pass'));
    const issuedAt = new Date(Date.now() - PASS_TTL_MS + 1_500);
    const shortPass = await passes.issue(
      sitting.id,
      { subject: 'operator:in-scadenza', name: 'In scadenza', role: 'operator' },
      issuedAt,
    );
    const expiring = await connect(srv.url, {
      sittingId: sitting.id,
      cookie: `${passCookieName(sitting.id)}=${shortPass}`,
    });
    await expect(expiring.request({ type: 'join' })).resolves.toHaveProperty('participantId');
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    const reply = await expiring.send({ type: 'chat.send', text: 'dopo la scadenza' });
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'unauthorized', message: expect.stringMatching(/session_ended/) },
    });
    await vi.waitFor(() => expect(expiring.socket.connected).toBe(false), { timeout: CLOSE_WITHIN_MS });
    expect(expiring.notes.at(-1)).toEqual({ type: 'removed', reason: 'session_ended' });
  });

  it('closes an admin who became a host where they do not run the sitting, and downgrades them where they do', async () => {
    const admin = await srv.signIn('admin');
    const demoted = await srv.signIn('admin', 'Admin retrocesso');
    // A sitting run by another host: an admin may join it, a host may not.
    const { sitting, op } = await liveSitting(await srv.signIn('host'));
    const adminClient = await connect(srv.url, { sittingId: sitting.id, cookie: demoted.cookie });
    await adminClient.request({ type: 'join' });

    const { ms, reason } = await closedBy(adminClient, () =>
      staffCall(admin, 'POST', `/api/staff/users/${demoted.user.id}/role`, { role: 'host' }),
    );
    expect(reason).toBe('role_changed');
    expect(ms).toBeLessThanOrEqual(CLOSE_WITHIN_MS);
    expect(op.socket.connected).toBe(true);
    // Over HTTP the new role holds at once: no more staff accounts page.
    const users = await srv.app.inject({ url: '/api/staff/users', headers: { cookie: demoted.cookie } });
    expect(users.statusCode).toBe(403);

    // A host promoted to admin and back while connected to their own sitting stays, as a host.
    const host = await srv.signIn('host', 'Presidente');
    const own = await liveSitting(host);
    await staffCall(admin, 'POST', `/api/staff/users/${host.user.id}/role`, { role: 'admin' });
    await staffCall(admin, 'POST', `/api/staff/users/${host.user.id}/role`, { role: 'host' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(own.hostClient.socket.connected).toBe(true);
    await expect(own.hostClient.request({ type: 'chat.send', text: 'ancora qui' })).resolves.toMatchObject({
      message: { role: 'host' },
    });
    // Nobody changes their own role (so an admin cannot leave the server without one).
    const self = await srv.app.inject({
      method: 'POST',
      url: `/api/staff/users/${admin.user.id}/role`,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
      payload: { role: 'host' },
    });
    expect(self.statusCode).toBe(409);
  });
});
