/**
 * The webhooks feature: the dispatcher (one per server), the events written when sittings are
 * scheduled, start, end or are cancelled, when participants join or leave and when a recording is
 * ready, and the routes (platform endpoint, admin delivery log). Register it after the sittings
 * and recordings features; closing the app stops the dispatcher.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AppDeps } from '../app';
import { resolveApiKey } from '../sittings/plugin';
import { RedisEndpointChangeRelay } from '../cluster/endpoint-change-relay';
import { WebhookDispatcher } from './dispatcher';
import { EndpointCache } from './endpoint-cache';
import { webhookRoutes } from './routes';
import { webhookDb } from './store';
import { apiKeyId, listenToDomain, WebhookEvents } from './webhook-events';

declare module 'fastify' {
  interface FastifyInstance {
    /** Webhook events and their dispatcher (server/src/webhooks/). */
    webhooks: { events: WebhookEvents; dispatcher: WebhookDispatcher; endpoints: EndpointCache };
  }
}

async function webhooksFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = webhookDb(deps.db.db);
  const { timeoutMs, retryFirstMs, retryWindowMs } = deps.config.webhooks;
  const dispatcher = new WebhookDispatcher({
    db,
    logger: deps.logger,
    timeoutMs,
    retry: { firstDelayMs: retryFirstMs, windowMs: retryWindowMs },
  });
  const relay = deps.cluster
    ? new RedisEndpointChangeRelay(deps.cluster.link, deps.cluster.nodeId, deps.logger)
    : undefined;
  const endpoints = new EndpointCache(db, deps.logger, relay);
  await relay?.start();
  await endpoints.start();
  const events = new WebhookEvents(db, endpoints, dispatcher, deps.logger);
  app.decorate('webhooks', { events, dispatcher, endpoints });
  const recorder = app.hasDecorator('recorder') ? app.recorder : undefined;
  const unlisten = listenToDomain(events, app.sittings, recorder, deps.logger.child({ module: 'webhooks' }));
  const { key } = resolveApiKey(deps.config.apiKey, deps.config.dataDir);
  await app.register(webhookRoutes, { db: deps.db.db, events, endpoints, apiKeyId: apiKeyId(key) });
  app.addHook('onReady', async () => dispatcher.start());
  app.addHook('onClose', async () => {
    unlisten();
    endpoints.close();
    await relay?.close();
    await dispatcher.close();
  });
}

/** Webhooks to the procurement platform. */
export const webhooksPlugin = fp(webhooksFeature, { name: 'webhooks', dependencies: ['sittings'] });
