/**
 * A thread's attachments: checked (size cap, type allow-list by extension, declared type and the
 * file's first bytes) before anything is written, then stored once by SHA-256 under
 * `$DATA_DIR/booking-attachments/ab/abcdef…` (the same file sent twice is kept once). A refused
 * message stores nothing: every attachment is checked before the first is written.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors';

/** An attachment as the client sends it. */
export interface AttachmentUpload {
  name: string;
  type: string;
  dataBase64: string;
}

/** An attachment checked and ready to store. */
export interface CheckedAttachment {
  name: string;
  /** The canonical MIME type of its kind. */
  type: string;
  data: Buffer;
  size: number;
  sha256: string;
}

interface Kind {
  extensions: string[];
  mime: string;
  /** Other MIME types browsers declare for it. */
  aliases?: string[];
  looksRight(data: Buffer): boolean;
}

const starts = (prefix: number[]) => (data: Buffer) => prefix.every((b, i) => data[i] === b);
const zip = starts([0x50, 0x4b, 0x03, 0x04]);
const text = (data: Buffer) => !data.includes(0) && Buffer.from(data.toString('utf8'), 'utf8').equals(data);

/** What each allow-list name accepts. */
const KINDS: Readonly<Record<string, Kind>> = {
  pdf: { extensions: ['pdf'], mime: 'application/pdf', looksRight: starts([...Buffer.from('%PDF-')]) },
  png: {
    extensions: ['png'],
    mime: 'image/png',
    looksRight: starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
  jpeg: {
    extensions: ['jpg', 'jpeg'],
    mime: 'image/jpeg',
    aliases: ['image/pjpeg'],
    looksRight: starts([0xff, 0xd8, 0xff]),
  },
  odt: { extensions: ['odt'], mime: 'application/vnd.oasis.opendocument.text', looksRight: zip },
  ods: { extensions: ['ods'], mime: 'application/vnd.oasis.opendocument.spreadsheet', looksRight: zip },
  docx: {
    extensions: ['docx'],
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    looksRight: zip,
  },
  xlsx: {
    extensions: ['xlsx'],
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    looksRight: zip,
  },
  // A CAdES signed file: DER (a SEQUENCE, 0x30), or the same in base64 or PEM as some tools save it.
  p7m: {
    extensions: ['p7m'],
    mime: 'application/pkcs7-mime',
    aliases: ['application/x-pkcs7-mime', 'application/pkcs7-signature'],
    looksRight: (d) => d[0] === 0x30 || /^(MI|-----BEGIN)/.test(d.subarray(0, 16).toString('latin1')),
  },
  txt: { extensions: ['txt'], mime: 'text/plain', looksRight: text },
  csv: { extensions: ['csv'], mime: 'text/csv', aliases: ['application/vnd.ms-excel'], looksRight: text },
};
/** Declared types that say nothing (browsers send them for extensions they do not know). */
const UNSPECIFIC = ['', 'application/octet-stream'];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks every attachment of a message: 413 `attachment_too_large` over `maxBytes`, 415
 * `attachment_type` for a kind outside `allowed` (or whose declared type or first bytes are not
 * that kind's), `bad_request` for data that is not base64.
 */
export function checkAttachments(
  uploads: readonly AttachmentUpload[],
  maxBytes: number,
  allowed: readonly string[],
): CheckedAttachment[] {
  return uploads.map((u) => {
    const name = u.name.trim().replace(/[\\/]/g, '_');
    if (name === '') throw new AppError('bad_request', 'an attachment has no name');
    const b64 = u.dataBase64.replace(/\s/g, '');
    // Checked on the encoded length first: an oversized file is refused before it is decoded.
    if (Math.floor((b64.length * 3) / 4) - (b64.match(/=+$/)?.[0].length ?? 0) > maxBytes) {
      throw tooLarge(name, maxBytes);
    }
    if (b64.length % 4 !== 0 || !BASE64.test(b64)) {
      throw new AppError('bad_request', `the data of ${name} is not base64`);
    }
    const data = Buffer.from(b64, 'base64');
    if (data.length > maxBytes) throw tooLarge(name, maxBytes);
    if (data.length === 0) throw new AppError('bad_request', `${name} is empty`);
    const ext = path.extname(name).slice(1).toLowerCase();
    const kindName = allowed.find((k) => KINDS[k]?.extensions.includes(ext));
    const kind = kindName === undefined ? undefined : KINDS[kindName];
    const declared = u.type.trim().toLowerCase().split(';')[0] ?? '';
    const types = allowed.map((k) => k.toUpperCase()).join(', ');
    if (!kind) {
      throw new AppError(
        'attachment_type',
        `${name}: files of this type are not accepted (accepted: ${types})`,
      );
    }
    if (!UNSPECIFIC.includes(declared) && declared !== kind.mime && !kind.aliases?.includes(declared)) {
      throw new AppError('attachment_type', `${name}: declared as ${declared}, which is not a .${ext} file`);
    }
    if (!kind.looksRight(data)) {
      throw new AppError('attachment_type', `${name}: the content is not a ${kindName?.toUpperCase()} file`);
    }
    return { name: name.slice(0, 200), type: kind.mime, data, size: data.length, sha256: sha256(data) };
  });
}

/** Where an attachment's bytes are kept under `dir`. */
export function attachmentPath(dir: string, sha: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new AppError('not_found', 'no such attachment');
  return path.join(dir, sha.slice(0, 2), sha);
}

/**
 * Writes checked attachments (each once: an existing file with the same hash is kept); returns
 * the paths this call created, for {@link removeFiles} when the database then refuses the message.
 */
export async function storeAttachments(dir: string, files: readonly CheckedAttachment[]): Promise<string[]> {
  const created: string[] = [];
  try {
    for (const f of files) {
      const target = attachmentPath(dir, f.sha256);
      if (await exists(target)) continue;
      await fs.mkdir(path.dirname(target), { recursive: true });
      // Written aside then renamed: a crash never leaves a partial file under its hash's name.
      const tmp = `${target}.${randomUUID()}.tmp`;
      await fs.writeFile(tmp, f.data, { mode: 0o600, flag: 'wx' });
      await fs.rename(tmp, target);
      created.push(target);
    }
  } catch (err) {
    await removeFiles(created);
    throw err;
  }
  return created;
}

/** Removes files this process created (a message the database did not take). */
export async function removeFiles(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((p) => fs.rm(p, { force: true })));
}

/** SHA-256 of bytes, hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function tooLarge(name: string, maxBytes: number): AppError {
  const mib = (maxBytes / (1024 * 1024)).toFixed(maxBytes % (1024 * 1024) === 0 ? 0 : 1);
  return new AppError('attachment_too_large', `${name} is larger than the ${mib} MiB allowed per attachment`);
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
