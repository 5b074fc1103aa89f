import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import type { RecordingFile } from '@seduta/recorder';
import type { ByteRange } from './byte-range';

/** A file name safe inside a quoted Content-Disposition parameter. */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'recording';
}

/**
 * Sends a recording file for a parsed `Range` (see parseByteRange): 206 with Content-Range for one
 * range, 416 past the end, 200 with the whole file otherwise, so that browsers can seek while
 * playing. `download` asks for an attachment instead of inline playback.
 */
export function sendRecordingFile(
  reply: FastifyReply,
  file: RecordingFile,
  range: ByteRange | 'unsatisfiable' | undefined,
  download: boolean,
): FastifyReply {
  reply
    .header('accept-ranges', 'bytes')
    .header('content-type', file.contentType)
    .header('cache-control', 'private, no-cache')
    .header('etag', `"${file.sha256}"`)
    .header(
      'content-disposition',
      download ? `attachment; filename="${safeFileName(file.downloadName)}"` : 'inline',
    );
  if (range === 'unsatisfiable') {
    return reply.code(416).header('content-range', `bytes */${file.size}`).send();
  }
  if (range === undefined) {
    return reply.code(200).header('content-length', file.size).send(createReadStream(file.absolutePath));
  }
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
    .header('content-length', range.end - range.start + 1)
    .send(createReadStream(file.absolutePath, { start: range.start, end: range.end }));
}
