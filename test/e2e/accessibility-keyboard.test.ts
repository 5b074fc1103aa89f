/**
 * Issue 13, item 6: an operator's whole journey with the keyboard alone, in Chromium — open the
 * platform's link, skip to the main content, Tab to "join" and press Enter, raise the hand with the
 * space bar, answer the floor's consent dialog with Escape (the focus goes in, Escape closes it,
 * the focus comes back), type a chat line and send it with Enter, Tab to "leave" and press Enter.
 * Only keyboard.press/type act on the operator's page (no clicks); at each step the focused element
 * is asserted (through shadow roots), and so is its visible focus ring (WCAG 2.4.7: a solid outline
 * at least 2 px wide). The host is driven normally, except at the end: the host's "end the sitting"
 * confirmation, reached with Tab, takes the focus on "Cancel", Escape closes it, the focus returns. Screenshots of the focus states go to
 * .test-results/accessibility-focus-*.png.
 *
 * Runs inside the test network namespace:
 *   node scripts/netns.mjs -- npx vitest run --project e2e test/e2e/accessibility-keyboard.test.ts
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eApp, type CreatedSitting, type E2eApp } from './harness/app';
import { launchChromium, type TestBrowser, type TestPage } from './harness/browsers';
import { hostStartsSitting } from './harness/flows';
import { waitFor } from './harness/testids';

const RESULTS_DIR = path.resolve('.test-results');
/** More Tab presses than any page has stops before the one sought: a trap or a missing stop fails. */
const MAX_TABS = 40;
const LINE = 'Chiedo la parola sul punto 3 dell’ordine del giorno.';

/** The focused element, found through shadow roots, as a keyboard user meets it. */
interface Focused {
  testid: string | null;
  tag: string;
  /** Its accessible text: aria-label, else its text content (whitespace collapsed). */
  label: string;
  outlineStyle: string;
  outlineWidth: number;
  /** The element's box on the page, for the screenshot's record. */
  visible: boolean;
}

describe('issue 13: an operator joins, raises the hand, chats and leaves with the keyboard alone', () => {
  let server: E2eApp;
  let created: CreatedSitting;
  const browsers: TestBrowser[] = [];
  let host: TestPage;
  let operator: TestPage;

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    server = await startE2eApp();
    created = await server.createSitting({ title: 'Consiglio comunale – seduta ordinaria' });
    browsers.push(...(await Promise.all([launchChromium(), launchChromium()])));
    host = await browsers[0]!.newPage();
    operator = await browsers[1]!.newPage();
    await hostStartsSitting(host, server, created);
  });

  afterAll(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server?.close();
  });

  it('the skip link comes first and moves the focus to the main content', async () => {
    await operator.goto(await server.joinUrl(created.sitting.id, 'Ditta Alfa S.r.l.'));
    await waitFor(operator, (n) => n.testid === 'join' && !n.disabled, 20_000);
    await operator.keyboard.press('Tab');
    const skip = await focused(operator);
    expect(skip).toMatchObject({ testid: 'skip-link', visible: true });
    expectRing(skip);
    await operator.screenshot(path.join(RESULTS_DIR, 'accessibility-focus-skip-link.png'));
    await operator.keyboard.press('Enter');
    expect(await focused(operator)).toMatchObject({ tag: 'main' });
  });

  it('Tab reaches "join" without a trap; Enter joins', async () => {
    const path_ = await tabUntil(operator, (f) => f.testid === 'join');
    // Every stop on the way shows where the focus is.
    for (const stop of path_) expectRing(stop);
    await operator.screenshot(path.join(RESULTS_DIR, 'accessibility-focus-join.png'));
    await operator.keyboard.press('Enter');
    await waitFor(operator, (n) => n.testid === 'hand-toggle' && !n.disabled, 20_000);
  });

  it('Tab reaches the hand button; Space raises the hand, and the host sees it', async () => {
    const hand = (await tabUntil(operator, (f) => f.testid === 'hand-toggle')).at(-1)!;
    expectRing(hand);
    await operator.screenshot(path.join(RESULTS_DIR, 'accessibility-focus-hand.png'));
    await operator.keyboard.press('Space');
    await waitFor(operator, (n) => n.testid === 'hand-status' && /mano alzata|hand raised/i.test(n.text));
    expect(await focused(operator)).toMatchObject({ testid: 'hand-toggle' });
    await waitFor(host, (n) => n.testid === 'queue-entry');
  });

  it('the floor offered: the consent dialog takes the focus, Escape closes it and the focus comes back', async () => {
    await host.click('[data-testid="queue-approve"]');
    await waitFor(operator, (n) => n.testid === 'consent-allow');
    // The focus lands on the safe answer, as in every confirmation: consent is a deliberate act.
    await waitFocus(operator, (f) => f.testid === 'consent-decline');
    expectRing(await focused(operator));
    await operator.screenshot(path.join(RESULTS_DIR, 'accessibility-focus-consent.png'));
    // The dialog is modal: Tab goes round its two buttons (and, as every native modal dialog does,
    // through the browser's own controls, where the page sees its body focused), never to the page.
    const round: string[] = [];
    for (let i = 0; i < 6; i++) {
      await operator.keyboard.press('Tab');
      const now = await focused(operator);
      round.push(now.testid ?? now.tag);
    }
    for (const stop of round) expect(['consent-allow', 'consent-decline', 'body']).toContain(stop);
    expect(round).toContain('consent-decline');
    await tabUntil(operator, (f) => f.testid === 'consent-decline');
    await operator.keyboard.press('Escape');
    await waitFor(operator, (n) => n.testid === 'hand-toggle' && !n.disabled);
    const back = await waitFocus(operator, (f) => f.testid === 'hand-toggle');
    expect(back.testid).toBe('hand-toggle');
  });

  it('Tab reaches the chat box; typing and Enter send the line, which reaches the host', async () => {
    await tabUntil(operator, (f) => f.testid === 'chat-input');
    expectRing(await focused(operator));
    await operator.keyboard.type(LINE);
    await operator.screenshot(path.join(RESULTS_DIR, 'accessibility-focus-chat.png'));
    await operator.keyboard.press('Enter');
    await waitFor(host, (n) => n.testid === 'chat-text' && n.text === LINE);
    await waitFor(operator, (n) => n.testid === 'chat-text' && n.text === LINE);
    // The box is emptied and keeps the focus for the next line.
    expect(await focused(operator)).toMatchObject({ testid: 'chat-input' });
    expect(await inputValue(operator)).toBe('');
  });

  it('Tab (backwards too) reaches "leave"; Enter leaves', async () => {
    // The leave button sits before the side column: Shift+Tab goes back to it.
    await tabUntil(operator, (f) => f.testid === 'leave', 'Shift+Tab');
    expectRing(await focused(operator));
    await operator.screenshot(path.join(RESULTS_DIR, 'accessibility-focus-leave.png'));
    await operator.keyboard.press('Enter');
    await waitFor(operator, (n) => n.testid === 'left-message');
    await waitFor(host, (n) => n.testid === 'participants' && !n.text.includes('Ditta Alfa S.r.l.'));
  });

  it("the host's confirmation dialog: the focus goes in on the safe answer, Escape closes it and the focus returns", async () => {
    await host.keyboard.press('Tab');
    const end = (await tabUntil(host, (f) => f.testid === 'end', 'Tab', 80)).at(-1)!;
    expectRing(end);
    await host.keyboard.press('Enter');
    const inside = await waitFocus(host, (f) => f.testid === 'confirm-cancel');
    expectRing(inside);
    await host.screenshot(path.join(RESULTS_DIR, 'accessibility-focus-end-dialog.png'));
    await host.keyboard.press('Escape');
    await waitFocus(host, (f) => f.testid === 'end');
    // Escape was "Cancel": the sitting goes on.
    expect((await server.app.sittings.get(created.sitting.id)).status).toBe('live');
  });
});

/** The focused element, through shadow roots. */
function focused(page: TestPage): Promise<Focused> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return { testid: null, tag: '', label: '', outlineStyle: '', outlineWidth: 0, visible: false };
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
      testid: el.getAttribute('data-testid'),
      tag: el.localName,
      label: (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 80),
      outlineStyle: style.outlineStyle,
      outlineWidth: parseFloat(style.outlineWidth) || 0,
      visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
    };
  });
}

/** The focus is visible: a solid outline at least 2 px wide. */
function expectRing(f: Focused): void {
  expect(f.outlineStyle, `focus ring of ${f.testid ?? f.tag} "${f.label}"`).toBe('solid');
  expect(f.outlineWidth, `focus ring width of ${f.testid ?? f.tag}`).toBeGreaterThanOrEqual(2);
}

/** Presses `key` until the focused element satisfies `ok`; returns every stop on the way. */
async function tabUntil(
  page: TestPage,
  ok: (f: Focused) => boolean,
  key = 'Tab',
  max = MAX_TABS,
): Promise<Focused[]> {
  const stops: Focused[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const now = await focused(page);
    stops.push(now);
    if (ok(now)) return stops;
  }
  throw new Error(
    `${key} ×${max} never reached the element; stops: ` +
      stops.map((s) => s.testid ?? `${s.tag}:${s.label}`).join(' → '),
  );
}

/** Polls the focused element (the dialog's focus moves after it opens). */
async function waitFocus(page: TestPage, ok: (f: Focused) => boolean, timeout = 5_000): Promise<Focused> {
  const deadline = Date.now() + timeout;
  let last = await focused(page);
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`focus never moved as expected; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await focused(page);
  }
  return last;
}

/** The chat box's value. */
function inputValue(page: TestPage): Promise<string> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return (el as HTMLTextAreaElement | null)?.value ?? '';
  });
}
