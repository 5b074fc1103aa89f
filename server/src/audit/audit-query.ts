/**
 * Reading the audit log: the filters an administrator applies (time range, actor, action,
 * sitting), a page of entries newest first with a keyset cursor, and every matching entry in
 * chain order for an export, up to a fixed chain head so that the export is one consistent
 * snapshot. The log is append-only, so an id range read now reads the same later.
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { AuditLogRow, Database, JsonValue } from '../db/schema';
import { AppError } from '../errors';

/** Filters of the audit log; every one optional. `from ≤ at < to`. */
export interface AuditFilter {
  from?: Date;
  to?: Date;
  /** Case-insensitive part of the actor (`staff:rossi@ente.it`, `operator:…`). */
  actor?: string;
  /** Exact action (`recording.download`). */
  action?: string;
  sittingId?: string;
}

/** An audit entry as the API gives it. */
export interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  sittingId: string | null;
  details: JsonValue;
  prevHash: string;
  hash: string;
}

/** The newest entry of the whole chain (what an export anchors to). */
export interface ChainHead {
  id: number;
  hash: string;
  at: string;
}

/** Largest page `GET /api/admin/audit` gives. */
export const MAX_PAGE = 200;
/** Page size when none is asked for. */
export const DEFAULT_PAGE = 50;
const EXPORT_BATCH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A date (`2026-12-05`, midnight UTC) or a date-time with seconds optional and a zone. */
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const MAX_TEXT = 254;

/**
 * Reads the filters from a query string; throws `bad_request` naming the parameter and what it
 * expects. Empty parameters count as absent (a form sends them so).
 */
export function parseAuditFilter(query: Record<string, unknown>): AuditFilter {
  const filter: AuditFilter = {};
  const from = text(query, 'from');
  if (from !== undefined) filter.from = isoDate('from', from);
  const to = text(query, 'to');
  if (to !== undefined) filter.to = isoDate('to', to);
  if (filter.from && filter.to && filter.from.getTime() >= filter.to.getTime()) {
    throw new AppError('bad_request', 'from must be earlier than to');
  }
  const actor = text(query, 'actor');
  if (actor !== undefined) filter.actor = actor;
  const action = text(query, 'action');
  if (action !== undefined) filter.action = action;
  const sittingId = text(query, 'sittingId');
  if (sittingId !== undefined) {
    if (!UUID.test(sittingId)) throw new AppError('bad_request', `sittingId is not a UUID: ${sittingId}`);
    filter.sittingId = sittingId.toLowerCase();
  }
  return filter;
}

/** Reads `limit` (1–200, default 50) and `before` (an entry id) from a query string. */
export function parsePage(query: Record<string, unknown>): { limit: number; before?: number } {
  const limitText = text(query, 'limit');
  const limit = limitText === undefined ? DEFAULT_PAGE : integer('limit', limitText);
  if (limit < 1 || limit > MAX_PAGE) {
    throw new AppError('bad_request', `limit must be between 1 and ${MAX_PAGE}, not ${limit}`);
  }
  const beforeText = text(query, 'before');
  if (beforeText === undefined) return { limit };
  const before = integer('before', beforeText);
  if (before < 1) throw new AppError('bad_request', `before must be a positive entry id, not ${before}`);
  return { limit, before };
}

/** The filters in query-string form (for links and the export's record). */
export function filterToQuery(filter: AuditFilter): Record<string, string> {
  const q: Record<string, string> = {};
  if (filter.from) q.from = filter.from.toISOString();
  if (filter.to) q.to = filter.to.toISOString();
  if (filter.actor !== undefined) q.actor = filter.actor;
  if (filter.action !== undefined) q.action = filter.action;
  if (filter.sittingId !== undefined) q.sittingId = filter.sittingId;
  return q;
}

/** One page of matching entries, newest first; nextCursor is the `before` of the next page. */
export async function listAuditPage(
  db: Kysely<Database>,
  filter: AuditFilter,
  page: { limit: number; before?: number },
): Promise<{ entries: AuditEntryView[]; nextCursor: number | null }> {
  let q = applyFilter(db.selectFrom('audit_log').selectAll(), filter);
  if (page.before !== undefined) q = q.where('id', '<', page.before);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const entries = rows.slice(0, page.limit).map(toView);
  return { entries, nextCursor: more ? (entries.at(-1)?.id ?? null) : null };
}

/** Every action the log holds, alphabetically (for the page's action filter). */
export async function listAuditActions(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('audit_log').select('action').distinct().orderBy('action').execute();
  return rows.map((r) => r.action);
}

/** The newest entry of the chain, or undefined when the log is empty. */
export async function chainHead(db: Kysely<Database>): Promise<ChainHead | undefined> {
  const row = await db
    .selectFrom('audit_log')
    .select(['id', 'hash', 'at'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { id: row.id, hash: row.hash, at: row.at.toISOString() };
}

/** How many entries up to `headId` match, and the newest of them (the export's last entry). */
export async function exportSummary(
  db: Kysely<Database>,
  filter: AuditFilter,
  headId: number,
): Promise<{ rows: number; last: AuditEntryView | undefined }> {
  const count = await applyFilter(db.selectFrom('audit_log'), filter)
    .where('id', '<=', headId)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  const last = await applyFilter(db.selectFrom('audit_log').selectAll(), filter)
    .where('id', '<=', headId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return { rows: Number(count.n), last: last && toView(last) };
}

/** Every matching entry up to `headId`, oldest first, read in batches. */
export async function* exportEntries(
  db: Kysely<Database>,
  filter: AuditFilter,
  headId: number,
): AsyncGenerator<AuditEntryView> {
  let afterId = 0;
  for (;;) {
    const rows = await applyFilter(db.selectFrom('audit_log').selectAll(), filter)
      .where('id', '>', afterId)
      .where('id', '<=', headId)
      .orderBy('id')
      .limit(EXPORT_BATCH)
      .execute();
    for (const row of rows) yield toView(row);
    const last = rows.at(-1);
    if (last === undefined || rows.length < EXPORT_BATCH) return;
    afterId = last.id;
  }
}

/** The entry with this id, or undefined. */
export async function findAuditEntry(db: Kysely<Database>, id: number): Promise<AuditEntryView | undefined> {
  const row = await db.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toView(row);
}

/** The API form of a row. */
export function toView(row: AuditLogRow): AuditEntryView {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    role: row.role,
    action: row.action,
    sittingId: row.sitting_id,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function applyFilter<O>(
  q: SelectQueryBuilder<Database, 'audit_log', O>,
  filter: AuditFilter,
): SelectQueryBuilder<Database, 'audit_log', O> {
  let r = q;
  if (filter.from) r = r.where('at', '>=', filter.from);
  if (filter.to) r = r.where('at', '<', filter.to);
  if (filter.actor !== undefined) {
    r = r.where(sql<boolean>`strpos(lower(actor), ${filter.actor.toLowerCase()}) > 0`);
  }
  if (filter.action !== undefined) r = r.where('action', '=', filter.action);
  if (filter.sittingId !== undefined) r = r.where('sitting_id', '=', filter.sittingId);
  return r;
}

function text(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new AppError('bad_request', `${name} must be given once`);
  const trimmed = value.trim();
  if (trimmed.length === 0) return undefined;
  if (trimmed.length > MAX_TEXT) {
    throw new AppError('bad_request', `${name} must have at most ${MAX_TEXT} characters`);
  }
  return trimmed;
}

function isoDate(name: string, value: string): Date {
  const date = ISO.test(value) ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new AppError(
      'bad_request',
      `${name} is not an ISO 8601 date or date-time with a time zone (2026-12-05T09:30:00Z): ${value}`,
    );
  }
  return date;
}

function integer(name: string, value: string): number {
  if (!/^-?\d{1,15}$/.test(value)) throw new AppError('bad_request', `${name} must be an integer: ${value}`);
  return Number(value);
}
