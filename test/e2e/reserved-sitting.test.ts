/**
 * Issue 4 acceptance, in real browsers: a reserved sitting. The host signs in, invites two
 * commissioners from the dashboard; both invitation e-mails are captured by a local SMTP server
 * (127.0.0.1); each commissioner opens the link from their e-mail in their own Chromium, joins
 * with camera and microphone, and sees and hears the other commissioner and the host, while the
 * host receives both commissioners. An operator's join token for that sitting is refused.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs npx vitest run --project e2e test/e2e/reserved-sitting.test.ts
 * Screenshots go to .test-results/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinTokens } from '../../server/src/auth/join-tokens';
import { deriveKey } from '../../server/src/auth/secrets';
import { startSmtpCapture, type SmtpCapture } from '../integration/access-support';
import { E2E_HOST, startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchChromium, type TestBrowser, type TestPage } from './harness/browsers';
import { fill, signInAsHost } from './harness/sign-in';
import { getInboundStats, type InboundTrackStats } from './harness/stats';
import { seen, waitFor } from './harness/testids';

const RESULTS_DIR = path.resolve('.test-results');
const SAMPLE_WINDOW_MS = 2_500;
const E2E_SECRET = 'e2e-join-token-secret-0123456789abcdef';
const COMMISSIONERS = [
  { name: 'Ing. Anna Verdi', email: 'anna.verdi@example.it' },
  { name: 'Arch. Luca Neri', email: 'luca.neri@example.it' },
] as const;

describe('issue 4: a reserved sitting, host and two invited commissioners in Chromium', () => {
  let smtp: SmtpCapture;
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let host: TestPage;
  let commissioners: TestPage[] = [];
  let links: string[] = [];

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    smtp = await startSmtpCapture();
    server = await startE2eApp({
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'Seduta <sedute@comune.example.it>' },
    });
    created = await server.createSitting({
      title: 'Commissione giudicatrice – valutazione offerte tecniche',
      kind: 'reserved',
    });
    const launched = await Promise.all([launchChromium(), launchChromium(), launchChromium()]);
    browsers.push(...launched);
    host = await launched[0]!.newPage();
    commissioners = [await launched[1]!.newPage(), await launched[2]!.newPage()];
  });

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
    await smtp?.close();
  });

  it('lets the host invite two commissioners from the dashboard: each link is shown and e-mailed', async () => {
    await signInAsHost(host, server.url, E2E_HOST);
    for (const c of COMMISSIONERS) {
      await fill(host, 'invite-name', c.name);
      await fill(host, 'invite-email', c.email);
      await host.click('[data-testid="invite-submit"]');
      await waitFor(host, (n) => n.testid === 'invite-notice' && n.text.includes(c.email));
    }
    // The notice shows as soon as the invitation is made; the list of invitations follows it.
    const inviteLinks = () =>
      host.evaluate(() => {
        const found: string[] = [];
        const walk = (root: Document | ShadowRoot): void => {
          for (const el of root.querySelectorAll<HTMLInputElement>('[data-testid="invite-link"]'))
            found.push(el.value);
          for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return found;
      });
    let shownLinks = await inviteLinks();
    for (const until = Date.now() + 10_000; shownLinks.length < 2 && Date.now() < until;) {
      await delay(100);
      shownLinks = await inviteLinks();
    }
    expect(shownLinks).toHaveLength(2);

    const deadline = Date.now() + 15_000;
    while (smtp.messages.length < 2 && Date.now() < deadline) await delay(100);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(COMMISSIONERS.map((c) => c.email).sort());
    links = COMMISSIONERS.map((c) => {
      const mail = smtp.messages.find((m) => m.to[0] === c.email)!;
      const link = /http:\/\/127\.0\.0\.1:\d+\/i\/[\w-]{43}/.exec(mail.text)?.[0];
      expect(link, `link in the e-mail to ${c.email}`).toBeDefined();
      return link!;
    });
    expect([...links].sort()).toEqual([...shownLinks].sort());
    await host.screenshot(path.join(RESULTS_DIR, 'reserved-sitting-dashboard.png'));
  });

  it('admits each commissioner through their link, under the invited name, until the host starts', async () => {
    await Promise.all(
      commissioners.map(async (page, i) => {
        await page.goto(links[i]!);
        await waitFor(page, (n) => n.testid === 'own-name' && n.text === COMMISSIONERS[i]!.name);
        await waitFor(page, (n) => n.testid === 'join' && n.disabled);
      }),
    );
    // The invitation link has been swapped for the sitting's page.
    for (const page of commissioners) {
      expect(await page.evaluate(() => location.pathname)).toBe(`/s/${created.sitting.id}`);
    }
  });

  it('lets both commissioners and the host see and hear each other', async () => {
    await host.goto(created.hostUrl);
    await waitFor(host, (n) => n.testid === 'start' && !n.disabled);
    await host.click('[data-testid="start"]');
    await waitFor(host, (n) => n.testid === 'mic-toggle', 20_000);

    for (const page of commissioners) await waitFor(page, (n) => n.testid === 'join' && !n.disabled, 10_000);
    await Promise.all(commissioners.map((page) => page.click('[data-testid="join"]')));
    await Promise.all(commissioners.map((page) => waitFor(page, (n) => n.testid === 'mic-toggle', 20_000)));

    // Everyone receives two cameras and two microphones: the other two people in the sitting.
    const pages = [host, ...commissioners];
    const labels = ['host', 'commissioner 1', 'commissioner 2'];
    const deadline = Date.now() + 20_000;
    let first: Awaited<ReturnType<typeof receiving>>[] = [];
    for (;;) {
      first = await Promise.all(pages.map((p) => receiving(p)));
      if (first.every((r) => r.video.length >= 2 && r.audio.length >= 2) || Date.now() > deadline) break;
      await delay(250);
    }
    await delay(SAMPLE_WINDOW_MS);
    const second = await Promise.all(pages.map((p) => receiving(p)));
    for (const [i, after] of second.entries()) {
      const before = first[i]!;
      expect(after.video.length, `${labels[i]}: videos`).toBe(2);
      expect(after.audio.length, `${labels[i]}: audio tracks`).toBe(2);
      for (const stream of after.video) {
        const earlier = before.video.find((v) => v.ssrc === stream.ssrc);
        expect(stream.framesDecoded, `${labels[i]}: video ${stream.ssrc} decodes`).toBeGreaterThan(
          earlier?.framesDecoded ?? 0,
        );
      }
      for (const stream of after.audio) {
        const earlier = before.audio.find((a) => a.ssrc === stream.ssrc);
        expect(stream.packetsReceived, `${labels[i]}: audio ${stream.ssrc} flows`).toBeGreaterThan(
          earlier?.packetsReceived ?? 0,
        );
      }
      console.log(
        `[reserved-sitting] ${labels[i]}: video frames ` +
          after.video
            .map(
              (v) => `${before.video.find((b) => b.ssrc === v.ssrc)?.framesDecoded ?? 0}→${v.framesDecoded}`,
            )
            .join(', ') +
          `; audio packets ` +
          after.audio
            .map(
              (a) =>
                `${before.audio.find((b) => b.ssrc === a.ssrc)?.packetsReceived ?? 0}→${a.packetsReceived}`,
            )
            .join(', '),
      );
    }
    await host.screenshot(path.join(RESULTS_DIR, 'reserved-sitting-host.png'));
    await commissioners[0]!.screenshot(path.join(RESULTS_DIR, 'reserved-sitting-commissioner.png'));
  });

  it('shows a commissioner who comes back while the host records the recording notice first; accepting it joins', async () => {
    await host.click('[data-testid="recording-start"]');
    const state = await waitFor(
      host,
      (n) => n.testid === 'recording-state' && /in corso|^Recording/.test(n.text),
    );
    expect(state.text).toMatch(/Registrazione in corso|Recording/);

    const back = commissioners[1]!;
    await back.click('[data-testid="leave"]');
    // The notice replaces the join button: nobody enters a recorded sitting without being told.
    await waitFor(back, (n) => n.testid === 'recording-notice-accept' && !n.disabled, 10_000);
    expect((await seen(back)).some((n) => n.testid === 'join')).toBe(false);
    await back.screenshot(path.join(RESULTS_DIR, 'reserved-sitting-recording-notice.png'));
    await back.click('[data-testid="recording-notice-accept"]');
    // The server refuses a join without the acknowledgement, so being back on the stage proves it was sent.
    await waitFor(back, (n) => n.testid === 'mic-toggle', 20_000);

    await host.click('[data-testid="recording-stop"]');
    // Stopping asks for confirmation.
    await host.click('[data-testid="recording-stop-confirm"]');
    await waitFor(host, (n) => n.testid === 'recording-state' && !/in corso|^Recording/.test(n.text));
  });

  it("refuses an operator's join token for the reserved sitting", async () => {
    const mint = await fetch(`${server.url}/api/platform/sittings/${created.sitting.id}/join-tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer e2e-api-key-0123456789abcdef' },
      body: JSON.stringify({ subject: 'op-1', name: 'Operatore' }),
    });
    expect(mint.status).toBe(409);
    // Even a token made with the shared secret, opened in a browser, is turned away.
    const { token } = await new JoinTokens(deriveKey(E2E_SECRET, 'join-token')).mint({
      sittingId: created.sitting.id,
      subject: 'op-1',
      name: 'Operatore',
    });
    const operator = await browsers[0]!.newPage();
    await operator.goto(`${server.url}/s/${created.sitting.id}?token=${token}`);
    const refused = await waitFor(operator, (n) => n.testid === 'entry-refused');
    expect(refused.text).toMatch(/non trovata|not found/i);
    await operator.screenshot(path.join(RESULTS_DIR, 'reserved-sitting-operator-refused.png'));
    await operator.close();
  });
});

/** Inbound video and audio streams of a page (browser statistics). */
async function receiving(
  page: TestPage,
): Promise<{ video: InboundTrackStats[]; audio: InboundTrackStats[] }> {
  const stats = await getInboundStats(page);
  return { video: stats.filter((s) => s.kind === 'video'), audio: stats.filter((s) => s.kind === 'audio') };
}
