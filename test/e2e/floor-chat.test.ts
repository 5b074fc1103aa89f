/**
 * Issue 5 acceptance, in real browsers with fake camera and microphone, through the real server
 * and web client: three operators raise their hands in a known order, the host's console shows
 * them in that order, the host gives the floor to the second one, who accepts the consent dialog;
 * the host and the other operators then decode that speaker's video and receive their audio.
 * Then the chat: a line reaches every page, a late joiner gets the history, markup is shown as
 * text and runs nothing, the sixth line within 10 s shows the rate-limit message, and a line the
 * host deletes disappears from every page.
 *
 * Runs inside the test network namespace (scripts/netns.mjs sets SEDUTA_E2E_MEDIA_IP):
 *   node scripts/netns.mjs npx vitest run --project e2e test/e2e/floor-chat.test.ts
 * Screenshots of the host console and of the operators' pages go to .test-results/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_RATE_COUNT } from '@seduta/server/protocol';
import { E2E_HOST, type CreatedSitting, type E2eApp } from './harness/app';
import type { TestPage } from './harness/browsers';
import { startSittingCast, type InboundStream, type SittingCast } from './harness/cast';
import { sendChat } from './harness/flows';
import { signInAsHost } from './harness/sign-in';

/** The gap between the two statistics samples that must show the speaker's media flowing. */
const SAMPLE_WINDOW_MS = 2_500;
const RESULTS_DIR = path.resolve('.test-results');
const XSS = '<img src=x onerror=alert(1)>';
const NAMES = ['Ditta Alfa S.r.l.', 'Beta Costruzioni S.p.A.', 'Gamma Impianti S.n.c.'] as const;

/** An element found by `data-testid` through every open shadow root, as a person would see it. */
interface Found {
  text: string;
  disabled: boolean;
  /** Its `data-participant` / `data-id` attributes, when it has them. */
  participant: string | null;
  id: string | null;
}

describe('issue 5: raise hand → approve → consent → speak, and the chat, in real browsers', () => {
  let cast: SittingCast;
  let server: E2eApp;
  let created: CreatedSitting;
  let host: TestPage;
  // The speaker (second) is in Chromium; a Firefox operator watches and hears them.
  let operators: TestPage[] = [];
  /** The second operator to raise their hand, whom the host approves. */
  let speakerId = '';

  beforeAll(async () => {
    await fs.mkdir(RESULTS_DIR, { recursive: true });
    cast = await startSittingCast({ title: 'Seduta pubblica – apertura buste, lotto 2' });
    ({ server, created, host, operators } = cast);
  });

  afterAll(() => cast?.close());

  it('shows the host the raised hands in the order they were raised', async () => {
    await signInAsHost(host, server.url, E2E_HOST);
    await host.goto(created.hostUrl);
    await host.click('[data-testid="start"]');
    await waitFound(host, 'mic-toggle', () => true, 20_000);
    await watchDialogs(host);

    for (const [i, page] of operators.entries()) {
      // The link the procurement platform hands out: the join token carries the operator's name.
      await page.goto(await server.joinUrl(created.sitting.id, NAMES[i]!, `op-${i + 1}`));
      await waitFound(page, 'join', (f) => !f.disabled);
      await watchDialogs(page);
      await page.click('[data-testid="join"]');
      await waitFound(page, 'hand-toggle', (f) => !f.disabled, 20_000);
      // What an operator is told about raising their hand: the chat notice is there too.
      expect((await findAll(page, 'chat-notice'))[0]?.text).toMatch(/visibili a tutti|visible to everyone/i);
    }

    // One after the other, each confirmed on the operator's page, so the order is known.
    for (const page of operators) {
      await page.click('[data-testid="hand-toggle"]');
      await waitFound(page, 'hand-status', (f) => /mano alzata|hand raised/i.test(f.text));
    }

    const queue = await waitAll(host, 'queue-name', (all) => all.length === 3);
    expect(queue.map((f) => f.text)).toEqual([...NAMES]);
    const entries = await findAll(host, 'queue-entry');
    speakerId = entries[1]!.participant!;
    expect(speakerId).toBeTruthy();
    // Waiting times are shown and move.
    expect((await findAll(host, 'queue-wait'))[0]?.text).toMatch(/\d+ s|\d+ min/);
    // Operators are not told their place in line.
    expect((await findAll(operators[2]!, 'hand-status'))[0]?.text).not.toMatch(/\d/);
    await host.screenshot(path.join(RESULTS_DIR, 'floor-chat-host-queue.png'));
  });

  it('lets the approved second operator speak after consenting; the host and the others decode their video and receive their audio', async () => {
    const [first, speaker, third] = operators as [TestPage, TestPage, TestPage];
    await host.click(`seduta-hand-queue li[data-participant="${speakerId}"] [data-testid="queue-approve"]`);

    // The page explains before the browser asks; nothing is captured until "Allow and speak".
    await speaker.locate('[data-testid="consent-allow"]').waitFor({ timeout: 10_000 });
    expect((await findAll(speaker, 'floor-consent'))[0]?.text).toMatch(
      /microfono e videocamera|microphone and camera/i,
    );
    await speaker.screenshot(path.join(RESULTS_DIR, 'floor-chat-operator-consent.png'));
    const queueAfter = await waitAll(host, 'queue-name', (all) => all.length === 2);
    expect(queueAfter.map((f) => f.text)).toEqual([NAMES[0], NAMES[2]]);
    await speaker.click('[data-testid="consent-allow"]');
    await waitFound(speaker, 'speaker-controls', () => true, 15_000);
    await waitFound(speaker, 'speaker-preview', () => true);

    const watchers = [host, first, third];
    await Promise.all(watchers.map((page) => waitSpeakerMedia(page, speakerId)));
    const before = await Promise.all(watchers.map((page) => speakerStreams(page, speakerId)));
    await delay(SAMPLE_WINDOW_MS);
    const after = await Promise.all(watchers.map((page) => speakerStreams(page, speakerId)));
    for (const [i, page] of watchers.entries()) {
      const label = i === 0 ? 'host' : `operator ${i === 1 ? 1 : 3} (${page.browserName})`;
      expect(after[i]!.video.framesDecoded, `${label}: speaker video frames`).toBeGreaterThan(
        before[i]!.video.framesDecoded,
      );
      expect(after[i]!.audio.packetsReceived, `${label}: speaker audio packets`).toBeGreaterThan(
        before[i]!.audio.packetsReceived,
      );
      console.log(
        `[floor-chat] ${label}: speaker video frames ${before[i]!.video.framesDecoded}→${after[i]!.video.framesDecoded}, ` +
          `audio packets ${before[i]!.audio.packetsReceived}→${after[i]!.audio.packetsReceived} in ${SAMPLE_WINDOW_MS} ms`,
      );
    }

    // What people see: the speaker's tile on the operators' stage (beside the host's camera) and in
    // the host console, and the speaker in the host's "speaking now" list.
    for (const page of [first, third]) {
      expect((await findAll(page, 'video-speaker')).map((f) => f.participant)).toEqual([speakerId]);
      expect(await findAll(page, 'video-camera')).toHaveLength(1);
    }
    expect((await findAll(host, 'video-speaker')).map((f) => f.participant)).toEqual([speakerId]);
    expect((await findAll(host, 'speaker-entry')).map((f) => f.participant)).toEqual([speakerId]);
    await host.screenshot(path.join(RESULTS_DIR, 'floor-chat-host-speaker.png'));
    await first.screenshot(path.join(RESULTS_DIR, 'floor-chat-operator-watching.png'));
    await third.screenshot(path.join(RESULTS_DIR, 'floor-chat-operator-firefox.png'));
    await speaker.screenshot(path.join(RESULTS_DIR, 'floor-chat-operator-speaking.png'));

    // The host mutes the speaker: the speaker sees it and cannot unmute.
    await host.click(`seduta-speaker-list li[data-participant="${speakerId}"] [data-testid="speaker-mute"]`);
    await waitFound(speaker, 'host-muted', () => true);
    const mute = await waitFound(speaker, 'speaker-mute', (f) => f.disabled);
    expect(mute.text).toMatch(/attiva microfono|unmute microphone/i);
    expect((await findAll(host, 'speaker-entry'))[0]?.text).toMatch(/silenziato|muted/i);

    // "End intervention": the speaker is told why, their controls go, their tile leaves every stage.
    await host.click(
      `seduta-speaker-list li[data-participant="${speakerId}"] [data-testid="speaker-revoke"]`,
    );
    await host.click('[data-testid="speaker-revoke-confirm"]');
    const told = await waitFound(speaker, 'hand-status', (f) => /concluso|ended your/i.test(f.text));
    expect(told.text).toMatch(
      /microfono e videocamera sono stati spenti|microphone and camera were turned off/i,
    );
    expect(await findAll(speaker, 'speaker-controls')).toEqual([]);
    for (const page of [host, first, third]) await waitAll(page, 'video-speaker', (all) => all.length === 0);
    await speaker.screenshot(path.join(RESULTS_DIR, 'floor-chat-operator-revoked.png'));
  });

  it('delivers a chat line to every page, shows markup as text, gives a late joiner the history, rate-limits and lets the host delete', async () => {
    const [first, speaker, third] = operators as [TestPage, TestPage, TestPage];
    const everyone = [host, first, speaker, third];

    await sendChat(first, 'Buongiorno, una domanda sul lotto 2.');
    for (const page of everyone)
      await waitChat(page, (texts) => texts.includes('Buongiorno, una domanda sul lotto 2.'));

    await sendChat(third, XSS);
    for (const page of everyone) {
      await waitChat(page, (texts) => texts.includes(XSS));
      expect(await page.evaluate(chatHasImage)).toBe(false);
    }

    // A late joiner gets the history, markup included, as text.
    const late = await cast.operatorChromium.newPage();
    await late.goto(await server.joinUrl(created.sitting.id, 'Delta Servizi S.r.l.', 'op-late'));
    await watchDialogs(late);
    await waitFound(late, 'join', (f) => !f.disabled);
    await late.click('[data-testid="join"]');
    const history = await waitChat(late, (texts) => texts.length >= 2);
    expect(history).toEqual(['Buongiorno, una domanda sul lotto 2.', XSS]);
    expect(await late.evaluate(chatHasImage)).toBe(false);
    everyone.push(late);

    // Nothing in the markup ran anywhere: no alert/confirm/prompt was opened.
    for (const page of everyone) expect(await page.evaluate(dialogsOpened)).toEqual([]);

    // The late joiner sends lines in a row (each click waits for the previous send to finish).
    // The limit is a bucket of five lines refilled one every 10 s / 5: the first five pass at
    // once, and a line refused comes as soon as lines come faster than the refill. Bounded: at most
    // five more lines after the first five.
    const t0 = Date.now();
    for (let i = 1; i <= CHAT_RATE_COUNT; i++) await sendChat(late, `Riga ${i}`);
    let refusedLine: string | undefined;
    let accepted = CHAT_RATE_COUNT;
    for (let extra = 1; extra <= CHAT_RATE_COUNT && refusedLine === undefined; extra++) {
      const text = `Riga in più ${extra}`;
      await sendChat(late, text);
      // The reply decides: the line shown as sent, or the page saying how long to wait.
      const shown = await Promise.race([
        waitFound(late, 'chat-rate-limited', () => true, 5_000).then(
          () => 'refused' as const,
          () => 'nothing' as const,
        ),
        waitChat(late, (texts) => texts.includes(text), 5_000).then(
          () => 'sent' as const,
          () => 'nothing' as const,
        ),
      ]);
      expect(shown, `the page shows "${text}" sent or refused`).not.toBe('nothing');
      if (shown === 'refused') refusedLine = text;
      else accepted += 1;
    }
    expect(refusedLine, 'a line over the limit is refused').toBeDefined();
    const limited = await waitFound(late, 'chat-rate-limited', () => true, 5_000);
    // "Send" stays off while the wait lasts.
    expect(await findAll(late, 'chat-send')).toMatchObject([{ disabled: true }]);
    // The long-run rate holds: no more than five lines plus one per refill period elapsed.
    const refills = Math.floor((Date.now() - t0) / (10_000 / CHAT_RATE_COUNT));
    expect(accepted).toBeLessThanOrEqual(CHAT_RATE_COUNT + refills + 1);
    expect(limited.text).toMatch(/troppi messaggi: attendi \d+ s|too many messages: wait \d+ s/i);
    await waitChat(late, (texts) => texts.includes(`Riga ${CHAT_RATE_COUNT}`));
    await late.screenshot(path.join(RESULTS_DIR, 'floor-chat-operator-rate-limited.png'));
    await waitChat(host, (texts) => texts.includes(`Riga ${CHAT_RATE_COUNT}`));
    expect(await chatTexts(host)).not.toContain(refusedLine);

    // The host deletes the markup line: it disappears from every page.
    const line = (await findAll(host, 'chat-message')).find((f) => f.text.includes(XSS));
    expect(line?.id).toBeTruthy();
    // The host console in Italian, scrolled to the chat, for the record.
    await host.click('[data-testid="lang-it"]');
    await waitFound(host, 'chat-notice', (f) => /visibili a tutti/.test(f.text));
    await host.evaluate(() => {
      const find = (root: Document | ShadowRoot): Element | null => {
        for (const el of root.querySelectorAll('*')) {
          if (el.localName === 'seduta-chat-panel') return el;
          const inner = el.shadowRoot ? find(el.shadowRoot) : null;
          if (inner) return inner;
        }
        return null;
      };
      find(document)?.scrollIntoView({ block: 'end' });
    });
    await host.screenshot(path.join(RESULTS_DIR, 'floor-chat-host-chat.png'));
    await host.click(`seduta-chat-panel li[data-id="${line!.id}"] [data-testid="chat-delete"]`);
    for (const page of everyone) await waitChat(page, (texts) => !texts.includes(XSS));
    for (const page of [first, speaker, third, late]) {
      expect(await findAll(page, 'chat-delete'), 'operators have no delete button').toEqual([]);
    }
    expect(await chatTexts(late)).toContain('Buongiorno, una domanda sul lotto 2.');
    await late.screenshot(path.join(RESULTS_DIR, 'floor-chat-operator-late.png'));
  });
});

/** Every element with `data-testid=testid`, in document order, through every open shadow root. */
function findAll(page: TestPage, testid: string): Promise<Found[]> {
  return page.evaluate((id: string) => {
    const out: Element[] = [];
    const walk = (root: Document | ShadowRoot): void => {
      for (const el of root.querySelectorAll('*')) {
        if (el.getAttribute('data-testid') === id) out.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out.map((el) => ({
      text: (el.shadowRoot?.textContent ?? el.textContent ?? '').replace(/\s+/g, ' ').trim(),
      disabled: (el as HTMLButtonElement).disabled === true,
      participant: el.getAttribute('data-participant'),
      id: el.getAttribute('data-id'),
    }));
  }, testid);
}

/** Polls {@link findAll} until `ok` holds for the list. */
async function waitAll(
  page: TestPage,
  testid: string,
  ok: (all: Found[]) => boolean,
  timeout = 15_000,
): Promise<Found[]> {
  const deadline = Date.now() + timeout;
  let last: Found[] = [];
  while (Date.now() < deadline) {
    last = await findAll(page, testid);
    if (ok(last)) return last;
    await delay(50);
  }
  throw new Error(
    `[data-testid="${testid}"] never reached the expected state on ${page.browserName} ` +
      `(last: ${JSON.stringify(last)})\npage logs:\n${page.logs.join('\n')}`,
  );
}

/** Polls until the first element with `data-testid=testid` exists and `ok` holds for it. */
async function waitFound(
  page: TestPage,
  testid: string,
  ok: (found: Found) => boolean,
  timeout = 15_000,
): Promise<Found> {
  const all = await waitAll(page, testid, (list) => list[0] !== undefined && ok(list[0]), timeout);
  return all[0]!;
}

/** The chat lines a page shows, exactly as text. */
async function chatTexts(page: TestPage): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walk = (root: Document | ShadowRoot): void => {
      for (const el of root.querySelectorAll('*')) {
        if (el.getAttribute('data-testid') === 'chat-text') out.push(el.textContent ?? '');
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out;
  });
}

async function waitChat(
  page: TestPage,
  ok: (texts: string[]) => boolean,
  timeout = 10_000,
): Promise<string[]> {
  const deadline = Date.now() + timeout;
  let last: string[] = [];
  while (Date.now() < deadline) {
    last = await chatTexts(page);
    if (ok(last)) return last;
    await delay(50);
  }
  throw new Error(`the chat on ${page.browserName} never matched (last: ${JSON.stringify(last)})`);
}

/**
 * Records every alert/confirm/prompt the page opens (the harness exposes no driver-side dialog
 * event, so the page's own functions are wrapped: `onerror=alert(1)` would call the wrapper).
 */
async function watchDialogs(page: TestPage): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __dialogs?: string[] } & Record<string, unknown>;
    if (w.__dialogs) return;
    const opened: string[] = [];
    w.__dialogs = opened;
    for (const name of ['alert', 'confirm', 'prompt']) {
      w[name] = (message?: unknown) => {
        opened.push(`${name}(${String(message)})`);
        return null;
      };
    }
  });
}

function dialogsOpened(): string[] {
  return (window as unknown as { __dialogs?: string[] }).__dialogs ?? ['dialog watcher missing'];
}

/** Whether any <img> exists inside a chat panel (the markup line must stay text). */
function chatHasImage(): boolean {
  const panels: Element[] = [];
  const walk = (root: Document | ShadowRoot): void => {
    for (const el of root.querySelectorAll('*')) {
      if (el.localName === 'seduta-chat-panel') panels.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  if (panels.length === 0) throw new Error('no chat panel on the page');
  return panels.some((p) => (p.shadowRoot ?? p).querySelector('img') !== null);
}

/** Waits until `page` decodes the speaker's video and receives their audio. */
async function waitSpeakerMedia(page: TestPage, participantId: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: InboundStream[] = [];
  while (Date.now() < deadline) {
    last = await page.evaluate(async () => {
      const w = window as unknown as { __sedutaInbound?: () => Promise<InboundStream[]> };
      return (await w.__sedutaInbound?.()) ?? [];
    });
    const mine = last.filter((s) => s.participantId === participantId);
    if (
      mine.some((s) => s.kind === 'video' && s.framesDecoded > 0) &&
      mine.some((s) => s.kind === 'audio' && s.packetsReceived > 0)
    )
      return;
    await delay(200);
  }
  throw new Error(
    `${page.browserName} never decoded the speaker ${participantId}: ${JSON.stringify(last)}\n` +
      `page logs:\n${page.logs.join('\n')}`,
  );
}

/** The speaker's camera and microphone streams as a page receives them. */
async function speakerStreams(
  page: TestPage,
  participantId: string,
): Promise<{ video: InboundStream; audio: InboundStream }> {
  const streams = await page.evaluate(async (id: string) => {
    const w = window as unknown as { __sedutaInbound: () => Promise<InboundStream[]> };
    return (await w.__sedutaInbound()).filter((s) => s.participantId === id);
  }, participantId);
  const video = streams.find((s) => s.kind === 'video' && s.source === 'camera');
  const audio = streams.find((s) => s.kind === 'audio' && s.source === 'microphone');
  if (!video || !audio)
    throw new Error(`${page.browserName}: missing speaker streams ${JSON.stringify(streams)}`);
  return { video, audio };
}
