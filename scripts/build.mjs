#!/usr/bin/env node
/**
 * `npm run build` (after scripts/setup.mjs): compiles Seduta for production, so that it runs with
 * plain `node` and no TypeScript tooling at run time. See docs/decisions/0018-production-build.md.
 *
 *  1. The server and its command-line tools, bundled with esbuild into server/dist/ (ES modules,
 *     code splitting, source maps):
 *       server/dist/main.js          the server           (server/src/main.ts)
 *       server/dist/migrate-cli.js   npm run migrate      (server/src/db/migrate-cli.ts)
 *       server/dist/admin-create.js  npm run admin:create (scripts/admin-create.ts)
 *       server/dist/verify-cli.js    npm run recordings:verify (recorder/src/verify-cli.ts)
 *       server/dist/audit-verify.js  npm run audit:verify (server/src/audit/verify-cli.ts)
 *     The workspaces (@seduta/media, @seduta/recorder, @seduta/server and its protocol) and the
 *     migrations are compiled into the bundle; every npm package stays an import that Node
 *     resolves from node_modules at run time (mediasoup finds its worker binary, PGlite its
 *     WebAssembly, next to themselves).
 *  2. The web client (client/dist), with Vite (`npm run build -w client`).
 *
 * `import.meta.url` inside workspace sources keeps meaning the source file's location (the
 * client bundle is found as `../../../client/dist/` from server/src/http/), so the compiled code
 * finds the same files as the TypeScript run by tsx. server/dist/build.json records the inputs.
 *
 * Options:
 *   --if-stale   build only what is missing or older than its sources (used by `npm start`)
 *   --server     only the server; --client only the web client
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(root, 'server', 'dist');
const STAMP = path.join(OUT_DIR, 'build.json');
const ENTRY_POINTS = {
  main: 'server/src/main.ts',
  'migrate-cli': 'server/src/db/migrate-cli.ts',
  'admin-create': 'scripts/admin-create.ts',
  'verify-cli': 'recorder/src/verify-cli.ts',
  'audit-verify': 'server/src/audit/verify-cli.ts',
};
/** Inputs that change the output without being bundled modules themselves. */
const CONFIG_INPUTS = ['scripts/build.mjs', 'tsconfig.json', 'tsconfig.base.json', 'package-lock.json'];
/** Workspace packages: compiled into the bundle (their package.json points at TypeScript). */
const WORKSPACE_SCOPE = '@seduta/';

const args = new Set(process.argv.slice(2));
const ifStale = args.has('--if-stale');
const only = args.has('--server') ? 'server' : args.has('--client') ? 'client' : 'all';

function log(msg) {
  process.stdout.write(`[build] ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`[build] FAILED: ${msg}\n`);
  process.exit(1);
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return Infinity; // a vanished input: rebuild
  }
}

// ---------------------------------------------------------------- server

/** Why the server bundle must be (re)built, or undefined when it is up to date. */
function serverStaleReason() {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return 'not built yet';
  }
  for (const name of Object.keys(ENTRY_POINTS)) {
    if (!fs.existsSync(path.join(OUT_DIR, `${name}.js`))) return `server/dist/${name}.js is missing`;
  }
  const builtAt = mtime(STAMP);
  const changed = [...stamp.inputs, ...CONFIG_INPUTS].find((f) => mtime(path.join(root, f)) > builtAt);
  return changed === undefined ? undefined : `${changed} changed`;
}

/** The directory of the package `name` as Node would find it from `dir` (node_modules lookup). */
function packageDirFrom(dir, name) {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (d === path.dirname(d)) return undefined;
  }
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Run-time dependencies (not devDependencies) of the root and the server-side workspaces. */
function productionDependencies() {
  const names = new Set();
  for (const dir of ['.', 'server', 'media', 'recorder']) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    for (const name of Object.keys(pkg.dependencies ?? {})) names.add(name);
  }
  return names;
}

/**
 * Leaves npm packages as run-time imports, with two checks that stop the build:
 *  - each one must resolve, from server/dist, to the same installed copy the importing source file
 *    sees (server/node_modules pins some versions), else the compiled server would run other code
 *    than the sources;
 *  - each one must be a run-time dependency of a workspace, else an install without
 *    devDependencies (`npm ci --omit=dev`, as in the Dockerfile) would leave it out.
 */
const externalPackages = {
  name: 'seduta-external-packages',
  setup(build) {
    const production = productionDependencies();
    const problems = new Set();
    build.onResolve({ filter: /^[^./]/ }, (a) => {
      if (a.path.startsWith(WORKSPACE_SCOPE)) return undefined;
      if (a.path.startsWith('node:') || builtinModules.includes(a.path))
        return { path: a.path, external: true };
      const name = packageName(a.path);
      const importer = path.relative(root, a.importer);
      const fromSource = packageDirFrom(a.resolveDir, name);
      if (fromSource !== undefined && fromSource !== packageDirFrom(OUT_DIR, name)) {
        problems.add(`${name} (imported by ${importer}) resolves to another copy from server/dist`);
      }
      if (!production.has(name)) {
        problems.add(
          `${name} (imported by ${importer}) is not in the dependencies of a server-side package.json`,
        );
      }
      return { path: a.path, external: true };
    });
    build.onEnd((result) => {
      for (const text of problems) result.errors.push({ text });
    });
  },
};

/**
 * `import.meta.url` in a workspace source file becomes that source file's own URL, computed from
 * the output file's: every output file lies directly in server/dist/, so the relative path from
 * any of them to a given source file is the same.
 */
const sourceImportMeta = {
  name: 'seduta-source-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (a) => {
      if (a.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await fs.promises.readFile(a.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const relative = path.relative(OUT_DIR, a.path).split(path.sep).join('/');
      return {
        contents: source.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(relative)}, import.meta.url).href`,
        ),
        loader: 'ts',
      };
    });
  },
};

async function buildServer() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    fail('esbuild is not installed: run `npm install` (it is a devDependency)');
  }
  const t0 = Date.now();
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: Object.fromEntries(
        Object.entries(ENTRY_POINTS).map(([name, file]) => [name, path.join(root, file)]),
      ),
      outdir: OUT_DIR,
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      bundle: true,
      splitting: true, // main.ts's lazy imports stay lazy: a bad configuration is reported at once
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      tsconfig: path.join(root, 'tsconfig.json'), // the settings tsx applies (class fields, …)
      legalComments: 'none',
      metafile: true,
      logLevel: 'warning',
      plugins: [externalPackages, sourceImportMeta],
    });
  } catch {
    fail('esbuild could not compile the server (errors above)');
  }
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  fs.writeFileSync(
    STAMP,
    `${JSON.stringify({ builtAt: new Date().toISOString(), entryPoints: ENTRY_POINTS, inputs }, null, 2)}\n`,
  );
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  log(
    `server compiled into server/dist (${inputs.length} modules, ${(bytes / 1024).toFixed(0)} KiB with source maps) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

// ---------------------------------------------------------------- client

function newestMtime(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : mtime(p));
  }
  return newest;
}

/** Same rule as scripts/setup.mjs --start: the bundle is older than the client or protocol sources. */
function clientStaleReason() {
  const index = path.join(root, 'client', 'dist', 'index.html');
  if (!fs.existsSync(index)) return 'not built yet';
  const sources = Math.max(
    newestMtime(path.join(root, 'client', 'src')),
    newestMtime(path.join(root, 'server', 'src', 'protocol')),
    mtime(path.join(root, 'client', 'index.html')),
  );
  return mtime(index) >= sources ? undefined : 'sources changed';
}

function buildClient() {
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', 'build', '-w', 'client', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('the web client build failed (vite output above)');
  log(`web client built into client/dist in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------- main

if (only !== 'client') {
  const reason = ifStale ? serverStaleReason() : 'requested';
  if (reason === undefined) log('server/dist is up to date');
  else {
    if (ifStale) log(`compiling the server (${reason})`);
    await buildServer();
  }
}
if (only !== 'server') {
  const reason = ifStale ? clientStaleReason() : 'requested';
  if (reason === undefined) log('client/dist is up to date');
  else {
    if (ifStale) log(`building the web client (${reason})`);
    buildClient();
  }
}
