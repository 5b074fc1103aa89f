/**
 * First run: whether the server still waits for its first administrator, and creating that
 * administrator with the one-time setup token printed on the server's console.
 */
import type { ErrorCode } from '@seduta/server/protocol';
import { ApiError } from './api';

/** `GET /api/setup`: `pending` until an administrator exists, then `done`. */
export interface SetupStatus {
  state: 'pending' | 'done';
  /** The shortest password the server accepts. */
  minPasswordLength: number;
}

/** What the setup form sends. */
export interface SetupInput {
  token: string;
  name: string;
  email: string;
  password: string;
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, {
    credentials: 'same-origin',
    ...init,
    headers: { accept: 'application/json', ...(init?.body ? { 'content-type': 'application/json' } : {}) },
  });
  const data = (await response.json().catch(() => undefined)) as
    T | { error?: { code?: ErrorCode; message?: string } } | undefined;
  if (!response.ok) {
    const error = data && typeof data === 'object' && 'error' in data ? data.error : undefined;
    throw new ApiError(error?.code ?? 'internal', response.status, error?.message ?? response.statusText);
  }
  return data as T;
}

/** `GET /api/setup`. */
export function setupStatus(): Promise<SetupStatus> {
  return call('/api/setup');
}

/** `POST /api/setup`: creates the first administrator; the session cookie signs them in. */
export async function completeSetup(input: SetupInput): Promise<void> {
  await call('/api/setup', { method: 'POST', body: JSON.stringify(input) });
}
