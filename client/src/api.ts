import type { ErrorCode, SittingInfo } from '@seduta/server/protocol';

/** A failed HTTP API call, with the server's error code (`not_found`, …) and HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    /** Further fields of the error body (e.g. a booking's `reason`), when the server sends any. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** `GET /api/sittings/:id`: the public details of a sitting. */
export async function fetchSitting(id: string, signal?: AbortSignal): Promise<SittingInfo> {
  const response = await fetch(`/api/sittings/${encodeURIComponent(id)}`, {
    headers: { accept: 'application/json' },
    signal,
  });
  const body = (await response.json().catch(() => undefined)) as
    SittingInfo | { error?: { code?: ErrorCode; message?: string } } | undefined;
  if (!response.ok) {
    const error = body && 'error' in body ? body.error : undefined;
    throw new ApiError(error?.code ?? 'internal', response.status, error?.message ?? response.statusText);
  }
  return body as SittingInfo;
}
