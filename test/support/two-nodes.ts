/**
 * A deployment of two nodes in this process (integration tests of multi-node mode): two servers
 * with one private Redis (test/support/redis.ts) and one PostgreSQL database between them (the
 * embedded PGlite lives inside one process, so two nodes need PostgreSQL on 127.0.0.1:5432).
 */
import { postgresAdminUrl, testDatabases, type TestDatabase } from './databases';
import { connectRaw, type RawClient } from './raw-client';
import { startRedis, type TestRedis } from './redis';
import { startTestServer, type TestServer } from './server';

export interface TwoNodes {
  redis: TestRedis;
  database: TestDatabase;
  a: TestServer;
  b: TestServer;
  /** A raw client of `srv` signed in as `cookie`, closed with the deployment. */
  connect(srv: TestServer, sittingId: string, cookie: string): Promise<RawClient>;
  /** Stops node A alone (its lease and node key go with it); `close` then leaves it be. */
  stopA(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the two nodes; `env` is added to both (REDIS_URL is set here). */
export async function startTwoNodes(env: Record<string, string> = {}): Promise<TwoNodes> {
  if (postgresAdminUrl() === undefined) throw new Error('two nodes need PostgreSQL on 127.0.0.1:5432');
  const postgres = testDatabases().find(([kind]) => kind === 'postgres')![1];
  const clients: RawClient[] = [];
  const redis = await startRedis();
  let database: TestDatabase | undefined;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  let aStopped = false;
  const close = async () => {
    for (const c of clients) c.close();
    await b?.close();
    if (!aStopped) await a?.close();
    await database?.close();
    await redis.stop();
  };
  try {
    database = await postgres.open();
    const nodeEnv = { ...env, REDIS_URL: redis.url };
    a = await startTestServer({ db: database.handle, env: nodeEnv });
    b = await startTestServer({ db: database.handle, env: nodeEnv });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    redis,
    database,
    a,
    b,
    async connect(srv, sittingId, cookie) {
      const client = await connectRaw(srv.url, { sittingId, cookie });
      clients.push(client);
      return client;
    },
    async stopA() {
      aStopped = true;
      await a!.close();
    },
    close,
  };
}
