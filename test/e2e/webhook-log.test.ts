/**
 * Issue 13 item 5, in a real browser: the administrators' webhook delivery log. Two events go to
 * the procurement platform's endpoint (a receiver on 127.0.0.1 in the test): one while it answers
 * 503 — retried until the (test-shortened) 24 h window is over, then failed — and one it accepts.
 * An administrator follows "Notifiche alla piattaforma" from the dashboard, sees both with their
 * state, attempts and last answer, and filters the failed ones.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/webhook-log.test.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSecret } from '../../server/src/webhooks/signature';
import { listDeliveries, upsertEndpoint, webhookDb } from '../../server/src/webhooks/store';
import { startE2eApp, type E2eApp } from './harness/app';
import { launchChromium, type TestBrowser, type TestPage } from './harness/browsers';
import { signInAsHost } from './harness/sign-in';
import { seen, waitFor } from './harness/testids';

const ADMIN = {
  email: 'amministratore@comune.example.it',
  password: 'e2e admin password 2026',
  name: 'Amministratore',
};

describe('issue 13: an administrator reads the webhook delivery log', () => {
  let server: E2eApp;
  let browser: TestBrowser;
  let page: TestPage;
  let receiver: http.Server;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/ok' ? 200 : 503).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    server = await startE2eApp({
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ADMIN_NAME: ADMIN.name,
        WEBHOOK_RETRY_FIRST_MS: '50',
        WEBHOOK_RETRY_WINDOW_SECONDS: '2',
      },
    });
    // The platform's endpoint (as PUT /api/platform/webhook stores it), first refusing, then accepting.
    const db = webhookDb(server.db);
    const endpoint = {
      apiKeyId: 'key_e2e',
      events: ['sitting.scheduled' as const],
      secret: generateSecret(),
    };
    await upsertEndpoint(db, { ...endpoint, url: `${base}/down` });
    // Written behind the server's back: it reads its copy of the endpoints again, as after the route.
    await server.app.webhooks.endpoints.changed();
    await server.createSitting({ title: 'Seduta non notificata' });
    await vi.waitFor(
      async () =>
        expect((await listDeliveries(db, { status: 'failed', limit: 10, offset: 0 })).total).toBe(1),
      { timeout: 20_000, interval: 100 },
    );
    await upsertEndpoint(db, { ...endpoint, url: `${base}/ok` });
    await server.app.webhooks.endpoints.changed();
    await server.createSitting({ title: 'Seduta notificata' });
    await vi.waitFor(
      async () =>
        expect((await listDeliveries(db, { status: 'delivered', limit: 10, offset: 0 })).total).toBe(1),
      { timeout: 20_000, interval: 100 },
    );
    browser = await launchChromium();
    page = await browser.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const rows = async () => (await seen(page)).filter((n) => n.testid === 'webhook-row');

  it('shows every delivery with its state and last answer, and filters the failed ones', async () => {
    await signInAsHost(page, server.url, ADMIN);
    const link = await waitFor(page, (n) => n.testid === 'open-webhooks');
    expect(link.href).toBe('/admin/webhooks');
    await page.click('[data-testid="open-webhooks"]');
    await waitFor(page, (n) => n.testid === 'webhook-row');
    expect(await page.evaluate(() => location.pathname)).toBe('/admin/webhooks');

    const all = await rows();
    expect(all.map((r) => r.data.status)).toEqual(['delivered', 'failed']);
    expect(all[0]!.text).toContain('sitting.scheduled');
    expect(all[0]!.text).toMatch(/Consegnato|Delivered/);
    expect(all[0]!.text).toContain('HTTP 200');
    expect(all[1]!.text).toMatch(/Non consegnato|Not delivered/);
    expect(all[1]!.text).toContain('HTTP 503');
    expect((await waitFor(page, (n) => n.testid === 'webhooks-count')).text).toMatch(
      /2 notifiche mostrate su 2|2 of 2 notifications shown/,
    );

    const chosen = await page.evaluate(() => {
      const find = (root: Document | ShadowRoot): HTMLSelectElement | undefined => {
        const hit = root.querySelector<HTMLSelectElement>('[data-testid="filter-status"]');
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot) : undefined;
          if (inner) return inner;
        }
        return undefined;
      };
      const select = find(document);
      if (!select) return false;
      select.value = 'failed';
      return true;
    });
    expect(chosen).toBe(true);
    await page.click('[data-testid="filter-apply"]');
    await vi.waitFor(async () => expect((await rows()).map((r) => r.data.status)).toEqual(['failed']), {
      timeout: 15_000,
      interval: 100,
    });
  });
});
