/**
 * The text of a PDF, for tests, read by `pdftotext` (poppler-utils, one of the test packages that
 * `npm test` installs through scripts/setup.mjs): what a person's PDF reader would find in it.
 */
import { spawnSync } from 'node:child_process';

/** The document's text; throws when pdftotext is missing or cannot read the document. */
export function pdfText(pdf: Buffer): string {
  const out = spawnSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf, maxBuffer: 64 << 20 });
  if (out.error) throw new Error(`pdftotext could not run (install poppler-utils): ${out.error.message}`);
  if (out.status !== 0) throw new Error(`pdftotext could not read the PDF: ${out.stderr.toString()}`);
  return out.stdout.toString('utf8');
}
