/**
 * Single joins (issue 15): one operator at a time clicks "Partecipa" while nobody else is joining,
 * in Chromium and in Firefox ESR, alternately (so a drift of the machine's load hits both alike).
 * Each join is a fresh browser context (own pass cookie, cold page): the page loads, the join
 * button is clicked with a real mouse click, the first frame of the host's camera is awaited, the
 * join's steps are read (join-steps.ts), then the viewer presses "leave" and its context closes
 * before the next join starts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type * as pw from 'playwright-core';
import puppeteer from 'puppeteer-core';
import type * as pp from 'puppeteer-core';
import { firefoxPrefs } from '../e2e/harness/browsers';
import { viewerScript } from './browser-pages';
import { breakdown, percentile } from './join-steps';
import type { JoinSteps, PageTiming, ServerJoinTrace, StepRow } from './join-steps';

/** The single joins of one browser. */
export interface SingleJoinFigures {
  /** Engine and version, e.g. `chromium 156.0…`. */
  browser: string;
  /** Joins that reached a first frame. */
  joins: number;
  failed: number;
  /** Click → first frame presented (rVFC) of each successful join, page clock, in order. */
  joinToFirstFrameMs: number[];
  joinToFirstFrameP50Ms: number | null;
  joinToFirstFrameP95Ms: number | null;
  /** The step breakdown over these joins (join-steps.ts). */
  steps: StepRow[];
  /** Why joins failed (first few). */
  errors: string[];
}

/** One viewer page, whichever engine drives it. */
interface ViewerPage {
  evaluate(expression: string): Promise<unknown>;
  click(x: number, y: number): Promise<void>;
  close(): Promise<void>;
}

/** A browser that opens fresh viewer pages (own context each). */
export interface ViewerBrowser {
  name: 'chromium' | 'firefox';
  version: string;
  open(url: string, timeoutMs: number): Promise<ViewerPage>;
  close(): Promise<void>;
}

const VIEWPORT = { width: 1280, height: 720 };

/** Wraps an already launched Playwright Chromium (the storm's viewer browser is one too). */
export function chromiumViewers(browser: pw.Browser): ViewerBrowser {
  return {
    name: 'chromium',
    version: `chromium ${browser.version()}`,
    async open(url, timeoutMs) {
      const context = await browser.newContext({ viewport: VIEWPORT });
      try {
        await context.addInitScript({ content: viewerScript(1) });
        const page = await context.newPage();
        await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
        return {
          evaluate: (expression) => page.evaluate(expression),
          click: (x, y) => page.mouse.click(x, y),
          close: () => context.close(),
        };
      } catch (error) {
        await context.close().catch(() => undefined);
        throw error;
      }
    },
    close: () => browser.close(),
  };
}

/** Launches headless Firefox ESR (puppeteer-core over WebDriver BiDi, the e2e harness's prefs). */
export async function launchFirefoxViewers(): Promise<ViewerBrowser> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.SEDUTA_FIREFOX ?? '/usr/bin/firefox-esr',
    protocol: 'webDriverBiDi',
    headless: true,
    extraPrefsFirefox: firefoxPrefs(),
  });
  return {
    name: 'firefox',
    version: `firefox ${(await browser.version()).replace(/^firefox\//i, '')}`,
    async open(url, timeoutMs) {
      const context: pp.BrowserContext = await browser.createBrowserContext();
      try {
        const page = await context.newPage();
        await page.setViewport(VIEWPORT);
        await page.evaluateOnNewDocument(viewerScript(1));
        await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
        return {
          evaluate: (expression) => page.evaluate(expression),
          click: (x, y) => page.mouse.click(x, y),
          close: () => context.close(),
        };
      } catch (error) {
        await context.close().catch(() => undefined);
        throw error;
      }
    },
    close: () => browser.close(),
  };
}

/** Polls `expression` in `page` every 20 ms until truthy; throws naming `what` after `timeoutMs`. */
async function until(
  page: ViewerPage,
  expression: string,
  what: string,
  timeoutMs: number,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(expression);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await delay(20);
  }
}

/**
 * Runs `count` single joins in each browser, alternating between them. `joinUrl` makes a fresh
 * operator (unique display name, which the server trace keys on); `idle` resolves once the server
 * holds no media of the previous viewer.
 */
export async function singleJoins(opts: {
  browsers: ViewerBrowser[];
  count: number;
  joinUrl: (name: string) => Promise<string>;
  trace: ServerJoinTrace;
  idle: () => Promise<void>;
  timeoutMs: number;
  log: (message: string) => void;
}): Promise<Record<'chromium' | 'firefox', SingleJoinFigures | null>> {
  const results = new Map(
    opts.browsers.map((b) => [
      b.name,
      { times: [] as number[], steps: [] as JoinSteps[], errors: [] as string[] },
    ]),
  );
  for (let i = 0; i < opts.count; i++) {
    for (const browser of opts.browsers) {
      const r = results.get(browser.name)!;
      const name = `${browser.name === 'chromium' ? 'Chromium' : 'Firefox'} ${i + 1}`;
      let page: ViewerPage | undefined;
      try {
        page = await browser.open(await opts.joinUrl(name), opts.timeoutMs);
        await until(page, 'window.__bench.joinReady()', 'join button enabled', opts.timeoutMs);
        // Let page loading finish burning CPU before the clock starts (as in the storm).
        await delay(500);
        const box = (await page.evaluate('window.__bench.joinBox()')) as { x: number; y: number } | null;
        if (!box) throw new Error('no join button');
        await page.click(box.x, box.y);
        await until(page, 'window.__bench.firstFrame()', "first frame of the host's camera", opts.timeoutMs);
        const timing = (await page.evaluate('window.__bench.joinTiming()')) as PageTiming;
        const steps = opts.trace.steps(name, timing);
        if (!steps) throw new Error('the page has no click or no first frame');
        r.times.push(steps['client:frame']!);
        const path = ['client:join', 'client:recv.wired', 'server:ice.connected', 'server:keyframe.sent']
          .map((id) => `${id.split(':')[1]} ${steps[id] ?? '-'}`)
          .join(', ');
        opts.log(
          `${name}: first frame ${steps['client:frame']} ms (${path}); ${opts.trace.keyframes(name, timing)}`,
        );
        r.steps.push(steps);
        await page.evaluate('window.__bench.leave()');
      } catch (error) {
        if (r.errors.length < 5) r.errors.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await page?.close().catch(() => undefined);
      }
      await opts.idle();
    }
    opts.log(
      `single joins ${i + 1}/${opts.count}: ` +
        opts.browsers.map((b) => `${b.name} ${results.get(b.name)!.times.at(-1) ?? '–'} ms`).join(', '),
    );
  }
  const figures = (browser: ViewerBrowser): SingleJoinFigures => {
    const r = results.get(browser.name)!;
    return {
      browser: browser.version,
      joins: r.times.length,
      failed: opts.count - r.times.length,
      joinToFirstFrameMs: r.times,
      joinToFirstFrameP50Ms: percentile(r.times, 0.5),
      joinToFirstFrameP95Ms: percentile(r.times, 0.95),
      steps: breakdown(r.steps),
      errors: r.errors,
    };
  };
  const find = (name: 'chromium' | 'firefox') => opts.browsers.find((b) => b.name === name);
  const chromium = find('chromium');
  const firefox = find('firefox');
  return {
    chromium: chromium ? figures(chromium) : null,
    firefox: firefox ? figures(firefox) : null,
  };
}
