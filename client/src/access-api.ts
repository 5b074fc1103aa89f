import type {
  ErrorCode,
  RecordingFileState,
  RecordingListItem,
  RecordingTrackItem,
  Role,
  SittingInfo,
  SittingKind,
} from '@seduta/server/protocol';
import { ApiError } from './api';

/** A signed-in staff member, as `/api/auth/me` describes them. */
export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'host';
  /** May open the recordings page: admins, and hosts when the server allows it (RECORDINGS_HOST_DOWNLOAD). */
  canListRecordings?: boolean;
}

/** Who the browser is in one sitting. */
export interface SittingIdentity {
  sittingId: string;
  name: string;
  role: Role;
}

/** A commissioner's invitation, with the personal link to copy (null once revoked). */
export interface Invite {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  link: string | null;
}

/** A sitting in the staff dashboard. */
export type StaffSitting = SittingInfo & { hostUserId: string | null };

/** The CSRF token of the staff session, sent with every state-changing request. */
let csrfToken = '';

/**
 * A JSON call to the API with the staff session (cookie) and its CSRF token on state-changing
 * requests; throws ApiError with the server's code, message and any further fields of its error.
 */
export async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const data = (await response.json().catch(() => undefined)) as
    T | { error?: { code?: ErrorCode; message?: string } } | undefined;
  if (!response.ok) {
    const error = data && typeof data === 'object' && 'error' in data ? data.error : undefined;
    const { code, message, ...details } = error && typeof error === 'object' ? error : {};
    throw new ApiError(code ?? 'internal', response.status, message ?? response.statusText, details);
  }
  if (response.status === 204) return undefined as T;
  return data as T;
}

/** `POST /api/auth/login`: signs in; the session cookie is set by the server. */
export async function signIn(email: string, password: string): Promise<StaffUser> {
  const { user, csrfToken: token } = await call<{ user: StaffUser; csrfToken: string }>(
    'POST',
    '/api/auth/login',
    {
      email,
      password,
    },
  );
  csrfToken = token;
  return user;
}

/** `GET /api/auth/me`: the signed-in staff member, or undefined. */
export async function currentStaff(): Promise<StaffUser | undefined> {
  try {
    const { user, csrfToken: token } = await call<{ user: StaffUser; csrfToken: string }>(
      'GET',
      '/api/auth/me',
    );
    csrfToken = token;
    return user;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return undefined;
    throw error;
  }
}

/** `POST /api/auth/logout`. */
export async function signOut(): Promise<void> {
  await fetch('/api/auth/logout', {
    method: 'POST',
    headers: { 'x-csrf-token': csrfToken },
    credentials: 'same-origin',
  });
  csrfToken = '';
}

/**
 * `POST /api/auth/join-token`: exchanges an operator's join token for this sitting's pass; a booked
 * sitting with a password needs it too (else 401 `wrong_password`).
 */
export function exchangeJoinToken(
  sittingId: string,
  token: string,
  password?: string,
): Promise<SittingIdentity> {
  return call('POST', '/api/auth/join-token', { sittingId, token, ...(password ? { password } : {}) });
}

/** `GET /api/sittings/:id/entry`: whether the sitting is entered with a meeting password (booked). */
export function sittingEntry(sittingId: string): Promise<{ meetingPassword: boolean }> {
  return call('GET', `/api/sittings/${encodeURIComponent(sittingId)}/entry`);
}

/** `POST /api/auth/meeting-password`: a booked sitting's password → an operator's pass under `name`. */
export function enterWithMeetingPassword(
  sittingId: string,
  password: string,
  name: string,
  company: string,
): Promise<SittingIdentity> {
  return call('POST', '/api/auth/meeting-password', {
    sittingId,
    password,
    name,
    ...(company ? { company } : {}),
  });
}

/** `POST /api/auth/invite`: exchanges an invitation link's token for a commissioner's pass. */
export function exchangeInvite(token: string): Promise<SittingIdentity> {
  return call('POST', '/api/auth/invite', { token });
}

/** `GET /api/sittings/:id/me`: who this browser is in the sitting. */
export function sittingIdentity(sittingId: string): Promise<SittingIdentity> {
  return call('GET', `/api/sittings/${encodeURIComponent(sittingId)}/me`);
}

/** `GET /api/staff/sittings`: the sittings this staff member runs (an admin: all). */
export async function listSittings(): Promise<StaffSitting[]> {
  return (await call<{ sittings: StaffSitting[] }>('GET', '/api/staff/sittings')).sittings;
}

/** `POST /api/staff/sittings`: a new scheduled sitting run by the signed-in host. */
export async function createSitting(input: {
  title: string;
  kind: SittingKind;
  scheduledAt?: string;
}): Promise<SittingInfo> {
  return (await call<{ sitting: SittingInfo }>('POST', '/api/staff/sittings', input)).sitting;
}

/** `GET /api/staff/sittings/:id/invites`. */
export async function listInvites(sittingId: string): Promise<Invite[]> {
  return (
    await call<{ invites: Invite[] }>('GET', `/api/staff/sittings/${encodeURIComponent(sittingId)}/invites`)
  ).invites;
}

/** `POST /api/staff/sittings/:id/invites`: the link is returned, and e-mailed when SMTP is set. */
export function invite(
  sittingId: string,
  input: { email: string; name: string },
): Promise<{ invite: Invite; delivery: 'email' | 'link-only' }> {
  return call('POST', `/api/staff/sittings/${encodeURIComponent(sittingId)}/invites`, input);
}

/** `DELETE /api/staff/sittings/:id/invites/:inviteId`. */
export async function revokeInvite(sittingId: string, inviteId: string): Promise<Invite> {
  const path = `/api/staff/sittings/${encodeURIComponent(sittingId)}/invites/${encodeURIComponent(inviteId)}`;
  return (await call<{ invite: Invite }>('DELETE', path)).invite;
}

/** What a recording is doing (recording, paused, stopping, finalizing, ready, failed). */
export type RecordingState = RecordingFileState;
/** One recording of a sitting, as `GET /api/sittings/:id/recordings` lists it. */
export type RecordingSummary = RecordingListItem;
/** One original (per-track) file of a recording, as `GET /api/recordings/:id/tracks` lists it. */
export type RecordingTrack = RecordingTrackItem;

/** `GET /api/staff/sittings/:id`: the sitting, for staff who manage it. */
export async function staffSitting(sittingId: string): Promise<SittingInfo> {
  return (await call<{ sitting: SittingInfo }>('GET', `/api/staff/sittings/${encodeURIComponent(sittingId)}`))
    .sitting;
}

/** `GET /api/sittings/:id/recordings` (admins; the sitting's host when the server allows it). */
export async function listRecordings(sittingId: string): Promise<RecordingSummary[]> {
  const path = `/api/sittings/${encodeURIComponent(sittingId)}/recordings`;
  return (await call<{ recordings: RecordingSummary[] }>('GET', path)).recordings;
}

/** `GET /api/recordings/:id/tracks`: the per-track originals, with their SHA-256. */
export async function listRecordingTracks(recordingId: string): Promise<RecordingTrack[]> {
  const path = `/api/recordings/${encodeURIComponent(recordingId)}/tracks`;
  return (await call<{ tracks: RecordingTrack[] }>('GET', path)).tracks;
}

/** URL of a recording's final MP4: played inline (Range requests), or saved with `download`. */
export function recordingFileUrl(recordingId: string, download = false): string {
  return `/api/recordings/${encodeURIComponent(recordingId)}/file${download ? '?download=1' : ''}`;
}

/** URL of one original track file of a recording, saved as an attachment. */
export function recordingTrackUrl(recordingId: string, segmentId: string): string {
  return `/api/recordings/${encodeURIComponent(recordingId)}/tracks/${encodeURIComponent(segmentId)}/file?download=1`;
}
