/**
 * The audit log in the open, for administrators (auth/http-permissions.ts admits only them):
 * - `GET /api/admin/audit?from&to&actor&action&sittingId&limit&before` → `{ entries, nextCursor,
 *   actions }`: newest first, `limit` ≤ 200 (default 50), the next page with `before=nextCursor`;
 *   `actions` lists every action the log holds (for the filter);
 * - `GET /api/admin/audit/export?format=csv|json&<same filters>`: every matching entry, oldest
 *   first, as an attachment. It is anchored to the chain: the newest entry of the whole log when
 *   the export began (`X-Audit-Chain-Head`, `X-Audit-Chain-Head-Id`) and the last exported entry
 *   (`X-Audit-Last-Hash`); each row carries its prev_hash and hash; the JSON envelope repeats
 *   them. The export is audit-logged (`audit.export`) before it is sent;
 * - `POST /api/admin/audit/verify` → verifyAuditChain's result, plus the broken entry's time,
 *   action and actor; audit-logged (`audit.verify`).
 * Bad filters are 400 naming the parameter.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppDeps } from '../app';
import { exportChunks, EXPORT_FORMATS, type ExportFormat } from '../audit/audit-export';
import { appendAudit, verifyAuditChain } from '../audit/audit-log';
import {
  chainHead,
  exportEntries,
  exportSummary,
  filterToQuery,
  findAuditEntry,
  listAuditActions,
  listAuditPage,
  parseAuditFilter,
  parsePage,
  type AuditEntryView,
} from '../audit/audit-query';
import { auditActor } from '../auth/principal';
import { AppError } from '../errors';

/** What `POST /api/admin/audit/verify` answers. */
export type AuditVerifyResult =
  | { ok: true; entries: number; lastHash: string | null; lastId: number | null; verifiedAt: string }
  | {
      ok: false;
      entries: number;
      brokenAtId: number;
      reason: string;
      /** The broken entry as stored (null if it could not be read back). */
      entry: Pick<AuditEntryView, 'id' | 'at' | 'action' | 'actor'> | null;
      verifiedAt: string;
    };

type Query = Record<string, unknown>;

async function auditFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.db.db;

  app.get('/api/admin/audit', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    const filter = parseAuditFilter(req.query);
    const page = parsePage(req.query);
    void reply.header('cache-control', 'no-store');
    const [{ entries, nextCursor }, actions] = await Promise.all([
      listAuditPage(db, filter, page),
      listAuditActions(db),
    ]);
    return { entries, nextCursor, actions };
  });

  app.get('/api/admin/audit/export', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    const format = exportFormat(req.query.format);
    const filter = parseAuditFilter(req.query);
    const exportedAt = new Date();
    const head = await chainHead(db);
    const headId = head?.id ?? 0;
    const { rows, last } = await exportSummary(db, filter, headId);
    const filters = filterToQuery(filter);
    // Logged before a byte leaves: an export nobody can account for never happens.
    await appendAudit(db, {
      ...auditActor(req.principal),
      action: 'audit.export',
      details: {
        format,
        filters,
        rows,
        lastHash: last?.hash ?? null,
        chainHeadId: head?.id ?? null,
        chainHead: head?.hash ?? null,
      },
    });
    const stamp = exportedAt
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replaceAll(':', '-');
    void reply
      .header('cache-control', 'no-store')
      .header(
        'content-type',
        format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/json; charset=utf-8',
      )
      .header('content-disposition', `attachment; filename="seduta-audit-${stamp}.${format}"`)
      .header('x-audit-rows', String(rows))
      .header('x-audit-chain-head', head?.hash ?? '')
      .header('x-audit-chain-head-id', head ? String(head.id) : '')
      .header('x-audit-last-hash', last?.hash ?? '');
    const chunks = exportChunks(
      format,
      {
        exportedAt: exportedAt.toISOString(),
        chainHead: head ?? null,
        lastHash: last?.hash ?? null,
        filters,
        rows,
      },
      exportEntries(db, filter, headId),
    );
    return reply.send(Readable.from(chunks));
  });

  app.post('/api/admin/audit/verify', async (req): Promise<AuditVerifyResult> => {
    const report = await verifyAuditChain(db);
    const verifiedAt = new Date().toISOString();
    let result: AuditVerifyResult;
    if (report.ok) {
      const head = await chainHead(db);
      // The head read after the walk may be newer; name it only if it is the entry verified last.
      const lastId = head && head.hash === report.lastHash ? head.id : null;
      result = {
        ok: true,
        entries: report.entries,
        lastHash: report.entries === 0 ? null : report.lastHash,
        lastId,
        verifiedAt,
      };
    } else {
      const entry = await findAuditEntry(db, report.brokenAtId);
      result = {
        ok: false,
        entries: report.entries,
        brokenAtId: report.brokenAtId,
        reason: report.reason,
        entry: entry ? { id: entry.id, at: entry.at, action: entry.action, actor: entry.actor } : null,
        verifiedAt,
      };
    }
    await appendAudit(db, {
      ...auditActor(req.principal),
      action: 'audit.verify',
      details: report.ok
        ? { ok: true, entries: report.entries, lastHash: report.lastHash }
        : { ok: false, brokenAtId: report.brokenAtId, reason: report.reason },
    });
    return result;
  });
}

function exportFormat(value: unknown): ExportFormat {
  if (value === undefined || value === '') return 'csv';
  if (typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value)) {
    return value as ExportFormat;
  }
  throw new AppError('bad_request', `format must be csv or json, not ${String(value).slice(0, 40)}`);
}

/** The audit log's admin API: list, export, verify. */
export const auditPlugin = fp(auditFeature, { name: 'audit', dependencies: ['access'] });
