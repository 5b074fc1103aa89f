#!/usr/bin/env node
/**
 * Runs one command inside a network namespace of its own, for the real-browser tests.
 *
 *   node scripts/netns.mjs [--] <command> [args...]
 *
 * Chromium gathers a host candidate on every interface it sees, so on a normal host mediasoup
 * ends up sending STUN/RTP to the machine's external address (docs/decisions/0005). Inside the
 * namespace the only interfaces are its own loopback and a veth pair that this script creates:
 *
 *   seduta-e2e-<pid>: lo up, veth0 (10.99.0.1/24) <-> veth1, both ends inside the namespace
 *
 * The command runs with SEDUTA_E2E_MEDIA_IP=10.99.0.1 and SEDUTA_E2E_NETNS=<name>; its stdio and
 * exit code are passed through. The namespace is deleted whatever happens (normal exit, failure,
 * SIGINT, SIGTERM, SIGHUP, an exception here), and namespaces left behind by earlier runs whose
 * creating process is gone are deleted first.
 *
 * Without root (or without `ip netns`), or with SEDUTA_E2E_NETNS=0, the command runs on the plain
 * loopback instead, with SEDUTA_E2E_MEDIA_IP=127.0.0.1 and SEDUTA_E2E_LOOPBACK=1 (the browser
 * launchers then allow loopback ICE in Firefox). With CI=true that fallback is refused: CI must
 * keep browser traffic inside the namespace.
 */
import { spawn, spawnSync } from 'node:child_process';

const PREFIX = 'seduta-e2e-';
const MEDIA_IP = '10.99.0.1';
const PREFIX_LEN = 24;
/** How long a signalled command gets to exit before it is killed. */
const KILL_GRACE_MS = 10_000;

function log(msg) {
  process.stderr.write(`[netns] ${msg}\n`);
}

function ip(args) {
  return spawnSync('ip', args, { encoding: 'utf8' });
}

function ipOrThrow(args) {
  const r = ip(args);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return err.code === 'EPERM';
  }
}

/** Why the namespace cannot be used here, or null when it can. */
function namespaceUnavailable() {
  if (process.env.SEDUTA_E2E_NETNS === '0') return 'SEDUTA_E2E_NETNS=0';
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (creating a network namespace needs root)';
  const r = ip(['netns', 'list']);
  if (r.error) return `\`ip\` is not available (${r.error.code}); install iproute2`;
  if (r.status !== 0) return `\`ip netns\` does not work here: ${r.stderr.trim()}`;
  return null;
}

function removeStaleNamespaces() {
  const list = ip(['netns', 'list']);
  if (list.status !== 0) return;
  for (const line of list.stdout.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    const m = name?.match(/^seduta-e2e-(\d+)$/);
    if (!m || pidAlive(Number(m[1]))) continue;
    const r = ip(['netns', 'del', name]);
    log(
      r.status === 0
        ? `removed stale namespace ${name}`
        : `could not remove stale ${name}: ${r.stderr.trim()}`,
    );
  }
}

function createNamespace(name) {
  ipOrThrow(['netns', 'add', name]);
  try {
    ipOrThrow(['-n', name, 'link', 'set', 'lo', 'up']);
    // 'type dummy' is not available on these kernels; a veth pair is.
    ipOrThrow(['-n', name, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1']);
    ipOrThrow(['-n', name, 'addr', 'add', `${MEDIA_IP}/${PREFIX_LEN}`, 'dev', 'veth0']);
    ipOrThrow(['-n', name, 'link', 'set', 'veth1', 'up']);
    ipOrThrow(['-n', name, 'link', 'set', 'veth0', 'up']);
  } catch (err) {
    ip(['netns', 'del', name]);
    throw err;
  }
}

/** Runs argv (optionally through a prefix such as `ip netns exec <name>`), resolving to the exit code. */
function runChild(argv, env, onSpawned) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
    onSpawned(child);
    child.on('error', (err) => {
      log(`cannot run ${argv[0]}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (osSignals[signal] ?? 1) : 1));
    });
  });
}

const osSignals = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

async function main() {
  let argv = process.argv.slice(2);
  if (argv[0] === '--') argv = argv.slice(1);
  if (argv.length === 0) {
    log('usage: node scripts/netns.mjs [--] <command> [args...]');
    return 2;
  }

  let child = null;
  let namespace = null;
  const cleanup = () => {
    if (!namespace) return;
    const r = ip(['netns', 'del', namespace]);
    if (r.status !== 0) log(`could not delete namespace ${namespace}: ${r.stderr.trim()}`);
    namespace = null;
  };
  // 'exit' handlers may only do synchronous work: spawnSync is fine.
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (!child || child.exitCode !== null) {
        cleanup();
        process.exit(128 + osSignals[sig]);
      }
      // Let the command shut its browsers down; our exit path then deletes the namespace.
      child.kill(sig);
      setTimeout(() => child?.kill('SIGKILL'), KILL_GRACE_MS).unref();
    });
  }

  const unavailable = namespaceUnavailable();
  if (unavailable) {
    if (process.env.CI === 'true' && process.env.SEDUTA_E2E_NETNS !== '0') {
      log(`cannot create the test network namespace: ${unavailable}; CI requires it`);
      return 1;
    }
    log(`no network namespace (${unavailable}): running on plain loopback 127.0.0.1`);
    const env = { ...process.env, SEDUTA_E2E_MEDIA_IP: '127.0.0.1', SEDUTA_E2E_LOOPBACK: '1' };
    delete env.SEDUTA_E2E_NETNS;
    return runChild(argv, env, (c) => (child = c));
  }

  removeStaleNamespaces();
  const name = `${PREFIX}${process.pid}`;
  createNamespace(name);
  namespace = name;
  log(`namespace ${name}: lo, veth0 ${MEDIA_IP}/${PREFIX_LEN} <-> veth1`);
  const env = { ...process.env, SEDUTA_E2E_MEDIA_IP: MEDIA_IP, SEDUTA_E2E_NETNS: name };
  delete env.SEDUTA_E2E_LOOPBACK;
  try {
    return await runChild(['ip', 'netns', 'exec', name, ...argv], env, (c) => (child = c));
  } finally {
    cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`failed: ${err.stack ?? err}`);
    process.exit(1);
  },
);
