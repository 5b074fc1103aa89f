/**
 * Issue 4: staff accounts. Sign-in with scrypt-hashed passwords, the session cookie's attributes,
 * CSRF on state-changing routes, the login rate limit, the first admin, account management, and
 * the audit entries for sign-ins and failed sign-ins. Runs on PGlite and, when reachable, PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases';
import {
  API_KEY,
  cookieHeader,
  hostSitting,
  PASSWORD,
  signedIn,
  startAccessApp,
  type AccessApp,
} from './access-support';

/** Starting an app (database, migrations, a media worker) takes long on a loaded machine. */
const APP_START_TIMEOUT_MS = 180_000;
describe.each(testDatabases())('staff accounts on %s', (_kind, target) => {
  let t: AccessApp;

  beforeAll(async () => {
    t = await startAccessApp(target, {
      env: {
        ADMIN_EMAIL: 'Admin@Ente.Example.it',
        ADMIN_PASSWORD: 'first admin password 123',
        ADMIN_NAME: 'Prima Admin',
      },
    });
  }, APP_START_TIMEOUT_MS);
  afterAll(() => t?.close());

  const audit = (action: string) =>
    t.db.handle.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

  it('creates the first admin from ADMIN_EMAIL and ADMIN_PASSWORD, who can sign in', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'admin@ente.example.it', password: 'first admin password 123' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({
      email: 'admin@ente.example.it',
      name: 'Prima Admin',
      role: 'admin',
    });
    const row = await t.db.handle.db
      .selectFrom('staff_users')
      .selectAll()
      .where('email', '=', 'admin@ente.example.it')
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(row.password_hash).not.toContain('first admin');
  });

  it('signs in with an HttpOnly, SameSite=Lax session cookie, and answers /api/auth/me with the CSRF token', async () => {
    const host = await signedIn(t.app, 'host', 'Dott.ssa Rossi');
    const me = await t.app.inject({ url: '/api/auth/me', headers: { cookie: host.cookie } });
    expect(me.statusCode).toBe(200);
    // A host may not open the recordings page unless RECORDINGS_HOST_DOWNLOAD is on (it is not here).
    expect(me.json()).toEqual({ user: { ...host.user, canListRecordings: false }, csrfToken: host.csrf });
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: host.user.email.toUpperCase(), password: PASSWORD },
    });
    const [cookie] = login.cookies;
    expect(cookie).toMatchObject({ name: 'seduta_session', httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeUndefined();
    // The session token is not the row id: the database holds only its hash.
    const ids = await t.db.handle.db.selectFrom('staff_sessions').select('id').execute();
    expect(ids.map((r) => r.id)).not.toContain(cookie!.value);
    expect(JSON.stringify(login.json())).not.toMatch(/password/);
  });

  it('does not mark the cookie Secure for a forwarded https header without TRUST_PROXY (see cookies.test.ts)', async () => {
    const host = await signedIn(t.app, 'host');
    const untrusted = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-forwarded-proto': 'https' },
      payload: { email: host.user.email, password: PASSWORD },
    });
    expect(untrusted.statusCode).toBe(200);
    expect(untrusted.cookies[0]?.secure).toBeUndefined();
  });

  it('refuses a state-changing request with the session cookie but without the matching x-csrf-token', async () => {
    const host = await signedIn(t.app, 'host');
    const body = { title: 'Seduta senza CSRF' };
    const missing = await t.app.inject({
      method: 'POST',
      url: '/api/staff/sittings',
      headers: { cookie: host.cookie },
      payload: body,
    });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error).toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/x-csrf-token/),
    });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/staff/sittings',
      headers: { cookie: host.cookie, 'x-csrf-token': 'x'.repeat(host.csrf.length) },
      payload: body,
    });
    expect(wrong.statusCode).toBe(403);
    const right = await t.app.inject({
      method: 'POST',
      url: '/api/staff/sittings',
      headers: host.headers,
      payload: body,
    });
    expect(right.statusCode).toBe(201);
  });

  it('refuses a state-changing request from a foreign Origin', async () => {
    const host = await signedIn(t.app, 'host');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/staff/sittings',
      headers: { ...host.headers, origin: 'https://evil.example.com' },
      payload: { title: 'x' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toMatch(/cross-origin/);
  });

  it('signs out: the session ends on the server and the cookie is cleared', async () => {
    const host = await signedIn(t.app, 'host');
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: host.headers });
    expect(out.statusCode).toBe(204);
    expect(out.cookies[0]).toMatchObject({ name: 'seduta_session', value: '', maxAge: 0 });
    const me = await t.app.inject({ url: '/api/auth/me', headers: { cookie: host.cookie } });
    expect(me.statusCode).toBe(401);
    expect((await audit('auth.logout')).some((e) => e.actor === `staff:${host.user.email}`)).toBe(true);
  });

  it('answers every failure with the same 401, and audit-logs sign-ins and failed sign-ins', async () => {
    const host = await signedIn(t.app, 'host');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'nobody@ente.example.it', password: PASSWORD },
    });
    // From another address: the first failure per address and minute is written at once, the
    // others of that minute in one aggregated entry (auth/sign-in-audit.ts, abuse-audit.test.ts).
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '192.0.2.77',
      payload: { email: host.user.email, password: 'not the password' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    const failed = await audit('auth.login_failed');
    expect(failed.map((e) => [e.actor, (e.details as { reason: string }).reason])).toEqual(
      expect.arrayContaining([
        ['nobody@ente.example.it', 'unknown account'],
        [host.user.email, 'wrong password'],
      ]),
    );
    const logins = await audit('auth.login');
    expect(logins.some((e) => e.actor === `staff:${host.user.email}` && e.role === 'host')).toBe(true);
  });

  it('rate-limits sign-in: the 11th failure within a minute for one account and address gets 429 with Retry-After', async () => {
    const host = await signedIn(t.app, 'host');
    const attempt = (password: string, ip = '198.51.100.7') =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: ip,
        payload: { email: host.user.email, password },
      });
    for (let i = 0; i < 10; i++) expect((await attempt(`guess ${i}`)).statusCode).toBe(401);
    const limited = await attempt('guess 11');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Even the right password waits, from that address…
    expect((await attempt(PASSWORD)).statusCode).toBe(429);
    // …while the same account from another address is not blocked.
    expect((await attempt(PASSWORD, '203.0.113.9')).statusCode).toBe(200);
  });

  it('lets an admin create a host, who then signs in; a host may not manage accounts', async () => {
    const admin = await signedIn(t.app, 'admin');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/staff/users',
      headers: admin.headers,
      payload: {
        email: 'Presidente@Comune.example.it',
        name: 'Presidente di commissione',
        role: 'host',
        password: 'una password lunga 42',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().user).toMatchObject({
      email: 'presidente@comune.example.it',
      role: 'host',
      disabled: false,
    });
    const dup = await t.app.inject({
      method: 'POST',
      url: '/api/staff/users',
      headers: admin.headers,
      payload: {
        email: 'presidente@comune.example.it',
        name: 'Altro',
        role: 'host',
        password: 'una password lunga 42',
      },
    });
    expect(dup.statusCode).toBe(409);
    const short = await t.app.inject({
      method: 'POST',
      url: '/api/staff/users',
      headers: admin.headers,
      payload: { email: 'breve@comune.example.it', name: 'Breve', role: 'host', password: 'short' },
    });
    expect(short.statusCode).toBe(400);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'presidente@comune.example.it', password: 'una password lunga 42' },
    });
    expect(login.statusCode).toBe(200);
    const host = { cookie: cookieHeader(login), csrf: login.json().csrfToken as string };
    const list = await t.app.inject({ url: '/api/staff/users', headers: { cookie: host.cookie } });
    expect(list.statusCode).toBe(403);
    expect(
      (await audit('staff.create')).some(
        (e) => (e.details as { email: string }).email === 'presidente@comune.example.it',
      ),
    ).toBe(true);
  });

  it('disables an account: its sessions end and it can no longer sign in', async () => {
    const admin = await signedIn(t.app, 'admin');
    const host = await signedIn(t.app, 'host');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/staff/users/${host.user.id}/disable`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.disabled).toBe(true);
    expect((await t.app.inject({ url: '/api/auth/me', headers: { cookie: host.cookie } })).statusCode).toBe(
      401,
    );
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: host.user.email, password: PASSWORD },
    });
    expect(login.statusCode).toBe(401);
    const self = await t.app.inject({
      method: 'POST',
      url: `/api/staff/users/${admin.user.id}/disable`,
      headers: admin.headers,
    });
    expect(self.statusCode).toBe(409);
  });

  it('shows a host only their own sittings, and an admin all of them', async () => {
    const [a, b, admin] = [
      await signedIn(t.app, 'host'),
      await signedIn(t.app, 'host'),
      await signedIn(t.app, 'admin'),
    ];
    const sa = await hostSitting(t.app, a, { title: 'Seduta di A' });
    const sb = await hostSitting(t.app, b, { title: 'Seduta di B', kind: 'reserved' });
    const ids = async (who: { headers: Record<string, string> }) =>
      (
        (await t.app.inject({ url: '/api/staff/sittings', headers: who.headers })).json().sittings as {
          id: string;
        }[]
      ).map((s) => s.id);
    expect(await ids(a)).toContain(sa.id);
    expect(await ids(a)).not.toContain(sb.id);
    expect(await ids(admin)).toEqual(expect.arrayContaining([sa.id, sb.id]));
    const other = await t.app.inject({ url: `/api/staff/sittings/${sb.id}`, headers: a.headers });
    expect(other.statusCode).toBe(403);
    const own = await t.app.inject({ url: `/api/staff/sittings/${sa.id}`, headers: a.headers });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({
      sitting: { id: sa.id, title: 'Seduta di A', status: 'scheduled' },
      hostUserId: a.user.id,
      links: { host: `http://127.0.0.1:8080/host/${sa.id}`, join: `http://127.0.0.1:8080/s/${sa.id}` },
      invites: [],
    });
  });

  it('lets an admin assign a sitting to a host by e-mail, and the platform too', async () => {
    const admin = await signedIn(t.app, 'admin');
    const host = await signedIn(t.app, 'host');
    const byAdmin = await t.app.inject({
      method: 'POST',
      url: '/api/staff/sittings',
      headers: admin.headers,
      payload: { title: 'Assegnata', hostEmail: host.user.email },
    });
    expect(byAdmin.statusCode).toBe(201);
    expect(byAdmin.json().hostUserId).toBe(host.user.id);
    const byPlatform = await t.app.inject({
      method: 'POST',
      url: '/api/platform/sittings',
      headers: { authorization: `Bearer ${API_KEY}` },
      payload: { title: 'Dalla piattaforma', hostEmail: host.user.email },
    });
    expect(byPlatform.statusCode).toBe(201);
    const mine = (await t.app.inject({ url: '/api/staff/sittings', headers: host.headers })).json()
      .sittings as { id: string }[];
    expect(mine.map((s) => s.id)).toEqual(
      expect.arrayContaining([byAdmin.json().sitting.id, byPlatform.json().sitting.id]),
    );
    const hostChoosing = await t.app.inject({
      method: 'POST',
      url: '/api/staff/sittings',
      headers: host.headers,
      payload: { title: 'x', hostEmail: admin.user.email },
    });
    expect(hostChoosing.statusCode).toBe(403);
    const unknownHost = await t.app.inject({
      method: 'POST',
      url: '/api/platform/sittings',
      headers: { authorization: `Bearer ${API_KEY}` },
      payload: { title: 'x', hostEmail: 'nessuno@ente.example.it' },
    });
    expect(unknownHost.statusCode).toBe(400);
  });
});
