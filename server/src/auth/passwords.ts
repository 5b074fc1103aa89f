/**
 * Staff passwords, hashed with scrypt (memory-hard) and a per-user random salt. The stored form
 * carries its parameters, `scrypt$N$r$p$salt$hash` (salt and hash base64url), so they can be
 * raised later without invalidating existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Cost parameters for new hashes: N = 2^15, r = 8 → 32 MiB and ~50–100 ms per hash. */
export const SCRYPT_PARAMS = { N: 32768, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Largest N accepted from a stored hash (a tampered row must not exhaust memory). */
const MAX_N = 1 << 20;

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password into its stored form. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` matches a stored hash (constant-time); false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const validN = Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0;
  if (!validN || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16)
    return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length !== KEY_BYTES) return false;
  const key = await derive(password, salt, { N, r, p });
  return timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time a real verification would, for logins naming no account, so response times
 * do not reveal which e-mail addresses have accounts.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword('seduta-dummy-password');
  await verifyPassword(password, await dummy);
  return false;
}

/** Thrown when the hashing queue is full: the caller answers 429 with Retry-After at once. */
export class HashQueueFullError extends Error {
  override readonly name = 'HashQueueFullError';

  constructor(readonly retryAfterMs: number) {
    super('too many sign-ins are being checked right now');
  }
}

/**
 * Password hashing on a bounded queue: at most `concurrency` hashes at once (scrypt runs on
 * libuv's thread pool, which also reads the files the server sends, so a flood of sign-ins must
 * not take all of its threads), at most `maxQueued` waiting; past that, {@link HashQueueFullError}
 * at once instead of a wait that would grow without bound.
 */
export class HashQueue {
  readonly concurrency: number;
  readonly maxQueued: number;
  #running = 0;
  #waiting: Array<() => void> = [];
  /** Moving average of one job's duration, for Retry-After. */
  #averageMs = 100;

  constructor(concurrency: number, maxQueued: number) {
    this.concurrency = concurrency;
    this.maxQueued = maxQueued;
  }

  /** Jobs running or waiting. */
  get load(): number {
    return this.#running + this.#waiting.length;
  }

  /** Runs `job` when a slot is free; throws {@link HashQueueFullError} when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.maxQueued) {
        throw new HashQueueFullError(Math.ceil((this.load / this.concurrency) * this.#averageMs));
      }
      // The slot is handed over by the job that ends (#running stays counted).
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    const started = performance.now();
    try {
      return await job();
    } finally {
      this.#averageMs = 0.8 * this.#averageMs + 0.2 * (performance.now() - started);
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
}
