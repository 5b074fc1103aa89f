/** Which page a location shows. */
export type Route =
  | { page: 'operator'; sittingId: string; name: string }
  | { page: 'host'; sittingId: string; hostKey: string }
  | { page: 'landing' };

/**
 * Maps a location to its page: `/s/<id>?name=` (operator), `/host/<id>#key=<hostKey>` (host; the
 * key travels in the fragment so it never reaches a server log), anything else the landing page.
 */
export function routeOf(location: { pathname: string; search: string; hash: string }): Route {
  const segment = (prefix: string): string | undefined => {
    const match = new RegExp(`^/${prefix}/([^/]+)/?$`).exec(location.pathname);
    return match?.[1] === undefined ? undefined : safeDecode(match[1]);
  };
  const operator = segment('s');
  if (operator)
    return {
      page: 'operator',
      sittingId: operator,
      name: new URLSearchParams(location.search).get('name') ?? '',
    };
  const host = segment('host');
  if (host) {
    const hostKey = new URLSearchParams(location.hash.replace(/^#/, '')).get('key') ?? '';
    return { page: 'host', sittingId: host, hostKey };
  }
  return { page: 'landing' };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
