import type { AuditEntry } from '@seduta/server';

/**
 * Appends one entry to the audit log; the server passes `(entry) => appendAudit(db, entry)`.
 * Injected rather than imported so that the recorder does not load the server at run time.
 */
export type AuditSink = (entry: AuditEntry) => Promise<unknown>;

/** Who a control was issued by, as the audit log records it. */
export interface Actor {
  actor: string;
  role: string;
}

/** The actor of what the recorder does by itself (finalize, retention). */
export const SYSTEM_ACTOR: Actor = { actor: 'recorder', role: 'system' };
