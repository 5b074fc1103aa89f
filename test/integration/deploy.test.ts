/**
 * The deployment pieces (issue 12, item 4), checked with the tools an IT office would use:
 *  - docker-compose.yml validates with Debian's docker-compose, fed the env-file example;
 *  - deploy/seduta.service passes systemd-analyze verify;
 *  - deploy/seduta.env.example names every variable the server reads;
 *  - `npm run build && npm start` serves a sitting from the compiled JavaScript: no tsx (nor any
 *    TypeScript) in the process tree, and SIGTERM ends it with exit 0 within SHUTDOWN_GRACE_MS.
 * docker-compose and systemd-analyze come from the Debian packages docker-compose and systemd,
 * which .ci/run installs; without them these tests fail and say which package to install.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findFreeRtcPort } from '../e2e/harness/ports';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const repo = (...parts: string[]) => path.join(REPO_ROOT, ...parts);
/** npm run build on 2 cores: the setup check, esbuild (< 1 s) and Vite (the bulk). */
const BUILD_MS = 240_000;
const STARTUP_MS = 90_000;
const SHUTDOWN_GRACE_MS = 10_000;
const TURN_SECRET = 'b1c4f0e6a9d24e5f8c3b7a1d0e9f2c4b6a8d0e2f4c6b8a0d';
const API_KEY = 'deploy-test-api-key-0123456789';

/** Runs a command to completion; fails the test with the package to install when it is missing. */
function runTool(cmd: string, args: string[], debianPackage: string, cwd = REPO_ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${cmd} is not installed: apt-get install ${debianPackage}`);
  }
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-deploy-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('docker-compose.yml', () => {
  /** A project directory whose .env is deploy/seduta.env.example with the secrets filled in. */
  function projectWithEnv(extra: string): string {
    const dir = tempDir();
    const example = fs.readFileSync(repo('deploy/seduta.env.example'), 'utf8');
    fs.writeFileSync(path.join(dir, '.env'), `${example}\n${extra}`);
    return dir;
  }
  const compose = (dir: string, ...args: string[]) =>
    runTool(
      'docker-compose',
      ['-f', repo('docker-compose.yml'), '--project-directory', dir, 'config', ...args],
      'docker-compose',
    );

  it('validates with the env-file example, and coturn gets the TURN_SECRET Seduta gets', () => {
    const dir = projectWithEnv(
      [
        'POSTGRES_PASSWORD=0a1b2c3d4e5f60718293a4b5',
        `TURN_SECRET=${TURN_SECRET}`,
        'TURN_URLS=turn:203.0.113.10:3478?transport=udp,turn:203.0.113.10:3478?transport=tcp',
        '',
      ].join('\n'),
    );
    const quiet = compose(dir, '-q');
    expect(quiet.stderr).toBe('');
    expect(quiet.status).toBe(0);

    const { stdout, status } = compose(dir);
    expect(status).toBe(0);
    // Seduta's environment (env_file + environment) and coturn's command line carry one secret.
    expect(stdout).toContain(`TURN_SECRET: ${TURN_SECRET}`);
    expect(stdout).toContain(`--static-auth-secret=${TURN_SECRET}`);
    expect(stdout).toContain('--use-auth-secret');
    // coturn relays to Seduta's media address and nowhere else.
    expect(stdout).toContain('MEDIA_ANNOUNCED_ADDRESS: 203.0.113.10');
    expect(stdout).toContain('--allowed-peer-ip=203.0.113.10');
    expect(stdout).toContain('--denied-peer-ip=0.0.0.0-255.255.255.255');
    expect(stdout).toContain('DATABASE_URL: postgres://seduta:0a1b2c3d4e5f60718293a4b5@postgres:5432/seduta');
    // One WebRTC port per worker, UDP and TCP, published as MEDIA_RTC_PORT … + MEDIA_WORKERS - 1.
    const workers = Number(/MEDIA_WORKERS: '(\d+)'/.exec(stdout)?.[1]);
    const rtcPort = Number(/MEDIA_RTC_PORT: '(\d+)'/.exec(stdout)?.[1]);
    expect(workers).toBeGreaterThan(0);
    for (const protocol of ['udp', 'tcp']) {
      for (let i = 0; i < workers; i++) {
        expect(stdout).toMatch(
          new RegExp(`protocol: ${protocol}\\s+published: ${rtcPort + i}\\s+target: ${rtcPort + i}\\n`),
        );
      }
    }
  });

  it('refuses to validate without POSTGRES_PASSWORD, naming it', () => {
    const dir = projectWithEnv(`TURN_SECRET=${TURN_SECRET}\n`);
    const { status, stderr } = compose(dir, '-q');
    expect(status).not.toBe(0);
    expect(stderr).toContain('set POSTGRES_PASSWORD in .env');
  });
});

describe('deploy/docker-compose.cluster.yml (several machines)', () => {
  const CLUSTER_ENV = {
    POSTGRES_PASSWORD: '0a1b2c3d4e5f60718293a4b5',
    TURN_SECRET,
    REDIS_PASSWORD: '5f4e3d2c1b0a99887766554433221100',
    JOIN_TOKEN_SECRET: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
    API_KEY,
    SEDUTA_SITE: 'seduta.ente.example.it',
    FRONT_PRIVATE_ADDRESS: '10.0.0.10',
    NODE_A_PRIVATE_ADDRESS: '10.0.0.11',
    NODE_A_PUBLIC_ADDRESS: '203.0.113.11',
    NODE_B_PRIVATE_ADDRESS: '10.0.0.12',
    NODE_B_PUBLIC_ADDRESS: '203.0.113.12',
  };
  const ALL = ['front', 'node-a', 'node-b'];

  /** A project directory whose .env is the env-file example plus `env`. */
  function projectWith(env: Record<string, string>): string {
    const dir = tempDir();
    const example = fs.readFileSync(repo('deploy/seduta.env.example'), 'utf8');
    const lines = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    fs.writeFileSync(path.join(dir, '.env'), `${example}\n${lines.join('\n')}\n`);
    return dir;
  }
  /** `docker-compose --profile … config …` on the cluster file. */
  const compose = (dir: string, profiles: string[], ...args: string[]) =>
    runTool(
      'docker-compose',
      [
        '-f',
        repo('deploy/docker-compose.cluster.yml'),
        '--project-directory',
        dir,
        ...profiles.flatMap((p) => ['--profile', p]),
        'config',
        ...args,
      ],
      'docker-compose',
    );
  /** One service's block of `docker-compose config`'s output. */
  function service(config: string, name: string): string {
    const start = config.indexOf(`\n  ${name}:\n`);
    expect(start, `service ${name}`).toBeGreaterThan(-1);
    const rest = config.slice(start + 1);
    const end = rest.slice(1).search(/\n {2}\S|\n\S/);
    return end === -1 ? rest : rest.slice(0, end + 1);
  }
  /** The `environment:` entries of a service block. */
  function environment(block: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const m of block.matchAll(/^ {6}([A-Z][A-Z0-9_]*): (.*)$/gm))
      env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
    return env;
  }
  const range = (env: Record<string, string>, workers: number) => ({
    rtc: [Number(env.MEDIA_RTC_PORT), Number(env.MEDIA_RTC_PORT) + workers - 1] as const,
    plain: [Number(env.MEDIA_RTC_MIN_PORT), Number(env.MEDIA_RTC_MAX_PORT)] as const,
  });
  const overlap = (a: readonly [number, number], b: readonly [number, number]) =>
    a[0] <= b[1] && b[0] <= a[1];

  it('validates with every profile: two nodes on one Redis and one PostgreSQL, each with its own ports and media address, Caddy balancing both', () => {
    const dir = projectWith(CLUSTER_ENV);
    const quiet = compose(dir, ALL, '-q');
    expect(quiet.stderr).toBe('');
    expect(quiet.status).toBe(0);
    const { stdout, status } = compose(dir, ALL);
    expect(status).toBe(0);

    const a = environment(service(stdout, 'seduta-a'));
    const b = environment(service(stdout, 'seduta-b'));
    for (const node of [a, b]) {
      expect(node.REDIS_URL).toBe(`redis://:${CLUSTER_ENV.REDIS_PASSWORD}@10.0.0.10:6379/0`);
      expect(node.DATABASE_URL).toBe(
        `postgres://seduta:${CLUSTER_ENV.POSTGRES_PASSWORD}@10.0.0.10:5432/seduta`,
      );
      // Only Caddy, on the front machine, is believed about the client's address and scheme.
      expect(node.TRUST_PROXY).toBe('10.0.0.10');
      // Links and passes signed by one node are honoured by the other.
      expect(node.JOIN_TOKEN_SECRET).toBe(CLUSTER_ENV.JOIN_TOKEN_SECRET);
      expect(node.API_KEY).toBe(API_KEY);
      expect(node.MEDIA_LISTEN_IP).toBe('0.0.0.0');
    }
    expect([a.HOST, a.MEDIA_ANNOUNCED_ADDRESS]).toEqual(['10.0.0.11', '203.0.113.11']);
    expect([b.HOST, b.MEDIA_ANNOUNCED_ADDRESS]).toEqual(['10.0.0.12', '203.0.113.12']);
    // Both nodes can share one machine: no port of one is a port of the other, nor coturn's relays.
    expect(a.PORT).not.toBe(b.PORT);
    const ra = range(a, Number(a.MEDIA_WORKERS));
    const rb = range(b, Number(b.MEDIA_WORKERS));
    const coturn = service(stdout, 'coturn');
    const relays = [
      Number(/--min-port=(\d+)/.exec(coturn)?.[1]),
      Number(/--max-port=(\d+)/.exec(coturn)?.[1]),
    ] as const;
    const all = [ra.rtc, ra.plain, rb.rtc, rb.plain, relays];
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++)
        expect(overlap(all[i]!, all[j]!), `${all[i]!.join('-')} and ${all[j]!.join('-')}`).toBe(false);
    // coturn relays to the nodes' media addresses and nowhere else.
    expect(coturn).toContain('--allowed-peer-ip=203.0.113.11');
    expect(coturn).toContain('--allowed-peer-ip=203.0.113.12');
    expect(coturn).toContain('--denied-peer-ip=0.0.0.0-255.255.255.255');
    expect(coturn).toContain(`--static-auth-secret=${TURN_SECRET}`);

    // Caddy sends the public name's traffic to both nodes' HTTP ports.
    const caddy = environment(service(stdout, 'caddy'));
    expect(caddy.SEDUTA_SITE).toBe('seduta.ente.example.it');
    expect(caddy.SEDUTA_NODES?.split(' ')).toEqual([`${a.HOST}:${a.PORT}`, `${b.HOST}:${b.PORT}`]);
    expect(service(stdout, 'caddy')).toContain('deploy/Caddyfile.cluster:/etc/caddy/Caddyfile:ro');
    // Redis (with a password) and PostgreSQL listen on the private network only.
    const redis = service(stdout, 'redis');
    expect(redis).toContain('- 10.0.0.10:6379:6379/tcp');
    expect(redis).toContain(`- ${CLUSTER_ENV.REDIS_PASSWORD}`);
    expect(service(stdout, 'postgres')).toContain('- 10.0.0.10:5432:5432/tcp');
  });

  it('gives each machine its profile: the front runs Caddy, Redis, PostgreSQL and coturn; a node one Seduta', () => {
    const { stdout, status } = compose(projectWith(CLUSTER_ENV), ALL);
    expect(status).toBe(0);
    const profiles = (name: string) => /\n {4}profiles:\n((?: {4}- .*\n)+)/.exec(service(stdout, name))?.[1];
    for (const name of ['caddy', 'redis', 'postgres', 'coturn'])
      expect(profiles(name), name).toBe('    - front\n');
    expect(profiles('seduta-a')).toBe('    - node-a\n');
    expect(profiles('seduta-b')).toBe('    - node-b\n');
  });

  it.each(['REDIS_PASSWORD', 'FRONT_PRIVATE_ADDRESS', 'NODE_B_PUBLIC_ADDRESS', 'JOIN_TOKEN_SECRET'])(
    'refuses to validate without %s, naming it',
    (name) => {
      const { [name as keyof typeof CLUSTER_ENV]: _left, ...rest } = CLUSTER_ENV;
      const { status, stderr } = compose(projectWith(rest), ALL, '-q');
      expect(status).not.toBe(0);
      expect(stderr).toContain(`set ${name} in .env`);
    },
  );
});

describe('deploy/seduta.env.example', () => {
  it('names every variable the server and the recorder read', () => {
    // Every source file of the server and the recorder (a feature's own config module included).
    const sources = ['server/src', 'recorder/src'].flatMap((dir) =>
      (fs.readdirSync(repo(dir), { recursive: true }) as string[])
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((f) => fs.readFileSync(repo(dir, f), 'utf8')),
    );
    // Conventions every program honours, not Seduta's settings.
    const CONVENTIONS = new Set(['NO_COLOR']);
    const read = new Set<string>();
    for (const source of sources) {
      for (const m of source.matchAll(
        /(?:read\(|integer\(\s*read,\s*)'([A-Z][A-Z0-9_]+)'|env\.([A-Z][A-Z0-9_]+)/g,
      )) {
        read.add((m[1] ?? m[2])!);
      }
    }
    expect(read.size).toBeGreaterThan(30);
    const example = fs.readFileSync(repo('deploy/seduta.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^#?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    const missing = [...read].filter((name) => !listed.has(name) && !CONVENTIONS.has(name)).sort();
    expect(missing, 'add each to deploy/seduta.env.example, with a comment').toEqual([]);
  });
});

/** The packages one `apt-get install` line of a Dockerfile stage installs. */
function aptInstalls(stage: string): string[] {
  const install = /apt-get install -y --no-install-recommends([^&]*)&&/.exec(stage.replace(/\\\n/g, ' '));
  return (install?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
}

/** The installed Debian package owning each file (one dpkg call), trying merged-/usr aliases. */
function owningPackages(files: string[]): Map<string, string | undefined> {
  const aliases = new Map<string, string[]>();
  for (const file of files) {
    const real = fs.realpathSync(file);
    const forms = [file, real].flatMap((f) => [f, f.startsWith('/usr/') ? f.slice(4) : `/usr${f}`]);
    aliases.set(file, forms);
  }
  const r = spawnSync('dpkg', ['-S', ...new Set([...aliases.values()].flat())], { encoding: 'utf8' });
  const owner = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([^:,\s]+)(?::[^:\s]+)?(?:, [^:]+)?: (\/.*)$/.exec(line);
    if (m) owner.set(m[2]!, m[1]!);
  }
  return new Map(
    files.map((f) => [
      f,
      aliases
        .get(f)!
        .map((a) => owner.get(a))
        .find(Boolean),
    ]),
  );
}

/** `packages` and everything they depend on, recursively, among the installed packages. */
function withDependencies(packages: string[]): Set<string> {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${Depends},${Pre-Depends}\n'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const depends = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const [name, deps = ''] = line.split('\t');
    const names = deps.split(/[,|]/).map((d) => d.trim().split(/[\s:(]/)[0]!);
    if (name) depends.set(name, names.filter(Boolean));
  }
  const closure = new Set<string>();
  const queue = [...packages];
  while (queue.length > 0) {
    const pkg = queue.pop()!;
    if (closure.has(pkg)) continue;
    closure.add(pkg);
    queue.push(...(depends.get(pkg) ?? []));
  }
  return closure;
}

describe('Dockerfile (no Docker engine in CI: checked against what it relies on)', () => {
  const dockerfile = fs.readFileSync(repo('Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const stage = (name: string) => stages.find((s) => s.split('\n')[0]!.includes(` AS ${name}`))!;
  const final = stages.at(-1)!;

  it('builds the worker with setup.mjs offline, from its own package list, and compiles with npm run build', () => {
    const setup = fs.readFileSync(repo('scripts/setup.mjs'), 'utf8');
    const buildPackages = [
      .../const BUILD_PACKAGES = \[([^\]]*)\]/.exec(setup)![1]!.matchAll(/'([^']+)'/g),
    ].map((m) => m[1]!);
    expect(buildPackages.length).toBeGreaterThan(5);
    const build = stage('build');
    expect(aptInstalls(build)).toEqual(expect.arrayContaining(buildPackages));
    expect(aptInstalls(stage('base'))).toEqual(expect.arrayContaining(['ffmpeg', 'tini']));
    expect(build).toMatch(/^ENV SEDUTA_WORKER_DOWNLOAD=0/m);
    expect(build).toMatch(/^RUN npm ci /m);
    expect(build).toMatch(/^RUN npm run build/m);
    expect(stage('deps')).toMatch(/^RUN npm ci --omit=dev/m);
    // The image runs the compiled server as a user, under tini, with a health check.
    expect(final).toMatch(/^USER seduta$/m);
    expect(final).toContain('HEALTHCHECK');
    expect(final).toContain('deploy/healthcheck.mjs');
    expect(final).toMatch(/^CMD \["node", "--enable-source-maps", "server\/dist\/main\.js"\]$/m);
    expect(final).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    for (const copied of [
      'server/dist',
      'client/dist',
      'node_modules/mediasoup/worker/out/Release/mediasoup-worker',
    ]) {
      expect(final).toContain(`/app/${copied}`);
    }
    const ignored = fs.readFileSync(repo('.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.env']));
    expect(ignored).not.toContain('media'); // media/worker-build holds the worker's build files
  });

  it("installs, in the final image, every shared library this machine's worker links", () => {
    // The worker setup.mjs prepared for the tests: built against the same Debian release.
    const worker = repo('node_modules/mediasoup/worker/out/Release/mediasoup-worker');
    const ldd = spawnSync('ldd', [worker], { encoding: 'utf8' });
    expect(ldd.status).toBe(0);
    const libraries = [...ldd.stdout.matchAll(/=> (\/\S+)/g)].map((m) => m[1]!);
    expect(libraries.length).toBeGreaterThan(3);
    // What the final stage and its base install, plus what every node image has (C, C++ runtimes).
    const installed = [...aptInstalls(stage('base')), ...aptInstalls(final)];
    const present = withDependencies([...installed, 'libc6', 'libstdc++6', 'libgcc-s1']);
    const owners = owningPackages(libraries);
    const missing = libraries.filter((lib) => !present.has(owners.get(lib) ?? `(no package owns ${lib})`));

    expect(missing).toEqual([]);
  });
});

/** pid → parent pid, for every process. */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process ended meanwhile
    }
  }
  return parents;
}

/** `pid` and all its descendants, each with its argv. */
function processTree(pid: number): { pid: number; argv: string[] }[] {
  const parents = parentPids();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree.flatMap((p) => {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return [{ pid: p, argv }];
    } catch {
      return [];
    }
  });
}

describe('npm run build && npm start', () => {
  let buildMs = 0;
  let server: ChildProcess | undefined;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let output = '';
  let base = '';

  beforeAll(async () => {
    const t0 = Date.now();
    const build = spawnSync('npm', ['run', 'build'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: BUILD_MS,
      env: { ...process.env, SEDUTA_WORKER_DOWNLOAD: '0' },
    });
    buildMs = Date.now() - t0;
    process.stdout.write(`npm run build took ${(buildMs / 1000).toFixed(1)} s\n`);
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }, BUILD_MS + 10_000);

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      process.kill(-server.pid, 'SIGKILL'); // the whole group: npm, node, the mediasoup worker
      await exit;
    }
  });

  it('compiled the server and its tools into JavaScript', () => {
    for (const tool of ['main', 'migrate-cli', 'admin-create', 'verify-cli']) {
      expect(fs.existsSync(repo('server/dist', `${tool}.js`)), tool).toBe(true);
    }
    expect(fs.existsSync(repo('client/dist/index.html'))).toBe(true);
    const compiled = fs
      .readdirSync(repo('server/dist'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => fs.readFileSync(repo('server/dist', f), 'utf8'))
      .join('\n');
    // Workspaces and migrations are inside the bundle; nothing imports TypeScript at run time.
    expect(compiled).not.toMatch(/from ["'][^"']*\.ts["']|import\(["'][^"']*\.ts["']\)|["']@seduta\//);
    expect(compiled).toContain('0007_recording_evidence');
  });

  it(
    'serves the public page and a sitting with plain node, no tsx in the process tree, and stops on SIGTERM with exit 0',
    async () => {
      const plain = { min: 47000, max: 47999 };
      const port = await findFreeRtcPort('127.0.0.1', plain);
      let rtcPort = port;
      for (let i = 0; i < 5 && rtcPort === port; i++) rtcPort = await findFreeRtcPort('127.0.0.1', plain);
      const dataDir = tempDir();
      server = spawn('npm', ['start'], {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          SEDUTA_WORKER_DOWNLOAD: '0',
          PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'info',
          API_KEY,
          MEDIA_WORKERS: '1',
          MEDIA_LISTEN_IP: '127.0.0.1',
          MEDIA_RTC_PORT: String(rtcPort),
          MEDIA_RTC_MIN_PORT: String(plain.min),
          MEDIA_RTC_MAX_PORT: String(plain.max),
          SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
        },
      });
      const child = server;
      child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
      exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      base = `http://127.0.0.1:${port}`;

      await vi.waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
          const res = await fetch(`${base}/api/health`);
          expect(res.status).toBe(200);
        },
        { timeout: STARTUP_MS, interval: 250 },
      );
      expect(await (await fetch(`${base}/api/health`)).json()).toEqual({
        status: 'ok',
        db: 'pglite',
        workers: 1,
      });
      // `npm start` built nothing more: `npm run build` had made it all.
      expect(output).toContain('server/dist is up to date');
      expect(output).toContain('client/dist is up to date');

      // The public page and its script, from client/dist.
      const home = await fetch(`${base}/`);
      expect(home.status).toBe(200);
      const html = await home.text();
      expect(html).toContain('<title>Seduta</title>');
      const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const js = await fetch(`${base}${script!}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);

      // A sitting, as the procurement platform and an operator see it.
      const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
      const created = await fetch(`${base}/api/platform/sittings`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ title: 'Apertura buste — Procedura 7/2026' }),
      });
      expect(created.status).toBe(201);
      const { sitting } = (await created.json()) as { sitting: { id: string } };
      const minted = await fetch(`${base}/api/platform/sittings/${sitting.id}/join-tokens`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ subject: 'oe-00042', name: 'Edilizia Rossi S.r.l.' }),
      });
      expect(minted.status).toBe(201);
      const { token } = (await minted.json()) as { token: string };
      const page = await fetch(`${base}/s/${sitting.id}?token=${token}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Seduta</title>');
      const joined = await fetch(`${base}/api/auth/join-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sittingId: sitting.id, token }),
      });
      expect(joined.status).toBe(200);
      const pass = joined.headers.getSetCookie().map((c) => c.split(';')[0]!);
      const details = await fetch(`${base}/api/sittings/${sitting.id}`, {
        headers: { cookie: pass.join('; ') },
      });
      expect(details.status).toBe(200);
      expect(await details.json()).toMatchObject({
        id: sitting.id,
        title: 'Apertura buste — Procedura 7/2026',
        status: 'scheduled',
      });
      // The signalling endpoint answers (socket.io's handshake over polling).
      const socket = await fetch(`${base}/socket.io/?EIO=4&transport=polling`);
      expect(socket.status).toBe(200);

      // The container's health check reads the same server.
      const health = spawnSync(process.execPath, [repo('deploy/healthcheck.mjs')], {
        env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1' },
        encoding: 'utf8',
      });
      expect(health.status).toBe(0);

      // The process tree: npm, then the server (sh exec'd into node), then its mediasoup worker.
      const tree = processTree(child.pid!);
      const everything = tree.map((p) => p.argv.join(' ')).join('\n');
      expect(everything).not.toMatch(/tsx|typescript|\.ts\b/);
      const main = tree.find((p) => p.argv.some((a) => a.endsWith('server/dist/main.js')));
      expect(main, everything).toBeDefined();
      expect(fs.realpathSync(`/proc/${main!.pid}/exe`)).toBe(fs.realpathSync(process.execPath));
      expect(main!.argv.filter((a) => !a.startsWith('-')).slice(1)).toEqual(['server/dist/main.js']);
      expect(tree.some((p) => /mediasoup-worker$/.test(p.argv[0] ?? ''))).toBe(true);

      // SIGTERM to npm start: npm hands it to the server, which shuts down and exits 0.
      const t0 = Date.now();
      child.kill('SIGTERM');
      const result = await Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`still running after the grace:\n${output}`)), SHUTDOWN_GRACE_MS),
        ),
      ]);
      expect(result).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(SHUTDOWN_GRACE_MS);
      expect(output).toContain('shutdown complete');
      expect(processTree(main!.pid)).toEqual([]);

      // Measured: reported in the test output.
      process.stdout.write(`npm run build: ${(buildMs / 1000).toFixed(1)} s\n`);
    },
    STARTUP_MS + 60_000,
  );
});

describe('deploy/seduta.service', () => {
  it('passes systemd-analyze verify with no warning about the unit', () => {
    // verify checks that ExecStart's binary exists: the unit is copied with its install paths
    // (/opt/seduta, /usr/bin/node) pointed at this checkout and this node, nothing else changed.
    const unit = fs.readFileSync(repo('deploy/seduta.service'), 'utf8');
    const dir = tempDir();
    const copy = path.join(dir, 'seduta.service');
    const rewritten = unit
      .replaceAll('/opt/seduta/', REPO_ROOT)
      .replaceAll('/opt/seduta', REPO_ROOT.replace(/\/$/, ''))
      .replaceAll('/usr/bin/node', process.execPath);
    fs.writeFileSync(copy, rewritten);
    const execStart = /^ExecStart=(.*)$/m.exec(rewritten)![1]!.split(' ');
    expect(execStart[0]).toBe(process.execPath);
    expect(fs.existsSync(execStart.at(-1)!)).toBe(true); // server/dist/main.js, built above

    const { status, stdout, stderr } = runTool('systemd-analyze', ['verify', copy], 'systemd');
    expect(`${stdout}${stderr}`.split('\n').filter((l) => l.includes('seduta'))).toEqual([]);
    expect(status).toBe(0);

    // Shutdown: SIGTERM to the server alone, and systemd waits longer than the server's grace.
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^KillMode=mixed$/m);
    const timeoutStop = Number(/^TimeoutStopSec=(\d+)s$/m.exec(unit)?.[1]);
    expect(timeoutStop * 1000).toBeGreaterThan(SHUTDOWN_GRACE_MS);
    // mediasoup workers and FFmpeg need no W^X ban and may spawn processes.
    expect(unit).not.toMatch(/^(MemoryDenyWriteExecute|PrivateNetwork)=/m);
  });
});
