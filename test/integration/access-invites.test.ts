/**
 * Issue 4: reserved sittings. The host invites commissioners by e-mail; each gets a personal link,
 * always returned to the host and, with SMTP_URL, e-mailed through the outbox (a local SMTP
 * server captures the messages). A link admits one commissioner while the sitting is not over
 * and the invitation not revoked; every invitation is audit-logged. The outbox retries failures.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mailTo } from '../../server/src/mail/outbox';
import { OutboxSender } from '../../server/src/mail/outbox-sender';
import type { MailTransport } from '../../server/src/mail/transport';
import { staffIdentity } from '../../server/src/auth/principal';
import { testDatabases, testLogger, type TestDatabase } from '../support/databases';
import {
  cookieHeader,
  hostSitting,
  signedIn,
  startAccessApp,
  startSmtpCapture,
  type AccessApp,
  type SignedIn,
  type SmtpCapture,
} from './access-support';

/** Starting an app (database, migrations, a media worker) takes long on a loaded machine. */
const APP_START_TIMEOUT_MS = 180_000;
describe.each(testDatabases())('invitations on %s', (_kind, target) => {
  let t: AccessApp;
  let smtp: SmtpCapture;
  let host: SignedIn;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    t = await startAccessApp(target, {
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'Seduta Comune <seduta@comune.example.it>' },
    });
    host = await signedIn(t.app, 'host', 'Presidente Gialli');
  }, APP_START_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const invite = (sittingId: string, email: string, name: string, who: SignedIn = host) =>
    t.app.inject({
      method: 'POST',
      url: `/api/staff/sittings/${sittingId}/invites`,
      headers: who.headers,
      payload: { email, name },
    });
  const redeem = (token: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/invite', payload: { token } });
  const tokenOf = (link: string) => link.split('/i/')[1]!;

  it('returns each link to the host and e-mails it, recording delivery in the outbox', async () => {
    const sitting = await hostSitting(t.app, host, {
      kind: 'reserved',
      title: 'Commissione giudicatrice — seduta riservata',
    });
    const a = await invite(sitting.id, 'Commissario.Uno@Example.it', 'Ing. Uno');
    const b = await invite(sitting.id, 'commissaria.due@example.it', 'Arch. Due');
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    const linkA = a.json().invite.link as string;
    const linkB = b.json().invite.link as string;
    expect(a.json()).toMatchObject({
      delivery: 'email',
      invite: { email: 'commissario.uno@example.it', name: 'Ing. Uno' },
    });
    expect(linkA).toMatch(/^http:\/\/127\.0\.0\.1:8080\/i\/[\w-]{43}$/);
    expect(linkA).not.toBe(linkB);

    await vi.waitFor(() => expect(smtp.messages).toHaveLength(2), { timeout: 10_000 });
    const byTo = new Map(smtp.messages.map((m) => [m.to[0], m]));
    expect(byTo.get('commissario.uno@example.it')?.text).toContain(linkA);
    expect(byTo.get('commissaria.due@example.it')?.text).toContain(linkB);
    expect(byTo.get('commissario.uno@example.it')?.text).toContain(
      'Commissione giudicatrice — seduta riservata',
    );
    expect(byTo.get('commissario.uno@example.it')?.from).toBe('seduta@comune.example.it');
    await vi.waitFor(async () => {
      const [row] = await mailTo(t.db.handle.db, 'commissario.uno@example.it');
      expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
      expect(row!.sent_at).toBeInstanceOf(Date);
    });
    // The database keeps only the hash of the link's token.
    const stored = await t.db.handle.db.selectFrom('sitting_invites').select('token_hash').execute();
    expect(stored.map((r) => r.token_hash)).not.toContain(tokenOf(linkA));
    // The host can copy the same links again later.
    const listed = await t.app.inject({
      url: `/api/staff/sittings/${sitting.id}/invites`,
      headers: host.headers,
    });
    expect((listed.json().invites as { link: string }[]).map((i) => i.link)).toEqual([linkA, linkB]);
    const audit = await t.db.handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'invite.create')
      .where('sitting_id', '=', sitting.id)
      .execute();
    expect(audit.map((e) => (e.details as { email: string }).email)).toEqual([
      'commissario.uno@example.it',
      'commissaria.due@example.it',
    ]);
  });

  it('admits a commissioner through their link: a pass for that sitting, with the invited name', async () => {
    const sitting = await hostSitting(t.app, host, { kind: 'reserved' });
    const { invite: inv } = (await invite(sitting.id, 'membro@example.it', 'Dott. Membro')).json();
    const res = await redeem(tokenOf(inv.link));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sittingId: sitting.id, name: 'Dott. Membro', role: 'commissioner' });
    const cookie = cookieHeader(res);
    const me = await t.app.inject({ url: `/api/sittings/${sitting.id}/me`, headers: { cookie } });
    expect(me.json()).toMatchObject({ role: 'commissioner', name: 'Dott. Membro' });
    expect((await t.app.inject({ url: `/api/sittings/${sitting.id}`, headers: { cookie } })).statusCode).toBe(
      200,
    );
  });

  it('refuses a second open invitation for the same address, and unknown or malformed links', async () => {
    const sitting = await hostSitting(t.app, host, { kind: 'reserved' });
    expect((await invite(sitting.id, 'doppio@example.it', 'Doppio')).statusCode).toBe(201);
    expect((await invite(sitting.id, 'DOPPIO@example.it', 'Doppio')).statusCode).toBe(409);
    expect((await invite(sitting.id, 'not an address', 'X')).statusCode).toBe(400);
    expect((await redeem('A'.repeat(43))).statusCode).toBe(401);
    expect((await redeem('../../etc/passwd')).statusCode).toBe(401);
  });

  it('stops a revoked link and the pass it gave, and audit-logs the revocation', async () => {
    const sitting = await hostSitting(t.app, host, { kind: 'reserved' });
    const { invite: inv } = (await invite(sitting.id, 'revocato@example.it', 'Revocato')).json();
    const cookie = cookieHeader(await redeem(tokenOf(inv.link)));
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/staff/sittings/${sitting.id}/invites/${inv.id}`,
      headers: host.headers,
    });
    expect(del.statusCode).toBe(200);
    expect(del.json().invite).toMatchObject({ id: inv.id, link: null });
    expect((await redeem(tokenOf(inv.link))).json().error.message).toMatch(/revoked/);
    expect(
      (await t.app.inject({ url: `/api/sittings/${sitting.id}/me`, headers: { cookie } })).statusCode,
    ).toBe(401);
    // The same person can be invited again, with a new link.
    const again = (await invite(sitting.id, 'revocato@example.it', 'Revocato')).json();
    expect(again.invite.link).not.toBe(inv.link);
    const audit = await t.db.handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('sitting_id', '=', sitting.id)
      .execute();
    expect(audit.map((e) => e.action)).toContain('invite.revoke');
  });

  it('expires links with the sitting: no link works once it has ended, and no invitation can be added', async () => {
    const sitting = await hostSitting(t.app, host, { kind: 'reserved' });
    const { invite: inv } = (await invite(sitting.id, 'fine@example.it', 'Fine')).json();
    const by = staffIdentity({ id: 's', user: host.user, csrfToken: '', expiresAt: new Date() });
    await t.app.sittings.start(sitting.id, by);
    await t.app.sittings.end(sitting.id, by);
    const res = await redeem(tokenOf(inv.link));
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/ended/);
    expect((await invite(sitting.id, 'tardi@example.it', 'Tardi')).statusCode).toBe(409);
  });

  it("does not let a host invite to another host's sitting", async () => {
    const other = await signedIn(t.app, 'host');
    const sitting = await hostSitting(t.app, other, { kind: 'reserved' });
    expect((await invite(sitting.id, 'x@example.it', 'X', host)).statusCode).toBe(403);
  });
});

describe.each(testDatabases())('the outbox sender on %s', (_kind, target) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(() => db?.close());

  /** A transport that fails the first `failures` sends, recording every attempt. */
  const flaky = (failures: number) => {
    const attempts: string[] = [];
    const transport: MailTransport = {
      async send(message) {
        attempts.push(message.to);
        if (attempts.length <= failures) throw new Error(`450 mailbox busy (attempt ${attempts.length})`);
      },
      close: () => undefined,
    };
    return { transport, attempts };
  };

  it('retries a failed message with backoff until it is sent, keeping the last error meanwhile', async () => {
    const { transport, attempts } = flaky(2);
    const sender = new OutboxSender({
      db: db.handle.db,
      transport,
      from: 's@x.it',
      logger: testLogger,
      pollMs: 20,
      retryBaseMs: 30,
    });
    sender.start();
    try {
      await sender.enqueue({ to: 'retry@example.it', subject: 'S', body: 'B' });
      await vi.waitFor(
        async () => expect((await mailTo(db.handle.db, 'retry@example.it'))[0]?.status).toBe('sent'),
        { timeout: 5000 },
      );
      const [row] = await mailTo(db.handle.db, 'retry@example.it');
      expect(row).toMatchObject({ attempts: 3, status: 'sent', last_error: null });
      expect(attempts).toEqual(['retry@example.it', 'retry@example.it', 'retry@example.it']);
    } finally {
      await sender.close();
    }
  });

  it('gives up after the last attempt and marks the message failed with the error', async () => {
    const { transport } = flaky(100);
    const sender = new OutboxSender({
      db: db.handle.db,
      transport,
      from: 's@x.it',
      logger: testLogger,
      pollMs: 20,
      retryBaseMs: 10,
      maxAttempts: 3,
    });
    sender.start();
    try {
      await sender.enqueue({ to: 'never@example.it', subject: 'S', body: 'B' });
      await vi.waitFor(
        async () => expect((await mailTo(db.handle.db, 'never@example.it'))[0]?.status).toBe('failed'),
        { timeout: 5000 },
      );
      const [row] = await mailTo(db.handle.db, 'never@example.it');
      expect(row).toMatchObject({ attempts: 3, last_error: '450 mailbox busy (attempt 3)', sent_at: null });
    } finally {
      await sender.close();
    }
  });
});
