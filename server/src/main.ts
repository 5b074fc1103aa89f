/**
 * The server process: reads the configuration, opens the database and migrates it, starts the
 * mediasoup workers, builds the app and listens. On SIGINT/SIGTERM it closes, in order, the HTTP
 * server (whose plugins close their sockets), the workers and the database, and exits 0; past
 * SHUTDOWN_GRACE_MS, or on a second signal, it exits 1. Any startup failure prints one line on
 * stderr and exits 1. SIGHUP reloads the TLS certificate and key (TLS_CERT_FILE, TLS_KEY_FILE), and
 * does nothing else: a service manager's `reload` must never stop the server.
 */
import type { Server as TlsServer } from 'node:tls';
import type { Cluster } from './cluster/cluster';
import { ConfigError, loadConfig, type Config } from './config';
import { reloadTls } from './http/tls';
import { createLogger, type Logger } from './logger';

interface Resource {
  name: string;
  close(): Promise<void>;
}

/** Raised inside startup when a signal arrives before it finished. */
class StopRequested extends Error {}

function die(message: string): never {
  process.stderr.write(`seduta: ${message.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(1);
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    die(err instanceof ConfigError ? err.message : `configuration: ${String(err)}`);
  }
  const logger = createLogger(config);
  for (const warning of config.warnings) logger.warn(warning);
  // Loaded only now so that a configuration error is reported in a second, not after seconds
  // of loading mediasoup, Fastify and PGlite.
  const [{ WorkerPool }, { buildApp }, { migrateToLatest }, { openDatabase }] = await Promise.all([
    import('@seduta/media'),
    import('./app'),
    import('./db/migrate'),
    import('./db/open'),
  ]);

  // In opening order; closed in reverse: http server, workers, database.
  const opened: Resource[] = [];
  let stopSignal: NodeJS.Signals | undefined;
  let started = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopSignal !== undefined) {
      logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      process.exit(1);
    }
    stopSignal = signal;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    setTimeout(() => {
      logger.error(
        { graceMs: config.shutdownGraceMs },
        'shutdown took longer than SHUTDOWN_GRACE_MS; exiting',
      );
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    // During startup the running step finishes first, then startup stops and closes what it opened.
    if (started) void closeAll(opened, logger).then((ok) => process.exit(ok ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let reload = (): void =>
    logger.info(
      { signal: 'SIGHUP' },
      config.tls ? 'nothing to reload yet: still starting' : 'nothing to reload: no TLS_CERT_FILE',
    );
  process.on('SIGHUP', () => reload());
  const checkStop = (): void => {
    if (stopSignal !== undefined) throw new StopRequested();
  };

  try {
    // Multi-node mode: Redis first (a start that cannot reach it fails fast, naming REDIS_URL);
    // closed last, after the app has released its sittings. Handed to every feature as deps.cluster.
    let cluster: Cluster | undefined;
    if (config.cluster) {
      const { startCluster } = await import('./cluster/cluster');
      const clusterConfig = config.cluster;
      cluster = await step('redis', () =>
        startCluster({
          config: clusterConfig,
          mediaIp: config.media.announcedAddress ?? config.media.listenIp,
          logger,
        }),
      );
      const joined = cluster;
      opened.push({ name: 'cluster', close: () => joined.close() });
      checkStop();
    }
    const database = await step('database', () => openDatabase(config, logger));
    opened.push({ name: 'database', close: () => database.close() });
    checkStop();
    await step('migrations', () => migrateToLatest(database.db, logger));
    checkStop();
    const { media } = config;
    const pool = await step('media workers', () =>
      WorkerPool.create({
        numWorkers: media.numWorkers,
        rtcListenIp: media.listenIp,
        rtcAnnouncedAddress: media.announcedAddress,
        rtcPort: media.rtcPort,
        rtcMinPort: media.rtcMinPort,
        rtcMaxPort: media.rtcMaxPort,
        spreadConsumers: media.spreadConsumers,
        logger,
      }),
    );
    opened.push({ name: 'media workers', close: () => pool.close() });
    checkStop();
    const app = await step('http', () => buildApp({ config, db: database, pool, logger, cluster }));
    opened.push({ name: 'http server', close: () => app.close() });
    await step('http', () => app.listen({ port: config.port, host: config.host }));
    checkStop();
    const { tls } = config;
    if (tls) reload = () => reloadTls(app.server as unknown as TlsServer, tls, logger);
    started = true;
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    logger.info(
      {
        url: `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        db: database.kind,
        ...(cluster ? { nodeId: cluster.nodeId } : {}),
        workerPids: pool.workerPids(),
        ...(config.tls
          ? { tlsSubject: config.tls.subject, tlsValidTo: config.tls.validTo.toISOString() }
          : {}),
      },
      'seduta is listening',
    );
  } catch (err) {
    if (err instanceof StopRequested) {
      const ok = await closeAll(opened, logger);
      process.exit(ok ? 0 : 1);
    }
    const reason = `startup failed: ${err instanceof Error ? err.message : String(err)}`;
    logger.fatal({ err }, 'startup failed');
    setTimeout(() => die(reason), config.shutdownGraceMs).unref();
    await closeAll(opened, logger);
    die(reason);
  }
}

/** Closes the resources in reverse opening order; false if any failed to close. */
async function closeAll(opened: Resource[], logger: Logger): Promise<boolean> {
  let ok = true;
  for (const resource of [...opened].reverse()) {
    logger.info({ resource: resource.name }, 'closing');
    try {
      await resource.close();
      logger.info({ resource: resource.name }, 'closed');
    } catch (err) {
      ok = false;
      logger.error({ err, resource: resource.name }, 'close failed');
    }
  }
  if (ok) logger.info('shutdown complete');
  return ok;
}

await main();
