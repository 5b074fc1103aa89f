/**
 * axe-core on a TestPage (issue 13, item 6: WCAG 2.1 AA). Chromium goes through
 * @axe-core/playwright's AxeBuilder on the Playwright page underneath; Firefox gets axe-core's own
 * source injected by the driver (the page's CSP does not apply to it) and runs `axe.run`. Both
 * check the WCAG 2.0/2.1 A and AA rules, and axe walks open shadow roots itself, so the Lit
 * components' contents are checked.
 *
 * Only serious and critical violations are returned, each with what to fix: the rule, its impact,
 * the offending elements (as axe's selectors, shadow hosts first) and axe's help text and link.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import { AxeBuilder } from '@axe-core/playwright';
import type { AxeResults, Result } from 'axe-core';
import type { TestPage } from './browsers';

/** The WCAG 2.1 AA rule sets (AgID's guidelines for Italian public administrations point there). */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;

/** One serious or critical violation, with a readable line for failure messages. */
export interface AxeViolation {
  rule: string;
  impact: 'serious' | 'critical';
  help: string;
  helpUrl: string;
  /** axe's selectors of the offending elements (a shadow host's path first, then inside it). */
  targets: string[];
  /** `rule (impact): help — targets — url`, with axe's summary of the first node. */
  message: string;
}

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

/** axe-core's minified source, read once. */
function source(): Promise<string> {
  axeSource ??= fs.readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/** What one axe run found: the serious/critical violations, and how much was checked. */
export interface AxeReport {
  violations: AxeViolation[];
  /** Rules that applied to something on the page and passed. */
  passed: number;
  /** Rules axe could not decide alone (e.g. contrast over a video), to be reviewed by a person. */
  incomplete: string[];
}

/** Runs axe-core on the page as it is now. */
export async function axeReport(page: TestPage): Promise<AxeReport> {
  const results = page.playwrightPage
    ? await new AxeBuilder({ page: page.playwrightPage, axeSource: await source() })
        .withTags([...WCAG_TAGS])
        .analyze()
    : await runInjected(page);
  return {
    violations: seriousOf(results.violations),
    passed: results.passes.length,
    incomplete: results.incomplete.map((r) => `${r.id}×${r.nodes.length}`),
  };
}

/** Runs axe-core on the page as it is now; returns its serious and critical violations. */
export async function axeViolations(page: TestPage): Promise<AxeViolation[]> {
  return (await axeReport(page)).violations;
}

/** Firefox: injects axe-core (once per document) and runs it on the whole document. */
async function runInjected(page: TestPage): Promise<AxeResults> {
  const loaded = await page.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluateScript(`${await source()}\n;true`);
  return page.evaluate(
    (tags: string[]) =>
      (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<AxeResults> } }).axe
        .run(document, { runOnly: { type: 'tag', values: tags } })
        // Only what is JSON-serialisable comes back (nodes carry element references otherwise).
        .then(
          (r) =>
            JSON.parse(
              JSON.stringify({ violations: r.violations, passes: r.passes, incomplete: r.incomplete }),
            ) as AxeResults,
        ),
    [...WCAG_TAGS],
  );
}

function seriousOf(violations: Result[]): AxeViolation[] {
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => {
      const targets = v.nodes.map((n) => n.target.map((t) => String(t)).join(' >> '));
      const summary = v.nodes[0]?.failureSummary?.replace(/\s+/g, ' ').trim() ?? '';
      return {
        rule: v.id,
        impact: v.impact as 'serious' | 'critical',
        help: v.help,
        helpUrl: v.helpUrl,
        targets,
        message:
          `${v.id} (${v.impact}): ${v.help} — ${targets.slice(0, 5).join(' | ')}` +
          `${targets.length > 5 ? ` (+${targets.length - 5} more)` : ''} — ${summary} — ${v.helpUrl}`,
      };
    });
}

/**
 * Runs axe on the page and throws, naming every serious or critical violation, if there is any;
 * `where` says which page it was (for the failure message).
 */
export async function expectNoSeriousViolations(page: TestPage, where: string): Promise<void> {
  const report = await axeReport(page);
  const found = report.violations;
  console.log(
    `[axe] ${where} (${page.browserName}): ${found.length} serious/critical, ${report.passed} rules passed` +
      (report.incomplete.length ? `, to review: ${report.incomplete.join(' ')}` : ''),
  );
  if (found.length > 0) {
    throw new Error(
      `axe-core on ${where} (${page.browserName}): ${found.length} serious/critical violation(s)\n` +
        found.map((v) => `  - ${v.message}`).join('\n'),
    );
  }
}
