import { describe, expect, it } from 'vitest';
import { errorText } from './error-text';
import { getLocale, translate } from './i18n';
import { SignallingError } from './signalling';

describe('errorText', () => {
  it('explains known wire codes in the user’s language instead of showing the server’s English', () => {
    expect(errorText(new SignallingError('invalid_state', 'the sitting is scheduled'))).toBe(
      translate(getLocale(), 'error.invalidState'),
    );
    expect(errorText({ code: 'timeout', message: 'no reply to join within 10000 ms' })).toBe(
      translate(getLocale(), 'error.timeout'),
    );
  });

  it('keeps the detail of anything else', () => {
    expect(errorText(new Error('boom'))).toBe(translate(getLocale(), 'error.generic', { message: 'boom' }));
    expect(errorText(new SignallingError('bad_request', 'name too long'))).toContain('name too long');
  });
});
