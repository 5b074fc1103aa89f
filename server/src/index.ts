/** @seduta/server: the HTTP edge and the sitting domain, for main.ts, tests and benchmarks. */

/** Builds the Fastify app from its deps. */
export { buildApp } from './app';
/** Types of the app's deps and feature plugins. */
export type { AppDeps, AppPlugin, BuildAppOptions } from './app';
/** Configuration from the environment. */
export { loadConfig, ConfigError, redactUrl } from './config';
/** Types of the configuration. */
export type { Config, MediaConfig } from './config';
/** Root logger factory. */
export { createLogger } from './logger';
/** The logger type. */
export type { Logger } from './logger';
/** Domain errors and their wire mapping. */
export { AppError, ERROR_STATUS, mapError, assertNever } from './errors';
/** Types of errors on the wire. */
export type { ErrorCode, ErrorBody, MappedError } from './errors';
/** Opening the database (PGlite or PostgreSQL). */
export { openDatabase, pingDatabase, DatabaseOpenError } from './db/open';
/** Types of an open database. */
export type { OpenedDatabase, DatabaseKind, OpenDatabaseOptions } from './db/open';
/** Schema migrations. */
export { migrateToLatest, migrateDown, migrateToZero, migrationStatus, MigrationError } from './db/migrate';
/** The database schema's literal sets. */
export { SITTING_STATUSES, SITTING_KINDS } from './db/schema';
/** Types of the database schema. */
export type {
  Database,
  SittingsTable,
  AuditLogTable,
  SittingStatus,
  SittingKind,
  SittingRow,
  NewSittingRow,
  AuditLogRow,
  JsonValue,
} from './db/schema';
/** The append-only, hash-chained audit log. */
export { appendAudit, verifyAuditChain, auditHash, GENESIS_HASH } from './audit/audit-log';
/** Types of audit entries and chain verification. */
export type { AuditEntry, AuditRecord, AuditChainReport } from './audit/audit-log';
/** The sitting service type (registered by the sittings feature plugin as `app.sittings`). */
export type { SittingService } from './sittings/service';
