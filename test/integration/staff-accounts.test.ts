/**
 * Issue 13, item 4: staff account management by administrators over HTTP, with its audit trail.
 * An account is created, disabled (its sessions end and it cannot sign in), re-enabled (it signs
 * in again), and given a new password (the old one stops working, the new one works, its sessions
 * end); each step is in the audit log, the password never is. Hosts cannot do any of it.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases';
import {
  cookieHeader,
  PASSWORD,
  signedIn,
  startAccessApp,
  type AccessApp,
  type SignedIn,
} from './access-support';

const target = testDatabases()[0]![1];
const NEW_PASSWORD = 'una nuova password lunga 2026';

describe('staff accounts managed by an administrator', () => {
  let t: AccessApp;
  let app: FastifyInstance;
  let admin: SignedIn;
  let host: SignedIn;

  beforeAll(async () => {
    t = await startAccessApp(target);
    app = t.app;
    admin = await signedIn(app, 'admin', 'Amministratrice');
    host = await signedIn(app, 'host', 'Altro presidente');
  }, 180_000);
  afterAll(() => t?.close());

  const login = (email: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
  const post = (url: string, who: SignedIn, payload?: object) =>
    app.inject({ method: 'POST', url, headers: who.headers, ...(payload ? { payload } : {}) });
  const auditActions = async (email: string) => {
    const res = await app.inject({ url: '/api/admin/audit?actor=staff:&limit=200', headers: admin.headers });
    const entries = res.json().entries as Array<{ action: string; details: { email?: string } }>;
    return entries.filter((e) => e.details.email === email).map((e) => e.action);
  };

  it('creates, disables, re-enables and resets the password of an account, each step audit-logged', async () => {
    const email = 'bianchi@ente.example.it';
    const created = await post('/api/staff/users', admin, {
      email,
      name: 'Luca Bianchi',
      role: 'host',
      password: PASSWORD,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().user.id as string;
    const first = await login(email, PASSWORD);
    expect(first.statusCode).toBe(200);
    const firstCookie = cookieHeader(first);

    const disabled = await post(`/api/staff/users/${id}/disable`, admin);
    expect(disabled.json().user).toMatchObject({ email, disabled: true });
    expect((await app.inject({ url: '/api/auth/me', headers: { cookie: firstCookie } })).statusCode).toBe(
      401,
    );
    expect((await login(email, PASSWORD)).statusCode).toBe(401);

    const enabled = await post(`/api/staff/users/${id}/enable`, admin);
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json().user).toMatchObject({ email, disabled: false });
    const again = await login(email, PASSWORD);
    expect(again.statusCode).toBe(200);
    const againCookie = cookieHeader(again);

    const tooShort = await post(`/api/staff/users/${id}/password`, admin, { password: 'corta' });
    expect(tooShort.statusCode).toBe(400);
    expect(tooShort.json().error.message).toMatch(/at least \d+ characters/);
    const reset = await post(`/api/staff/users/${id}/password`, admin, { password: NEW_PASSWORD });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await app.inject({ url: '/api/auth/me', headers: { cookie: againCookie } })).statusCode).toBe(
      401,
    );
    expect((await login(email, PASSWORD)).statusCode).toBe(401);
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);

    expect(await auditActions(email)).toEqual([
      'staff.password_reset',
      'staff.enable',
      'staff.disable',
      'staff.create',
    ]);
    const log = await app.inject({ url: '/api/admin/audit/export?format=json', headers: admin.headers });
    expect(log.body).not.toContain(NEW_PASSWORD);
    expect(log.body).not.toContain(PASSWORD);
  });

  it('refuses hosts, and answers 404 for an account that does not exist', async () => {
    const other = await signedIn(app, 'host', 'Da non toccare');
    for (const url of [
      `/api/staff/users/${other.user.id}/enable`,
      `/api/staff/users/${other.user.id}/password`,
    ]) {
      const res = await post(url, host, { password: NEW_PASSWORD });
      expect(res.statusCode, url).toBe(403);
    }
    const missing = '7e57a11d-0000-4000-8000-000000000000';
    expect((await post(`/api/staff/users/${missing}/enable`, admin)).statusCode).toBe(404);
    expect(
      (await post(`/api/staff/users/${missing}/password`, admin, { password: NEW_PASSWORD })).statusCode,
    ).toBe(404);
  });
});
