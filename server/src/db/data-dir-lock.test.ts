import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir, ownsLock } from './data-dir-lock';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-lock-'));
  dirs.push(dir);
  return path.join(dir, 'db');
}

describe('the data directory lock', () => {
  it('records the owner with its start time and boot', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    try {
      const content = fs.readFileSync(`${dir}.lock`, 'utf8');
      expect(content).toMatch(new RegExp(`^${process.pid}\\nstarted \\d+ boot \\S+\\n$`));
      expect(ownsLock(process.pid, content)).toBe(true);
    } finally {
      lock.release();
    }
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  });

  it('takes over a stale lock whose pid now belongs to an unrelated live process', () => {
    const dir = tempDir();
    // pid 1 is alive, but it did not start at tick 1 of another boot.
    fs.writeFileSync(`${dir}.lock`, '1\nstarted 1 boot 00000000-0000-0000-0000-000000000000\n');
    const lock = lockDataDir(dir);
    expect(fs.readFileSync(`${dir}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
    lock.release();
  });

  it('refuses a lock held by its live owner, naming it', async () => {
    const dir = tempDir();
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const stat = fs.readFileSync(`/proc/${owner.pid}/stat`, 'utf8');
      const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      fs.writeFileSync(`${dir}.lock`, `${owner.pid}\nstarted ${started} boot ${boot}\n`);
      expect(() => lockDataDir(dir)).toThrow(`is in use by process ${owner.pid}`);
    } finally {
      owner.kill('SIGKILL');
      await new Promise((resolve) => owner.once('exit', resolve));
    }
    // Once it is gone, the lock is taken over.
    lockDataDir(dir).release();
  });
});
