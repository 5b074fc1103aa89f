/**
 * Issue 4: operators from the procurement platform. The platform (API key) mints join tokens;
 * the operator's page exchanges one for a pass cookie; expired, tampered, wrong-audience and
 * `alg: none` tokens are refused with 401 and a reason; reserved sittings never admit operators;
 * a kicked operator cannot come back with the same token or a new one.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinTokens } from '../../server/src/auth/join-tokens';
import { deriveKey } from '../../server/src/auth/secrets';
import type { Notification } from '../../server/src/protocol';
import { staffIdentity } from '../../server/src/auth/principal';
import { testDatabases } from '../support/databases';
import {
  API_KEY,
  cookieHeader,
  hostSitting,
  mintToken,
  operatorPass,
  SECRET,
  signedIn,
  startAccessApp,
  type AccessApp,
  type SignedIn,
} from './access-support';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Starting an app (database, migrations, a media worker) takes long on a loaded machine. */
const APP_START_TIMEOUT_MS = 180_000;
describe.each(testDatabases())('join tokens and operators on %s', (_kind, target) => {
  let t: AccessApp;
  let host: SignedIn;

  beforeAll(async () => {
    t = await startAccessApp(target);
    host = await signedIn(t.app, 'host', 'RUP Verdi');
  }, APP_START_TIMEOUT_MS);
  afterAll(() => t?.close());

  const exchange = (sittingId: string, token: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/join-token', payload: { sittingId, token } });

  it('mints a join token for a public sitting and returns the operator link', async () => {
    const sitting = await hostSitting(t.app, host);
    const minted = await mintToken(t.app, sitting.id, {
      subject: 'CF:BNCMRA80A01H501U',
      name: 'Mario Bianchi (Edilizia Srl)',
    });
    expect(minted.url).toBe(`http://127.0.0.1:8080/s/${sitting.id}?token=${minted.token}`);
    expect(new Date(minted.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(300_000);
    const tooLong = await t.app.inject({
      method: 'POST',
      url: `/api/platform/sittings/${sitting.id}/join-tokens`,
      headers: { authorization: `Bearer ${API_KEY}` },
      payload: { subject: 'x', name: 'X', ttlSeconds: 3600 },
    });
    expect(tooLong.statusCode).toBe(400);
    const audit = await t.db.handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'join_token.mint')
      .execute();
    expect(audit.some((e) => (e.details as { jti: string }).jti === minted.jti)).toBe(true);
  });

  it('exchanges a valid token for an HttpOnly pass cookie; the name comes from the token', async () => {
    const sitting = await hostSitting(t.app, host);
    const { token } = await mintToken(t.app, sitting.id, { subject: 'op-1', name: 'Anna Neri' });
    const res = await exchange(sitting.id, token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sittingId: sitting.id, name: 'Anna Neri', role: 'operator' });
    expect(res.cookies[0]).toMatchObject({
      name: `seduta_p_${sitting.id}`,
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
    });
    expect(res.cookies[0]!.maxAge).toBe(12 * 3600);
    const cookie = cookieHeader(res);
    const me = await t.app.inject({ url: `/api/sittings/${sitting.id}/me`, headers: { cookie } });
    expect(me.json()).toEqual({ sittingId: sitting.id, name: 'Anna Neri', role: 'operator' });
    const details = await t.app.inject({ url: `/api/sittings/${sitting.id}`, headers: { cookie } });
    expect(details.statusCode).toBe(200);
    expect(details.json()).toMatchObject({ id: sitting.id, status: 'scheduled' });
    // The pass is for this sitting only.
    const other = await hostSitting(t.app, host);
    expect(
      (await t.app.inject({ url: `/api/sittings/${other.id}/me`, headers: { cookie } })).statusCode,
    ).toBe(401);
  });

  it('refuses expired, tampered, wrong-audience and alg:none tokens with 401 and the reason', async () => {
    const sitting = await hostSitting(t.app, host);
    const other = await hostSitting(t.app, host);
    const tokens = new JoinTokens(deriveKey(SECRET, 'join-token'));
    const expired = (
      await tokens.mint({
        sittingId: sitting.id,
        subject: 'x',
        name: 'X',
        now: new Date(Date.now() - 11 * 60_000),
      })
    ).token;
    const valid = (await mintToken(t.app, sitting.id, { subject: 'x', name: 'X' })).token;
    const [h, p, s] = valid.split('.');
    const tampered = [
      h,
      b64({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), name: 'Presidente' }),
      s,
    ].join('.');
    const wrongAudience = (await mintToken(t.app, other.id, { subject: 'x', name: 'X' })).token;
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'seduta', aud: sitting.id, sub: 'x', name: 'X', iat: now, exp: now + 60, jti: 'j' })}.`;
    const otherSecret = await new SignJWT({ name: 'X' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('seduta')
      .setAudience(sitting.id)
      .setSubject('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti('j')
      .sign(new TextEncoder().encode('some-other-secret-that-is-long-enough-000'));

    const cases: Array<[string, string, RegExp]> = [
      ['expired', expired, /expired/],
      ['tampered', tampered, /bad signature/],
      ['wrong audience', wrongAudience, /wrong audience/],
      ['alg none', none, /algorithm not allowed/],
      ['signed with another secret', otherSecret, /bad signature/],
      ['garbage', 'not-a-jwt', /malformed/],
    ];
    for (const [label, token, reason] of cases) {
      const res = await exchange(sitting.id, token);
      expect(res.statusCode, label).toBe(401);
      expect(res.json().error.code, label).toBe('unauthorized');
      expect(res.json().error.message, label).toMatch(reason);
      expect(res.cookies, label).toEqual([]);
    }
  });

  it('never lets an operator see or join a reserved sitting', async () => {
    const reserved = await hostSitting(t.app, host, { kind: 'reserved' });
    const mint = await t.app.inject({
      method: 'POST',
      url: `/api/platform/sittings/${reserved.id}/join-tokens`,
      headers: { authorization: `Bearer ${API_KEY}` },
      payload: { subject: 'x', name: 'X' },
    });
    expect(mint.statusCode).toBe(409);
    // A token made with the shared secret anyway is refused as if the sitting did not exist.
    const forged = await new JoinTokens(deriveKey(SECRET, 'join-token')).mint({
      sittingId: reserved.id,
      subject: 'x',
      name: 'X',
    });
    const res = await exchange(reserved.id, forged.token);
    expect(res.statusCode).toBe(404);
    expect(res.cookies).toEqual([]);
  });

  it('refuses a token for an ended or cancelled sitting', async () => {
    const sitting = await hostSitting(t.app, host);
    const { token } = await mintToken(t.app, sitting.id, { subject: 'late', name: 'In ritardo' });
    await t.app.sittings.cancel(
      sitting.id,
      staffIdentity({ id: 's', user: host.user, csrfToken: '', expiresAt: new Date() }),
    );
    const res = await exchange(sitting.id, token);
    expect(res.statusCode).toBe(409);
    const mint = await t.app.inject({
      method: 'POST',
      url: `/api/platform/sittings/${sitting.id}/join-tokens`,
      headers: { authorization: `Bearer ${API_KEY}` },
      payload: { subject: 'x', name: 'X' },
    });
    expect(mint.statusCode).toBe(409);
  });

  it('keeps a kicked operator out: the same token, a new token for the same subject and the old pass are refused', async () => {
    const sitting = await hostSitting(t.app, host);
    const hostIdentity = staffIdentity({ id: 's', user: host.user, csrfToken: '', expiresAt: new Date() });
    await t.app.sittings.start(sitting.id, hostIdentity);
    const live = await t.app.sittings.live(sitting.id);
    const { token } = await mintToken(t.app, sitting.id, { subject: 'op-kick', name: 'Disturbatore' });
    const first = await exchange(sitting.id, token);
    expect(first.statusCode).toBe(200);
    const pass = cookieHeader(first);
    const notes: Notification[] = [];
    const { participant } = await live.join(
      { subject: 'operator:op-kick', name: 'Disturbatore', role: 'operator' },
      (n) => notes.push(n),
    );
    const bystander = await live.join(
      { subject: 'operator:op-ok', name: 'Educato', role: 'operator' },
      () => undefined,
    );

    await t.app.access.kick(live, participant.id, hostIdentity);
    expect(notes).toContainEqual({ type: 'removed', reason: 'kicked' });
    expect(live.participantCount).toBe(1);

    const again = await exchange(sitting.id, token);
    expect(again.statusCode).toBe(403);
    expect(again.json().error.message).toMatch(/removed from this sitting/);
    const fresh = await mintToken(t.app, sitting.id, { subject: 'op-kick', name: 'Altro nome' });
    expect((await exchange(sitting.id, fresh.token)).statusCode).toBe(403);
    expect(
      (await t.app.inject({ url: `/api/sittings/${sitting.id}/me`, headers: { cookie: pass } })).statusCode,
    ).toBe(403);
    // Someone else still gets in.
    expect(await operatorPass(t.app, sitting.id, 'op-new', 'Nuovo')).toMatch(/^seduta_p_/);
    // Staff cannot be kicked; an unknown participant is not_found.
    const hostIn = await live.join(hostIdentity, () => undefined);
    await expect(t.app.access.kick(live, hostIn.participant.id, hostIdentity)).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(t.app.access.kick(live, 'nobody', hostIdentity)).rejects.toMatchObject({
      code: 'not_found',
    });
    const audit = await t.db.handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'participant.kick')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: `staff:${host.user.email}`,
      role: 'host',
      sitting_id: sitting.id,
    });
    expect(audit[0]!.details).toMatchObject({ subject: 'operator:op-kick', name: 'Disturbatore' });
    live.leave(bystander.participant.id);
    live.leave(hostIn.participant.id);
    await t.app.sittings.end(sitting.id, hostIdentity);
  });

  it('without SMTP_URL, returns the invitation link to the host only and queues no e-mail', async () => {
    const sitting = await hostSitting(t.app, host, { kind: 'reserved' });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/staff/sittings/${sitting.id}/invites`,
      headers: host.headers,
      payload: { email: 'solo.link@example.it', name: 'Solo link' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      delivery: 'link-only',
      invite: { link: expect.stringMatching(/\/i\/[\w-]{43}$/) },
    });
    expect(await t.db.handle.db.selectFrom('outbox').selectAll().execute()).toEqual([]);
  });

  it('refuses the platform API without the right key', async () => {
    for (const authorization of [undefined, 'Bearer wrong-key', `Basic ${API_KEY}`, API_KEY]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/platform/sittings',
        headers: authorization ? { authorization } : {},
        payload: { title: 'x' },
      });
      expect(res.statusCode, String(authorization)).toBe(401);
    }
  });
});
