/**
 * Where the sitting's register is downloaded (server/src/register/): the one place the client
 * builds these URLs. Both need a staff session (admins, or the sitting's host) and a sitting that
 * has ended; each download is audit-logged with the document's SHA-256.
 */

/** The register's formats: HTML for the page, PDF for filing. */
export type RegisterFormat = 'html' | 'pdf';

/** The register's URL, in `format`. */
export function registerUrl(sittingId: string, format: RegisterFormat): string {
  return `/api/sittings/${encodeURIComponent(sittingId)}/register.${format}`;
}
