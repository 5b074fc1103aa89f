/**
 * Steps several end-to-end tests take the same way, as a person does them: the host signs in,
 * opens the console and starts (or resumes) the sitting; an operator opens the platform's link and
 * joins; anyone types a chat line and sends it.
 */
import { E2E_HOST, type CreatedSitting, type E2eApp } from './app';
import type { TestPage } from './browsers';
import { signInAsHost } from './sign-in';
import { waitFor } from './testids';

/**
 * Signs the host in, opens the console and presses "start" (all through `via`, a balancer in front
 * of nodes, when given); resolves once the camera is previewed.
 */
export async function hostStartsSitting(
  host: TestPage,
  server: Pick<E2eApp, 'url'>,
  created: CreatedSitting,
  via?: { url: string },
): Promise<void> {
  await signInAsHost(host, (via ?? server).url, E2E_HOST);
  await host.goto(via ? through(via, created.hostUrl) : created.hostUrl);
  await waitFor(host, (n) => n.testid === 'start' && !n.disabled);
  await host.click('[data-testid="start"]');
  await waitFor(host, (n) => n.testid === 'preview-camera', 20_000);
}

/** `url` (a link the app made) opened through `via` (a balancer in front of nodes) instead. */
export function through(via: { url: string }, url: string): string {
  const link = new URL(url);
  return `${via.url}${link.pathname}${link.search}${link.hash}`;
}

/**
 * Opens an operator's link (a fresh join token from `server`, opened through `via` when given)
 * and joins; resolves once the hand button works.
 */
export async function operatorJoins(
  page: TestPage,
  server: Pick<E2eApp, 'joinUrl'>,
  sittingId: string,
  name: string,
  via?: { url: string },
): Promise<void> {
  const link = await server.joinUrl(sittingId, name);
  await page.goto(via ? through(via, link) : link);
  await waitFor(page, (n) => n.testid === 'join' && !n.disabled, 20_000);
  await page.click('[data-testid="join"]');
  await waitFor(page, (n) => n.testid === 'hand-toggle' && !n.disabled, 20_000);
}

/** Types `text` into the chat box (as an input event, like typing) and presses "send". */
export async function sendChat(page: TestPage, text: string): Promise<void> {
  await page.evaluate((value: string) => {
    const find = (root: Document | ShadowRoot): HTMLTextAreaElement | null => {
      for (const el of root.querySelectorAll('*')) {
        if (el.getAttribute('data-testid') === 'chat-input') return el as HTMLTextAreaElement;
        const inner = el.shadowRoot ? find(el.shadowRoot) : null;
        if (inner) return inner;
      }
      return null;
    };
    const input = find(document);
    if (!input) throw new Error('no chat input on the page');
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }, text);
  await page.click('[data-testid="chat-send"]');
}
