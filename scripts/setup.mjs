#!/usr/bin/env node
/**
 * Seduta's one setup step, run by `npm start` and `npm test` before anything else.
 *
 * Ensures, in order, and fast when everything is already there:
 *  1. the Debian packages this mode needs (installed with apt when running as root on Debian,
 *     otherwise it stops and prints the exact command to run);
 *  2. the mediasoup worker for the pinned mediasoup version: MEDIASOUP_WORKER_BIN if set, else a
 *     cached binary under ~/.cache/seduta/, else mediasoup's prebuilt download, else a build from
 *     the sources inside node_modules/mediasoup/worker against Debian's libraries (with the
 *     patches in media/worker-build/patches/);
 *  3. FFmpeg (FFMPEG_PATH, else `ffmpeg` on the PATH);
 *  4. with --start, the web client bundle (client/dist), rebuilt when its sources changed.
 *
 * Modes: (none) worker + ffmpeg; --start adds the client bundle; --test adds the browsers.
 * Every failure names the missing piece and the fix. See docs/decisions/0002-offline-install.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const mode = args.has('--test') ? 'test' : args.has('--start') ? 'start' : 'setup';

const WORKER_BUILD_DIR = path.join(root, 'media', 'worker-build');
const RUNTIME_PACKAGES = ['ffmpeg'];
const BUILD_PACKAGES = [
  'libuv1-dev',
  'libssl-dev',
  'libsrtp2-dev',
  'libusrsctp-dev',
  'libabsl-dev',
  'libflatbuffers-dev',
  'flatbuffers-compiler',
  'meson',
  'ninja-build',
  'pkg-config',
  'g++',
  'patch',
];
// Browsers and namespaces for the e2e tests (nftables: packet loss and blocked UDP inside the namespace; coturn: the TURN
// test runs its own turnserver — the package's service stays off until /etc/default/coturn enables it); Janus for the
// benchmark's side-by-side peer SFU
// (the quick run in `npm test` measures it too).
// caddy, openssl: the HTTPS tests (the Caddy example in front of the server; test certificates).
// python3: the lossy-link test's userspace netem (test/e2e/harness/netem.py; the kernel has no netem qdisc).
// postgresql: the database-outage e2e test runs a PostgreSQL of its own inside the namespace.
// poppler-utils: the register tests read the sitting's register PDF back with pdftotext.
// redis-server: the multi-node tests start a private Redis of their own (test/support/redis.ts).
const TEST_PACKAGES = [
  'chromium',
  'firefox-esr',
  'iproute2',
  'nftables',
  'janus',
  'coturn',
  'caddy',
  'openssl',
  'postgresql',
  'python3',
  'poppler-utils',
  'redis-server',
];

class SetupError extends Error {
  constructor(what, fix) {
    super(`${what}\n  fix: ${fix}`);
  }
}

function log(msg) {
  process.stdout.write(`[setup] ${msg}\n`);
}

function elapsed(t0) {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------- Debian packages

function isDebian() {
  return fs.existsSync('/etc/debian_version') && commandExists('dpkg-query');
}

function commandExists(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function missingPackages(pkgs) {
  if (!isDebian()) return [];
  return pkgs.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

/** Installs missing Debian packages with apt (as root), or stops with the command to run. */
function ensurePackages(pkgs, why) {
  if (!isDebian()) {
    log(`not Debian/Ubuntu: make sure these are installed (${why}): ${pkgs.join(' ')}`);
    return;
  }
  const missing = missingPackages(pkgs);
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new SetupError(`missing Debian packages (${why}): ${missing.join(' ')}`, `sudo sh -c '${cmd}'`);
  }
  log(`installing Debian packages (${why}): ${missing.join(' ')}`);
  const t0 = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', ...missing],
  ]) {
    const r = spawnSync('apt-get', argv, { stdio: 'inherit', env });
    if (r.status !== 0) {
      throw new SetupError(`apt-get ${argv[0]} failed (exit ${r.status})`, `run as root: ${cmd}`);
    }
  }
  log(`packages installed in ${elapsed(t0)}`);
}

// ---------------------------------------------------------------- mediasoup worker

function mediasoupDir() {
  const p = path.join(root, 'node_modules', 'mediasoup');
  if (!fs.existsSync(path.join(p, 'package.json'))) {
    throw new SetupError(
      'mediasoup is not installed in node_modules',
      'run `npm install` (or `npm ci`) first',
    );
  }
  return p;
}

/** A worker binary is usable when it starts and exits 41 (no MEDIASOUP_VERSION), as mediasoup checks. */
function workerRuns(bin) {
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, [], { env: {}, stdio: 'ignore', timeout: 10_000 });
  return r.status === 41;
}

/**
 * Cache key: mediasoup version + our build inputs (patches/, subprojects/) + platform. The other
 * folders of media/worker-build (liburing/, experiments/) are not built by setup and do not count.
 */
function cacheKey(version) {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else h.update(path.relative(WORKER_BUILD_DIR, p)).update(fs.readFileSync(p));
    }
  };
  for (const input of ['patches', 'subprojects']) walk(path.join(WORKER_BUILD_DIR, input));
  return `mediasoup-worker-${version}-${os.platform()}-${os.arch()}-${h.digest('hex').slice(0, 12)}`;
}

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'seduta');
}

async function downloadPrebuilt(version, dest) {
  if (process.env.SEDUTA_WORKER_DOWNLOAD === '0') return false;
  const kernel = os.platform() === 'linux' ? `-kernel${os.release().split('.')[0]}` : '';
  const url = `https://github.com/versatica/mediasoup/releases/download/${version}/mediasoup-worker-${version}-${os.platform()}-${os.arch()}${kernel}.tgz`;
  log(`trying mediasoup's prebuilt worker (${url})`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-prebuilt-'));
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
    if (!res.ok) {
      log(`prebuilt worker not available (HTTP ${res.status}); building from source instead`);
      return false;
    }
    const tgz = path.join(tmp, 'w.tgz');
    fs.writeFileSync(tgz, Buffer.from(await res.arrayBuffer()));
    const r = spawnSync('tar', ['xzf', tgz, '-C', tmp], { stdio: 'inherit' });
    const bin = path.join(tmp, 'mediasoup-worker');
    if (r.status !== 0 || !workerRuns(bin)) {
      log('prebuilt worker does not run on this host; building from source instead');
      return false;
    }
    fs.copyFileSync(bin, `${dest}.tmp`);
    fs.chmodSync(`${dest}.tmp`, 0o755);
    fs.renameSync(`${dest}.tmp`, dest);
    return true;
  } catch (err) {
    log(`prebuilt worker download failed (${err.cause?.code ?? err.name}); building from source instead`);
    return false;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function run(cmd, argv, cwd, label) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let lastShown = -1;
    const onData = (chunk) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-8000);
      // ninja prints "[done/total] ..."; show progress every 10% instead of every line.
      for (const m of text.matchAll(/\[(\d+)\/(\d+)\]/g)) {
        const pct = Math.floor((Number(m[1]) / Number(m[2])) * 10) * 10;
        if (pct !== lastShown) {
          lastShown = pct;
          log(`${label}: ${pct}% (${m[1]}/${m[2]})`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new SetupError(`${label} failed (exit ${code}); last output:\n${tail}`, 'see the output above'),
        );
    });
  });
}

async function buildFromSource(msDir, dest) {
  ensurePackages(BUILD_PACKAGES, 'to build the mediasoup worker');
  const t0 = Date.now();
  log('building the mediasoup worker from source (a few minutes on 2 cores; cached afterwards)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-worker-'));
  try {
    const src = path.join(work, 'worker');
    fs.cpSync(path.join(msDir, 'worker'), src, {
      recursive: true,
      filter: (p) => !p.includes(`${path.sep}out${path.sep}`) && !p.endsWith(`${path.sep}out`),
    });
    fs.cpSync(path.join(WORKER_BUILD_DIR, 'subprojects'), path.join(src, 'subprojects'), { recursive: true });
    const patches = fs
      .readdirSync(path.join(WORKER_BUILD_DIR, 'patches'))
      .filter((f) => f.endsWith('.patch'));
    for (const p of patches.sort()) {
      const r = spawnSync(
        'patch',
        ['-p1', '--forward', '--batch', '-i', path.join(WORKER_BUILD_DIR, 'patches', p)],
        {
          cwd: src,
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) {
        throw new SetupError(
          `patch ${p} no longer applies to mediasoup's worker sources:\n${r.stdout}${r.stderr}`,
          'the pinned mediasoup version changed: update media/worker-build/patches/ for it',
        );
      }
      log(`applied ${p}`);
    }
    const dtls = fs.readFileSync(path.join(src, 'src', 'RTC', 'DtlsTransport.cpp'), 'utf8');
    if (!dtls.includes('(operationType & BIO_CB_RETURN)')) {
      throw new SetupError(
        'the DTLS BIO callback fix is not in the worker sources',
        'update media/worker-build/patches/0001-*',
      );
    }
    const out = path.join(src, 'out', 'build');
    log('meson setup');
    await run(
      'meson',
      [
        'setup',
        '--buildtype',
        'release',
        '-Db_ndebug=true',
        '-Dms_disable_liburing=true',
        '--wrap-mode=nodownload',
        out,
      ],
      src,
      'meson setup',
    );
    await run('ninja', ['-C', out, 'fbs/FBS'], src, 'generating FlatBuffers headers');
    await run('ninja', ['-C', out, 'mediasoup-worker'], src, 'compiling mediasoup-worker');
    const bin = path.join(out, 'mediasoup-worker');
    if (!workerRuns(bin))
      throw new SetupError('the built mediasoup-worker does not run', 'see the build output above');
    fs.copyFileSync(bin, `${dest}.tmp`);
    fs.chmodSync(`${dest}.tmp`, 0o755);
    fs.renameSync(`${dest}.tmp`, dest);
    log(`mediasoup worker built in ${elapsed(t0)}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Puts `bin` where mediasoup looks by default, so no environment variable is needed at run time. The
 * copy is renamed into place, so a worker started meanwhile (tests running while setup rebuilds) gets
 * either the old binary or the new one, never a missing or half-written file.
 */
function linkDefault(msDir, bin) {
  const target = path.join(msDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  try {
    if (fs.realpathSync(target) === fs.realpathSync(bin)) return;
  } catch {
    // target missing: create it below
  }
  const tmp = `${target}.${process.pid}.tmp`;
  fs.copyFileSync(bin, tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, target);
}

async function ensureWorker() {
  const msDir = mediasoupDir();
  const version = JSON.parse(fs.readFileSync(path.join(msDir, 'package.json'), 'utf8')).version;
  if (process.env.MEDIASOUP_WORKER_BIN) {
    const bin = process.env.MEDIASOUP_WORKER_BIN;
    if (!workerRuns(bin)) {
      throw new SetupError(
        `MEDIASOUP_WORKER_BIN=${bin} is not a runnable mediasoup worker`,
        'unset it or point it at a mediasoup-worker binary',
      );
    }
    log(`mediasoup worker: ${bin} (MEDIASOUP_WORKER_BIN)`);
    return;
  }
  const dir = cacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const cached = path.join(dir, cacheKey(version));
  if (!workerRuns(cached)) {
    if (fs.existsSync(cached)) {
      log(`cached worker ${cached} does not run here (missing libraries?); rebuilding`);
      fs.rmSync(cached, { force: true });
    }
    if (!(await downloadPrebuilt(version, cached))) await buildFromSource(msDir, cached);
  }
  linkDefault(msDir, cached);
  log(`mediasoup worker ${version}: ${cached}`);
}

// ---------------------------------------------------------------- ffmpeg

function ensureFfmpeg() {
  const bin = process.env.FFMPEG_PATH || 'ffmpeg';
  let r = spawnSync(bin, ['-hide_banner', '-version'], { encoding: 'utf8' });
  if (r.status !== 0 && !process.env.FFMPEG_PATH) {
    ensurePackages(RUNTIME_PACKAGES, 'FFmpeg records sittings');
    r = spawnSync(bin, ['-hide_banner', '-version'], { encoding: 'utf8' });
  }
  if (r.status !== 0) {
    throw new SetupError(
      `FFmpeg not found or not runnable (${bin})`,
      process.env.FFMPEG_PATH
        ? 'point FFMPEG_PATH at an ffmpeg binary'
        : 'install ffmpeg (Debian: apt-get install ffmpeg) or set FFMPEG_PATH',
    );
  }
  log(`ffmpeg: ${r.stdout.split('\n')[0]}`);
}

// ---------------------------------------------------------------- client bundle

function newestMtime(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

function ensureClient() {
  const dist = path.join(root, 'client', 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(path.join(root, 'client', 'src')),
    newestMtime(path.join(root, 'server', 'src', 'protocol')),
    fs.statSync(path.join(root, 'client', 'index.html')).mtimeMs,
  );
  if (fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= sources) return;
  log('building the web client (vite)');
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', 'build', '-w', 'client', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new SetupError('the web client build failed', 'see the vite output above');
  log(`web client built in ${elapsed(t0)}`);
}

// ---------------------------------------------------------------- main

const t0 = Date.now();
try {
  if (mode === 'test') ensurePackages(TEST_PACKAGES, 'browser tests and the benchmark');
  await ensureWorker();
  ensureFfmpeg();
  if (mode === 'start' || mode === 'test') ensureClient();
  log(`ready in ${elapsed(t0)}`);
} catch (err) {
  process.stderr.write(`[setup] FAILED: ${err instanceof SetupError ? err.message : (err.stack ?? err)}\n`);
  process.exit(1);
}
