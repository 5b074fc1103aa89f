/**
 * This node's place in a multi-node deployment (REDIS_URL): the Redis link, the node registry
 * (heartbeat), the sitting leases and the RPC endpoint, started together before the server
 * listens and closed together after it. main.ts builds one and passes it to buildApp as
 * `deps.cluster`; every feature reads it from there (undefined = single node).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger';
import type { ClusterConfig } from './config';
import { SittingLeases } from './lease';
import { NodeRegistry, type NodeInfo } from './node-registry';
import { connectRedis, type RedisLink } from './redis';
import { RedisRevocationRelay } from './revocation-relay';
import { ClusterRpc } from './rpc';
import { SharedWindows } from './shared-windows';
import { socketAdapter } from './socket-adapter';

/** The running cluster membership of this process. */
export interface Cluster {
  /** This node's id: random, per process. */
  readonly nodeId: string;
  readonly link: RedisLink;
  readonly registry: NodeRegistry;
  readonly leases: SittingLeases;
  readonly rpc: ClusterRpc;
  /** Carries the access service's revocations to and from the other nodes. */
  readonly revocationRelay: RedisRevocationRelay;
  /** The sign-in and meeting-password limits' counts, shared by every node. */
  readonly limitWindows: SharedWindows;
  /** socket.io's Redis adapter on this link, for the signalling server's `adapter` option. */
  socketAdapter(): ReturnType<typeof socketAdapter>;
  /** Releases the leases, deletes the node key, closes the RPC and both connections. */
  close(): Promise<void>;
}

/** What {@link startCluster} needs. */
export interface StartClusterOptions {
  config: ClusterConfig;
  /** The address this node's media is reached at (MEDIA_ANNOUNCED_ADDRESS). */
  mediaIp: string;
  logger: Logger;
  /** Default: random. */
  nodeId?: string;
}

/** A fresh random node id: 12 hex characters, unique enough for a deployment's nodes. */
export function newNodeId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * Connects to Redis and joins the deployment. Rejects with a one-line Error naming the URL (no
 * password), the cause and REDIS_URL when Redis does not answer within the connect timeout.
 */
export async function startCluster(opts: StartClusterOptions): Promise<Cluster> {
  const { config, logger } = opts;
  const nodeId = opts.nodeId ?? newNodeId();
  let link: RedisLink;
  try {
    link = await connectRedis(config.redisUrl, { logger, timeoutMs: config.connectTimeoutMs });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (REDIS_URL)`, { cause: err });
  }
  const log = logger.child({ module: 'cluster', nodeId });
  const self: NodeInfo = { id: nodeId, mediaIp: opts.mediaIp, startedAt: Date.now() };
  const registry = new NodeRegistry(link, self, {
    heartbeatMs: Math.max(250, Math.floor(config.nodeTtlMs / 4)),
    ttlMs: config.nodeTtlMs,
    logger,
  });
  const leases = new SittingLeases(link, nodeId, {
    ttlMs: config.leaseTtlMs,
    renewMs: Math.max(200, Math.floor(config.leaseTtlMs * 0.3)),
    logger,
  });
  const rpc = new ClusterRpc(link, nodeId, { logger });
  const revocationRelay = new RedisRevocationRelay(link, nodeId, logger);
  const limitWindows = new SharedWindows(link, logger);
  try {
    await rpc.start();
    await revocationRelay.start();
    await registry.start();
  } catch (err) {
    await Promise.allSettled([rpc.close(), revocationRelay.close(), registry.close(), leases.close()]);
    await link.close();
    throw err;
  }
  log.info({ nodeId, mediaIp: self.mediaIp, redis: link.url }, 'joined the deployment as a node');
  let closed = false;
  return {
    nodeId,
    link,
    registry,
    leases,
    rpc,
    revocationRelay,
    limitWindows,
    socketAdapter: () => socketAdapter(link, logger),
    async close() {
      if (closed) return;
      closed = true;
      // Leases first, so another node may take this node's sittings at once; the node key last.
      await leases.close();
      await rpc.close();
      await revocationRelay.close();
      await registry.close();
      await link.close();
      log.info('left the deployment');
    },
  };
}
