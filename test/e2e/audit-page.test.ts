/**
 * Issue 13 item 4, in a real browser: the administrators' audit log page. An administrator signs
 * in, follows "Storico delle operazioni" from the dashboard, filters the log by who acted, exports
 * the filtered range (the CSV link carries the filters and gives exactly those rows), verifies
 * the chain ("Verifica ora": intact, with the number of entries and the last hash), and after a
 * row is edited directly in the database, the same button names that row, which the table marks.
 * On the dashboard, the administrator creates a host account, disables it, re-enables it and sets
 * a new password, with which the host then signs in.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/audit-page.test.ts
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, type AuditRecord } from '../../server/src/audit/audit-log';
import { startE2eApp, type E2eApp } from './harness/app';
import { launchChromium, type TestBrowser, type TestPage } from './harness/browsers';
import { fill, signInAsHost } from './harness/sign-in';
import { seen, waitFor, type Seen } from './harness/testids';

const ADMIN = {
  email: 'amministratore@comune.example.it',
  password: 'e2e admin password 2026',
  name: 'Amministratore',
};
const SITTING = '6f1c3f4e-8a53-4c4e-9a55-2f0d7a1b9c10';

describe('issue 13: an administrator reads, filters, exports and verifies the audit log', () => {
  let server: E2eApp;
  let browser: TestBrowser;
  let page: TestPage;
  const rossi: AuditRecord[] = [];

  beforeAll(async () => {
    server = await startE2eApp({
      env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ADMIN_NAME: ADMIN.name },
    });
    for (let i = 0; i < 6; i++) {
      const entry = await appendAudit(server.db, {
        actor: i % 2 === 0 ? 'staff:rossi@comune.example.it' : 'operator:acme-spa',
        role: i % 2 === 0 ? 'host' : 'operator',
        action: i % 2 === 0 ? 'invite.create' : 'hand.raise',
        sittingId: SITTING,
        details: { n: i, name: 'Offerta "A", lotto 2' },
        at: new Date(Date.parse('2026-03-02T09:00:00Z') + i * 60_000),
      });
      if (i % 2 === 0) rossi.push(entry);
    }
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const rowIds = async () =>
    (await seen(page)).filter((n) => n.testid === 'audit-row').map((n) => Number(n.data.entryId));

  it('takes the admin from the dashboard to the log and filters it by who acted', async () => {
    await signInAsHost(page, server.url, ADMIN);
    const link = await waitFor(page, (n) => n.testid === 'open-audit');
    expect(link.href).toBe('/admin/audit');
    await page.click('[data-testid="open-audit"]');
    await waitFor(page, (n) => n.testid === 'audit-row');
    expect(await page.evaluate(() => location.pathname)).toBe('/admin/audit');

    await fill(page, 'filter-actor', 'ROSSI@comune');
    await page.click('[data-testid="filter-apply"]');
    await page.waitForFunction(
      (ids: number[]) => {
        const found: number[] = [];
        const walk = (root: Document | ShadowRoot): void => {
          for (const el of root.querySelectorAll<HTMLElement>('[data-testid="audit-row"]'))
            found.push(Number(el.dataset.entryId));
          for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return JSON.stringify(found) === JSON.stringify(ids);
      },
      [...rossi].reverse().map((r) => r.id),
      { timeout: 15_000 },
    );
    expect(await rowIds()).toEqual([...rossi].reverse().map((r) => r.id));
  });

  it('exports the filtered range as CSV with exactly those rows', async () => {
    const link = await waitFor(page, (n) => n.testid === 'export-csv');
    expect(link.href).toMatch(/^\/api\/admin\/audit\/export\?format=csv&actor=ROSSI%40comune$/);
    const csv = await page.evaluate(async (href: string) => (await fetch(href)).text(), link.href!);
    const ids = csv
      .split('\r\n')
      .slice(1)
      .filter((line) => line !== '')
      .map((line) => Number(line.split(',')[0]));
    expect(ids).toEqual(rossi.map((r) => r.id));
    expect(csv).toContain('"{""n"":0,""name"":""Offerta \\""A\\"", lotto 2""}"');
  });

  it('verifies the intact chain, then names the row edited directly in the database', async () => {
    await page.click('[data-testid="verify"]');
    const intact = await waitFor(page, (n) => n.testid === 'verify-result' && n.data.ok !== undefined);
    expect(intact.data.ok).toBe('true');
    expect(intact.text).toMatch(
      /(Storico integro: \d+ voci verificate|The log is intact: \d+ entries verified)\..*[0-9a-f]{64}/,
    );

    const victim = rossi[1]!;
    await sql`alter table audit_log disable trigger user`.execute(server.db);
    try {
      await sql`update audit_log set actor = 'staff:altri@comune.example.it' where id = ${victim.id}`.execute(
        server.db,
      );
    } finally {
      await sql`alter table audit_log enable trigger user`.execute(server.db);
    }
    await page.click('[data-testid="verify"]');
    const broken = await waitFor(page, (n) => n.testid === 'verify-broken');
    expect(Number(broken.data.entryId)).toBe(victim.id);
    expect(broken.text).toMatch(new RegExp(`(voce n\\. |entry #)${victim.id} \\(invite\\.create, `));
    const row = (await seen(page)).find(
      (n) => n.testid === 'audit-row' && n.data.entryId === String(victim.id),
    );
    expect(row?.text).toMatch(/\((alterata|altered)\)/);
  });

  it('lets the admin create, disable, re-enable a host account and set its password from the dashboard', async () => {
    const email = 'verdi@comune.example.it';
    const row = (disabled: string) => (n: Seen) =>
      n.testid === 'staff-row' && n.data.email === email && n.data.disabled === disabled;
    await page.goto(`${server.url}/host`);
    await waitFor(page, (n) => n.testid === 'staff-table');
    await fill(page, 'staff-create-name', 'Anna Verdi');
    await fill(page, 'staff-create-email', email);
    await fill(page, 'staff-create-password', 'password iniziale 2026');
    await page.click('[data-testid="staff-create-submit"]');
    await waitFor(page, (n) => n.testid === 'staff-notice' && n.text.includes('Anna Verdi'));
    expect((await waitFor(page, row('false'))).text).toMatch(/Presidente di seduta|Host/);

    await page.click(`[data-email="${email}"] [data-testid="staff-disable"]`);
    await waitFor(page, row('true'));
    expect((await login(email, 'password iniziale 2026')).status).toBe(401);
    await page.click(`[data-email="${email}"] [data-testid="staff-enable"]`);
    await waitFor(page, row('false'));

    await page.click(`[data-email="${email}"] [data-testid="staff-reset"]`);
    await fill(page, 'staff-reset-password', 'password nuova per Anna');
    await page.click('[data-testid="staff-reset-form"] button[type="submit"]');
    await waitFor(
      page,
      (n) =>
        n.testid === 'staff-notice' &&
        /(Nuova password impostata per|New password set for) Anna Verdi/.test(n.text),
    );
    expect((await login(email, 'password iniziale 2026')).status).toBe(401);
    expect((await login(email, 'password nuova per Anna')).status).toBe(200);
  });

  /** A sign-in from the test process (not the admin's browser, whose session stays). */
  async function login(email: string, password: string): Promise<Response> {
    return fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  }
});
