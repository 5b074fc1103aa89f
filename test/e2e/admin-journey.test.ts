/**
 * Issue 13 acceptance, the office's journey in a real browser (Chromium): a host asks for a
 * sitting through "Nuova prenotazione" (the form's own checks first); the administrator signs in,
 * finds the request in "Prenotazioni" (aperta, with the unread notice), accepts it after the
 * confirmation, and sees the sitting scheduled with its link, meeting code and password; runs it
 * from the console (live with the fake camera, recorded, ended); the booking becomes "evasa" by
 * itself once the recording is ready, the delivery message in its thread, which is then closed;
 * the administrator downloads the recording and the register (PDF) by clicking their links, and
 * finds both downloads in the audit log, filtered by the sitting.
 *
 * The notice period is 0 working days here (BOOKING_MIN_WORKING_DAYS=0) so the booked sitting
 * starts in a few minutes and its room (open to the host 30 minutes before) can be run now.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/admin-journey.test.ts
 * Screenshots go to .test-results/ (and to $SEDUTA_E2E_SHOTS when set).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRomeInput } from '../../client/src/bookings-api';
import { E2E_HOST, startE2eApp, type E2eApp } from './harness/app';
import { expectNoSeriousViolations } from './harness/axe';
import { launchChromium, type TestBrowser, type TestPage } from './harness/browsers';
import { fill, signInAsHost } from './harness/sign-in';
import { seen, waitFor } from './harness/testids';

const RESULTS_DIR = path.resolve(process.env.SEDUTA_E2E_SHOTS ?? '.test-results');
const ADMIN = {
  email: 'amministratore@comune.example.it',
  password: 'e2e admin password 2026',
  name: 'Amministratore',
};
const SUBJECT = 'Conferenza di servizi – Variante al piano regolatore';
const PARTICIPANTS = ['ufficio.tecnico@comune.example.it', 'Arpa Veneto <protocollo@arpa.example.it>'];
/** How long the sitting is recorded. */
const RECORD_MS = 4_000;
/** Stop, then the finalize (FFmpeg) of a few seconds, on 2 shared cores. */
const READY_WITHIN_MS = 60_000;

/** The value of the input with this data-testid (shadow roots pierced). */
function inputValue(page: TestPage, testid: string): Promise<string | null> {
  return page.evaluate((id: string) => {
    const find = (root: Document | ShadowRoot): HTMLInputElement | null => {
      const hit = root.querySelector<HTMLInputElement>(`[data-testid="${id}"]`);
      if (hit) return hit;
      for (const el of root.querySelectorAll('*')) {
        const inner = el.shadowRoot ? find(el.shadowRoot) : null;
        if (inner) return inner;
      }
      return null;
    };
    return find(document)?.value ?? null;
  }, testid);
}

/** Clicks a link and returns the file the browser downloaded (name and bytes). */
async function download(page: TestPage, selector: string): Promise<{ name: string; bytes: Buffer }> {
  const pw = page.playwrightPage;
  if (!pw) throw new Error('downloads are read through Playwright (Chromium)');
  const [file] = await Promise.all([pw.waitForEvent('download', { timeout: 30_000 }), page.click(selector)]);
  const saved = path.join(RESULTS_DIR, `admin-journey-${file.suggestedFilename()}`);
  await file.saveAs(saved);
  return { name: file.suggestedFilename(), bytes: await fs.readFile(saved) };
}

describe('issue 13: the office accepts a booking, runs the sitting, and files its recording and register', () => {
  let server: E2eApp;
  const browsers: TestBrowser[] = [];
  let host: TestPage;
  let admin: TestPage;
  let bookingId = '';
  let sittingId = '';
  /** A PNG of the whole page (below the fold too), for a person to look at. */
  const shot = async (page: TestPage, name: string): Promise<void> => {
    const file = path.join(RESULTS_DIR, `admin-journey-${name}.png`);
    if (page.playwrightPage) await page.playwrightPage.screenshot({ path: file, fullPage: true });
    else await page.screenshot(file);
  };

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    server = await startE2eApp({
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ADMIN_NAME: ADMIN.name,
        BOOKING_MIN_WORKING_DAYS: '0',
      },
    });
    // One browser each: the host's and the admin's sessions are separate cookies.
    browsers.push(...(await Promise.all([launchChromium(), launchChromium()])));
    host = await browsers[0]!.newPage();
    admin = await browsers[1]!.newPage();
    // The pages in Italian, as the officials use them (the browser itself says English).
    for (const page of [host, admin]) {
      await page.goto(server.url);
      await page.evaluate(() => localStorage.setItem('seduta.locale', 'it'));
    }
  });

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  });

  it('lets a host ask for a sitting through “Nuova prenotazione”, the form’s checks first', async () => {
    await signInAsHost(host, server.url, E2E_HOST);
    await host.click('[data-testid="open-bookings"]');
    await waitFor(host, (n) => n.testid === 'new-booking');
    await host.click('[data-testid="new-booking"]');
    await waitFor(host, (n) => n.testid === 'booking-form');
    expect(await inputValue(host, 'booking-contactEmail')).toBe(E2E_HOST.email);

    // Sent empty: each missing field says so beside itself, and the first one has the focus.
    await host.click('[data-testid="booking-submit"]');
    const missing = await waitFor(host, (n) => n.testid === 'booking-error-startsAt');
    expect(missing.text).toMatch(/Campo obbligatorio|Required field/);
    expect((await seen(host)).some((n) => n.testid === 'booking-error-subject')).toBe(true);
    const focused = await host.evaluate(() => {
      let el: Element | null = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return {
        id: el?.id,
        describedBy: el?.getAttribute('aria-describedby'),
        invalid: el?.getAttribute('aria-invalid'),
      };
    });
    expect(focused).toEqual({ id: 'booking-startsAt', describedBy: 'startsAt-error', invalid: 'true' });
    await expectNoSeriousViolations(host, 'the booking form with its errors');

    // Ten minutes from now, in Italian time (what the field means, whatever the browser's zone).
    const startsAt = toRomeInput(new Date(Date.now() + 10 * 60_000));
    await fill(host, 'booking-startsAt', startsAt);
    await fill(host, 'booking-durationMinutes', '90');
    await fill(host, 'booking-subject', SUBJECT);
    await fill(host, 'booking-participants', PARTICIPANTS.join(',\n'));
    await shot(host, '1-request-form');
    await host.click('[data-testid="booking-submit"]');
    const state = await waitFor(host, (n) => n.testid === 'booking-state', 15_000);
    expect(state.data.state).toBe('open');
    bookingId = decodeURIComponent((await host.evaluate(() => location.pathname)).replace('/bookings/', ''));
    expect(bookingId).not.toBe('');
    const data = (await seen(host)).find((n) => n.testid === 'booking-data');
    expect(data?.text).toContain('ufficio.tecnico@comune.example.it, protocollo@arpa.example.it');
    expect(data?.text).toMatch(/90 minuti|90 minutes/);
  });

  it('shows the request to the admin in “Prenotazioni”, open, and accepts it after the confirmation', async () => {
    await signInAsHost(admin, server.url, ADMIN);
    await admin.click('[data-testid="open-bookings"]');
    const row = await waitFor(admin, (n) => n.testid === 'booking-row' && n.data.bookingId === bookingId);
    expect(row.data.state).toBe('open');
    expect(row.text).toContain(SUBJECT);
    expect(row.text).toContain(E2E_HOST.email);
    await shot(admin, '2-office-list');

    await admin.click(`[data-booking-id="${bookingId}"] [data-testid="open-booking"]`);
    await waitFor(admin, (n) => n.testid === 'booking-accept');
    await admin.click('[data-testid="booking-accept"]');
    // Nothing is sent until the second, explicit press.
    await waitFor(admin, (n) => n.testid === 'booking-accept-confirm');
    expect((await seen(admin)).find((n) => n.testid === 'booking-state')?.data.state).toBe('open');
    await admin.click('[data-testid="booking-accept-confirm"]');
    const notice = await waitFor(admin, (n) => n.testid === 'booking-notice' && n.text !== '', 20_000);
    expect(notice.text).toMatch(/accettata|accepted/);
    expect((await seen(admin)).find((n) => n.testid === 'booking-state')?.data.state).toBe('in_processing');
  });

  it('shows the sitting scheduled, with its join link, meeting code and password', async () => {
    await waitFor(admin, (n) => n.testid === 'booking-sitting');
    const join = await inputValue(admin, 'booking-sitting-join');
    const code = await inputValue(admin, 'booking-sitting-code');
    const password = await inputValue(admin, 'booking-sitting-password');
    sittingId = join?.match(/\/s\/([^/?#]+)/)?.[1] ?? '';
    expect(join).toBe(`${server.url}/s/${sittingId}`);
    // Nine digits, in groups of three as people read them out ("728 057 440").
    expect(code).toMatch(/^\d{3} \d{3} \d{3}$/);
    expect(password?.length).toBeGreaterThanOrEqual(6);
    expect(await inputValue(admin, 'booking-sitting-host')).toBe(`${server.url}/host/${sittingId}`);
    const thread = (await seen(admin)).filter((n) => n.testid === 'thread-message');
    expect(thread.some((m) => m.data.kind === 'system')).toBe(true);
    await shot(admin, '3-accepted');
    await expectNoSeriousViolations(admin, 'an accepted booking, for the office');

    // A participant's own browser (no staff session): the meeting code, typed on the landing page
    // as it reads in the e-mail, leads to the sitting's page.
    const participantBrowser = await launchChromium();
    browsers.push(participantBrowser);
    const participant = await participantBrowser.newPage();
    await participant.goto(server.url);
    await participant.evaluate(() => localStorage.setItem('seduta.locale', 'it'));
    await participant.goto(server.url);
    await fill(participant, 'meeting-code', code!);
    await participant.click('[data-testid="meeting-code-submit"]');
    await participant.waitForFunction((id: string) => location.pathname === `/s/${id}`, sittingId, {
      timeout: 15_000,
    });
    // Without a personal link, the page asks who they are and the e-mailed password: a wrong one
    // is named as such; the right one gets past it, to "not open yet" (the start is 10 minutes away).
    await waitFor(participant, (n) => n.testid === 'participant-name');
    await fill(participant, 'participant-name', 'Anna Bianchi');
    await fill(participant, 'participant-company', 'Studio Bianchi');
    await fill(participant, 'sitting-password', 'sbagliata');
    await participant.click('[data-testid="sitting-password-submit"]');
    expect((await waitFor(participant, (n) => n.testid === 'sitting-password-wrong')).text).toMatch(
      /Password errata/,
    );
    await fill(participant, 'sitting-password', password!);
    await participant.click('[data-testid="sitting-password-submit"]');
    expect((await waitFor(participant, (n) => n.testid === 'entry-refused')).text).toMatch(
      /non è ancora aperta/,
    );
    await shot(participant, '3a-code-and-password');

    // With the platform's link, the page asks for the sitting's password: a wrong one is named
    // as such; the right one gets past it, to "not open yet" (the booked start is 10 minutes away).
    await participant.goto(await server.joinUrl(sittingId, 'Ufficio tecnico', 'ufficio-tecnico'));
    await waitFor(participant, (n) => n.testid === 'password-form');
    await fill(participant, 'sitting-password', 'sbagliata');
    await participant.click('[data-testid="sitting-password-submit"]');
    const wrong = await waitFor(participant, (n) => n.testid === 'sitting-password-wrong');
    expect(wrong.text).toMatch(/Password errata/);
    await shot(participant, '3b-wrong-password');
    await fill(participant, 'sitting-password', password!);
    await participant.click('[data-testid="sitting-password-submit"]');
    const early = await waitFor(participant, (n) => n.testid === 'entry-refused');
    expect(early.text).toMatch(/non è ancora aperta/);
    await shot(participant, '3c-not-open-yet');
    await participant.close();

    // On the dashboard, the sitting is there, scheduled.
    await admin.goto(`${server.url}/host`);
    const sitting = await waitFor(admin, (n) => n.testid === 'sitting' && n.data.sittingId === sittingId);
    expect(sitting.text).toContain(SUBJECT);
    // Its status pill (in its own shadow root) says "scheduled".
    const status = await admin.evaluate((id: string) => {
      const find = (root: Document | ShadowRoot): Element | null => {
        const hit = root.querySelector(`[data-sitting-id="${id}"] seduta-status-badge`);
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot) : null;
          if (inner) return inner;
        }
        return null;
      };
      const badge = find(document);
      return {
        status: (badge as { status?: string } | null)?.status,
        text: badge?.shadowRoot?.textContent?.trim(),
      };
    }, sittingId);
    expect(status.status).toBe('scheduled');
    expect(status.text).toMatch(/Programmata|In programma|Scheduled/i);
  });

  it('runs the sitting: live with the camera, recorded, ended', async () => {
    await admin.goto(`${server.url}/bookings/${encodeURIComponent(bookingId)}`);
    await waitFor(admin, (n) => n.testid === 'booking-open-console');
    await admin.click('[data-testid="booking-open-console"]');
    await waitFor(admin, (n) => n.testid === 'start' && !n.disabled, 20_000);
    await admin.click('[data-testid="start"]');
    await waitFor(admin, (n) => n.testid === 'preview-camera', 20_000);
    await waitFor(admin, (n) => n.testid === 'recording-start' && !n.disabled, 20_000);
    await admin.click('[data-testid="recording-start"]');
    await waitFor(admin, (n) => n.testid === 'recording-state' && /in corso|^Recording/.test(n.text), 20_000);
    await delay(RECORD_MS);
    await shot(admin, '4-live-recording');
    await admin.click('[data-testid="recording-stop"]');
    // Stopping asks for confirmation.
    await admin.click('[data-testid="recording-stop-confirm"]');
    await waitFor(admin, (n) => n.testid === 'recording-state' && !/in corso|^Recording/.test(n.text));
    await admin.click('[data-testid="end"]');
    await waitFor(admin, (n) => n.testid === 'end-confirm');
    await admin.click('[data-testid="end-confirm"]');
    await waitFor(admin, (n) => n.testid === 'ended-message', 20_000);
  });

  it('fulfils the booking by itself once the recording is ready: the delivery in the thread, now closed', async () => {
    await admin.goto(`${server.url}/bookings/${encodeURIComponent(bookingId)}`);
    const deadline = Date.now() + READY_WITHIN_MS;
    let state = '';
    while (Date.now() < deadline) {
      state = (await waitFor(admin, (n) => n.testid === 'booking-state')).data.state ?? '';
      if (state === 'fulfilled') break;
      await delay(1_000);
      await admin.goto(`${server.url}/bookings/${encodeURIComponent(bookingId)}`);
    }
    expect(state).toBe('fulfilled');
    const shown = await seen(admin);
    const system = shown.filter((n) => n.testid === 'thread-message' && n.data.kind === 'system');
    const delivery = system.find((m) => /registrazione è pronta|recording is ready/.test(m.text));
    expect(delivery?.text).toMatch(
      /\/api\/bookings\/[0-9a-f-]{36}\/recordings\/[0-9a-f-]{36} \(SHA-256 [0-9a-f]{64}/,
    );
    // The delivered link is a link, to this server.
    expect(shown.filter((n) => n.testid === 'thread-link').map((n) => n.href)).toContainEqual(
      expect.stringMatching(new RegExp(`^/api/bookings/${bookingId}/recordings/[0-9a-f-]{36}$`)),
    );
    expect(shown.some((n) => n.testid === 'thread-closed')).toBe(true);
    expect(shown.some((n) => n.testid === 'thread-compose')).toBe(false);
    await shot(admin, '5-fulfilled');
  });

  let recordingBytes = 0;

  it('downloads the recording and the register from the recordings page', async () => {
    await admin.goto(`${server.url}/host/${sittingId}/recordings`);
    const card = await waitFor(
      admin,
      (n) => n.testid === 'recording' && n.data.state === 'ready',
      READY_WITHIN_MS,
    );
    expect(card.data.recordingId).toMatch(/^[0-9a-f-]{36}$/);
    const mp4 = await download(admin, '[data-testid="recording-download"]');
    recordingBytes = mp4.bytes.length;
    expect(mp4.name).toMatch(/\.mp4$/);
    expect(mp4.bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    await waitFor(admin, (n) => n.testid === 'register-pdf');
    const pdf = await download(admin, '[data-testid="register-pdf"]');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    console.log(
      `[admin-journey] recording ${recordingBytes} bytes (SHA-256 ${createHash('sha256').update(mp4.bytes).digest('hex').slice(0, 16)}…), register PDF ${pdf.bytes.length} bytes`,
    );
    await shot(admin, '6-recordings');
  });

  it('finds both downloads in the audit log, filtered by the sitting', async () => {
    await admin.goto(`${server.url}/host`);
    await admin.click('[data-testid="open-audit"]');
    await waitFor(admin, (n) => n.testid === 'audit-row');
    await fill(admin, 'filter-sitting', sittingId);
    await admin.click('[data-testid="filter-apply"]');
    await admin.waitForFunction(
      () => {
        const texts: string[] = [];
        const walk = (root: Document | ShadowRoot): void => {
          for (const el of root.querySelectorAll('[data-testid="audit-row"]'))
            texts.push(el.textContent ?? '');
          for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return (
          texts.some((t) => t.includes('recording.download')) &&
          texts.some((t) => t.includes('register.download'))
        );
      },
      undefined,
      { timeout: 15_000 },
    );
    const rows = (await seen(admin)).filter((n) => n.testid === 'audit-row');
    const actor = `staff:${ADMIN.email}`;
    expect(rows.find((r) => r.text.includes('recording.download'))?.text).toContain(actor);
    expect(rows.find((r) => r.text.includes('register.download'))?.text).toContain(actor);
    expect(rows.some((r) => r.text.includes('booking.accepted'))).toBe(true);
    expect(rows.some((r) => r.text.includes('booking.fulfilled'))).toBe(true);
    await shot(admin, '7-audit');
  });
});
