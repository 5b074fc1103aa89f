/**
 * An exclusive lock on the embedded database's directory. PGlite has no locking of its own, and
 * two processes writing the same data directory corrupt it; a lock file holding the owner's pid
 * makes the second one fail at startup instead. A lock left by a dead process is taken over.
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
      fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      held.add(lockPath);
      return release(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readOrEmpty(lockPath), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
