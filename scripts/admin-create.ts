/**
 * `npm run admin:create -- --email rossi@ente.it --name "Maria Rossi" [--role admin|host]`
 *
 * Creates a staff account in the database the environment configures (same variables as the
 * server: DATA_DIR or DATABASE_URL), applying pending migrations first. The password comes from
 * ADMIN_PASSWORD, else standard input when it is not a terminal (`… < file`), else a hidden
 * prompt asked twice. With the embedded database, stop the server first (it holds the lock).
 * Exits 1 with a one-line reason on failure.
 */
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { appendAudit } from '../server/src/audit/audit-log';
import { createStaffUser, checkPasswordPolicy } from '../server/src/auth/staff-users';
import { ConfigError, loadConfig } from '../server/src/config';
import { migrateToLatest } from '../server/src/db/migrate';
import { openDatabase } from '../server/src/db/open';
import { AppError } from '../server/src/errors';
import { createLogger } from '../server/src/logger';

const USAGE = 'usage: npm run admin:create -- --email <address> --name <display name> [--role admin|host]';

/** A mistake in the command line or the input: reported without the "failed:" prefix. */
class UsageError extends Error {}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.ADMIN_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  const first = await prompt('Password: ');
  const second = await prompt('Password again: ');
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}

/** Asks on the terminal without echoing what is typed. */
function prompt(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', default: 'admin' },
    },
    strict: true,
  });
  const { email, name, role } = values;
  if (!email || !name) throw new UsageError(USAGE);
  if (role !== 'admin' && role !== 'host') throw new UsageError(`--role must be admin or host; ${USAGE}`);
  const password = await readPassword();
  checkPasswordPolicy(password);

  const config = loadConfig();
  const logger = createLogger({ logLevel: 'error' });
  const database = await openDatabase(config, logger);
  try {
    await migrateToLatest(database.db, logger);
    const user = await createStaffUser(database.db, { email, name, role, password });
    await appendAudit(database.db, {
      actor: 'system',
      role: 'system',
      action: 'staff.create',
      details: { email: user.email, role: user.role, via: 'admin:create' },
    });
    process.stdout.write(`created ${user.role} ${user.email} (${user.name})\n`);
  } finally {
    await database.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const prefix =
      err instanceof ConfigError || err instanceof AppError || err instanceof UsageError ? '' : 'failed: ';
    process.stderr.write(`seduta admin:create: ${prefix}${message.replace(/\s+/g, ' ')}\n`);
    process.exit(1);
  },
);
