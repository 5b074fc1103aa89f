/**
 * The browser harness itself: both engines launch with the verified flags, and the shared
 * selector dialect pierces nested open shadow roots the same way in each.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { launchChromium, launchFirefox, toPuppeteerSelector } from './browsers';
import type { TestBrowser } from './browsers';
import { FIXTURES_DIR } from './bundle';
import { serveStatic } from './static-server';
import type { StaticServer } from './static-server';

describe('toPuppeteerSelector', () => {
  it('turns descendant combinators into deep combinators and searches from every shadow root', () => {
    expect(toPuppeteerSelector('x-app li.item')).toBe('>>> x-app >>> li.item');
    expect(toPuppeteerSelector('x-panel > ul  li')).toBe('>>> x-panel > ul >>> li');
    expect(toPuppeteerSelector('a[title="x y"] b, #c')).toBe('>>> a[title="x y"] >>> b, >>> #c');
    expect(toPuppeteerSelector('li:not(.a .b)')).toBe('>>> li:not(.a .b)');
  });
});

const engines: [string, () => Promise<TestBrowser>][] = [
  ['Chromium', launchChromium],
  ['Firefox', launchFirefox],
];

describe.each(engines)('browser harness in %s', (_name, launch) => {
  let server: StaticServer;
  let browser: TestBrowser;
  beforeAll(async () => {
    server = await serveStatic(FIXTURES_DIR);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('finds, reads and clicks elements two shadow roots deep with the shared selector dialect', async () => {
    const page = await browser.newPage();
    onTestFinished(() => page.close());
    await page.goto(`${server.url}shadow.html`);

    expect(await page.textContent('p.note')).toBe('light DOM note');
    expect(await page.textContent('x-app li.item')).toBe('first');
    expect(await page.textContent('x-app section.main li.item:nth-child(2)')).toBe('second');
    expect(await page.textContent('x-panel #count')).toBe('0');

    await page.click('x-app #raise');
    await page.locate('x-panel #raise').click();
    await page.waitForFunction(
      (expected) =>
        document
          .querySelector('x-app')
          ?.shadowRoot?.querySelector('x-panel')
          ?.shadowRoot?.getElementById('count')?.textContent === expected,
      '2',
    );
    expect(await page.textContent('#count')).toBe('2');
  });

  it('writes a PNG screenshot of the page', async () => {
    const page = await browser.newPage();
    onTestFinished(() => page.close());
    await page.goto(`${server.url}shadow.html`);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seduta-screenshot-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'page.png');
    await page.screenshot(file);
    const png = await fs.readFile(file);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(1000);
  });

  it('lets the page call a function exposed by the test', async () => {
    const page = await browser.newPage();
    onTestFinished(() => page.close());
    const calls: unknown[] = [];
    await page.exposeFunction('__sedutaTestEcho', (value: { n: number }) => {
      calls.push(value);
      return { doubled: value.n * 2 };
    });
    await page.goto(`${server.url}shadow.html`);
    const reply = await page.evaluate(
      (n) =>
        (
          window as unknown as { __sedutaTestEcho(v: { n: number }): Promise<{ doubled: number }> }
        ).__sedutaTestEcho({
          n,
        }),
      21,
    );
    expect(reply).toEqual({ doubled: 42 });
    expect(calls).toEqual([{ n: 21 }]);
  });
});
