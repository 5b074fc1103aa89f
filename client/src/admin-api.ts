import type { ErrorCode } from '@seduta/server/protocol';
import { ApiError } from './api';

/**
 * Calls of the administrators' pages (audit log, staff accounts). The CSRF token of the staff
 * session comes from `GET /api/auth/me` ({@link adminSession}); state-changing calls send it.
 */
let csrfToken = '';

/** A JSON call to the API; throws ApiError with the server's code and message. */
export async function adminCall<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST' && csrfToken) headers['x-csrf-token'] = csrfToken;
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
    throw new ApiError(error?.code ?? 'internal', response.status, error?.message ?? response.statusText);
  }
  return data as T;
}

/** Who is signed in (and their CSRF token, kept for later calls), or undefined when nobody is. */
export async function adminSession(): Promise<{ id: string; role: string } | undefined> {
  try {
    const { user, csrfToken: token } = await adminCall<{
      user: { id: string; role: string };
      csrfToken: string;
    }>('GET', '/api/auth/me');
    csrfToken = token;
    return user;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return undefined;
    throw error;
  }
}
