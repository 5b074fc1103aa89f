import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit-log';
import { auditActor } from '../auth/principal';
import { manages, sittingAccessInfo } from '../auth/sitting-owners';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { RegisterJournal } from './journal';
import { loadRegister } from './register-data';
import { REGISTER_HTML_CSP, renderRegisterHtml } from './render-html';
import { renderRegisterPdf } from './render-pdf';

/** Options of the register routes. */
export interface RegisterRoutesOptions {
  db: Kysely<Database>;
  journal: RegisterJournal;
}

/** The register's formats. */
export type RegisterFormat = 'html' | 'pdf';

/** How long a download waits for the journal's last writes (a sitting that just ended). */
const JOURNAL_WAIT_MS = 3000;

/**
 * `GET /api/sittings/:id/register.html|pdf`: the sitting's register, for admins and the sitting's
 * host (the guard checks the table; the owner is checked again here, as for recordings). Only
 * once the sitting has ended (409 `invalid_state` before: a register is a closed record, and a
 * provisional one could be filed by mistake). Each generation is audit-logged with its SHA-256,
 * which the response also carries (`X-Content-SHA256`).
 */
export async function registerRoutes(app: FastifyInstance, opts: RegisterRoutesOptions): Promise<void> {
  const { db, journal } = opts;

  const serve = async (
    format: RegisterFormat,
    req: FastifyRequest<{ Params: { id: string }; Querystring: { download?: string } }>,
    reply: FastifyReply,
  ) => {
    const sitting = await sittingAccessInfo(db, req.params.id);
    if (!sitting) throw new AppError('not_found', 'no such sitting');
    const p = req.principal;
    if (p.kind !== 'staff' || !manages(p.session.user, sitting))
      throw new AppError('forbidden', 'only admins and the sitting’s host may download its register');
    if (sitting.status !== 'ended')
      throw new AppError(
        'invalid_state',
        sitting.status === 'cancelled'
          ? 'sitting_not_ended: the sitting was cancelled, so it has no register'
          : `sitting_not_ended: the sitting is ${sitting.status}; its register is made once it has ended`,
      );
    await journal.idle(JOURNAL_WAIT_MS);
    const register = await loadRegister(db, sitting.id);
    const body =
      format === 'pdf' ? await renderRegisterPdf(register) : Buffer.from(renderRegisterHtml(register));
    const sha256 = createHash('sha256').update(body).digest('hex');
    // Logged before it is sent: a register nobody can account for must not leave the server.
    await appendAudit(db, {
      ...auditActor(p),
      action: 'register.download',
      sittingId: sitting.id,
      details: { format, sha256, size: body.length },
    });
    const download = format === 'pdf' || req.query.download === '1';
    reply
      .header('content-type', format === 'pdf' ? 'application/pdf' : 'text/html; charset=utf-8')
      .header('x-content-sha256', sha256)
      .header('cache-control', 'no-store')
      .header(
        'content-disposition',
        `${download ? 'attachment' : 'inline'}; filename="registro-seduta-${sitting.id}.${format}"`,
      );
    if (format === 'html') reply.header('content-security-policy', REGISTER_HTML_CSP);
    return reply.send(body);
  };

  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(
    '/api/sittings/:id/register.html',
    (req, reply) => serve('html', req, reply),
  );
  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(
    '/api/sittings/:id/register.pdf',
    (req, reply) => serve('pdf', req, reply),
  );
}
