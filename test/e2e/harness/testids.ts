/**
 * What a page shows, read the way the tests name things: every element with a `data-testid`,
 * found through every open shadow root (Lit components render into shadow roots), with its text,
 * whether it is disabled, its link and title, and its other `data-*` attributes.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { TestPage } from './browsers';

/** An element with a data-testid as a person sees it. */
export interface Seen {
  testid: string;
  /** textContent with runs of whitespace collapsed. */
  text: string;
  disabled: boolean;
  href: string | null;
  title: string | null;
  /** The element's `dataset` (e.g. `data-recording-id` → `recordingId`). */
  data: Record<string, string>;
}

/** Every element with a data-testid on the page, in document order. */
export async function seen(page: TestPage): Promise<Seen[]> {
  return page
    .evaluate(() => {
      const out: Seen[] = [];
      const walk = (root: Document | ShadowRoot): void => {
        for (const el of root.querySelectorAll<HTMLElement>('[data-testid]')) {
          out.push({
            testid: el.getAttribute('data-testid') ?? '',
            text: (el.textContent ?? '').replace(/\s+/g, ' ').trim(),
            disabled: (el as HTMLButtonElement).disabled === true,
            href: el.getAttribute('href'),
            title: el.getAttribute('title'),
            data: { ...el.dataset } as Record<string, string>,
          });
        }
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
      };
      walk(document);
      return out;
    })
    .catch((error: unknown) => {
      // A page that is navigating (an invitation link redirects) has no document to read yet.
      if (/context was destroyed|navigat/i.test(String(error))) return [] as Seen[];
      throw error;
    });
}

/** Polls the page (every 100 ms, up to `timeout`) until an element satisfies `ok`, and returns it. */
export async function waitFor(page: TestPage, ok: (n: Seen) => boolean, timeout = 15_000): Promise<Seen> {
  const deadline = Date.now() + timeout;
  let last: Seen[] = [];
  while (Date.now() < deadline) {
    last = await seen(page);
    const hit = last.find(ok);
    if (hit) return hit;
    await delay(100);
  }
  const shown = last.map((s) => `${s.testid}:${s.text.slice(0, 60)}`);
  throw new Error(
    `nothing matched on ${page.browserName}; seen: ${JSON.stringify(shown)}\n${page.logs.join('\n')}`,
  );
}
