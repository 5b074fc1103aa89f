/**
 * An exclusive lock on the embedded database's directory. PGlite has no locking of its own, and
 * two processes writing the same data directory corrupt it; a lock file holding the owner's pid
 * makes the second one fail at startup instead. A lock left by a dead process is taken over, and
 * so is one whose pid now belongs to another process (pids are reused after a crash or a reboot):
 * the file also holds the owner's start time (Linux: /proc/<pid>/stat, in clock ticks since boot)
 * and the boot id, and a live pid with another start time, or from another boot, is not the owner.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Lock files held by this process: the pid check alone cannot tell these from a stale lock. */
const held = new Set<string>();

/** A held lock; release() is idempotent. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Takes the lock file `<dir>.lock`, or throws naming the process that holds it. */
export function lockDataDir(dir: string): DataDirLock {
  const lockPath = `${path.resolve(dir)}.lock`;
  if (held.has(lockPath)) throw new Error(`database directory ${dir} is already open in this process`);
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, lockContent(process.pid), { flag: 'wx' });
      held.add(lockPath);
      return release(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const content = readOrEmpty(lockPath);
    const owner = Number.parseInt(content, 10);
    if (Number.isInteger(owner) && owner !== process.pid && ownsLock(owner, content)) {
      throw new Error(`database directory ${dir} is in use by process ${owner} (lock file ${lockPath})`);
    }
    fs.rmSync(lockPath, { force: true });
  }
  throw new Error(`cannot take the lock file ${lockPath}`);
}

function release(lockPath: string): DataDirLock {
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      held.delete(lockPath);
      fs.rmSync(lockPath, { force: true });
    },
  };
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** `<pid>\nstarted <ticks> boot <id>\n` (the second line only where /proc tells them). */
function lockContent(pid: number): string {
  const started = processStartTicks(pid);
  const boot = bootId();
  return started !== undefined && boot !== undefined
    ? `${pid}\nstarted ${started} boot ${boot}\n`
    : `${pid}\n`;
}

/**
 * Whether the live process `pid` is the one that wrote `content`. A lock without a start time
 * (written elsewhere, or by an older version) can only be judged by the pid.
 */
export function ownsLock(pid: number, content: string): boolean {
  if (!isAlive(pid)) return false;
  const recorded = /started (\d+) boot (\S+)/.exec(content);
  if (!recorded) return true;
  const started = processStartTicks(pid);
  const boot = bootId();
  if (started === undefined || boot === undefined) return true;
  return recorded[1] === started && recorded[2] === boot;
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function processStartTicks(pid: number): string | undefined {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces: count from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] && /^\d+$/.test(fields[19]) ? fields[19] : undefined;
}

function bootId(): string | undefined {
  return readOrEmpty('/proc/sys/kernel/random/boot_id').trim() || undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
