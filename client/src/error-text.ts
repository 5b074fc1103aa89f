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
