/**
 * The one permission table for HTTP routes, as sittings/permissions.ts is for signalling: every
 * `/api/` route × who may call it. The access plugin checks it before every handler; a route
 * missing from the table is refused (fail closed), and a test asserts every registered route is
 * listed. Sitting-scoped rules name the route parameter holding the sitting id: a host must own
 * that sitting (admins manage all), an operator or commissioner must hold a pass for it, and an
 * operator never sees a reserved sitting (404).
 */

/** Who calls: nobody identified, a participant with a pass, a staff member, or the platform (API key). */
export const ACCESS_ROLES = ['anonymous', 'operator', 'commissioner', 'host', 'admin', 'api'] as const;
/** One of {@link ACCESS_ROLES}. */
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** Who may call a route. */
export interface RouteRule {
  allow: readonly AccessRole[];
  /** Route parameter naming the sitting the call is about. */
  sittingParam?: string;
}

const ANYONE: readonly AccessRole[] = ACCESS_ROLES;
const STAFF: readonly AccessRole[] = ['host', 'admin'];
const ADMIN: readonly AccessRole[] = ['admin'];
const API: readonly AccessRole[] = ['api'];
const IN_SITTING: readonly AccessRole[] = ['operator', 'commissioner', 'host', 'admin'];

/** Every `/api/` route, keyed `METHOD /path/:param` as registered with Fastify. */
export const ROUTE_PERMISSIONS: Readonly<Record<string, RouteRule>> = {
  'GET /api/health': { allow: ANYONE },

  // Sign-in and credential exchanges: the body carries the credential.
  'POST /api/auth/login': { allow: ANYONE },
  'POST /api/auth/join-token': { allow: ANYONE },
  'POST /api/auth/meeting-password': { allow: ANYONE },
  'GET /api/sittings/:id/entry': { allow: ANYONE },
  'POST /api/auth/invite': { allow: ANYONE },
  'POST /api/auth/logout': { allow: STAFF },
  'GET /api/auth/me': { allow: STAFF },
  // First run: whether an administrator exists, and creating the first one (the body carries the
  // setup token; refused once an administrator exists).
  'GET /api/setup': { allow: ANYONE },
  'POST /api/setup': { allow: ANYONE },

  // A sitting's details and who the caller is in it.
  'GET /api/sittings/:id': { allow: [...IN_SITTING, 'api'], sittingParam: 'id' },
  'GET /api/sittings/:id/me': { allow: IN_SITTING, sittingParam: 'id' },
  'POST /api/sittings': { allow: API },

  // Staff: own sittings (hosts) or all (admins), invitations, accounts (admins).
  'GET /api/staff/sittings': { allow: STAFF },
  'POST /api/staff/sittings': { allow: STAFF },
  'GET /api/staff/sittings/:id': { allow: STAFF, sittingParam: 'id' },
  'GET /api/staff/sittings/:id/invites': { allow: STAFF, sittingParam: 'id' },
  'POST /api/staff/sittings/:id/invites': { allow: STAFF, sittingParam: 'id' },
  'DELETE /api/staff/sittings/:id/invites/:inviteId': { allow: STAFF, sittingParam: 'id' },
  'POST /api/staff/sittings/:id/join-tokens': { allow: STAFF, sittingParam: 'id' },
  'GET /api/staff/users': { allow: ADMIN },
  'POST /api/staff/users': { allow: ADMIN },
  'POST /api/staff/users/:id/disable': { allow: ADMIN },
  'POST /api/staff/users/:id/enable': { allow: ADMIN },
  'POST /api/staff/users/:id/password': { allow: ADMIN },
  'POST /api/staff/users/:id/role': { allow: ADMIN },

  // Recordings: admins (and the sitting's host with RECORDINGS_HOST_DOWNLOAD=1, checked by the
  // routes, as is the host running the recording's sitting). See server/src/recordings/.
  'GET /api/sittings/:id/recordings': { allow: STAFF, sittingParam: 'id' },
  'GET /api/recordings/:id/file': { allow: STAFF },
  'GET /api/recordings/:id/tracks': { allow: STAFF },
  'GET /api/recordings/:id/tracks/:segmentId/file': { allow: STAFF },
  // The sitting's register, once it has ended: admins and the sitting's host (server/src/register/).
  'GET /api/sittings/:id/register.html': { allow: STAFF, sittingParam: 'id' },
  'GET /api/sittings/:id/register.pdf': { allow: STAFF, sittingParam: 'id' },

  // The audit log: read, export, verify (server/src/http/audit-routes.ts).
  'GET /api/admin/audit': { allow: ADMIN },
  'GET /api/admin/audit/export': { allow: ADMIN },
  'POST /api/admin/audit/verify': { allow: ADMIN },

  // Bookings (server/src/bookings/): the public form and a public requester's key are checked by
  // the routes, which also check a staff caller's CSRF header on the open ones.
  'POST /api/bookings': { allow: ANYONE },
  'POST /api/bookings/confirm': { allow: ANYONE },
  'GET /api/bookings': { allow: STAFF },
  'GET /api/bookings/:id': { allow: ANYONE },
  'POST /api/bookings/:id/accept': { allow: ADMIN },
  'POST /api/bookings/:id/refuse': { allow: ADMIN },
  'POST /api/bookings/:id/messages': { allow: ANYONE },
  'POST /api/bookings/:id/read': { allow: ANYONE },
  'GET /api/bookings/:id/attachments/:attachmentId': { allow: ANYONE },
  'GET /api/bookings/:id/recordings/:recordingId': { allow: ANYONE },
  // A booked sitting's meeting code → its id (the code is on the participants' e-mail).
  'GET /api/sittings/by-code/:code': { allow: ANYONE },

  // Procurement platform (API key).
  'POST /api/platform/sittings': { allow: API },
  'GET /api/platform/sittings/:id': { allow: API, sittingParam: 'id' },
  'POST /api/platform/sittings/:id/join-tokens': { allow: API, sittingParam: 'id' },
  // Webhooks: the platform's endpoint (per API key), and the delivery log (server/src/webhooks/).
  'PUT /api/platform/webhook': { allow: API },
  'GET /api/platform/webhook': { allow: API },
  'DELETE /api/platform/webhook': { allow: API },
  'POST /api/platform/webhook/test': { allow: API },
  'GET /api/admin/webhooks/deliveries': { allow: ADMIN },
};

/** A rule open to every caller (health, sign-in; test fixtures declare it in their route config). */
export const OPEN_ROUTE: RouteRule = { allow: ACCESS_ROLES };

/** The rule of a route (HEAD uses its GET's), or undefined if the route is not in the table. */
export function ruleFor(method: string, url: string): RouteRule | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTE_PERMISSIONS[`${m} ${url}`];
}

/** Methods that change state: with a session cookie they need the CSRF header. */
export function isStateChanging(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method);
}
