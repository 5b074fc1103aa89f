/**
 * Multi-node settings: REDIS_URL turns multi-node mode on (unset: one node, no Redis code runs);
 * the other variables tune how fast a dead node or a lost lease is noticed.
 */
import { ConfigError, integer, redactUrl } from '../config';

/** Multi-node mode's settings; `undefined` in Config when REDIS_URL is unset. */
export interface ClusterConfig {
  /** REDIS_URL: `redis://[:password@]host[:port][/db]` or `rediss://` (TLS). */
  redisUrl: string;
  /** REDIS_CONNECT_TIMEOUT_MS: how long the start waits for Redis before giving up (default 5000). */
  connectTimeoutMs: number;
  /**
   * CLUSTER_NODE_TTL_MS: a node that stops heartbeating is declared down after this long (default
   * 4000); heartbeats go every quarter of it.
   */
  nodeTtlMs: number;
  /**
   * CLUSTER_LEASE_TTL_MS: a sitting's origin lease outlives its dead owner this long before another
   * node may take it (default 5000); the owner renews it every 30% of it.
   */
  leaseTtlMs: number;
}

/** Reads the multi-node settings; undefined when REDIS_URL is unset. */
export function loadClusterConfig(read: (name: string) => string | undefined): ClusterConfig | undefined {
  const connectTimeoutMs = integer(read, 'REDIS_CONNECT_TIMEOUT_MS', 5000, 500, 9000);
  const nodeTtlMs = integer(read, 'CLUSTER_NODE_TTL_MS', 4000, 1000, 60_000);
  const leaseTtlMs = integer(read, 'CLUSTER_LEASE_TTL_MS', 5000, 1000, 60_000);
  const raw = read('REDIS_URL');
  if (raw === undefined) return undefined;
  const expected = 'a URL like redis://127.0.0.1:6379, redis://:password@host:6379/0 or rediss://host:6380';
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError('REDIS_URL', redactUrl(raw), expected);
  }
  return { redisUrl: raw, connectTimeoutMs, nodeTtlMs, leaseTtlMs };
}
