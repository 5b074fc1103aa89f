import { t } from './i18n';

/**
 * What to tell the user about a failure, in their language: a SignallingError, an ApiError, a
 * client `error` event's detail (anything with a wire error `code`), or any other error.
 */
export function errorText(error: unknown): string {
  const message =
    error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case 'timeout':
      return t('error.timeout');
    case 'unavailable':
      return t('error.unavailable');
    case 'offline':
      return t('error.offline');
    case 'invalid_state':
      return t('error.invalidState');
    case 'forbidden':
      return t('error.forbidden');
    case 'unauthorized':
      return t('error.unauthorized');
    case 'rate_limited':
    case 'limit_reached':
      return t('error.rateLimited');
    case 'bad_request':
    case 'payload_too_large':
      return t('error.badRequest', { message });
    default:
      return t('error.generic', { message });
  }
}

/**
 * What to tell a staff member whose sign-in failed: a wrong e-mail or password (the server does
 * not say which, nor whether the account is disabled), or the lockout after too many failures,
 * with the wait when the server gives it; anything else as {@link errorText}.
 */
export function signInErrorText(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'unauthorized') return `${t('signin.wrong')} ${t('signin.disabledHint')}`;
  if (code === 'rate_limited') {
    const seconds = retryAfterSeconds(error);
    return seconds === undefined
      ? t('signin.lockedSoon')
      : t('signin.locked', { minutes: Math.max(1, Math.ceil(seconds / 60)) });
  }
  return errorText(error);
}

/** The wait a `rate_limited` error names: its `retryAfterS` field, or "try again in N s" in its message. */
function retryAfterSeconds(error: unknown): number | undefined {
  const details = (error as { details?: { retryAfterS?: unknown } }).details;
  if (typeof details?.retryAfterS === 'number') return details.retryAfterS;
  const match = /try again in (\d+) ?s\b/.exec(String((error as { message?: unknown }).message ?? ''));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
