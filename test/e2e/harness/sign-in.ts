/**
 * Staff sign-in in a real browser, as a person does it: the /host page's form (e-mail, password,
 * "Accedi"), then the dashboard. Fields are filled through the page (shadow roots pierced).
 */
import type { TestPage } from './browsers';

/** Sets an input's value, found by `data-testid` through every open shadow root. */
export async function fill(page: TestPage, testid: string, value: string): Promise<void> {
  const ok = await page.evaluate(
    ({ id, text }: { id: string; text: string }) => {
      const find = (root: Document | ShadowRoot): HTMLInputElement | null => {
        const hit = root.querySelector<HTMLInputElement>(`[data-testid="${id}"]`);
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
          const inner = el.shadowRoot ? find(el.shadowRoot) : null;
          if (inner) return inner;
        }
        return null;
      };
      const input = find(document);
      if (!input) return false;
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      return true;
    },
    { id: testid, text: value },
  );
  if (!ok) throw new Error(`no [data-testid="${testid}"] to fill on ${page.browserName}`);
}

/** Opens `${origin}/host`, signs in, and waits for the dashboard. */
export async function signInAsHost(
  page: TestPage,
  origin: string,
  who: { email: string; password: string },
): Promise<void> {
  await page.goto(`${origin}/host`);
  await page.locate('[data-testid="login-email"]').waitFor({ timeout: 15_000 });
  await fill(page, 'login-email', who.email);
  await fill(page, 'login-password', who.password);
  await page.click('[data-testid="login-submit"]');
  await page.locate('[data-testid="signed-in-as"]').waitFor({ timeout: 15_000 });
}
