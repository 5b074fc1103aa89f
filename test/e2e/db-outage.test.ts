/**
 * Issue 11, the database line, in real browsers: PostgreSQL cut off for 30 s under a live public
 * sitting (a Chromium host, a Chromium operator, a Firefox operator), through a TCP proxy the test
 * controls, once silently (a cut cable: packets go nowhere) and once refusing (the server down).
 * Meanwhile the media keeps flowing and no page ends; the health check says degraded; an operator
 * whose own link is also cut gets back in by itself, without a click, before the database returns
 * (who may be in the live sitting is known in memory, ADR 0037);
 * every chat line sent meanwhile is either refused on the sender's page and stored nowhere, or
 * shown and stored once, in order — never both; the audit chain verifies afterwards.
 *
 * The PostgreSQL is the test's own, inside the test network namespace (CI's runs outside it):
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/db-outage.test.ts
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../server/src/audit/audit-log';
import type { Database } from '../../server/src/db/schema';
import { startTcpProxy, type ProxyMode, type TcpProxy } from '../support/tcp-proxy';
import { startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchBrowsers, type TestBrowser, type TestPage } from './harness/browsers';
import { hostStartsSitting, operatorJoins, sendChat } from './harness/flows';
import { cutLink, type LinkCut } from './harness/link-cut';
import { freeTcpPort } from './harness/ports';
import { startTestPostgres, type TestPostgres } from './harness/postgres';
import { seen, waitFor } from './harness/testids';
import { cameraFlowing, chatTexts, clientState, waitChat, waitGone } from './harness/watch';

const RESULTS_DIR = path.resolve('.test-results');
/** How long the database is out of reach, each time (the acceptance's 30 s). */
const OUTAGE_MS = 30_000;
/** The operator's own link is cut this long, from this far into the outage. */
const LINK_CUT_AT_MS = 4_000;
const LINK_CUT_MS = 5_000;
/** Once the database is back, the cut-off operator must decode the host again within this. */
const BACK_AFTER_DB_MS = 15_000;
const OPERATOR_A = 'Ditta Alfa S.r.l.';
const OPERATOR_B = 'Beta Costruzioni S.p.A.';

describe('issue 11: PostgreSQL out of reach for 30 s under a live sitting, in real browsers', () => {
  let postgres: TestPostgres;
  let proxy: TcpProxy;
  let direct: Kysely<Database>;
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let operatorBrowser: TestBrowser;
  let host: TestPage;
  let operatorA: TestPage;
  let operatorB: TestPage;
  let cut: LinkCut | undefined;
  /** Every chat line the test typed, with what the sender's page said of it. */
  const sent: { text: string; page: TestPage; refused: boolean }[] = [];

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    postgres = await startTestPostgres(await freeTcpPort('127.0.0.1'));
    proxy = await startTcpProxy(postgres.port);
    const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    // An idle connection ended by the cluster's shutdown at the end is no failure of the test.
    pool.on('error', () => undefined);
    direct = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    server = await startE2eApp({ env: { DATABASE_URL: proxy.via(postgres.url) } });
    created = await server.createSitting({ title: 'Seduta pubblica – apertura delle offerte, lotto 2' });
    await launchBrowsers(['chromium', 'chromium', 'firefox'], browsers);
    operatorBrowser = browsers[1]!;
    host = await browsers[0]!.newPage();
    operatorA = await operatorBrowser.newPage();
    operatorB = await browsers[2]!.newPage();
  });

  afterAll(async () => {
    cut?.restore();
    await proxy?.setMode('forward');
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
    await direct?.destroy();
    await proxy?.close();
    await postgres?.stop();
  });

  it('starts the sitting on PostgreSQL, and two operators watch the host', async () => {
    await hostStartsSitting(host, server, created);
    await operatorJoins(operatorA, server, created.sitting.id, OPERATOR_A);
    await operatorJoins(operatorB, server, created.sitting.id, OPERATOR_B);
    await Promise.all([operatorA, operatorB].map((page) => cameraFlowing(page, 20_000)));
    await chat(host, 'Buongiorno, la seduta è aperta.');
    await waitChat(operatorB, (texts) => texts.includes('Buongiorno, la seduta è aperta.'));
  });

  for (const mode of ['blackhole', 'refuse'] as const satisfies readonly ProxyMode[]) {
    it(`keeps the sitting through a 30 s outage (${mode}): media flows, health degraded, a cut-off page back without a click, chat refused or stored`, async () => {
      const startedAt = Date.now();
      await proxy.setMode(mode);
      const lines = [`Durante il guasto (${mode}), dall'ente`, `Durante il guasto (${mode}), da Beta`];
      // Both sends run while the test goes on: a query to a cut-off database takes up to its timeout.
      const sends = [chat(host, lines[0]!), chat(operatorB, lines[1]!)];

      // The operator's own link is cut too, for a while, in the middle of the outage.
      await delay(LINK_CUT_AT_MS - (Date.now() - startedAt));
      cut = await cutLink(operatorBrowser, server);
      await waitFor(operatorA, (n) => n.testid === 'reconnecting', LINK_CUT_MS);
      await delay(LINK_CUT_MS);
      cut.restore();
      cut = undefined;
      // Back before the database: the participant's admission and the live sitting are in memory
      // (ADR 0037), so the cut-off page needs nothing the outage took away.
      await waitGone(operatorA, 'reconnecting', OUTAGE_MS - LINK_CUT_AT_MS - LINK_CUT_MS - 3_000);
      await cameraFlowing(operatorA, 5_000);
      const backDuringOutage = Date.now() - startedAt;
      expect(backDuringOutage).toBeLessThan(OUTAGE_MS);
      await operatorA.screenshot(path.join(RESULTS_DIR, `db-outage-${mode}-operator-back.png`));

      // Meanwhile: the health check says degraded, media keeps flowing, and no page ends.
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'degraded' });
      for (const page of [host, operatorB]) {
        expect((await seen(page)).some((n) => n.testid === 'ended-message')).toBe(false);
      }
      while (Date.now() - startedAt < OUTAGE_MS - 3_000) {
        await cameraFlowing(operatorB, 5_000);
        await delay(1_000);
      }
      await Promise.all(sends);
      await delay(OUTAGE_MS - (Date.now() - startedAt));

      await proxy.setMode('forward');
      const backAt = Date.now();
      const decodes = await cameraFlowing(operatorA, BACK_AFTER_DB_MS + 5_000).catch(
        async (error: unknown) => {
          throw new Error(`${String(error)}\nclient: ${JSON.stringify(await clientState(operatorA))}`);
        },
      );
      console.log(
        `[db-outage] ${mode}: the cut-off operator was back ${backDuringOutage} ms into the outage ` +
          `(its link restored at ${LINK_CUT_AT_MS + LINK_CUT_MS} ms) and decodes the host ${decodes - backAt} ms after the database returned; ` +
          `lines ${JSON.stringify(sent.filter((s) => lines.includes(s.text)).map((s) => [s.text, s.refused ? 'refused' : 'sent']))}`,
      );
      expect(decodes - backAt).toBeLessThanOrEqual(BACK_AFTER_DB_MS);
      await waitGone(operatorA, 'reconnecting', 10_000);
      await expect
        .poll(async () => (await fetch(`${server.url}/api/health`)).status, { timeout: 10_000 })
        .toBe(200);
      // A line sent now goes through to everyone.
      const after = `Dopo il guasto (${mode})`;
      await chat(operatorB, after);
      for (const page of [host, operatorA, operatorB]) await waitChat(page, (texts) => texts.includes(after));
      await checkChat();
    });
  }

  it('verifies the audit chain afterwards', async () => {
    const report = await verifyAuditChain(direct);
    console.log(`[db-outage] audit chain: ${JSON.stringify(report)}`);
    expect(report).toMatchObject({ ok: true });
    expect(report.entries).toBeGreaterThan(0);
  });

  /** Sends a chat line from `page` and notes whether the page refused it (its error shown, the draft kept). */
  async function chat(page: TestPage, text: string): Promise<void> {
    await sendChat(page, text);
    const outcome = await waitFor(
      page,
      (n) => (n.testid === 'chat-text' && n.text === text) || n.testid === 'chat-error',
      15_000,
    );
    sent.push({ text, page, refused: outcome.testid === 'chat-error' });
    if (outcome.testid === 'chat-error') {
      expect(outcome.text).toMatch(/non è stato inviato|nothing was sent/i);
    }
  }

  /**
   * What the database holds is what the pages show: every line shown as sent is stored once and
   * seen once on every page, in the order sent; every refused line is stored nowhere and shown nowhere.
   */
  async function checkChat(): Promise<void> {
    const stored = (
      await direct
        .selectFrom('chat_messages')
        .select(['text'])
        .where('sitting_id', '=', created.sitting.id)
        .where('deleted_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
    ).map((r) => r.text);
    const accepted = sent.filter((s) => !s.refused).map((s) => s.text);
    const refused = sent.filter((s) => s.refused).map((s) => s.text);
    expect(stored).toEqual(accepted);
    for (const page of [host, operatorA, operatorB]) {
      const shown = await chatTexts(page);
      expect(
        shown.filter((t) => accepted.includes(t)),
        page.browserName,
      ).toEqual(accepted);
      expect(
        shown.filter((t) => refused.includes(t)),
        page.browserName,
      ).toEqual([]);
    }
  }
});
