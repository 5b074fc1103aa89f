/**
 * The bookings' HTTP routes (docs/protocol.md, "Bookings"). Who may call each is in
 * auth/http-permissions.ts; routes open to a public requester (who has no session) check the
 * staff caller's CSRF header themselves, since the guard does not on open routes.
 */
import { createReadStream } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appendAudit } from '../audit/audit-log';
import { CSRF_HEADER } from '../auth/http-guard';
import { auditActor } from '../auth/principal';
import { AppError } from '../errors';
import { parseByteRange } from '../recordings/byte-range';
import { safeFileName, sendRecordingFile } from '../recordings/file-response';
import { attachmentPath } from './attachments';
import { BOOKING_STATES } from './states';
import { sittingByCode } from './room';
import type { BookingService, Caller } from './service';

/** Options of the bookings routes. */
export interface BookingRoutesOptions {
  service: BookingService;
  attachmentsDir: string;
  attachmentMaxBytes: number;
}

/** Attachments a message may carry. */
export const MAX_ATTACHMENTS = 5;
const Email = Type.String({ format: 'email', maxLength: 254 });
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const KeyQuery = Type.Object({ key: Type.Optional(Type.String({ maxLength: 200 })) });
const CreateBody = Type.Object(
  {
    startsAt: Type.String({ format: 'date-time' }),
    durationMinutes: Type.Integer({ minimum: 15, maximum: 600 }),
    subject: Type.String({ minLength: 1, maxLength: 300 }),
    contactName: Type.String({ minLength: 1, maxLength: 120 }),
    contactEmail: Email,
    participants: Type.Array(Email, { maxItems: 200 }),
    recording: Type.Boolean(),
    visibility: Type.Union([Type.Literal('public'), Type.Literal('reserved')]),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object({
  state: Type.Optional(Type.Union(BOOKING_STATES.map((s) => Type.Literal(s)))),
  overdue: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});
const MessageBody = Type.Object(
  {
    subject: Type.Optional(Type.String({ maxLength: 300 })),
    text: Type.String({ minLength: 1, maxLength: 10_000 }),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 255 }),
            type: Type.String({ maxLength: 255 }),
            dataBase64: Type.String(),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_ATTACHMENTS },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The caller of a bookings route: a staff member, or a public requester with (maybe) their key. */
export function callerOf(req: FastifyRequest, key?: string): Caller {
  const p = req.principal;
  if (p.kind === 'staff') {
    const { user } = p.session;
    return { kind: user.role, userId: user.id, email: user.email, name: user.name };
  }
  return { kind: 'public', key };
}

/** Open routes: a staff caller's state-changing request still needs the CSRF header. */
function requireCsrf(req: FastifyRequest): void {
  const p = req.principal;
  if (p.kind !== 'staff') return;
  const given = req.headers[CSRF_HEADER];
  const a = Buffer.from(typeof given === 'string' ? given : '');
  const b = Buffer.from(p.session.csrfToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new AppError('forbidden', `missing or wrong ${CSRF_HEADER} header`);
  }
}

/** Registers the bookings routes and the meeting-code lookup. */
export async function bookingRoutes(app: FastifyInstance, opts: BookingRoutesOptions): Promise<void> {
  const { service, attachmentsDir } = opts;
  // Base64 makes 3 bytes 4; each attachment may be at its cap and still be read, to be refused by name.
  const messageBodyLimit = MAX_ATTACHMENTS * Math.ceil(opts.attachmentMaxBytes / 3) * 4 + 64 * 1024;

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/bookings',
    { schema: { body: CreateBody } },
    async (req, reply) => {
      requireCsrf(req);
      const b = req.body;
      const caller = callerOf(req);
      const result = await service.create(caller, {
        ...b,
        startsAt: new Date(b.startsAt),
        subject: b.subject.trim(),
        contactName: b.contactName.trim(),
        contactEmail: b.contactEmail.trim().toLowerCase(),
        participants: [...new Set(b.participants.map((e) => e.trim().toLowerCase()))],
      });
      if (result.pending) return reply.code(202).send({ pending: true });
      return reply.code(201).send({ booking: result.booking });
    },
  );

  app.post<{ Body: { token: string } }>(
    '/api/bookings/confirm',
    {
      schema: {
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => service.confirm(req.body.token),
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/bookings',
    { schema: { querystring: ListQuery } },
    async (req) => ({
      bookings: await service.list(callerOf(req), {
        ...(req.query.state ? { state: req.query.state } : {}),
        overdue: req.query.overdue === 'true',
      }),
    }),
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof KeyQuery> }>(
    '/api/bookings/:id',
    { schema: { params: IdParams, querystring: KeyQuery } },
    async (req, reply) => {
      void reply.header('cache-control', 'no-store');
      return service.get(callerOf(req, req.query.key), req.params.id);
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/bookings/:id/accept',
    { schema: { params: IdParams } },
    async (req) => service.accept(callerOf(req), req.params.id),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: { reason: string } }>(
    '/api/bookings/:id/refuse',
    {
      schema: {
        params: IdParams,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 2000 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const reason = req.body.reason.trim();
      if (reason === '') throw new AppError('bad_request', 'say why the booking cannot be accepted');
      return { booking: await service.refuse(callerOf(req), req.params.id, reason) };
    },
  );

  app.post<{
    Params: Static<typeof IdParams>;
    Querystring: Static<typeof KeyQuery>;
    Body: Static<typeof MessageBody>;
  }>(
    '/api/bookings/:id/messages',
    { bodyLimit: messageBodyLimit, schema: { params: IdParams, querystring: KeyQuery, body: MessageBody } },
    async (req, reply) => {
      requireCsrf(req);
      const text = req.body.text.trim();
      if (text === '') throw new AppError('bad_request', 'the message is empty');
      const message = await service.post(callerOf(req, req.query.key), req.params.id, {
        subject: req.body.subject,
        text,
        attachments: req.body.attachments ?? [],
      });
      return reply.code(201).send({ message });
    },
  );

  app.get<{
    Params: { id: string; attachmentId: string };
    Querystring: Static<typeof KeyQuery>;
  }>(
    '/api/bookings/:id/attachments/:attachmentId',
    {
      schema: {
        params: Type.Object({
          id: Type.String({ format: 'uuid' }),
          attachmentId: Type.String({ format: 'uuid' }),
        }),
        querystring: KeyQuery,
      },
    },
    async (req, reply) => {
      const caller = callerOf(req, req.query.key);
      const file = await service.attachment(caller, req.params.id, req.params.attachmentId);
      const ascii = safeFileName(file.name);
      return reply
        .header('content-type', file.type)
        .header('content-length', file.size)
        .header('x-content-sha256', file.sha256)
        .header('cache-control', 'private, no-store')
        .header(
          'content-disposition',
          `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        )
        .send(createReadStream(attachmentPath(attachmentsDir, file.sha256)));
    },
  );

  app.get<{
    Params: { id: string; recordingId: string };
    Querystring: Static<typeof KeyQuery> & { download?: string };
  }>(
    '/api/bookings/:id/recordings/:recordingId',
    {
      schema: {
        params: Type.Object({
          id: Type.String({ format: 'uuid' }),
          recordingId: Type.String({ format: 'uuid' }),
        }),
      },
    },
    async (req, reply) => {
      if (!app.hasDecorator('recorder')) throw new AppError('not_found', 'this server does not record');
      const { sittingId, bookingId } = await service.recordingOf(
        callerOf(req, req.query.key),
        req.params.id,
        req.params.recordingId,
      );
      const file = await app.recorder.files.final(req.params.recordingId);
      if (!file || file.sittingId !== sittingId) throw new AppError('not_found', 'no such recording file');
      const range = parseByteRange(req.headers.range, file.size);
      await appendAudit(app.access.db, {
        ...auditActor(req.principal),
        action: 'recording.download',
        sittingId,
        details: {
          recordingId: file.recordingId,
          bookingId,
          sha256: file.sha256,
          range: typeof range === 'object' ? `${range.start}-${range.end}` : (range ?? 'full'),
          download: req.query.download !== '0',
        },
      });
      return sendRecordingFile(reply, file, range, req.query.download !== '0');
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Querystring: Static<typeof KeyQuery> }>(
    '/api/bookings/:id/read',
    { schema: { params: IdParams, querystring: KeyQuery } },
    async (req, reply) => {
      requireCsrf(req);
      await service.markRead(callerOf(req, req.query.key), req.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { code: string } }>(
    '/api/sittings/by-code/:code',
    { schema: { params: Type.Object({ code: Type.String({ maxLength: 20 }) }) } },
    async (req) => ({ sittingId: await sittingByCode(app.access.db, req.params.code) }),
  );
}
