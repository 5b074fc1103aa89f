import { call, currentStaff, type StaffUser } from './access-api';

/**
 * Calls of the staff pages (staff accounts, operators' links, audit log). They share
 * access-api's `call`, hence its one CSRF token, read by {@link staffSession}.
 */

/** A staff account as `GET /api/staff/users` lists it. */
export interface StaffAccount {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'host';
  createdAt: string;
  disabled: boolean;
}

/** Who is signed in (their CSRF token is kept for later calls), or undefined when nobody is. */
export function staffSession(): Promise<StaffUser | undefined> {
  return currentStaff();
}

/** `GET /api/staff/users` (admins). */
export async function listStaffAccounts(): Promise<StaffAccount[]> {
  return (await call<{ users: StaffAccount[] }>('GET', '/api/staff/users')).users;
}

/** `POST /api/staff/users` (admins): a new account that signs in with this initial password. */
export async function createStaffAccount(input: {
  name: string;
  email: string;
  role: 'admin' | 'host';
  password: string;
}): Promise<void> {
  await call('POST', '/api/staff/users', input);
}

/** `POST /api/staff/users/:id/{disable,enable}` (admins). */
export async function setStaffAccountEnabled(id: string, enabled: boolean): Promise<void> {
  await call('POST', `/api/staff/users/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`);
}

/** `POST /api/staff/users/:id/password` (admins): closes the account's open sessions. */
export async function resetStaffPassword(id: string, password: string): Promise<void> {
  await call('POST', `/api/staff/users/${encodeURIComponent(id)}/password`, { password });
}

/** The longest name a participant may have (a join token's `name`, server/src/auth/join-tokens.ts). */
export const MAX_PARTICIPANT_NAME = 80;

/** The name an operator's link gives them in the sitting: "name – company", as the server writes it. */
export function operatorDisplayName(name: string, company = ''): string {
  return company.trim() ? `${name.trim()} – ${company.trim()}` : name.trim();
}

/** The session read once per page: pages that never asked who is signed in still get the CSRF token. */
let sessionRead: Promise<StaffUser | undefined> | undefined;

/**
 * `POST /api/staff/sittings/:id/join-tokens`: an operator's personal link to a public sitting.
 * The host console signs nobody in, so the session (and its CSRF token) is read first, once.
 */
export async function createOperatorLink(
  sittingId: string,
  input: { name: string; company?: string },
): Promise<{ url: string; expiresAt: string }> {
  sessionRead ??= staffSession().catch((error: unknown) => {
    sessionRead = undefined;
    throw error;
  });
  await sessionRead;
  return call('POST', `/api/staff/sittings/${encodeURIComponent(sittingId)}/join-tokens`, input);
}
