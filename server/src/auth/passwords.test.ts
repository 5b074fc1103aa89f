import { describe, expect, it, vi } from 'vitest';
import { HashQueue, HashQueueFullError, hashPassword, verifyNothing, verifyPassword } from './passwords';

describe('staff passwords (scrypt)', () => {
  it('stores scrypt$N$r$p$salt$hash with a fresh salt each time, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    await expect(verifyPassword('correct horse battery staple', a)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapler', a)).resolves.toBe(false);
  });

  it('treats canonically equivalent Unicode spellings as the same password', async () => {
    const stored = await hashPassword('perché caffè');
    await expect(verifyPassword('perche\u0301 caffe\u0300', stored)).resolves.toBe(true);
  });

  it('refuses malformed or tampered hashes without throwing, including absurd cost parameters', async () => {
    const stored = await hashPassword('x'.repeat(12));
    const parts = stored.split('$');
    for (const bad of [
      '',
      'bcrypt$2b$10$abc',
      parts.slice(0, 5).join('$'),
      ['scrypt', String(1 << 24), ...parts.slice(2)].join('$'),
      ['scrypt', '1000', ...parts.slice(2)].join('$'),
      [...parts.slice(0, 5), 'AAAA'].join('$'),
    ]) {
      await expect(verifyPassword('x'.repeat(12), bad)).resolves.toBe(false);
    }
  });

  it('spends comparable time on an unknown account', async () => {
    await expect(verifyNothing('anything at all')).resolves.toBe(false);
  });
});

describe('HashQueue', () => {
  it('runs one job at a time, queues a few, and refuses more at once with a retry delay', async () => {
    const queue = new HashQueue(1, 2);
    const releases: Array<() => void> = [];
    let running = 0;
    let most = 0;
    const job = () =>
      queue.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((r) => releases.push(r));
        running -= 1;
      });
    const jobs = [job(), job(), job()];
    await expect(job()).rejects.toBeInstanceOf(HashQueueFullError);
    expect(queue.load).toBe(3);
    for (let i = 0; i < 3; i++) {
      await vi.waitFor(() => expect(releases.length).toBe(i + 1));
      releases[i]!();
    }
    await Promise.all(jobs);
    expect(most).toBe(1);
    expect(queue.load).toBe(0);
  });
});
