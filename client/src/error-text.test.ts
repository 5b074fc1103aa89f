import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { errorText, signInErrorText } from './error-text';
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

describe('signInErrorText', () => {
  it('reads a refused sign-in as a wrong e-mail or password, never as a bad link', () => {
    const text = signInErrorText(new ApiError('unauthorized', 401, 'wrong e-mail address or password'));
    expect(text).toContain(translate(getLocale(), 'signin.wrong'));
    expect(text).not.toBe(translate(getLocale(), 'error.unauthorized'));
  });

  it('tells a locked-out user how long to wait, from the server’s retry time', () => {
    const inMessage = new ApiError('rate_limited', 429, 'too many failed sign-ins; try again in 290 s');
    expect(signInErrorText(inMessage)).toBe(translate(getLocale(), 'signin.locked', { minutes: 5 }));
    const inDetails = new ApiError('rate_limited', 429, 'slow down', { retryAfterS: 30 });
    expect(signInErrorText(inDetails)).toBe(translate(getLocale(), 'signin.locked', { minutes: 1 }));
    expect(signInErrorText(new ApiError('rate_limited', 429, 'slow down'))).toBe(
      translate(getLocale(), 'signin.lockedSoon'),
    );
  });

  it('leaves other failures to errorText', () => {
    const down = new ApiError('unavailable', 503, 'the database is out of reach');
    expect(signInErrorText(down)).toBe(errorText(down));
  });
});
