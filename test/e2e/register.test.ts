/**
 * Issue 13, item 3, in real browsers: the sitting's register. The host (Chromium) starts the
 * sitting and the recording; operator A (Firefox) and operator B (Chromium) join; A raises a hand,
 * the host approves it, A speaks, the host ends the intervention; both write in the chat; the
 * recording is stopped and finalized and the sitting ended. The host then finds "Registro della
 * seduta" on the dashboard and opens both documents, as a person would (the links' own URLs, with
 * the host's session). Acceptance: the register lists the two operators who joined, the hand that
 * was approved with its times, the chat lines and the recording's SHA-256; the PDF opens and its
 * text holds the sitting's title.
 *
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/register.test.ts
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { romeTime } from '../../server/src/register/wording';
import { pdfText } from '../support/pdf-text';
import { startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchBrowsers, type TestBrowser, type TestPage } from './harness/browsers';
import { hostStartsSitting, operatorJoins, sendChat } from './harness/flows';
import { waitFor } from './harness/testids';

const TITLE = 'Apertura delle buste – lotto 4, manutenzione del verde';
const OPERATOR_A = 'Vivai Rossi S.r.l.';
const OPERATOR_B = 'Giardini Neri S.p.A.';
const LINE_A = 'Buongiorno, Vivai Rossi presente.';
const LINE_B = 'Giardini Neri: nessuna osservazione.';
/** How long A keeps the floor. */
const TURN_MS = 3000;

/** What a fetch of one of the page's links gave. */
interface Fetched {
  status: number;
  sha256: string | null;
  contentType: string | null;
  base64: string;
}

describe('issue 13: the sitting register, in real browsers', () => {
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let host: TestPage;
  let operatorA: TestPage;
  let operatorB: TestPage;

  beforeAll(async () => {
    server = await startE2eApp();
    created = await server.createSitting({ title: TITLE });
    await launchBrowsers(['chromium', 'firefox', 'chromium'], browsers);
    host = await browsers[0]!.newPage();
    operatorA = await browsers[1]!.newPage();
    operatorB = await browsers[2]!.newPage();
  });

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  });

  it('runs a recorded sitting: two operators, an approved hand and an intervention, chat, the end', async () => {
    await hostStartsSitting(host, server, created);
    await operatorJoins(operatorA, server, created.sitting.id, OPERATOR_A);
    await operatorJoins(operatorB, server, created.sitting.id, OPERATOR_B);

    await waitFor(host, (n) => n.testid === 'recording-start' && !n.disabled, 20_000);
    await host.click('[data-testid="recording-start"]');
    await waitFor(host, (n) => n.testid === 'recording-state' && /in corso|^Recording/.test(n.text), 20_000);

    await operatorA.click('[data-testid="hand-toggle"]');
    const entry = await waitFor(host, (n) => n.testid === 'queue-entry' && n.data.participant !== undefined);
    const participantId = entry.data.participant!;
    await host.click(
      `seduta-hand-queue li[data-participant="${participantId}"] [data-testid="queue-approve"]`,
    );
    await operatorA.locate('[data-testid="consent-allow"]').waitFor({ timeout: 10_000 });
    await operatorA.click('[data-testid="consent-allow"]');
    await waitFor(operatorA, (n) => n.testid === 'speaker-controls', 15_000);
    await delay(TURN_MS);
    await host.click(
      `seduta-speaker-list li[data-participant="${participantId}"] [data-testid="speaker-revoke"]`,
    );
    await host.click('[data-testid="speaker-revoke-confirm"]');
    await waitFor(operatorA, (n) => n.testid === 'hand-toggle' && !n.disabled, 10_000);

    await sendChat(operatorA, LINE_A);
    await sendChat(operatorB, LINE_B);
    for (const line of [LINE_A, LINE_B])
      await waitFor(host, (n) => n.testid === 'chat-message' && n.text.includes(line), 10_000);

    await host.click('[data-testid="recording-stop"]');
    // Stopping asks for confirmation.
    await host.click('[data-testid="recording-stop-confirm"]');
    const deadline = Date.now() + 120_000;
    let list = await server.app.recorder.list(created.sitting.id);
    while (list[0]?.state !== 'ready' && list[0]?.state !== 'failed' && Date.now() < deadline) {
      await delay(500);
      list = await server.app.recorder.list(created.sitting.id);
    }
    expect(list[0]?.state).toBe('ready');

    await waitFor(host, (n) => n.testid === 'end' && !n.disabled);
    await host.click('[data-testid="end"]');
    await waitFor(host, (n) => n.testid === 'end-confirm' && !n.disabled);
    await host.click('[data-testid="end-confirm"]');
    await waitFor(operatorB, (n) => /seduta è terminata|sitting has ended/i.test(n.text), 10_000);
  });

  it('lists in the register the two operators, the approved hand with its times, the chat and the recording’s SHA-256', async () => {
    await host.goto(`${server.url}/host`);
    const link = await waitFor(
      host,
      (n) => n.testid === 'register-html' && (n.href ?? '').includes(created.sitting.id),
      15_000,
    );
    const got = await fetchFromPage(host, link.href!);
    expect(got.status).toBe(200);
    const body = Buffer.from(got.base64, 'base64');
    expect(got.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    const html = body.toString('utf8');

    expect(html).toContain(TITLE);
    for (const name of [OPERATOR_A, OPERATOR_B]) expect(section(html, 'presenze')).toContain(name);

    const floor = await server.db
      .selectFrom('sitting_floor_events')
      .selectAll()
      .where('sitting_id', '=', created.sitting.id)
      .orderBy('id')
      .execute();
    const raised = floor.find((e) => e.event === 'raised' && e.name === OPERATOR_A);
    const approved = floor.find((e) => e.event === 'approved' && e.name === OPERATOR_A);
    const revoked = floor.find((e) => e.event === 'revoked' && e.name === OPERATOR_A);
    expect(raised && approved && revoked, 'the floor timeline was stored').toBeTruthy();
    expect(section(html, 'mani')).toContain(
      `<td>${OPERATOR_A}</td><td>${romeTime(raised!.at)}</td><td>Accolta</td><td>${romeTime(approved!.at)}</td>`,
    );
    const interventions = section(html, 'interventi');
    expect(interventions).toContain(`<td>${romeTime(approved!.at)}</td><td>${romeTime(revoked!.at)}</td>`);
    expect(revoked!.at.getTime() - approved!.at.getTime()).toBeGreaterThanOrEqual(TURN_MS);

    const chat = section(html, 'chat');
    expect(chat).toContain(LINE_A);
    expect(chat).toContain(LINE_B);

    const recording = await server.db
      .selectFrom('recordings')
      .select(['final_sha256'])
      .where('sitting_id', '=', created.sitting.id)
      .executeTakeFirstOrThrow();
    expect(recording.final_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(section(html, 'registrazioni')).toContain(recording.final_sha256!);

    const logged = await server.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('sitting_id', '=', created.sitting.id)
      .where('action', '=', 'register.download')
      .execute();
    expect(logged.map((l) => l.details)).toContainEqual({
      format: 'html',
      sha256: got.sha256,
      size: body.length,
    });
  });

  it('gives a PDF that opens, with the sitting’s title', async () => {
    const link = await waitFor(
      host,
      (n) => n.testid === 'register-pdf' && (n.href ?? '').includes(created.sitting.id),
    );
    const got = await fetchFromPage(host, link.href!);
    expect(got.status).toBe(200);
    expect(got.contentType).toBe('application/pdf');
    const pdf = Buffer.from(got.base64, 'base64');
    expect(got.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
    const text = pdfText(pdf);
    console.log(`[register] PDF of ${pdf.length} bytes read by pdftotext`);
    expect(text).toContain(TITLE);
    expect(text).toContain(OPERATOR_A);
  });
});

/** The HTML of one `<section id=…>` of the register. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start, `section ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

/** Fetches a link's URL from inside the page (its session cookie goes along), body as base64. */
function fetchFromPage(page: TestPage, href: string): Promise<Fetched> {
  return page.evaluate(async (url: string) => {
    const res = await fetch(url);
    const bytes = new Uint8Array(await res.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return {
      status: res.status,
      sha256: res.headers.get('x-content-sha256'),
      contentType: res.headers.get('content-type'),
      base64: btoa(binary),
    };
  }, href);
}
