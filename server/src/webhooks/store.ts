/**
 * The webhook tables (migration 0008): endpoints (one per API key) and deliveries — the outbox the
 * dispatcher sends from, and the delivery log admins read. Kysely sees them through
 * `withTables` (the tables belong to this feature alone).
 */
import { sql, type ColumnType, type Kysely, type Selectable } from 'kysely';
import type { Database, Timestamp } from '../db/schema';
import type { DeliveryType, WebhookEnvelope, WebhookEventType } from './events';

/** Delivery state: pending (to be tried, or being tried), delivered (a 2xx came back), failed. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
/** One of {@link DELIVERY_STATUSES}; also the `webhook_deliveries.status` column type. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** `webhook_endpoints`. */
export interface WebhookEndpointsTable {
  id: ColumnType<string, string | undefined, never>;
  /** The fingerprint of the API key that configured it (see apiKeyId). */
  api_key_id: string;
  url: string;
  secret: string;
  /** jsonb array of event types, written as a JSON string. */
  event_types: ColumnType<WebhookEventType[], string, string>;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** `webhook_deliveries`. */
export interface WebhookDeliveriesTable {
  id: ColumnType<number, never, never>;
  event_id: string;
  endpoint_id: string;
  type: DeliveryType;
  /** The envelope sent as the body (jsonb, written as a JSON string). */
  payload: ColumnType<WebhookEnvelope, string, never>;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Timestamp | null;
}

/** The webhook tables, added to the database's by withTables. */
export type WebhookTables = {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
};

/** The database with the webhook tables. */
export type WebhookDb = Kysely<Database & WebhookTables>;
/** An endpoint row. */
export type EndpointRow = Selectable<WebhookEndpointsTable>;
/** A delivery row. */
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

/** The database handle that knows the webhook tables. */
export function webhookDb(db: Kysely<Database>): WebhookDb {
  return db.withTables<WebhookTables>();
}

/** The active endpoint of an API key, if any. */
export async function activeEndpoint(db: WebhookDb, apiKeyId: string): Promise<EndpointRow | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('api_key_id', '=', apiKeyId)
    .where('active', '=', true)
    .executeTakeFirst();
}

/**
 * Creates the key's endpoint, or replaces its URL, events and secret (the row, and so the delivery
 * log, is kept). Deliveries still pending go to the new URL, signed with the new secret.
 */
export async function upsertEndpoint(
  db: WebhookDb,
  input: { apiKeyId: string; url: string; events: readonly WebhookEventType[]; secret: string },
): Promise<EndpointRow> {
  return db
    .insertInto('webhook_endpoints')
    .values({
      api_key_id: input.apiKeyId,
      url: input.url,
      secret: input.secret,
      event_types: JSON.stringify(input.events),
    })
    .onConflict((oc) =>
      oc.column('api_key_id').doUpdateSet({
        url: input.url,
        secret: input.secret,
        event_types: JSON.stringify(input.events),
        active: true,
        created_at: new Date(),
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Turns the key's endpoint off; its pending deliveries fail. False if it had none. */
export async function deactivateEndpoint(db: WebhookDb, apiKeyId: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('webhook_endpoints')
      .set({ active: false })
      .where('api_key_id', '=', apiKeyId)
      .where('active', '=', true)
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await tx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', last_error: 'the endpoint was removed' })
      .where('endpoint_id', '=', row.id)
      .where('status', '=', 'pending')
      .execute();
    return true;
  });
}

/** An active endpoint as the events need it: its id and the event types it subscribed to. */
export interface ActiveEndpoint {
  id: string;
  eventTypes: readonly string[];
}

/** Every active endpoint with its event types (what webhooks/endpoint-cache.ts keeps). */
export async function activeEndpointTypes(db: WebhookDb): Promise<ActiveEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'event_types'])
    .where('active', '=', true)
    .execute();
  return rows.map((r) => ({ id: r.id, eventTypes: r.event_types as string[] }));
}

/**
 * Writes one delivery of `event` for each of `endpointIds` that is still active (checked in the
 * same statement: an endpoint removed since the caller read its list gets none); returns how many.
 */
export async function enqueueEvent(
  db: WebhookDb,
  event: WebhookEnvelope,
  endpointIds: readonly string[],
): Promise<number> {
  if (endpointIds.length === 0) return 0;
  const payload = JSON.stringify(event);
  const result = await db
    .insertInto('webhook_deliveries')
    .columns(['event_id', 'endpoint_id', 'type', 'payload', 'created_at'])
    .expression(
      db
        .selectFrom('webhook_endpoints')
        .select([
          sql<string>`${event.id}::uuid`.as('event_id'),
          'id as endpoint_id',
          sql<DeliveryType>`${event.type}::text`.as('type'),
          sql<string>`${payload}::jsonb`.as('payload'),
          sql<string>`${event.createdAt}::timestamptz`.as('created_at'),
        ])
        .where('id', 'in', endpointIds)
        .where('active', '=', true),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

/** A claimed delivery with where it goes. */
export interface ClaimedDelivery extends DeliveryRow {
  url: string;
  secret: string;
}

/**
 * Takes up to `limit` due pending deliveries (`FOR UPDATE SKIP LOCKED`: several servers never take
 * the same one), leases each for `leaseMs` by pushing next_attempt_at forward, and counts the
 * attempt. A delivery whose server died mid-attempt is due again when its lease runs out.
 */
export async function claimDue(
  db: WebhookDb,
  limit: number,
  leaseMs: number,
  now = new Date(),
): Promise<ClaimedDelivery[]> {
  const due = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .forUpdate()
    .skipLocked();
  const rows = await db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: new Date(now.getTime() + leaseMs), attempts: sql<number>`attempts + 1` })
    .where('id', 'in', due)
    .returningAll()
    .execute();
  if (rows.length === 0) return [];
  const endpoints = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'url', 'secret'])
    .where(
      'id',
      'in',
      rows.map((r) => r.endpoint_id),
    )
    .execute();
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  return rows.flatMap((r) => {
    const e = byId.get(r.endpoint_id);
    return e ? [{ ...r, url: e.url, secret: e.secret }] : [];
  });
}

/** Records a 2xx answer. */
export async function markDelivered(
  db: WebhookDb,
  id: number,
  status: number,
  now = new Date(),
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'delivered', delivered_at: now, last_status: status, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** Records a failed attempt: tried again at `retryAt`, or `failed` for good without one. */
export async function markAttemptFailed(
  db: WebhookDb,
  id: number,
  outcome: { status: number | null; error: string },
  retryAt: Date | undefined,
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: retryAt === undefined ? 'failed' : 'pending',
      last_status: outcome.status,
      last_error: outcome.error.slice(0, 1000),
      ...(retryAt === undefined ? {} : { next_attempt_at: retryAt }),
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

/** When the next pending delivery is due, if any. */
export async function nextDueAt(db: WebhookDb): Promise<Date | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.at ? new Date(row.at) : undefined;
}

/** Filters and page of the delivery log. */
export interface DeliveryQuery {
  status?: DeliveryStatus;
  type?: DeliveryType;
  limit: number;
  offset: number;
}

/** One entry of the delivery log, as admins see it (no secret). */
export interface DeliveryLogEntry {
  id: number;
  eventId: string;
  type: DeliveryType;
  status: DeliveryStatus;
  url: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  payload: WebhookEnvelope;
}

/** The delivery log, newest first, with the total matching the filters. */
export async function listDeliveries(
  db: WebhookDb,
  query: DeliveryQuery,
): Promise<{ deliveries: DeliveryLogEntry[]; total: number }> {
  let base = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id');
  if (query.status !== undefined) base = base.where('d.status', '=', query.status);
  if (query.type !== undefined) base = base.where('d.type', '=', query.type);
  const count = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('d')
    .select('e.url')
    .orderBy('d.id', 'desc')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  return {
    total: Number(count.n),
    deliveries: rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      type: r.type,
      status: r.status,
      url: r.url,
      createdAt: r.created_at.toISOString(),
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
      lastStatus: r.last_status,
      lastError: r.last_error,
      deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
      payload: r.payload,
    })),
  };
}
