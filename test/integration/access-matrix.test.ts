/**
 * Issue 4 acceptance: the permission matrix. Every HTTP route × every caller (nobody, an operator,
 * a commissioner, the host who runs the sitting, another host, an admin, the platform's API key)
 * gives the documented status (docs/decisions/0009-access.md). Sitting-scoped routes are called on
 * the caller's own sitting: the operator's public one, the commissioner's reserved one, otherwise
 * the reserved one. Every registered `/api/` route must be in the table, and every table entry a
 * registered route.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_PERMISSIONS } from '../../server/src/auth/http-permissions';
import { testDatabases } from '../support/databases';
import {
  API_KEY,
  cookieHeader,
  hostSitting,
  mintToken,
  operatorPass,
  PASSWORD,
  SECRET,
  signedIn,
  startAccessApp,
  type AccessApp,
  type SignedIn,
} from './access-support';

const CALLERS = ['anonymous', 'operator', 'commissioner', 'host', 'other host', 'admin', 'api'] as const;
type Caller = (typeof CALLERS)[number];

/** The documented result of each route for each caller, in CALLERS order. */
const EXPECTED: Record<string, readonly number[]> = {
  //                                                   anon  op  comm host other admin api
  'GET /api/health': /*                            */ [200, 200, 200, 200, 200, 200, 200],
  'POST /api/auth/login': /*                       */ [200, 200, 200, 200, 200, 200, 200],
  'POST /api/auth/join-token': /*                  */ [200, 200, 200, 200, 200, 200, 200],
  // The booked sitting's right password, before its start: the room is not open yet, for anyone.
  'POST /api/auth/meeting-password': /*            */ [409, 409, 409, 409, 409, 409, 409],
  'GET /api/sittings/:id/entry': /*                */ [200, 200, 200, 200, 200, 200, 200],
  'POST /api/auth/invite': /*                      */ [200, 200, 200, 200, 200, 200, 200],
  'POST /api/auth/logout': /*                      */ [401, 401, 401, 204, 204, 204, 403],
  'GET /api/auth/me': /*                           */ [401, 401, 401, 200, 200, 200, 403],
  // First run: an administrator exists here, so setup is refused to everyone (409).
  'GET /api/setup': /*                             */ [200, 200, 200, 200, 200, 200, 200],
  'POST /api/setup': /*                            */ [409, 409, 409, 409, 409, 409, 409],
  'GET /api/sittings/:id': /*                      */ [401, 200, 200, 200, 403, 200, 200],
  'GET /api/sittings/:id/me': /*                   */ [401, 200, 200, 200, 403, 200, 403],
  'POST /api/sittings': /*                         */ [401, 401, 401, 403, 403, 403, 201],
  'GET /api/staff/sittings': /*                    */ [401, 401, 401, 200, 200, 200, 403],
  'POST /api/staff/sittings': /*                   */ [401, 401, 401, 201, 201, 201, 403],
  'GET /api/staff/sittings/:id': /*                */ [401, 403, 403, 200, 403, 200, 403],
  'GET /api/staff/sittings/:id/invites': /*        */ [401, 403, 403, 200, 403, 200, 403],
  'POST /api/staff/sittings/:id/invites': /*       */ [401, 403, 403, 201, 403, 201, 403],
  'DELETE /api/staff/sittings/:id/invites/:inviteId': [401, 403, 403, 200, 403, 200, 403],
  // The commissioner's pass is for the reserved sitting, not the public one: no credentials here.
  'POST /api/staff/sittings/:id/join-tokens': /*   */ [401, 403, 401, 201, 403, 201, 403],
  'GET /api/staff/users': /*                       */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/staff/users': /*                      */ [401, 401, 401, 403, 403, 201, 403],
  'POST /api/staff/users/:id/disable': /*          */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/staff/users/:id/enable': /*           */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/staff/users/:id/password': /*         */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/staff/users/:id/role': /*             */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/platform/sittings': /*                */ [401, 401, 401, 403, 403, 403, 201],
  'GET /api/platform/sittings/:id': /*             */ [401, 403, 403, 403, 403, 403, 200],
  // Recordings: the guard admits staff; the routes then admit admins only (RECORDINGS_HOST_DOWNLOAD
  // unset). Recording ids that do not exist: an admin gets past every check to 404.
  'GET /api/sittings/:id/recordings': /*           */ [401, 403, 403, 403, 403, 200, 403],
  'GET /api/recordings/:id/file': /*               */ [401, 401, 401, 403, 403, 404, 403],
  'GET /api/recordings/:id/tracks': /*             */ [401, 401, 401, 403, 403, 404, 403],
  'GET /api/recordings/:id/tracks/:segmentId/file': [401, 401, 401, 403, 403, 404, 403],
  // The register: admins and the sitting's host, once the sitting has ended (here it has not: 409).
  'GET /api/sittings/:id/register.html': /*        */ [401, 403, 403, 409, 403, 409, 403],
  'GET /api/sittings/:id/register.pdf': /*         */ [401, 403, 403, 409, 403, 409, 403],
  'GET /api/admin/audit': /*                       */ [401, 401, 401, 403, 403, 200, 403],
  'GET /api/admin/audit/export': /*                */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/admin/audit/verify': /*               */ [401, 401, 401, 403, 403, 200, 403],
  // Called on the public sitting (tokens are for public sittings only): the commissioner holds no pass for it.
  'POST /api/platform/sittings/:id/join-tokens': /**/ [401, 403, 401, 403, 403, 403, 201],
  // Webhooks: the request makes sure the API key's endpoint exists first (a PUT with the key).
  'PUT /api/platform/webhook': /*                  */ [401, 401, 401, 403, 403, 403, 200],
  'GET /api/platform/webhook': /*                  */ [401, 401, 401, 403, 403, 403, 200],
  'DELETE /api/platform/webhook': /*               */ [401, 401, 401, 403, 403, 403, 204],
  'POST /api/platform/webhook/test': /*            */ [401, 401, 401, 403, 403, 403, 202],
  'GET /api/admin/webhooks/deliveries': /*         */ [401, 401, 401, 403, 403, 200, 403],
  // Bookings, on a booking the host asked for: the office (admins) and its requester see it, nobody
  // else learns it exists (404). Without BOOKINGS_PUBLIC only staff may ask (401 for the others).
  'POST /api/bookings': /*                         */ [401, 401, 401, 201, 201, 201, 401],
  'POST /api/bookings/confirm': /*                 */ [404, 404, 404, 404, 404, 404, 404],
  'GET /api/bookings': /*                          */ [401, 401, 401, 200, 200, 200, 403],
  'GET /api/bookings/:id': /*                      */ [404, 404, 404, 200, 404, 200, 404],
  'POST /api/bookings/:id/accept': /*              */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/bookings/:id/refuse': /*              */ [401, 401, 401, 403, 403, 200, 403],
  'POST /api/bookings/:id/messages': /*            */ [404, 404, 404, 201, 404, 201, 404],
  'POST /api/bookings/:id/read': /*                */ [404, 404, 404, 204, 404, 204, 404],
  'GET /api/bookings/:id/attachments/:attachmentId': [404, 404, 404, 200, 404, 200, 404],
  // No recording of that id for this booking: 404 to everyone, the requester and the office too.
  'GET /api/bookings/:id/recordings/:recordingId': [404, 404, 404, 404, 404, 404, 404],
  'GET /api/sittings/by-code/:code': /*            */ [200, 200, 200, 200, 200, 200, 200],
};

const target = testDatabases()[0]![1];
const NO_RECORDING = '7e57a11d-0000-4000-8000-000000000000';
/** A webhook endpoint nobody listens on (loopback, discard port): pings to it are just retried. */
const WEBHOOK_URL = 'http://127.0.0.1:9/seduta-webhooks';

/** Starting an app (database, migrations, a media worker) takes long on a loaded machine. */
const APP_START_TIMEOUT_MS = 180_000;
describe('HTTP permission matrix: every route × every caller', () => {
  let t: AccessApp;
  let app: FastifyInstance;
  let host: SignedIn;
  let stranger: SignedIn;
  let admin: SignedIn;
  let publicId: string;
  let reservedId: string;
  let operatorCookie: string;
  let commissionerCookie: string;
  let n = 0;

  beforeAll(async () => {
    t = await startAccessApp(target);
    app = t.app;
    host = await signedIn(app, 'host', 'Host proprietario');
    stranger = await signedIn(app, 'host', 'Altro host');
    admin = await signedIn(app, 'admin', 'Amministratore');
    publicId = (await hostSitting(app, host, { kind: 'public' })).id;
    reservedId = (await hostSitting(app, host, { kind: 'reserved' })).id;
    operatorCookie = await operatorPass(app, publicId, 'op-matrix', 'Operatore Matrice');
    commissionerCookie = cookieHeader(
      await app.inject({
        method: 'POST',
        url: '/api/auth/invite',
        payload: { token: await inviteToken('commissario') },
      }),
    );
  }, APP_START_TIMEOUT_MS);
  afterAll(() => t?.close());

  async function inviteToken(who: string): Promise<string> {
    const by = { subject: 'test', name: 'Test', role: 'admin' as const };
    const { invite } = await app.access.invites.create(
      reservedId,
      { email: `${who}.${++n}@example.it`, name: who },
      by,
    );
    return invite.link!.split('/i/')[1]!;
  }

  /** Headers of a caller; `fresh` gives staff a new session (for sign-out). */
  async function headersOf(caller: Caller, fresh = false): Promise<Record<string, string>> {
    switch (caller) {
      case 'anonymous':
        return {};
      case 'operator':
        return { cookie: operatorCookie };
      case 'commissioner':
        return { cookie: commissionerCookie };
      case 'host':
        return fresh ? (await relogin(host)).headers : host.headers;
      case 'other host':
        return fresh ? (await relogin(stranger)).headers : stranger.headers;
      case 'admin':
        return fresh ? (await relogin(admin)).headers : admin.headers;
      case 'api':
        return { authorization: `Bearer ${API_KEY}` };
    }
  }

  async function relogin(who: SignedIn): Promise<SignedIn> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: who.user.email, password: PASSWORD },
    });
    const cookie = cookieHeader(res);
    const csrf = res.json().csrfToken as string;
    return { ...who, cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
  }

  /** A booking request far enough ahead, each on its own day (no capacity limit is reached). */
  const bookingBody = () => ({
    startsAt: new Date(Date.now() + (30 + ++n) * 86_400_000).toISOString(),
    durationMinutes: 60,
    subject: 'Seduta prenotata',
    contactName: 'Host proprietario',
    contactEmail: 'host@ente.example.it',
    participants: [],
    recording: false,
    visibility: 'public',
  });
  /** A new open booking asked for by `host`. */
  async function hostBooking(): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/bookings',
      headers: host.headers,
      payload: bookingBody(),
    });
    return (res.json() as { booking: { id: string } }).booking.id;
  }
  let attachment: { bookingId: string; attachmentId: string } | undefined;
  async function bookingAttachment(): Promise<{ bookingId: string; attachmentId: string }> {
    if (attachment) return attachment;
    const bookingId = await hostBooking();
    const res = await app.inject({
      method: 'POST',
      url: `/api/bookings/${bookingId}/messages`,
      headers: host.headers,
      payload: {
        text: 'Allegato',
        attachments: [
          {
            name: 'nota.pdf',
            type: 'application/pdf',
            dataBase64: Buffer.from('%PDF-1.4 nota').toString('base64'),
          },
        ],
      },
    });
    const attachmentId = (res.json() as { message: { attachments: { id: string }[] } }).message
      .attachments[0]!.id;
    return (attachment = { bookingId, attachmentId });
  }
  async function meetingCode(): Promise<string> {
    return (await bookedSitting()).code;
  }

  /** The sitting the host's booking became when the office accepted it (once). */
  let booked: { id: string; code: string; password: string } | undefined;
  async function bookedSitting(): Promise<{ id: string; code: string; password: string }> {
    if (booked) return booked;
    const res = await app.inject({
      method: 'POST',
      url: `/api/bookings/${await hostBooking()}/accept`,
      headers: admin.headers,
    });
    return (booked = (res.json() as { sitting: { id: string; code: string; password: string } }).sitting);
  }

  /** The caller's own sitting. */
  const sittingOf = (caller: Caller) => (caller === 'operator' ? publicId : reservedId);

  /** A well-formed request for each route, as `caller`. */
  async function request(route: string, caller: Caller): Promise<InjectOptions> {
    const headers = await headersOf(caller, route === 'POST /api/auth/logout');
    const id = sittingOf(caller);
    const uniq = `${caller.replace(' ', '-')}.${++n}`;
    switch (route) {
      case 'GET /api/health':
        return { url: '/api/health', headers };
      case 'POST /api/auth/login':
        return {
          method: 'POST',
          url: '/api/auth/login',
          headers,
          payload: { email: host.user.email, password: PASSWORD },
        };
      case 'POST /api/auth/join-token': {
        const { token } = await mintToken(app, publicId, { subject: `op-${uniq}`, name: 'Operatore' });
        return {
          method: 'POST',
          url: '/api/auth/join-token',
          headers,
          payload: { sittingId: publicId, token },
        };
      }
      case 'POST /api/auth/invite':
        return {
          method: 'POST',
          url: '/api/auth/invite',
          headers,
          payload: { token: await inviteToken(uniq) },
        };
      case 'POST /api/auth/logout':
        return { method: 'POST', url: '/api/auth/logout', headers };
      case 'GET /api/auth/me':
        return { url: '/api/auth/me', headers };
      case 'GET /api/setup':
        return { url: '/api/setup', headers };
      case 'POST /api/setup':
        return {
          method: 'POST',
          url: '/api/setup',
          headers,
          payload: {
            token: 'x'.repeat(43),
            name: 'Intruso',
            email: `${uniq}@example.it`,
            password: PASSWORD,
          },
        };
      case 'GET /api/sittings/:id':
        return { url: `/api/sittings/${id}`, headers };
      case 'GET /api/sittings/:id/me':
        return { url: `/api/sittings/${id}/me`, headers };
      case 'POST /api/sittings':
        return { method: 'POST', url: '/api/sittings', headers, payload: { title: 'Via API' } };
      case 'GET /api/staff/sittings':
        return { url: '/api/staff/sittings', headers };
      case 'POST /api/staff/sittings':
        return { method: 'POST', url: '/api/staff/sittings', headers, payload: { title: `Nuova ${uniq}` } };
      case 'GET /api/staff/sittings/:id':
        return { url: `/api/staff/sittings/${id}`, headers };
      case 'GET /api/staff/sittings/:id/invites':
        return { url: `/api/staff/sittings/${id}/invites`, headers };
      case 'POST /api/staff/sittings/:id/join-tokens':
        // An operator's link is for a public sitting: the host's public one.
        return {
          method: 'POST',
          url: `/api/staff/sittings/${publicId}/join-tokens`,
          headers,
          payload: { name: 'Mario Rossi', company: 'Rossi S.r.l.' },
        };
      case 'POST /api/staff/sittings/:id/invites':
        return {
          method: 'POST',
          url: `/api/staff/sittings/${id}/invites`,
          headers,
          payload: { email: `${uniq}@example.it`, name: 'Invitato' },
        };
      case 'DELETE /api/staff/sittings/:id/invites/:inviteId': {
        const by = { subject: 'test', name: 'Test', role: 'admin' as const };
        const { invite } = await app.access.invites.create(
          reservedId,
          { email: `del.${uniq}@example.it`, name: 'X' },
          by,
        );
        return { method: 'DELETE', url: `/api/staff/sittings/${id}/invites/${invite.id}`, headers };
      }
      case 'GET /api/staff/users':
        return { url: '/api/staff/users', headers };
      case 'POST /api/staff/users':
        return {
          method: 'POST',
          url: '/api/staff/users',
          headers,
          payload: { email: `${uniq}@ente.example.it`, name: 'Nuovo', role: 'host', password: PASSWORD },
        };
      case 'POST /api/staff/users/:id/disable': {
        const target = await signedIn(app, 'host', `Da disattivare ${uniq}`);
        return { method: 'POST', url: `/api/staff/users/${target.user.id}/disable`, headers };
      }
      case 'POST /api/staff/users/:id/enable':
      case 'POST /api/staff/users/:id/password': {
        const target = await signedIn(app, 'host', `Da gestire ${uniq}`);
        const action = route.endsWith('enable') ? 'enable' : 'password';
        return {
          method: 'POST',
          url: `/api/staff/users/${target.user.id}/${action}`,
          headers,
          ...(action === 'password' ? { payload: { password: `${PASSWORD} nuova` } } : {}),
        };
      }
      case 'POST /api/staff/users/:id/role': {
        const target = await signedIn(app, 'host', `Da promuovere ${uniq}`);
        return {
          method: 'POST',
          url: `/api/staff/users/${target.user.id}/role`,
          headers,
          payload: { role: 'admin' },
        };
      }
      case 'GET /api/admin/audit':
        return { url: '/api/admin/audit', headers };
      case 'GET /api/admin/audit/export':
        return { url: '/api/admin/audit/export?format=csv', headers };
      case 'POST /api/admin/audit/verify':
        return { method: 'POST', url: '/api/admin/audit/verify', headers };
      case 'POST /api/platform/sittings':
        return {
          method: 'POST',
          url: '/api/platform/sittings',
          headers,
          payload: { title: 'Dalla piattaforma' },
        };
      case 'GET /api/platform/sittings/:id':
        return { url: `/api/platform/sittings/${id}`, headers };
      case 'POST /api/platform/sittings/:id/join-tokens':
        return {
          method: 'POST',
          url: `/api/platform/sittings/${publicId}/join-tokens`,
          headers,
          payload: { subject: `op-${uniq}`, name: 'Operatore' },
        };
      case 'PUT /api/platform/webhook':
        return {
          method: 'PUT',
          url: '/api/platform/webhook',
          headers,
          payload: { url: WEBHOOK_URL, events: ['sitting.started'] },
        };
      case 'GET /api/platform/webhook':
      case 'DELETE /api/platform/webhook':
      case 'POST /api/platform/webhook/test': {
        await app.inject({
          method: 'PUT',
          url: '/api/platform/webhook',
          headers: { authorization: `Bearer ${API_KEY}` },
          payload: { url: WEBHOOK_URL },
        });
        const [method, url] = route.split(' ') as ['GET' | 'DELETE' | 'POST', string];
        return { method, url, headers };
      }
      case 'GET /api/admin/webhooks/deliveries':
        return { url: '/api/admin/webhooks/deliveries?status=pending&limit=5', headers };
      case 'GET /api/sittings/:id/recordings':
        return { url: `/api/sittings/${id}/recordings`, headers };
      case 'GET /api/recordings/:id/file':
        return { url: `/api/recordings/${NO_RECORDING}/file`, headers };
      case 'GET /api/recordings/:id/tracks':
        return { url: `/api/recordings/${NO_RECORDING}/tracks`, headers };
      case 'GET /api/recordings/:id/tracks/:segmentId/file':
        return { url: `/api/recordings/${NO_RECORDING}/tracks/${NO_RECORDING}/file`, headers };
      case 'GET /api/sittings/:id/register.html':
      case 'GET /api/sittings/:id/register.pdf':
        return { url: `/api/sittings/${id}/register.${route.endsWith('pdf') ? 'pdf' : 'html'}`, headers };
      case 'POST /api/bookings':
        return { method: 'POST', url: '/api/bookings', headers, payload: bookingBody() };
      case 'POST /api/bookings/confirm':
        return { method: 'POST', url: '/api/bookings/confirm', headers, payload: { token: 'not-a-token' } };
      case 'GET /api/bookings':
        return { url: '/api/bookings', headers };
      case 'GET /api/bookings/:id':
        return { url: `/api/bookings/${await hostBooking()}`, headers };
      case 'POST /api/bookings/:id/accept':
        return { method: 'POST', url: `/api/bookings/${await hostBooking()}/accept`, headers };
      case 'POST /api/bookings/:id/refuse':
        return {
          method: 'POST',
          url: `/api/bookings/${await hostBooking()}/refuse`,
          headers,
          payload: { reason: 'Sala occupata' },
        };
      case 'POST /api/bookings/:id/messages':
        return {
          method: 'POST',
          url: `/api/bookings/${await hostBooking()}/messages`,
          headers,
          payload: { text: 'Un messaggio' },
        };
      case 'POST /api/bookings/:id/read':
        return { method: 'POST', url: `/api/bookings/${await hostBooking()}/read`, headers };
      case 'GET /api/bookings/:id/attachments/:attachmentId': {
        const { bookingId, attachmentId } = await bookingAttachment();
        return { url: `/api/bookings/${bookingId}/attachments/${attachmentId}`, headers };
      }
      case 'GET /api/bookings/:id/recordings/:recordingId':
        return { url: `/api/bookings/${await hostBooking()}/recordings/${NO_RECORDING}`, headers };
      case 'GET /api/sittings/by-code/:code':
        return { url: `/api/sittings/by-code/${await meetingCode()}`, headers };
      case 'GET /api/sittings/:id/entry':
        return { url: `/api/sittings/${(await bookedSitting()).id}/entry`, headers };
      case 'POST /api/auth/meeting-password': {
        const { id: sittingId, password } = await bookedSitting();
        return {
          method: 'POST',
          url: '/api/auth/meeting-password',
          headers,
          payload: { sittingId, password, name: 'Anna Bianchi', company: 'Studio Bianchi' },
        };
      }
      default:
        throw new Error(`no request for ${route}: add one to the matrix`);
    }
  }

  it('lists every registered /api/ route in the permission table, and nothing else', () => {
    const registered = app.access.routes;
    expect(registered.length).toBeGreaterThan(10);
    for (const route of registered) expect(Object.keys(ROUTE_PERMISSIONS), route).toContain(route);
    for (const route of Object.keys(ROUTE_PERMISSIONS)) {
      const [method, url] = route.split(' ') as [string, string];
      expect(app.hasRoute({ method: method as 'GET', url }), route).toBe(true);
    }
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).sort());
  });

  it.each(Object.keys(EXPECTED))('%s gives the documented status to each caller', async (route) => {
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const [i, caller] of CALLERS.entries()) {
      const res = await app.inject(await request(route, caller));
      got[caller] = res.statusCode;
      want[caller] = EXPECTED[route]![i]!;
      if (res.statusCode >= 400) {
        const code = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' }[
          res.statusCode as 401 | 403 | 404
        ];
        if (code) expect(res.json().error.code, `${route} as ${caller}`).toBe(code);
      }
    }
    expect(got).toEqual(want);
  });

  it('sends a strict Content-Security-Policy and the other security headers on every response', async () => {
    for (const url of ['/api/health', '/api/nothing-here']) {
      const res = await app.inject(url);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("media-src 'self' blob:");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    }
  });

  it('refuses request bodies over 64 KiB with 413', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'x@example.it', password: 'p'.repeat(70 * 1024) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('never sends the API key or the signing secret to a browser', async () => {
    const bodies: string[] = [];
    for (const route of Object.keys(EXPECTED)) {
      for (const caller of ['host', 'admin', 'operator', 'commissioner'] as const) {
        bodies.push((await app.inject(await request(route, caller))).body);
      }
    }
    const all = bodies.join('\n');
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain(SECRET);
  });

  it(
    'refuses a route missing from the table (fail closed)',
    async () => {
      const probe = await startAccessApp(target, {
        plugins: [
          async (instance) => {
            instance.get('/api/unlisted', async () => ({ secret: true }));
          },
        ],
      });
      try {
        const res = await probe.app.inject({
          url: '/api/unlisted',
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        expect(res.statusCode).toBe(403);
        expect(res.json().error.message).toMatch(/no access rule/);
      } finally {
        await probe.close();
      }
    },
    APP_START_TIMEOUT_MS,
  );
});
