/** Which page a location shows. */
export type Route =
  | { page: 'operator'; sittingId: string; token: string }
  | { page: 'host'; sittingId: string }
  | { page: 'recordings'; sittingId: string }
  | { page: 'dashboard' }
  | { page: 'webhooks' }
  | { page: 'audit' }
  | { page: 'bookings' }
  | { page: 'booking-new' }
  | { page: 'booking-confirm'; token: string }
  | { page: 'booking'; bookingId: string; key: string }
  | { page: 'invite'; token: string }
  | { page: 'setup'; token: string }
  | { page: 'landing' };

/**
 * Maps a location to its page: `/s/<id>[?token=<join token>]` (operators and commissioners; the
 * token comes from the procurement platform), `/i/<token>` (a commissioner's invitation link),
 * `/host` (staff sign-in and dashboard), `/host/<id>` (the host console), `/host/<id>/recordings`
 * (the sitting's recordings, for admins), `/admin/webhooks` (the webhook delivery log, for admins),
 * `/admin/audit` (the audit log, for admins), `/bookings` (the office's or the host's bookings),
 * `/bookings/new` (a new request; the public form without a session), `/bookings/confirm#<token>`
 * (the e-mailed confirmation of a public request; `?token=` works too), `/bookings/<id>` (one
 * booking and its thread; `#key=<key>` or `?key=` for a public requester), `/setup#<token>` (first run: the link the server prints
 * while no administrator exists; `?token=` works too), anything else the landing page.
 */
export function routeOf(location: { pathname: string; search: string; hash: string }): Route {
  const segment = (prefix: string, suffix = ''): string | undefined => {
    const match = new RegExp(`^/${prefix}/([^/]+)${suffix}/?$`).exec(location.pathname);
    return match?.[1] === undefined ? undefined : safeDecode(match[1]);
  };
  const operator = segment('s');
  if (operator) {
    return {
      page: 'operator',
      sittingId: operator,
      token: new URLSearchParams(location.search).get('token') ?? '',
    };
  }
  const invite = segment('i');
  if (invite) return { page: 'invite', token: invite };
  if (/^\/host\/?$/.test(location.pathname)) return { page: 'dashboard' };
  if (/^\/admin\/webhooks\/?$/.test(location.pathname)) return { page: 'webhooks' };
  if (/^\/admin\/audit\/?$/.test(location.pathname)) return { page: 'audit' };
  if (/^\/bookings\/?$/.test(location.pathname)) return { page: 'bookings' };
  if (/^\/bookings\/new\/?$/.test(location.pathname)) return { page: 'booking-new' };
  if (/^\/bookings\/confirm\/?$/.test(location.pathname))
    return { page: 'booking-confirm', token: tokenOf(location) };
  const booking = segment('bookings');
  if (booking) {
    const key = /(?:^#|&)key=([^&]+)/.exec(location.hash)?.[1];
    return {
      page: 'booking',
      bookingId: booking,
      key: (key && safeDecode(key)) || new URLSearchParams(location.search).get('key') || '',
    };
  }
  if (/^\/setup\/?$/.test(location.pathname)) {
    const token = location.hash.replace(/^#/, '') || new URLSearchParams(location.search).get('token');
    return { page: 'setup', token: token ?? '' };
  }
  const host = segment('host');
  if (host) return { page: 'host', sittingId: host };
  const recordings = segment('host', '/recordings');
  if (recordings) return { page: 'recordings', sittingId: recordings };
  return { page: 'landing' };
}

/** A token from the fragment (kept out of server logs and Referer) or, failing that, from `?token=`. */
function tokenOf(location: { search: string; hash: string }): string {
  return location.hash.replace(/^#/, '') || new URLSearchParams(location.search).get('token') || '';
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
