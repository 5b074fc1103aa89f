/**
 * Issue 13 item 7, in a real browser (Chromium): the staff pages a new user expects. An
 * administrator creates a host account from the dashboard's form, and that host signs in with it;
 * a wrong password reads as a wrong password; the host console gives an operator a personal link
 * that takes them into the sitting; the hand queue shows a long company name whole; the count of
 * connected participants is the length of the list it heads; ending the sitting asks first (a
 * modal dialog that takes the focus, cancels on Escape and gives the focus back).
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/staff-pages.test.ts
 * Screenshots go to /tmp/h5-shots/ (SEDUTA_E2E_SHOTS overrides).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_HOST, startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchChromium, type TestBrowser, type TestPage } from './harness/browsers';
import { fill, signInAsHost } from './harness/sign-in';
import { seen, waitFor } from './harness/testids';

const SHOTS = process.env.SEDUTA_E2E_SHOTS ?? '/tmp/h5-shots';
const ADMIN = {
  email: 'amministratore@comune.example.it',
  password: 'e2e admin password 2026',
  name: 'Amministratore',
};
const NEW_HOST = {
  name: 'Giulia Bianchi',
  email: 'giulia.bianchi@comune.example.it',
  password: 'una password iniziale lunga',
};
const OPERATOR = 'Mario Rossi';
/** Long, as company names are: with the name before it, close to the 80 characters a name may have. */
const COMPANY = 'Consorzio Stabile Imprese Riunite Costruzioni Edili S.c.a r.l.';

/** Reads something through every open shadow root: fn gets a finder by data-testid. */
async function inPage<R, A>(page: TestPage, fn: string, arg: A): Promise<R> {
  return page.evaluate(
    ({ body, value }: { body: string; value: A }) => {
      const all = (id: string): HTMLElement[] => {
        const out: HTMLElement[] = [];
        const walk = (root: Document | ShadowRoot): void => {
          out.push(...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));
          for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return out;
      };
      const deepActive = (): Element | null => {
        let active = document.activeElement;
        while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
        return active;
      };
      return new Function('all', 'deepActive', 'value', body)(all, deepActive, value) as R;
    },
    { body: fn, value: arg },
  );
}

describe('issue 13 item 7: the staff pages a new user expects', () => {
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let admin: TestPage;
  let newcomer: TestPage;
  let host: TestPage;
  let operator: TestPage;
  let operatorUrl = '';

  beforeAll(async () => {
    await fs.mkdir(SHOTS, { recursive: true });
    server = await startE2eApp({
      env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ADMIN_NAME: ADMIN.name },
    });
    created = await server.createSitting({ title: 'Apertura buste – Lavori di manutenzione stradale' });
    // Separate browsers: separate cookies (the operator's browser must not hold a staff session).
    browsers.push(...(await Promise.all([0, 1, 2, 3].map(() => launchChromium()))));
    admin = await browsers[0]!.newPage();
    newcomer = await browsers[1]!.newPage();
    host = await browsers[2]!.newPage();
    operator = await browsers[3]!.newPage();
  });

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  });

  it('lets an administrator create a host account from the dashboard, and the host signs in with it', async () => {
    await signInAsHost(admin, server.url, ADMIN);
    await waitFor(admin, (n) => n.testid === 'staff-create');
    await fill(admin, 'staff-create-name', NEW_HOST.name);
    await fill(admin, 'staff-create-email', NEW_HOST.email);
    await fill(admin, 'staff-create-password', NEW_HOST.password);
    await admin.click('[data-testid="staff-create-submit"]');
    const row = await waitFor(admin, (n) => n.testid === 'staff-row' && n.data.email === NEW_HOST.email);
    expect(row.text).toMatch(/Presidente di seduta|Host/);
    expect((await waitFor(admin, (n) => n.testid === 'staff-notice')).text).toContain(NEW_HOST.name);
    await admin.screenshot(path.join(SHOTS, 'after-dashboard-admin.png'));

    await signInAsHost(newcomer, server.url, NEW_HOST);
    expect((await waitFor(newcomer, (n) => n.testid === 'signed-in-as')).text).toContain(NEW_HOST.name);
  });

  it('says on an empty page what to do, in Italian', async () => {
    await newcomer.click('[data-testid="lang-it"]');
    const empty = await waitFor(newcomer, (n) => n.testid === 'dashboard-empty');
    expect(empty.text).toMatch(/Nessuna seduta per ora: creane una/);
    await newcomer.screenshot(path.join(SHOTS, 'after-dashboard-host-empty.png'));
    await admin.click('[data-testid="lang-it"]');
    for (const [page, testid] of [
      ['/admin/webhooks', 'webhooks-empty'],
      [`/host/${created.sitting.id}/recordings`, 'recordings-empty'],
      ['/admin/audit', 'audit-table'],
    ] as const) {
      await admin.goto(`${server.url}${page}`);
      const shown = await waitFor(admin, (n) => n.testid === testid);
      // Nothing filtered: the log says why it is empty, not "no match for these filters".
      if (testid === 'webhooks-empty') expect(shown.text).toMatch(/Nessuna notifica inviata finora/);
      await admin.screenshot(path.join(SHOTS, `after-${page.split('/').at(-1)}.png`));
    }
  });

  it('tells a wrong password as a wrong password, not as a bad link', async () => {
    // A browser nobody is signed in to yet (the host signs in there later).
    const page = await browsers[2]!.newPage();
    await page.goto(`${server.url}/host`);
    await page.locate('[data-testid="login-email"]').waitFor({ timeout: 15_000 });
    await fill(page, 'login-email', E2E_HOST.email);
    await fill(page, 'login-password', 'not the password');
    await page.click('[data-testid="login-submit"]');
    const error = await waitFor(page, (n) => n.testid === 'error');
    expect(error.text).toMatch(/E-mail o password non corretti|Wrong e-mail address or password/);
    expect(error.text).not.toMatch(/link/i);
    await page.screenshot(path.join(SHOTS, 'after-wrong-password.png'));
    await page.close();
  });

  it('gives the host an operator’s link that takes the operator into the sitting', async () => {
    await signInAsHost(host, server.url, E2E_HOST);
    await host.goto(created.hostUrl);
    await waitFor(host, (n) => n.testid === 'start' && !n.disabled);
    await host.click('[data-testid="start"]');
    await waitFor(host, (n) => n.testid === 'mic-toggle', 20_000);

    await fill(host, 'operator-link-name', OPERATOR);
    await fill(host, 'operator-link-company', COMPANY);
    await host.click('[data-testid="operator-link-create"]');
    await waitFor(host, (n) => n.testid === 'operator-link');
    operatorUrl = await inPage<string, null>(host, 'return all("operator-link")[0].value;', null);
    expect(operatorUrl).toMatch(new RegExp(`/s/${created.sitting.id}\\?token=`));

    await operator.goto(operatorUrl);
    await waitFor(operator, (n) => n.testid === 'join' && !n.disabled, 20_000);
    await operator.click('[data-testid="join"]');
    await waitFor(operator, (n) => n.testid === 'hand-toggle' && !n.disabled, 20_000);
    expect((await seen(operator)).some((n) => n.testid === 'entry-refused')).toBe(false);
  });

  it('shows the long company name whole in the hand queue, where the host decides who speaks', async () => {
    await operator.click('[data-testid="hand-toggle"]');
    const entry = await waitFor(host, (n) => n.testid === 'queue-name', 10_000);
    expect(entry.text).toBe(`${OPERATOR} – ${COMPANY}`);
    const box = await inPage<{ scroll: number; client: number; height: number }, null>(
      host,
      `const el = all("queue-name")[0];
       return { scroll: el.scrollWidth, client: el.clientWidth, height: el.getBoundingClientRect().height };`,
      null,
    );
    // Not clipped: nothing overflows sideways; the name wraps onto more lines instead.
    expect(box.scroll).toBeLessThanOrEqual(box.client);
    expect(box.height).toBeGreaterThan(20);
    await inPage<null, null>(host, 'all("hand-queue")[0].scrollIntoView(); return null;', null);
    await host.screenshot(path.join(SHOTS, 'after-hand-queue.png'));
  });

  it('counts in "Partecipanti collegati" the people of the list it heads', async () => {
    const counted = await inPage<{ count: number; listed: number }, null>(
      host,
      `return {
         count: Number(all("participant-count")[0].textContent.trim()),
         listed: all("participants")[0].querySelectorAll(":scope > li").length,
       };`,
      null,
    );
    // The host and the operator.
    expect(counted).toEqual({ count: 2, listed: 2 });
  });

  it('asks before ending the sitting: focus in the dialog, Escape cancels and gives the focus back', async () => {
    const dialogState = () =>
      inPage<{ open: boolean; focused: string | null }, null>(
        host,
        `return { open: all("end-dialog")[0].open, focused: deepActive()?.getAttribute("data-testid") ?? null };`,
        null,
      );
    await host.click('[data-testid="end"]');
    let open = await dialogState();
    for (let i = 0; i < 50 && !open.open; i++) {
      await delay(100);
      open = await dialogState();
    }
    expect(open).toEqual({ open: true, focused: 'confirm-cancel' });
    await host.screenshot(path.join(SHOTS, 'after-end-confirm.png'));
    await host.keyboard.press('Escape');
    expect(await dialogState()).toEqual({ open: false, focused: 'end' });
    // Still live: the toolbar is there and nothing says the sitting ended.
    const still = await seen(host);
    expect(still.some((n) => n.testid === 'mic-toggle')).toBe(true);
    expect(still.some((n) => n.testid === 'ended-message')).toBe(false);

    await host.click('[data-testid="end"]');
    await host.click('[data-testid="end-confirm"]');
    await waitFor(host, (n) => n.testid === 'ended-message', 10_000);
    await waitFor(operator, (n) => n.testid === 'ended-message', 10_000);
    await host.screenshot(path.join(SHOTS, 'after-host-console-ended.png'));
  });
});
