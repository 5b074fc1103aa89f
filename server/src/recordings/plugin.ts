/**
 * The recordings feature: one Recorder per server (as `app.recorder`), the host's recording
 * controls for the signalling handlers, the recording state pushed to every sitting, the admin
 * download routes, the finalize jobs a restart interrupted, and a daily retention run. Register it
 * after the sittings feature; closing the app stops every recording in progress.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import {
  purgeExpiredRecordings,
  Recorder,
  recorderConfigFromEnv,
  type AuditSink,
  type RecorderConfig,
  type RecordingStateEvent,
} from '@seduta/recorder';
import type { AppDeps } from '../app';
import { appendAudit } from '../audit/audit-log';
import { gapsOnTheWire, RecordingController } from './recording-controller';
import { recordingRoutes } from './recordings-routes';

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's recorder (recorder/src/recorder.ts). */
    recorder: Recorder;
    /** RECORDINGS_HOST_DOWNLOAD: a sitting's host may list and download its recordings too. */
    recordingsHostDownload: boolean;
  }
}

/** How often expired recording files are looked for. */
export const RETENTION_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** Recordings settings: the recorder's, plus who may download. */
export interface RecordingsSettings {
  recorder: RecorderConfig;
  /** RECORDINGS_HOST_DOWNLOAD=1: a sitting's host may list and download its recordings. */
  hostDownload: boolean;
}

/** Reads the recordings settings (RECORDINGS_*, FFMPEG_PATH, FFPROBE_PATH) from the environment. */
export function recordingsSettingsFromEnv(env: NodeJS.ProcessEnv, dataDir: string): RecordingsSettings {
  return {
    recorder: recorderConfigFromEnv(env, dataDir),
    hostDownload: ['1', 'true', 'yes'].includes(env.RECORDINGS_HOST_DOWNLOAD?.trim().toLowerCase() ?? ''),
  };
}

async function recordingsFeature(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const log = deps.logger.child({ module: 'recordings' });
  const settings = recordingsSettingsFromEnv(process.env, deps.config.dataDir);
  const db = deps.db.db;
  const audit: AuditSink = (entry) => appendAudit(db, entry);
  const recorder = new Recorder({ db, config: settings.recorder, logger: deps.logger, audit });
  app.decorate('recorder', recorder);
  app.decorate('recordingsHostDownload', settings.hostDownload);

  const sittings = app.sittings;
  sittings.recordings = new RecordingController(recorder);
  const onState = (e: RecordingStateEvent): void => {
    sittings
      .setRecording(e.sittingId, {
        state: e.state,
        degraded: e.degraded,
        gaps: gapsOnTheWire(e.gaps),
      })
      .catch((err: unknown) =>
        log.warn({ err, sittingId: e.sittingId }, 'could not announce the recording state'),
      );
  };
  recorder.on('state', onState);

  await app.register(recordingRoutes, { recorder, db, hostDownload: settings.hostDownload });

  // Multi-node: a recording is made and finalized by its sitting's origin. At start this node
  // takes up only those of sittings nobody hosts; those of a live sitting it takes over (its
  // origin died: a live origin holds the lease) when it takes it. A lease taken for a moment
  // by a join of a sitting that is not live touches nothing.
  const cluster = deps.cluster;
  const mine =
    cluster && (async (row: { sitting_id: string }) => (await cluster.leases.owner(row.sitting_id)) === null);
  const takeOver = async (sittingId: string): Promise<void> => {
    if ((await sittings.get(sittingId)).status !== 'live') return;
    const queued = await recorder.recoverSitting(sittingId);
    if (queued.length > 0)
      log.warn({ sittingId, recordings: queued }, 'finalizing the recordings of a dead origin');
  };
  cluster?.leases.on('taken', (sittingId) => {
    takeOver(sittingId).catch((err: unknown) =>
      log.error({ err, sittingId }, 'could not recover the recordings of a sitting taken over'),
    );
  });
  // Neither a database that is down nor a bad file may keep the server from starting.
  await recorder
    .resumePendingFinalizations(mine)
    .catch((err: unknown) => log.error({ err }, 'could not resume pending finalize jobs'));
  const purge = (): void => {
    purgeExpiredRecordings({ db, config: settings.recorder, logger: log, audit }).catch((err: unknown) =>
      log.error({ err }, 'retention run failed'),
    );
  };
  const retention = setInterval(purge, RETENTION_INTERVAL_MS);
  retention.unref();
  if (settings.recorder.retentionDays !== undefined) purge();

  app.addHook('onClose', async () => {
    clearInterval(retention);
    await recorder.close();
    recorder.off('state', onState);
    if (sittings.recordings instanceof RecordingController) sittings.recordings = undefined;
  });
}

/** Recording: controls, indicator state, downloads, finalize recovery and retention. */
export const recordingsPlugin = fp(recordingsFeature, { name: 'recordings', dependencies: ['sittings'] });
