/**
 * Issue 12 acceptance, HTTPS: the public sitting over HTTPS with a test certificate, served by the
 * server itself (TLS_CERT_FILE, TLS_KEY_FILE) on the namespace's address, not on localhost. A
 * Chromium host publishes its camera from that secure origin; a Chromium and a Firefox operator
 * decode it. Chromium trusts the certificate's key by flag, Firefox accepts it over WebDriver.
 *
 * Runs inside the test network namespace (scripts/netns.mjs sets SEDUTA_E2E_MEDIA_IP=10.99.0.1):
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/https.test.ts
 * On plain loopback (no root) there is no address that is not localhost: the file is skipped.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../support/certificates';
import { startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchChromium, launchFirefox, type TestBrowser, type TestPage } from './harness/browsers';
import type { InboundStream } from './harness/cast';
import { hostStartsSitting, operatorJoins } from './harness/flows';

const RESULTS_DIR = path.resolve('.test-results');
const ADDRESS = process.env.SEDUTA_E2E_MEDIA_IP ?? '127.0.0.1';
const LOOPBACK = ADDRESS.startsWith('127.') || ADDRESS === '::1';
const SAMPLE_WINDOW_MS = 2_000;

/** What a page says about where it was loaded from. */
interface Origin {
  protocol: string;
  hostname: string;
  secure: boolean;
}

const originOf = (page: TestPage) =>
  page.evaluate((): Origin => ({
    protocol: location.protocol,
    hostname: location.hostname,
    secure: window.isSecureContext,
  }));

/** Video frames decoded so far from the host's camera (the web client's inbound streams). */
const cameraFrames = (page: TestPage) =>
  page.evaluate(async () => {
    const w = window as unknown as { __sedutaInbound?: () => Promise<InboundStream[]> };
    const streams = (await w.__sedutaInbound?.()) ?? [];
    return streams
      .filter((s) => s.kind === 'video' && s.source === 'camera')
      .reduce((n, s) => n + s.framesDecoded, 0);
  });

describe.skipIf(LOOPBACK)(
  'issue 12: the public sitting over HTTPS, from an origin that is not localhost',
  () => {
    let certs: TestCertificates;
    let server: E2eApp;
    let created: CreatedSitting;
    const browsers: TestBrowser[] = [];
    let host: TestPage;
    let operators: TestPage[];

    beforeAll(async () => {
      await fs.mkdir(RESULTS_DIR, { recursive: true });
      certs = await makeTestCertificates([ADDRESS]);
      server = await startE2eApp({
        mediaIp: ADDRESS,
        https: { address: ADDRESS, certFile: certs.certFile, keyFile: certs.keyFile, ca: certs.ca },
      });
      created = await server.createSitting({ title: 'Seduta pubblica su HTTPS' });
      const trust = { spki: certs.spki };
      browsers.push(
        ...(await Promise.all([
          launchChromium({ trust }),
          launchChromium({ trust }),
          launchFirefox({ trust }),
        ])),
      );
      host = await browsers[0]!.newPage();
      operators = [await browsers[1]!.newPage(), await browsers[2]!.newPage()];
    });

    afterAll(async () => {
      await Promise.allSettled(browsers.map((b) => b.close()));
      await server?.close();
      await certs?.remove();
    });

    it('lets the host publish the camera from an https origin and a Chromium and a Firefox operator decode it', async () => {
      expect(server.url).toBe(`https://${ADDRESS}:${server.port}`);
      await hostStartsSitting(host, server, created);
      await Promise.all(
        operators.map((page, i) => operatorJoins(page, server, created.sitting.id, `Operatore ${i + 1}`)),
      );

      for (const page of [host, ...operators]) {
        const origin = await originOf(page);
        expect(origin, page.browserName).toEqual({ protocol: 'https:', hostname: ADDRESS, secure: true });
        expect(['localhost', '127.0.0.1', '[::1]']).not.toContain(origin.hostname);
      }

      for (const page of operators) {
        await page.waitForFunction(
          async () => {
            const w = window as unknown as { __sedutaInbound?: () => Promise<InboundStream[]> };
            const streams = (await w.__sedutaInbound?.()) ?? [];
            return streams.some((s) => s.kind === 'video' && s.source === 'camera' && s.framesDecoded > 0);
          },
          undefined,
          { timeout: 20_000 },
        );
      }
      const before = await Promise.all(operators.map(cameraFrames));
      await delay(SAMPLE_WINDOW_MS);
      const after = await Promise.all(operators.map(cameraFrames));
      for (const [i, page] of operators.entries()) {
        console.log(
          `[https] ${page.browserName} operator: host camera frames ${before[i]}→${after[i]} in ${SAMPLE_WINDOW_MS} ms`,
        );
        expect(after[i], `${page.browserName}: host camera frames decoded`).toBeGreaterThan(before[i]!);
      }
      await operators[1]!.screenshot(path.join(RESULTS_DIR, 'https-operator-firefox.png'));
      await host.screenshot(path.join(RESULTS_DIR, 'https-host.png'));
    });
  },
);
