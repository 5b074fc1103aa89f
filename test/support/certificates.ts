/**
 * Test certificates made with the `openssl` command (Debian's openssl package): a throw-away CA and
 * a server certificate it signs for the given names, written to a temporary directory. Nothing is
 * installed anywhere: a client trusts the CA by being given `ca`, Chromium by the certificate's
 * SPKI hash (`--ignore-certificate-errors-spki-list`).
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A CA and a server certificate signed by it, as files and as text. */
export interface TestCertificates {
  dir: string;
  /** The CA certificate (PEM), to trust. */
  caFile: string;
  ca: string;
  /** The server certificate (PEM) and its private key. */
  certFile: string;
  keyFile: string;
  cert: string;
  /** base64 SHA-256 of the server certificate's public key, for Chromium's SPKI list. */
  spki: string;
  /** Signs another server certificate with the same CA (new key) into `dir`. */
  issue(
    name: string,
    options?: { names?: string[]; days?: number },
  ): Promise<{ certFile: string; keyFile: string }>;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/**
 * A CA and a server certificate for `names` (hostnames and IP addresses), valid for `days` (the
 * default 2), with EC P-256 keys.
 */
export async function makeTestCertificates(names: string[], days = 2): Promise<TestCertificates> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seduta-certs-'));
  const caFile = path.join(dir, 'ca.crt');
  const caKey = path.join(dir, 'ca.key');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      caFile,
      '-days',
      '3',
      '-subj',
      '/O=Seduta tests/CN=Seduta test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const issue = async (name: string, options: { names?: string[]; days?: number } = {}) => {
      const certFile = path.join(dir, `${name}.crt`);
      const keyFile = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const ext = path.join(dir, `${name}.ext`);
      const sans = (options.names ?? names).map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      await fs.writeFile(
        ext,
        `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`,
      );
      await run('openssl', [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        csr,
        '-subj',
        `/O=Seduta tests/CN=${(options.names ?? names)[0] ?? name}`,
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        String(options.days ?? days),
        '-extfile',
        ext,
        '-out',
        certFile,
      ]);
      return { certFile, keyFile };
    };
    const server = await issue('server');
    const cert = await fs.readFile(server.certFile, 'utf8');
    const publicKey = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    return {
      dir,
      caFile,
      ca: await fs.readFile(caFile, 'utf8'),
      ...server,
      cert,
      spki: createHash('sha256').update(publicKey).digest('base64'),
      issue,
      remove: () => fs.rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
