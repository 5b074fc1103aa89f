/**
 * Issue 13 item 7: the host console's operator link. An operator who did not get the procurement
 * platform's link receives a personal one from the sitting's host (or an admin): it admits that
 * operator, under the name and company the host typed, once; a reserved or ended sitting refuses
 * (commissioners are invited instead); another host cannot mint one; every mint is audit-logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffIdentity } from '../../server/src/auth/principal';
import { testDatabases } from '../support/databases';
import {
  cookieHeader,
  hostSitting,
  signedIn,
  startAccessApp,
  type AccessApp,
  type SignedIn,
} from './access-support';

/** Starting an app (database, migrations, a media worker) takes long on a loaded machine. */
const APP_START_TIMEOUT_MS = 180_000;

describe.each(testDatabases())('operator links from the host console on %s', (_kind, target) => {
  let t: AccessApp;
  let host: SignedIn;

  beforeAll(async () => {
    t = await startAccessApp(target);
    host = await signedIn(t.app, 'host', 'Presidente Verdi');
  }, APP_START_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  const mint = (sittingId: string, payload: object, who: SignedIn = host) =>
    t.app.inject({
      method: 'POST',
      url: `/api/staff/sittings/${sittingId}/join-tokens`,
      headers: who.headers,
      payload,
    });
  const enter = (sittingId: string, url: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/auth/join-token',
      payload: { sittingId, token: new URL(url).searchParams.get('token') },
    });

  it('gives a link that admits the operator under the name and company the host typed, once', async () => {
    const sitting = await hostSitting(t.app, host, { kind: 'public' });
    const res = await mint(sitting.id, { name: 'Mario Rossi', company: 'Edilizia Rossi S.r.l.' });
    expect(res.statusCode).toBe(201);
    const { url, expiresAt } = res.json() as { url: string; expiresAt: string };
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:8080/s/${sitting.id}\\?token=`));
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());

    const entered = await enter(sitting.id, url);
    expect(entered.statusCode).toBe(200);
    const me = await t.app.inject({
      method: 'GET',
      url: `/api/sittings/${sitting.id}/me`,
      headers: { cookie: cookieHeader(entered) },
    });
    expect(me.json()).toMatchObject({ role: 'operator', name: 'Mario Rossi – Edilizia Rossi S.r.l.' });
    expect((await enter(sitting.id, url)).statusCode).toBe(401);

    const audit = await t.db.handle.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'sitting_id'])
      .where('action', '=', 'join_token.mint')
      .where('sitting_id', '=', sitting.id)
      .execute();
    expect(audit).toEqual([
      { actor: `staff:${host.user.email}`, action: 'join_token.mint', sitting_id: sitting.id },
    ]);
  });

  it('refuses a reserved sitting (commissioners are invited) and an ended one, with the reason', async () => {
    const reserved = await hostSitting(t.app, host, { kind: 'reserved' });
    const refused = await mint(reserved.id, { name: 'Mario Rossi' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'invalid_state',
      message: expect.stringMatching(/invite/),
    });

    const ended = await hostSitting(t.app, host, { kind: 'public' });
    const by = staffIdentity({ user: host.user } as Parameters<typeof staffIdentity>[0]);
    await t.app.sittings.start(ended.id, by);
    await t.app.sittings.end(ended.id, by);
    const late = await mint(ended.id, { name: 'Mario Rossi' });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toMatch(/ended/);
  });

  it('lets only the sitting’s host or an admin mint, and wants a name', async () => {
    const sitting = await hostSitting(t.app, host, { kind: 'public' });
    const other = await signedIn(t.app, 'host', 'Altro Presidente');
    expect((await mint(sitting.id, { name: 'Mario Rossi' }, other)).statusCode).toBe(403);
    const admin = await signedIn(t.app, 'admin', 'Amministratrice');
    expect((await mint(sitting.id, { name: 'Mario Rossi' }, admin)).statusCode).toBe(201);
    expect((await mint(sitting.id, { name: '' })).statusCode).toBe(400);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: `/api/staff/sittings/${sitting.id}/join-tokens`,
      payload: { name: 'Mario Rossi' },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
