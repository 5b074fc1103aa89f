/**
 * Issue 13, item 6 (WCAG 2.1 AA, as AgID asks of Italian public administrations): axe-core runs on
 * every page of the web client, in the states people meet them, and finds no serious or critical
 * violation. Chromium for every page (through @axe-core/playwright); Firefox too for the pages the
 * public sees (the operator's entry and the live view), with axe-core injected.
 *
 * The pages: landing, staff sign-in, first-run setup (waiting for the first administrator, then
 * done), the refusals of a bad operator link, a bad invitation and a console without a session;
 * the operator's page before the sitting starts, live with the host broadcasting, and with the
 * floor offered (the consent dialog); the host's dashboard and the live console with a raised hand
 * in the queue, chat lines and the recording on; the commissioner's page; the admin's dashboard
 * with the staff accounts, the audit log, the webhook deliveries and the sitting's recordings; the
 * booking pages (the request form, the lists of the requester and of the office, a booking with
 * its thread on both sides, a refused confirmation link).
 *
 * The live regions are checked on the way: a chat line from someone else lands in the Firefox
 * operator's chat log (role log); their polite region reads out the recording started and
 * stopped; the Chromium operator's reads out the floor given; the assertive one, on both, the end
 * of the sitting.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/accessibility.test.ts
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../server/src/auth/staff-users';
import { E2E_HOST, startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { axeViolations, expectNoSeriousViolations } from './harness/axe';
import { launchChromium, launchFirefox, type TestBrowser, type TestPage } from './harness/browsers';
import { operatorJoins, sendChat } from './harness/flows';
import { fill, signInAsHost } from './harness/sign-in';
import { waitFor } from './harness/testids';

const RESULTS_DIR = path.resolve('.test-results');
const ADMIN = {
  email: 'segreteria@comune.example.it',
  password: 'e2e admin password 2026',
  name: 'Segreteria',
};

describe('issue 13: axe-core finds no serious or critical violation on any page', () => {
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let staff: TestPage;
  let operator: TestPage;
  let firefox: TestPage;

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    server = await startE2eApp();
    created = await server.createSitting({ title: 'Seduta pubblica – apertura buste, lotto 4' });
    const launched = await Promise.all([launchChromium(), launchChromium(), launchFirefox()]);
    browsers.push(...launched);
    staff = await launched[0]!.newPage();
    operator = await launched[1]!.newPage();
    firefox = await launched[2]!.newPage();
  });

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  });

  it('the check itself sees a violation planted inside a shadow root, in both engines', async () => {
    for (const page of [staff, firefox]) {
      await page.goto(server.url);
      await page.locate('seduta-landing-page main').waitFor();
      // A button with no name, inside the page component's shadow root.
      await page.evaluate(() => {
        const host = document.querySelector('seduta-landing-page');
        const button = document.createElement('button');
        button.id = 'planted';
        host?.shadowRoot?.querySelector('main')?.append(button);
      });
      const found = await axeViolations(page);
      expect(
        found.map((v) => v.rule),
        page.browserName,
      ).toContain('button-name');
      expect(found.find((v) => v.rule === 'button-name')?.targets.join(' ')).toContain('#planted');
    }
  });

  it('the landing page, the staff sign-in, the first-run setup and the refusals', async () => {
    await staff.goto(server.url);
    await staff.locate('seduta-landing-page main').waitFor();
    await expectNoSeriousViolations(staff, 'the landing page');

    await staff.goto(`${server.url}/host`);
    await waitFor(staff, (n) => n.testid === 'login-email');
    await expectNoSeriousViolations(staff, 'the staff sign-in');

    // No administrator yet: the setup page shows its form.
    await staff.goto(`${server.url}/setup#not-the-printed-token`);
    await waitFor(staff, (n) => n.testid === 'setup-form');
    await expectNoSeriousViolations(staff, 'the first-run setup form');

    await staff.goto(`${server.url}/s/${created.sitting.id}?token=not-a-token`);
    await waitFor(staff, (n) => n.testid === 'entry-refused');
    await expectNoSeriousViolations(staff, 'a refused operator link');

    await staff.goto(`${server.url}/i/not-an-invitation`);
    await waitFor(staff, (n) => n.testid === 'invite-refused');
    await expectNoSeriousViolations(staff, 'a refused invitation');

    await staff.goto(created.hostUrl);
    await waitFor(staff, (n) => n.testid === 'sign-in-needed');
    await expectNoSeriousViolations(staff, 'the host console without a session');
  });

  it("the operator's page before the sitting starts, in Chromium and Firefox", async () => {
    for (const page of [operator, firefox]) {
      await page.goto(
        await server.joinUrl(created.sitting.id, 'Ditta Alfa S.r.l.', `op-${page.browserName}`),
      );
      await waitFor(page, (n) => n.testid === 'waiting-message');
      await expectNoSeriousViolations(page, "the operator's page (sitting not started)");
    }
  });

  it('the host dashboard, the live console with a raised hand, chat and recording; the live operator view', async () => {
    await signInAsHost(staff, server.url, E2E_HOST);
    await expectNoSeriousViolations(staff, "the host's dashboard");
    await staff.goto(created.hostUrl);
    await waitFor(staff, (n) => n.testid === 'start' && !n.disabled);
    await expectNoSeriousViolations(staff, 'the host console before the start');
    await staff.click('[data-testid="start"]');
    await waitFor(staff, (n) => n.testid === 'preview-camera', 20_000);
    await expectNoSeriousViolations(staff, 'the live host console');

    await operatorJoins(operator, server, created.sitting.id, 'Ditta Alfa S.r.l.');
    await operatorJoins(firefox, server, created.sitting.id, 'Beta Costruzioni S.p.A.');
    await waitFor(operator, (n) => n.testid === 'video-camera', 20_000);
    await waitFor(firefox, (n) => n.testid === 'video-camera', 20_000);
    for (const page of [operator, firefox]) {
      await expectNoSeriousViolations(page, 'the live operator view');
    }

    // Someone whose system asks for less motion (WCAG 2.3.3) sees nothing move, inside the
    // components' shadow roots too (the live badge's pulsing dot is there).
    const moving = () => operator.evaluate(runningAnimations);
    expect(await moving()).toContain('seduta-status-badge');
    await operator.playwrightPage!.emulateMedia({ reducedMotion: 'reduce' });
    expect(await moving()).toEqual([]);
    await operator.playwrightPage!.emulateMedia({ reducedMotion: null });

    // A chat line from the Chromium operator lands in the Firefox operator's chat log, a live region.
    const before = await liveText(firefox, 'chat-messages');
    await sendChat(operator, 'Buongiorno, chiedo la parola sul lotto 4.');
    const chat = await waitFor(
      firefox,
      (n) => n.testid === 'chat-messages' && n.text.includes('Buongiorno, chiedo la parola sul lotto 4.'),
    );
    expect(chat.text).not.toBe(before);
    expect(chat.text).toMatch(/Ditta Alfa S\.r\.l\./);
    expect(await roleOf(firefox, 'chat-messages')).toBe('log');

    await operator.click('[data-testid="hand-toggle"]');
    await waitFor(staff, (n) => n.testid === 'queue-entry');
    await waitFor(staff, (n) => n.testid === 'recording-start' && !n.disabled, 20_000);
    await staff.click('[data-testid="recording-start"]');
    await waitFor(staff, (n) => n.testid === 'recording-state' && /in corso|^Recording/.test(n.text), 20_000);
    await waitFor(
      firefox,
      (n) =>
        n.testid === 'live-polite' &&
        /registrazione della seduta è iniziata|now being recorded/i.test(n.text),
    );
    await waitFor(staff, (n) => n.testid === 'chat-message');
    await expectNoSeriousViolations(staff, 'the live host console (hand raised, chat, recording)');
    await staff.screenshot(path.join(RESULTS_DIR, 'accessibility-host-console.png'));

    // The floor given: read out, and the consent dialog passes axe too.
    await staff.click('[data-testid="queue-approve"]');
    await waitFor(operator, (n) => n.testid === 'consent-allow');
    await waitFor(
      operator,
      (n) => n.testid === 'live-polite' && /ti ha dato la parola|gave you the floor/i.test(n.text),
    );
    await expectNoSeriousViolations(operator, 'the operator view with the consent dialog open');
    await operator.click('[data-testid="consent-decline"]');

    // The recording stopped: read out too.
    await staff.click('[data-testid="recording-stop"]');
    await staff.click('[data-testid="recording-stop-confirm"]');
    await waitFor(
      firefox,
      (n) =>
        n.testid === 'live-polite' &&
        /registrazione della seduta è terminata|recording of the sitting has stopped/i.test(n.text),
    );
  });

  it("the commissioner's page", async () => {
    const reserved = await server.createSitting({
      title: 'Commissione giudicatrice – lotto 4',
      kind: 'reserved',
    });
    // A second tab of the host's browser: the console stays open in the first.
    const dashboard = await browsers[0]!.newPage();
    await dashboard.goto(`${server.url}/host`);
    const form = `[data-sitting-id="${reserved.sitting.id}"]`;
    await dashboard.locate(`${form} [data-testid="invite-name"]`).waitFor();
    await fillWithin(dashboard, reserved.sitting.id, 'invite-name', 'Anna Verdi');
    await fillWithin(dashboard, reserved.sitting.id, 'invite-email', 'anna.verdi@comune.example.it');
    await dashboard.click(`${form} [data-testid="invite-submit"]`);
    const link = await waitFor(dashboard, (n) => n.testid === 'invite-link');
    const url = await dashboard.evaluate(() => {
      const find = (root: Document | ShadowRoot): string | null => {
        const hit = root.querySelector<HTMLInputElement>('[data-testid="invite-link"]');
        if (hit) return hit.value;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot) : null;
          if (inner) return inner;
        }
        return null;
      };
      return find(document);
    });
    expect(url, `invitation link (${link.text})`).toMatch(/\/i\//);
    await expectNoSeriousViolations(dashboard, "the host's dashboard with an invitation");
    const commissioner = await browsers[1]!.newPage();
    await commissioner.goto(url!);
    await waitFor(commissioner, (n) => n.testid === 'own-name' && n.text === 'Anna Verdi');
    await expectNoSeriousViolations(commissioner, "the commissioner's page");
    await commissioner.close();
    await dashboard.close();
  });

  it("the end of the sitting is read out at once (assertive), and the operators' page then passes", async () => {
    await waitFor(staff, (n) => n.testid === 'end' && !n.disabled);
    await staff.click('[data-testid="end"]');
    await waitFor(staff, (n) => n.testid === 'end-confirm' && !n.disabled);
    await expectNoSeriousViolations(staff, "the host console's end dialog");
    await staff.click('[data-testid="end-confirm"]');
    for (const page of [operator, firefox]) {
      await waitFor(
        page,
        (n) => n.testid === 'live-assertive' && /seduta è terminata|sitting has ended/i.test(n.text),
      );
      await waitFor(page, (n) => n.testid === 'ended-message');
      await expectNoSeriousViolations(page, "the operator's page after the end");
    }
  });

  it("the admin's pages: dashboard with staff accounts, audit log, webhook deliveries, recordings; setup done", async () => {
    await createStaffUser(server.db, { ...ADMIN, role: 'admin' });
    const admin = await browsers[1]!.newPage();
    await signInAsHost(admin, server.url, ADMIN);
    await waitFor(admin, (n) => n.testid === 'staff-table');
    await expectNoSeriousViolations(admin, "the admin's dashboard (staff accounts)");

    await admin.goto(`${server.url}/admin/audit`);
    await waitFor(admin, (n) => n.testid === 'audit-count');
    await expectNoSeriousViolations(admin, 'the audit log');

    await admin.goto(`${server.url}/admin/webhooks`);
    await waitFor(admin, (n) => n.testid === 'webhooks-filters');
    await expectNoSeriousViolations(admin, 'the webhook deliveries');

    await admin.goto(`${server.url}/host/${created.sitting.id}/recordings`);
    await waitFor(admin, (n) => n.testid === 'recording', 20_000);
    await expectNoSeriousViolations(admin, "the sitting's recordings");

    await admin.goto(`${server.url}/setup#not-the-printed-token`);
    await waitFor(admin, (n) => n.testid === 'setup-done');
    await expectNoSeriousViolations(admin, 'the setup page once an administrator exists');
    await admin.close();
  });

  it('the booking pages: the form, the list, a booking with its thread (host and admin), a refused confirmation link', async () => {
    const requester = await browsers[0]!.newPage();
    await requester.goto(`${server.url}/bookings/new`);
    await waitFor(requester, (n) => n.testid === 'booking-form');
    await expectNoSeriousViolations(requester, 'the booking form');

    // A request two weeks ahead (clear of the notice period), and a line in its thread.
    const bookingId = await requester.evaluate(
      async (startsAt: string) => {
        const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken: string };
        const headers = { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken };
        const created = await fetch('/api/bookings', {
          method: 'POST',
          headers,
          body: JSON.stringify({
            startsAt,
            durationMinutes: 90,
            subject: 'Seduta pubblica di gara – lavori di manutenzione stradale',
            contactName: 'Presidente',
            contactEmail: 'presidente@comune.example.it',
            participants: ['ditta.alfa@example.it'],
            recording: true,
            visibility: 'public',
          }),
        });
        if (created.status !== 201)
          throw new Error(`POST /api/bookings: ${created.status} ${await created.text()}`);
        const { booking } = (await created.json()) as { booking: { id: string } };
        const posted = await fetch(`/api/bookings/${booking.id}/messages`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ text: 'Servirà anche la condivisione dello schermo per le planimetrie.' }),
        });
        if (posted.status !== 201) throw new Error(`POST messages: ${posted.status} ${await posted.text()}`);
        return booking.id;
      },
      new Date(Date.now() + 14 * 86_400_000).toISOString(),
    );

    await requester.goto(`${server.url}/bookings`);
    await waitFor(requester, (n) => n.testid === 'booking-row');
    await expectNoSeriousViolations(requester, "the host's bookings");
    await requester.goto(`${server.url}/bookings/${bookingId}`);
    await waitFor(requester, (n) => n.testid === 'booking-thread' && n.text.includes('planimetrie'));
    await expectNoSeriousViolations(requester, 'a booking and its thread (requester)');
    await requester.close();

    const admin = await browsers[1]!.newPage();
    await admin.goto(`${server.url}/bookings`);
    await waitFor(admin, (n) => n.testid === 'booking-row');
    await expectNoSeriousViolations(admin, "the office's bookings");
    await admin.goto(`${server.url}/bookings/${bookingId}`);
    await waitFor(admin, (n) => n.testid === 'booking-accept');
    await expectNoSeriousViolations(admin, 'a booking and its thread (office)');

    await admin.goto(`${server.url}/bookings/confirm?token=not-a-token`);
    await waitFor(admin, (n) => n.testid === 'booking-confirm-error');
    await expectNoSeriousViolations(admin, 'a refused booking confirmation link');
    await admin.close();
  });
});

/** The text of the first element with `data-testid=testid` ('' if none). */
async function liveText(page: TestPage, testid: string): Promise<string> {
  const found = await waitFor(page, (n) => n.testid === testid);
  return found.text;
}

/** The role attribute of the first element with `data-testid=testid`, through shadow roots. */
function roleOf(page: TestPage, testid: string): Promise<string | null> {
  return page.evaluate((id: string) => {
    const find = (root: Document | ShadowRoot): Element | null => {
      const hit = root.querySelector(`[data-testid="${id}"]`);
      if (hit) return hit;
      for (const el of root.querySelectorAll('*')) {
        const inner = el.shadowRoot ? find(el.shadowRoot) : null;
        if (inner) return inner;
      }
      return null;
    };
    return find(document)?.getAttribute('role') ?? null;
  }, testid);
}

/** Fills an input of one sitting's card on the dashboard (`[data-sitting-id]` then `data-testid`). */
async function fillWithin(page: TestPage, sittingId: string, testid: string, value: string): Promise<void> {
  const ok = await page.evaluate(
    ({ id, field, text }: { id: string; field: string; text: string }) => {
      const find = (root: Document | ShadowRoot): HTMLInputElement | null => {
        const hit = root.querySelector<HTMLInputElement>(
          `[data-sitting-id="${id}"] [data-testid="${field}"]`,
        );
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot) : null;
          if (inner) return inner;
        }
        return null;
      };
      const input = find(document);
      if (!input) return false;
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      return true;
    },
    { id: sittingId, field: testid, text: value },
  );
  if (!ok) await fill(page, testid, value);
}

/**
 * In the page: the component (shadow host's tag) of every running animation, looked for on every
 * element, shadow roots included (`document.getAnimations()` leaves them out in some engines).
 */
function runningAnimations(): string[] {
  const found: string[] = [];
  const walk = (root: Document | ShadowRoot, host: string) => {
    for (const el of root.querySelectorAll('*')) {
      for (const a of el.getAnimations()) if (a.playState === 'running') found.push(host);
      if (el.shadowRoot) walk(el.shadowRoot, el.tagName.toLowerCase());
    }
  };
  walk(document, 'document');
  return found;
}
