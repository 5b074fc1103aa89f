/**
 * HTTPS served by Seduta itself (TLS_CERT_FILE + TLS_KEY_FILE). The files are read and checked at
 * start, where a problem is a one-line ConfigError naming the variable, and again on SIGHUP, where
 * a problem is logged and the certificate in use is kept. A reload changes the certificate for new
 * handshakes only: open connections (pages, signalling sockets) are not touched.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import { ConfigError } from '../config';
import type { Logger } from '../logger';

/** A certificate (leaf first, then its chain) and its key, read from their files and checked. */
export interface TlsFiles {
  /** TLS_CERT_FILE, absolute. */
  certFile: string;
  /** TLS_KEY_FILE, absolute. */
  keyFile: string;
  /** The certificate file's PEM text (the chain included). */
  cert: string;
  /** The key file's PEM text. */
  key: string;
  /** The leaf certificate's subject, one line (`CN=seduta.ente.it`). */
  subject: string;
  /** When the leaf certificate expires. */
  validTo: Date;
}

/** A certificate expiring within this many days is warned about at start and on reload. */
export const TLS_EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

/** Reads and checks the certificate and its key; throws a ConfigError naming the variable at fault. */
export function loadTlsFiles(certFile: string, keyFile: string): TlsFiles {
  certFile = path.resolve(certFile);
  keyFile = path.resolve(keyFile);
  const cert = readText('TLS_CERT_FILE', certFile, 'a readable PEM certificate file');
  const key = readText('TLS_KEY_FILE', keyFile, 'a readable PEM private key file');

  if (!cert.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('TLS_CERT_FILE', certFile, 'a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError('TLS_CERT_FILE', certFile, `a PEM certificate (${reason(err)})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new ConfigError('TLS_KEY_FILE', keyFile, `a PEM private key without a passphrase (${reason(err)})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError(
      'TLS_KEY_FILE',
      keyFile,
      `the private key of the certificate in TLS_CERT_FILE (this key does not match ${leaf.subject.replace(/\n/g, ', ')})`,
    );
  }
  try {
    // What the server will do with them: catches a chain OpenSSL refuses that X509Certificate let by.
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError('TLS_CERT_FILE', certFile, `a certificate chain TLS accepts (${reason(err)})`);
  }
  return {
    certFile,
    keyFile,
    cert,
    key,
    subject: leaf.subject.replace(/\n/g, ', '),
    validTo: new Date(leaf.validTo),
  };
}

/** A warning when the certificate has expired or expires within TLS_EXPIRY_WARNING_DAYS, else undefined. */
export function expiryWarning(tls: TlsFiles, now: Date = new Date()): string | undefined {
  const left = tls.validTo.getTime() - now.getTime();
  const when = tls.validTo.toISOString();
  if (left <= 0) {
    return `the TLS certificate in TLS_CERT_FILE (${tls.subject}) expired on ${when}: browsers refuse it; renew it and send SIGHUP`;
  }
  if (left < TLS_EXPIRY_WARNING_DAYS * DAY_MS) {
    const days = Math.floor(left / DAY_MS);
    return `the TLS certificate in TLS_CERT_FILE (${tls.subject}) expires on ${when} (in ${days} days): renew it and send SIGHUP`;
  }
  return undefined;
}

/**
 * Reads the certificate and key files again (SIGHUP) and gives new handshakes the new pair; a pair
 * that fails the checks leaves the one in use and logs why. Open connections are not touched.
 */
export function reloadTls(server: TlsServer, files: TlsFiles, logger: Logger): void {
  const log = logger.child({ module: 'tls' });
  let next: TlsFiles;
  try {
    next = loadTlsFiles(files.certFile, files.keyFile);
  } catch (err) {
    log.error(
      { certFile: files.certFile, keyFile: files.keyFile },
      `TLS reload failed, the certificate in use is kept: ${reason(err)}`,
    );
    return;
  }
  server.setSecureContext({ cert: next.cert, key: next.key });
  log.info({ subject: next.subject, validTo: next.validTo.toISOString() }, 'TLS certificate reloaded');
  const warning = expiryWarning(next);
  if (warning !== undefined) log.warn(warning);
}

function readText(variable: string, file: string, expected: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : reason(err);
    throw new ConfigError(variable, file, `${expected} (${why})`);
  }
}

function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}
