/**
 * Webhook routes. The procurement platform (API key) configures its endpoint:
 * - `PUT /api/platform/webhook` {url, events?} → {endpoint, secret}: creates or replaces the key's
 *   endpoint with a new secret, shown this once;
 * - `GET /api/platform/webhook` → {endpoint} (no secret); `DELETE` → 204 (pending deliveries fail);
 * - `POST /api/platform/webhook/test` → 202 {eventId}: sends a `ping`.
 * Admins read the delivery log: `GET /api/admin/webhooks/deliveries?status&type&limit&offset`.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit-log';
import type { Database } from '../db/schema';
import { AppError } from '../errors';
import type { EndpointCache } from './endpoint-cache';
import { DEFAULT_EVENT_TYPES, PING, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events';
import { generateSecret } from './signature';
import {
  activeEndpoint,
  deactivateEndpoint,
  DELIVERY_STATUSES,
  listDeliveries,
  upsertEndpoint,
  webhookDb,
  type EndpointRow,
} from './store';
import type { WebhookEvents } from './webhook-events';

/** Options of the webhook routes. */
export interface WebhookRoutesOptions {
  db: Kysely<Database>;
  events: WebhookEvents;
  /** The in-memory copy of the active endpoints, read again after every change here. */
  endpoints: EndpointCache;
  /** The fingerprint of the API key the platform calls with (today there is one key). */
  apiKeyId: string;
}

const EventType = Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)));
const PutBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    /** Default: every event but the participants' joins and leaves. */
    events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length })),
  },
  { additionalProperties: false },
);
const LogQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)))),
    type: Type.Optional(Type.Union([EventType, Type.Literal(PING)])),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

/**
 * The endpoint URL, or `bad_request`: http or https, a host, no credentials in it. Which host is
 * the platform's business: the key holder is trusted (see README, Webhooks, on SSRF).
 */
export function checkEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('bad_request', 'url: not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('bad_request', 'url: only http and https URLs are accepted');
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError(
      'bad_request',
      'url: credentials in the URL are refused (the signature authenticates)',
    );
  }
  if (url.hostname === '') throw new AppError('bad_request', 'url: a host is required');
  if (url.hash !== '') throw new AppError('bad_request', 'url: a fragment is not sent; leave it out');
  return url.toString();
}

function endpointView(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.event_types,
    active: row.active,
    createdAt: row.created_at.toISOString(),
  };
}

/** Registers the webhook routes. */
export async function webhookRoutes(app: FastifyInstance, opts: WebhookRoutesOptions): Promise<void> {
  const { events, apiKeyId } = opts;
  const db = webhookDb(opts.db);
  const audit = (action: string, details: Record<string, unknown>) =>
    appendAudit(opts.db, { actor: 'api', role: 'api', action, sittingId: null, details });
  const current = async () => {
    const row = await activeEndpoint(db, apiKeyId);
    if (!row) throw new AppError('not_found', 'no webhook endpoint is configured: PUT /api/platform/webhook');
    return row;
  };

  app.put<{ Body: Static<typeof PutBody> }>(
    '/api/platform/webhook',
    { schema: { body: PutBody } },
    async (req) => {
      const url = checkEndpointUrl(req.body.url);
      const chosen: readonly WebhookEventType[] = req.body.events ?? DEFAULT_EVENT_TYPES;
      const list = WEBHOOK_EVENT_TYPES.filter((t) => chosen.includes(t));
      const secret = generateSecret();
      const row = await upsertEndpoint(db, { apiKeyId, url, events: list, secret });
      await opts.endpoints.changed();
      await audit('webhook.configure', { endpointId: row.id, url, events: list });
      return { endpoint: endpointView(row), secret };
    },
  );

  app.get('/api/platform/webhook', async () => ({ endpoint: endpointView(await current()) }));

  app.delete('/api/platform/webhook', async (_req, reply) => {
    const row = await current();
    await deactivateEndpoint(db, apiKeyId);
    await opts.endpoints.changed();
    await audit('webhook.delete', { endpointId: row.id, url: row.url });
    return reply.code(204).send();
  });

  app.post('/api/platform/webhook/test', async (_req, reply) => {
    const row = await current();
    const { eventId } = await events.emit(PING, { message: 'Seduta webhook test' }, row.id);
    reply.code(202);
    return { eventId };
  });

  app.get<{ Querystring: Static<typeof LogQuery> }>(
    '/api/admin/webhooks/deliveries',
    { schema: { querystring: LogQuery } },
    async (req) => {
      const { status, type, limit, offset } = req.query;
      const page = await listDeliveries(db, { status, type, limit, offset });
      return { ...page, limit, offset };
    },
  );
}
