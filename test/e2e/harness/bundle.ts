/**
 * Builds a fixture page (test/e2e/fixtures/<name>.html and the TypeScript it loads) with Vite's
 * programmatic build into a fresh temporary directory, so tests never depend on a stale bundle.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** Directory holding the fixture pages. */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** A built fixture: `dir` holds `<name>.html` and its assets; dispose() deletes it. */
export interface BuiltFixture {
  dir: string;
  page: string;
  dispose(): Promise<void>;
}

/** Bundles fixtures/<name>.html (and everything it imports) into a new temporary directory. */
export async function buildFixture(name: string): Promise<BuiltFixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `seduta-fixture-${name}-`));
  try {
    await build({
      root: FIXTURES_DIR,
      configFile: false,
      envDir: false,
      publicDir: false,
      logLevel: 'warn',
      mode: 'production',
      build: {
        outDir: dir,
        emptyOutDir: true,
        sourcemap: true,
        // Readable stacks in page errors; the size does not matter here.
        minify: false,
        rolldownOptions: { input: path.join(FIXTURES_DIR, `${name}.html`) },
      },
    });
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    page: `${name}.html`,
    dispose: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
