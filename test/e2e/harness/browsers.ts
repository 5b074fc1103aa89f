/**
 * Real browsers for end-to-end tests: headless Chromium (playwright-core) and Firefox ESR
 * (puppeteer-core over WebDriver BiDi) behind one small interface, so a test can run the same
 * steps in both. Launch flags and prefs are the verified ones from
 * /work/shared/reference/browsers-webrtc.md; do not trim them.
 *
 * Selectors: every method that takes a selector uses one dialect that pierces open shadow roots
 * in both browsers (Lit components render into shadow roots):
 *  - a selector is CSS, and its descendant combinator (whitespace) also crosses shadow roots:
 *    `seduta-hand-queue li.first` finds the `li` inside the component's shadow root;
 *  - the first compound is searched in the whole page, shadow roots included;
 *  - `>`, `+`, `~` stay inside one tree (as in plain CSS); `,` lists alternatives.
 * Playwright's CSS engine already behaves like this. For Puppeteer, `toPuppeteerSelector()`
 * rewrites each descendant combinator into Puppeteer's deep combinator `>>>` and prefixes `>>>`.
 * When several elements match, the first in document order is used.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type * as pw from 'playwright-core';
import puppeteer from 'puppeteer-core';
import type * as pp from 'puppeteer-core';

/** Which engine a TestBrowser drives. */
export type BrowserName = 'chromium' | 'firefox';

/** An element found with the shadow-piercing selector dialect (see the module comment). */
export interface TestLocator {
  /** Waits until the element is visible and enabled, then clicks it. */
  click(options?: { timeout?: number }): Promise<void>;
  /** Waits for the element to be attached and returns its textContent. */
  textContent(options?: { timeout?: number }): Promise<string | null>;
  /** Waits until the element is attached and visible. */
  waitFor(options?: { timeout?: number }): Promise<void>;
}

/** One tab, with the operations end-to-end tests need from either engine. */
export interface TestPage {
  /** Which engine the page runs in. */
  readonly browserName: BrowserName;
  /** Console lines and uncaught page errors seen so far, for failure messages. */
  readonly logs: readonly string[];
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Runs fn in the page with one JSON-serializable argument and returns its JSON-serializable result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Polls fn in the page (every 100 ms) until it returns a truthy value. */
  waitForFunction<A = undefined>(
    fn: (arg: A) => unknown,
    arg?: A,
    options?: { timeout?: number },
  ): Promise<void>;
  /** Makes `window[name](...args)` in the page call fn in Node and resolve to its (JSON) result. */
  exposeFunction(name: string, fn: (...args: never[]) => unknown): Promise<void>;
  /** The element matching selector (shadow roots pierced). */
  locate(selector: string): TestLocator;
  /** Shorthand for locate(selector).click(). */
  click(selector: string, options?: { timeout?: number }): Promise<void>;
  /** Shorthand for locate(selector).textContent(). */
  textContent(selector: string, options?: { timeout?: number }): Promise<string | null>;
  /** Writes a PNG of the viewport. */
  screenshot(file: string): Promise<void>;
  /** Real key presses to the focused element: `press('Tab')`, `press('Shift+Tab')`, `type('text')`. */
  readonly keyboard: {
    press(key: string): Promise<void>;
    type(text: string): Promise<void>;
  };
  /** Runs a script's source text in the page, as the driver does (the page's CSP does not apply). */
  evaluateScript(source: string): Promise<unknown>;
  /** The Playwright page underneath (Chromium only): for tools that take one, like axe's AxeBuilder. */
  readonly playwrightPage?: pw.Page;
  /** Closes the tab. */
  close(): Promise<void>;
}

/** A launched browser; close() ends the process and removes its profile. */
export interface TestBrowser {
  /** Which engine this is. */
  readonly name: BrowserName;
  /** The browser's own process ids (its children are found from them): to cut its network. */
  pids(): Promise<number[]>;
  /** Opens a new tab. */
  newPage(): Promise<TestPage>;
  /** Closes every page and the browser; idempotent. */
  close(): Promise<void>;
}

/** Chromium flags that make fake media and host candidates work here (reference, verified). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * CHROMIUM_ARGS, plus loopback ICE for plain-loopback runs outside a namespace: Chromium leaves
 * loopback interfaces out of ICE gathering unless told otherwise.
 */
export function chromiumArgs(loopback = process.env.SEDUTA_E2E_LOOPBACK === '1'): string[] {
  return loopback ? [...CHROMIUM_ARGS, '--allow-loopback-in-peer-connection'] : [...CHROMIUM_ARGS];
}

/** Firefox prefs for fake media and ICE (reference table); the loopback pref only outside a namespace. */
export function firefoxPrefs(loopback = process.env.SEDUTA_E2E_LOOPBACK === '1'): Record<string, unknown> {
  return {
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
    // Without a stored permission Firefox gathers no usable ICE candidates at all.
    'permissions.default.camera': 1,
    'permissions.default.microphone': 1,
    'media.peerconnection.ice.obfuscate_host_addresses': false,
    'media.autoplay.default': 0,
    'media.autoplay.blocking_policy': 0,
    ...(loopback ? { 'media.peerconnection.ice.loopback': true } : {}),
  };
}

const DEFAULT_TIMEOUT_MS = 15_000;
const POLL_MS = 100;

/** Options of the launchers. */
export interface LaunchOptions {
  executablePath?: string;
  /**
   * A test server certificate to trust (HTTPS): Chromium accepts exactly this public key (base64
   * SHA-256 of its SPKI, `--ignore-certificate-errors-spki-list`); Firefox is started with
   * WebDriver's acceptInsecureCerts.
   */
  trust?: { spki: string };
}

/** Launches headless Chromium (Debian's /usr/bin/chromium) with a fresh profile directory. */
export async function launchChromium(options: LaunchOptions = {}): Promise<TestBrowser> {
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'seduta-chromium-'));
  let context: pw.BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: options.executablePath ?? process.env.SEDUTA_CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: [
        ...chromiumArgs(),
        ...(options.trust ? [`--ignore-certificate-errors-spki-list=${options.trust.spki}`] : []),
      ],
    });
  } catch (err) {
    await fs.rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  let closed = false;
  return {
    name: 'chromium',
    // Playwright does not give a persistent context's pid: the processes naming its profile do.
    pids: () => pidsWithArgument(userDataDir),
    async newPage() {
      return wrapPlaywrightPage(await context.newPage());
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        await fs.rm(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Launches headless Firefox ESR through puppeteer-core over WebDriver BiDi (fresh profile). */
export async function launchFirefox(options: LaunchOptions = {}): Promise<TestBrowser> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: options.executablePath ?? process.env.SEDUTA_FIREFOX ?? '/usr/bin/firefox-esr',
    protocol: 'webDriverBiDi',
    headless: true,
    extraPrefsFirefox: firefoxPrefs(),
    ...(options.trust ? { acceptInsecureCerts: true } : {}),
  });
  let closed = false;
  return {
    name: 'firefox',
    async pids() {
      const pid = browser.process()?.pid;
      return pid === undefined ? [] : [pid];
    },
    async newPage() {
      return wrapPuppeteerPage(await browser.newPage());
    },
    async close() {
      if (closed) return;
      closed = true;
      // Puppeteer removes the temporary profile it created.
      await browser.close();
    },
  };
}

/** Processes whose command line contains `argument` (read from /proc). */
async function pidsWithArgument(argument: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(argument)) pids.push(Number(entry));
  }
  return pids;
}

/** Launches the named engine. */
export function launchBrowser(name: BrowserName, options: LaunchOptions = {}): Promise<TestBrowser> {
  return name === 'chromium' ? launchChromium(options) : launchFirefox(options);
}

/**
 * Launches the named engines side by side, in that order. Each one that started is added to
 * `started` (the caller's list, closed in its afterAll) even when another failed; the first
 * failure is then thrown.
 */
export async function launchBrowsers(
  names: readonly BrowserName[],
  started: TestBrowser[],
): Promise<TestBrowser[]> {
  const launched = await Promise.allSettled(names.map((name) => launchBrowser(name)));
  const mine: TestBrowser[] = [];
  for (const r of launched) if (r.status === 'fulfilled') mine.push(r.value);
  started.push(...mine);
  const failed = launched.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return mine;
}

function wrapPlaywrightPage(page: pw.Page): TestPage {
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.stack ?? e.message}`));
  const locate = (selector: string): TestLocator => {
    const loc = page.locator(selector).first();
    return {
      click: (o) => loc.click({ timeout: o?.timeout ?? DEFAULT_TIMEOUT_MS }),
      textContent: (o) => loc.textContent({ timeout: o?.timeout ?? DEFAULT_TIMEOUT_MS }),
      waitFor: (o) => loc.waitFor({ state: 'visible', timeout: o?.timeout ?? DEFAULT_TIMEOUT_MS }),
    };
  };
  return {
    browserName: 'chromium',
    logs,
    async goto(url) {
      await page.goto(url, { waitUntil: 'load' });
    },
    evaluate: (fn, arg) => page.evaluate(fn as (a: unknown) => unknown, arg) as never,
    async waitForFunction(fn, arg, options) {
      await page.waitForFunction(fn as (a: unknown) => unknown, arg, {
        timeout: options?.timeout ?? DEFAULT_TIMEOUT_MS,
        polling: POLL_MS,
      });
    },
    async exposeFunction(name, fn) {
      await page.exposeFunction(name, fn as (...args: unknown[]) => unknown);
    },
    locate,
    click: (selector, o) => locate(selector).click(o),
    textContent: (selector, o) => locate(selector).textContent(o),
    async screenshot(file) {
      await page.screenshot({ path: file });
    },
    keyboard: {
      press: (key) => page.keyboard.press(key),
      type: (text) => page.keyboard.type(text),
    },
    evaluateScript: (source) => page.evaluate(source),
    playwrightPage: page,
    close: () => page.close(),
  };
}

function wrapPuppeteerPage(page: pp.Page): TestPage {
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e instanceof Error ? (e.stack ?? e.message) : e}`));
  const locate = (selector: string): TestLocator => {
    const deep = toPuppeteerSelector(selector);
    const loc = (timeout: number | undefined) => page.locator(deep).setTimeout(timeout ?? DEFAULT_TIMEOUT_MS);
    return {
      click: (o) => loc(o?.timeout).click(),
      textContent: (o) =>
        loc(o?.timeout)
          .setVisibility(null)
          .map((el) => el.textContent)
          .wait(),
      async waitFor(o) {
        await loc(o?.timeout).setVisibility('visible').wait();
      },
    };
  };
  return {
    browserName: 'firefox',
    logs,
    async goto(url) {
      await page.goto(url, { waitUntil: 'load' });
    },
    evaluate: (fn, arg) => page.evaluate(fn as (a: unknown) => unknown, arg) as never,
    async waitForFunction(fn, arg, options) {
      await page.waitForFunction(
        fn as (a: unknown) => unknown,
        { timeout: options?.timeout ?? DEFAULT_TIMEOUT_MS, polling: POLL_MS },
        arg,
      );
    },
    exposeFunction: (name, fn) => page.exposeFunction(name, fn as (...args: unknown[]) => unknown),
    locate,
    click: (selector, o) => locate(selector).click(o),
    textContent: (selector, o) => locate(selector).textContent(o),
    async screenshot(file) {
      await page.screenshot({ path: file });
    },
    keyboard: {
      // Puppeteer names chords key by key: 'Shift+Tab' is Shift held while Tab is pressed.
      async press(key) {
        const keys = key.split('+') as pp.KeyInput[];
        const last = keys.pop() as pp.KeyInput;
        for (const k of keys) await page.keyboard.down(k);
        await page.keyboard.press(last);
        for (const k of keys.reverse()) await page.keyboard.up(k);
      },
      type: (text) => page.keyboard.type(text),
    },
    evaluateScript: (source) => page.evaluate(source),
    close: () => page.close(),
  };
}

/**
 * Rewrites the shared selector dialect for Puppeteer: every top-level descendant combinator
 * (whitespace outside brackets, parentheses and quotes) becomes the deep combinator `>>>`, and
 * the selector starts with `>>>` so its first compound is found inside shadow roots too.
 */
export function toPuppeteerSelector(selector: string): string {
  return splitTopLevel(selector, ',')
    .map((alternative) => `>>> ${deepenDescendants(alternative.trim())}`)
    .join(', ');
}

function deepenDescendants(selector: string): string {
  let out = '';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i] as string;
    if (quote) {
      out += c;
      if (c === '\\') out += selector[++i] ?? '';
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === '\\') {
      out += c + (selector[++i] ?? '');
      continue;
    } else if (depth === 0 && /\s/.test(c)) {
      let j = i;
      while (j < selector.length && /\s/.test(selector[j] as string)) j++;
      const before = out.trimEnd().at(-1);
      const after = selector[j];
      const explicit = (ch: string | undefined) => ch === '>' || ch === '+' || ch === '~';
      out = out.trimEnd();
      out += explicit(before) || explicit(after) ? ' ' : ' >>> ';
      i = j - 1;
      continue;
    }
    out += c;
  }
  return out;
}

function splitTopLevel(selector: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === separator && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}
