import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveKey, resolveSigningSecret, SECRET_FILE } from './secrets';

describe('the signing secret', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seduta-secret-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('is generated once into DATA_DIR with mode 600 and reused on the next start', () => {
    const dir = tmp();
    const first = resolveSigningSecret(undefined, dir);
    expect(first.generated).toBe(true);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(path.join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(resolveSigningSecret(undefined, dir)).toEqual({ secret: first.secret, generated: false });
  });

  it('is JOIN_TOKEN_SECRET when configured, and nothing is written', () => {
    const dir = tmp();
    expect(resolveSigningSecret('s'.repeat(40), dir)).toEqual({ secret: 's'.repeat(40), generated: false });
    expect(fs.existsSync(path.join(dir, SECRET_FILE))).toBe(false);
  });

  it('refuses a stored secret that is too short', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, SECRET_FILE), 'short\n');
    expect(() => resolveSigningSecret(undefined, dir)).toThrow(/fewer than 32 characters/);
  });

  it('derives a different key for every purpose', () => {
    const keys = (['join-token', 'participant-pass', 'invite-link'] as const).map((p) =>
      Buffer.from(deriveKey('x'.repeat(40), p)).toString('hex'),
    );
    expect(new Set(keys).size).toBe(3);
  });
});
