/**
 * The audit log's export formats, written as a stream of text chunks: CSV (RFC 4180: a header
 * row, CRLF line ends, fields quoted when they hold a comma, a quote or a line break, quotes
 * doubled; UTF-8) and JSON (an envelope with the chain head, then the entries). Each row carries
 * its prev_hash and hash, so the exported range can be re-verified and tied to the chain head.
 */
import { canonicalJson } from './canonical-json';
import type { AuditEntryView, ChainHead } from './audit-query';

/** The export formats. */
export const EXPORT_FORMATS = ['csv', 'json'] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The CSV columns, in order. */
export const CSV_COLUMNS = [
  'id',
  'at',
  'actor',
  'role',
  'action',
  'sitting_id',
  'details',
  'prev_hash',
  'hash',
] as const;

/** One CSV field, quoted when RFC 4180 needs it. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV record with its CRLF. */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The CSV fields of one entry; details as canonical JSON (the form the hash covers). */
export function csvFields(e: AuditEntryView): string[] {
  return [
    String(e.id),
    e.at,
    e.actor,
    e.role,
    e.action,
    e.sittingId ?? '',
    canonicalJson(e.details),
    e.prevHash,
    e.hash,
  ];
}

/** What the JSON envelope says about the export besides its entries. */
export interface JsonExportHead {
  exportedAt: string;
  /** The newest entry of the whole chain when the export was made (null: empty log). */
  chainHead: ChainHead | null;
  /** Hash of the last exported entry (null: no entry matched). */
  lastHash: string | null;
  filters: Record<string, string>;
  rows: number;
}

/** The export as text chunks, in the given format. */
export async function* exportChunks(
  format: ExportFormat,
  head: JsonExportHead,
  entries: AsyncIterable<AuditEntryView>,
): AsyncGenerator<string> {
  switch (format) {
    case 'csv':
      yield csvRecord(CSV_COLUMNS);
      for await (const e of entries) yield csvRecord(csvFields(e));
      return;
    case 'json': {
      const envelope = JSON.stringify(head);
      // `{"exportedAt":…,"rows":N` then `,"entries":[…]}`: the head first, the entries streamed.
      yield `${envelope.slice(0, -1)},"entries":[`;
      let first = true;
      for await (const e of entries) {
        yield `${first ? '' : ','}\n${JSON.stringify(e)}`;
        first = false;
      }
      yield '\n]}\n';
      return;
    }
  }
}
