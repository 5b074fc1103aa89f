/**
 * Who is calling: the principal an HTTP request or a signalling connection is established as.
 */
import type { Identity } from '../sittings/participant';
import type { AccessRole } from './http-permissions';
import type { PassRole } from './participant-pass';
import type { StaffSession } from './sessions';

/** The caller, as established from the request's credentials. */
export type Principal =
  | { kind: 'anonymous' }
  /** The procurement platform (or an administrator's script) with the API key. */
  | { kind: 'api' }
  /** A signed-in admin or host. */
  | { kind: 'staff'; session: StaffSession }
  /** An operator or commissioner holding a pass for `sittingId`. */
  | {
      kind: 'participant';
      sittingId: string;
      identity: Identity & { role: PassRole };
      /** The pass's id (`jti`) and expiry. */
      pass: { id: string; expiresAt: Date };
    };

/** The role a principal has in the permission tables. */
export function accessRole(p: Principal): AccessRole {
  switch (p.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'api':
      return 'api';
    case 'staff':
      return p.session.user.role;
    case 'participant':
      return p.identity.role;
  }
}

/** The identity a staff member has in sittings and in the audit log. */
export function staffIdentity(session: StaffSession): Identity {
  const { user } = session;
  return { subject: `staff:${user.email}`, name: user.name, role: user.role };
}

/** Who the audit log names for a principal's actions. */
export function auditActor(p: Principal): { actor: string; role: string } {
  switch (p.kind) {
    case 'anonymous':
      return { actor: 'anonymous', role: 'anonymous' };
    case 'api':
      return { actor: 'api', role: 'api' };
    case 'staff':
      return { actor: staffIdentity(p.session).subject, role: p.session.user.role };
    case 'participant':
      return { actor: p.identity.subject, role: p.identity.role };
  }
}
