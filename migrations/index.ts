/**
 * Every migration, in order. Add new files here as `NNNN_name`; the key is the name recorded in
 * the kysely_migration table, so never rename or reorder existing entries.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial';
import * as m0003 from './0003_access';
import * as m0004 from './0004_recordings';
import * as m0005 from './0005_chat';
import * as m0006 from './0006_drop_host_key';
import * as m0007 from './0007_recording_evidence';
import * as m0008 from './0008_webhooks';
import * as m0009 from './0009_bookings';
import * as m0010 from './0010_register';
import * as m0011 from './0011_token_uses';

/** All migrations by name, applied in key order. */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0003_access': m0003,
  '0004_recordings': m0004,
  '0005_chat': m0005,
  '0006_drop_host_key': m0006,
  '0007_recording_evidence': m0007,
  '0008_webhooks': m0008,
  '0009_bookings': m0009,
  '0010_register': m0010,
  '0011_token_uses': m0011,
};
