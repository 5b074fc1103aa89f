/**
 * First run: while no enabled administrator exists, the server holds one setup token and prints a
 * link carrying it (`<public origin>/setup#<token>`) on its console. Whoever opens the link creates
 * the first administrator (name, e-mail, password) and is signed in. The token is 256 random bits,
 * kept in memory only as its SHA-256, valid for one use and for SETUP_TOKEN_TTL_MS; a restart
 * prints a fresh one (docs/decisions/0020-first-run-setup-link.md).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { appendAudit } from '../audit/audit-log';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import { createSession, type StaffSession } from './sessions';
import { checkPasswordPolicy, createStaffUser, hasActiveAdmin, normaliseEmail } from './staff-users';

/** How long a setup link stays valid. */
export const SETUP_TOKEN_TTL_MS = 24 * 3600_000;
/** Path of the setup page; the token follows in the fragment, which browsers never send. */
export const SETUP_PATH = '/setup';
/** The message of the refusal once an administrator exists. */
export const SETUP_DONE =
  'an administrator already exists: this setup link is no longer needed; sign in at /host';

/** What the first administrator fills in. */
export interface SetupInput {
  token: string;
  name: string;
  email: string;
  password: string;
}

interface HeldToken {
  hash: Buffer;
  expiresAt: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** The first-run setup token and the creation of the first administrator through it. */
export class FirstRun {
  readonly #db: Kysely<Database>;
  readonly #log: Logger;
  readonly #now: () => number;
  #held: HeldToken | undefined;
  /** The token of the last issue(), until the banner has been printed (then forgotten). */
  #unprinted: string | undefined;

  constructor(deps: { db: Kysely<Database>; logger: Logger; now?: () => number }) {
    this.#db = deps.db;
    this.#log = deps.logger.child({ module: 'setup' });
    this.#now = deps.now ?? Date.now;
  }

  /** Whether the server still waits for its first administrator (no enabled admin exists). */
  async pending(): Promise<boolean> {
    return !(await hasActiveAdmin(this.#db));
  }

  /** Issues a token if no administrator exists (replacing any earlier one); true if it did. */
  async prepare(): Promise<boolean> {
    if (!(await this.pending())) return false;
    const token = randomBytes(32).toString('base64url');
    this.#held = { hash: sha256(token), expiresAt: this.#now() + SETUP_TOKEN_TTL_MS };
    this.#unprinted = token;
    return true;
  }

  /**
   * Prints the setup link of the token prepare() issued, once, as one multi-line warning (in JSON
   * logs the message holds the same lines). Nothing if no token waits to be printed.
   */
  announce(origin: string): void {
    const token = this.#unprinted;
    if (token === undefined || this.#held === undefined) return;
    this.#unprinted = undefined;
    const setupUrl = `${origin}${SETUP_PATH}#${token}`;
    const expiresAt = new Date(this.#held.expiresAt).toISOString();
    this.#log.warn(
      [
        'No administrator account exists yet. To create the first one, open this link in a browser:',
        '',
        `    ${setupUrl}`,
        '',
        `The link works once, until ${expiresAt}; restarting the server prints a new one.`,
        'Alternatives: set ADMIN_EMAIL and ADMIN_PASSWORD, or run npm run admin:create with the server stopped.',
      ].join('\n'),
    );
  }

  /**
   * Creates the first administrator and signs them in. Refuses with `invalid_state` once an
   * administrator exists, `forbidden` for a token that is wrong, used or expired, `bad_request`
   * for a field that breaks a rule (naming it). The token is spent only by a creation that
   * succeeds. Audit-logged as `staff.create` (via the setup link) and `auth.login`.
   */
  async complete(input: SetupInput, ip: string): Promise<{ token: string; session: StaffSession }> {
    if (!(await this.pending())) throw new AppError('invalid_state', SETUP_DONE);
    const held = this.#held;
    if (held === undefined || !sameHash(held.hash, sha256(input.token))) {
      this.#log.warn({ ip }, 'setup refused: wrong or already used setup link');
      throw new AppError('forbidden', 'this setup link is not valid (wrong, or already used)');
    }
    if (this.#now() >= held.expiresAt) {
      throw new AppError(
        'forbidden',
        'this setup link has expired: restart the server to print a new one on its console',
      );
    }
    const email = normaliseEmail(input.email);
    const name = input.name.trim();
    if (name.length < 1 || name.length > 80)
      throw new AppError('bad_request', 'the name must have 1–80 characters');
    checkPasswordPolicy(input.password);

    // Taken before the first await: a second request with the same token now finds none.
    this.#held = undefined;
    try {
      const user = await createStaffUser(this.#db, {
        email,
        name,
        role: 'admin',
        password: input.password,
      });
      const actor = `staff:${user.email}`;
      await appendAudit(this.#db, {
        actor,
        role: 'admin',
        action: 'staff.create',
        details: { email: user.email, role: 'admin', via: 'setup link', ip },
      });
      const signedIn = await createSession(this.#db, user);
      await appendAudit(this.#db, {
        actor,
        role: 'admin',
        action: 'auth.login',
        details: { ip, via: 'setup link' },
      });
      this.#log.info({ email: user.email, ip }, 'created the first administrator through the setup link');
      return signedIn;
    } catch (err) {
      // Nothing was created (or the account exists but the session failed: then an admin exists
      // and the token is moot): the same link may be tried again.
      if (this.#now() < held.expiresAt) this.#held ??= held;
      throw err;
    }
  }
}

function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
