/**
 * The text of a PDF, for tests: `pdftotext` (poppler-utils) when it is installed, else a reader
 * of what pdfkit writes with its built-in fonts (Flate-compressed content streams whose strings
 * are hex in Windows-1252): enough to find words in a document Seduta made, not a PDF parser.
 */
import { spawnSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';

/** Whether `pdftotext` can be run here. */
export function hasPdftotext(): boolean {
  return spawnSync('pdftotext', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** The document's text (one line per text-showing operator when read without pdftotext). */
export function pdfText(pdf: Buffer): string {
  if (hasPdftotext()) {
    const out = spawnSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: pdf, maxBuffer: 64 << 20 });
    if (out.status !== 0) throw new Error(`pdftotext failed: ${out.stderr.toString()}`);
    return out.stdout.toString('utf8');
  }
  return builtinText(pdf);
}

// Windows-1252's 0x80–0x9F (Node's TextDecoder may treat the label as Latin-1, where these are controls).
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const cp1252 = (byte: number) =>
  byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80]! : String.fromCharCode(byte);

/** Reads the text of pdfkit's content streams (see the file's comment). */
export function builtinText(pdf: Buffer): string {
  const latin = pdf.toString('latin1');
  if (!latin.startsWith('%PDF-')) throw new Error('not a PDF');
  if (!/%%EOF\s*$/.test(latin)) throw new Error('the PDF is truncated (no %%EOF)');
  const hex = (h: string) => [...Buffer.from(h, 'hex')].map(cp1252).join('');
  const lines: string[] = [];
  const streams = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = streams.exec(latin))) {
    const start = m.index + m[0].length;
    const end = latin.indexOf('endstream', start);
    if (end < 0) break;
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue; // not a Flate stream (an image, a font): no text in it
    }
    for (const op of content.matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const parts =
        op[1] === undefined ? [op[2]!] : [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((p) => p[1]!);
      lines.push(parts.map(hex).join(''));
    }
    streams.lastIndex = end;
  }
  return lines.join('\n');
}
