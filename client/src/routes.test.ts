import { describe, expect, it } from 'vitest';
import { routeOf } from './routes';

const at = (url: string) => {
  const u = new URL(url, 'http://seduta.test');
  return routeOf({ pathname: u.pathname, search: u.search, hash: u.hash });
};

describe('routeOf', () => {
  it('shows the sitting page for /s/<id>, with the join token from ?token=', () => {
    expect(at('/s/abc-123?token=eyJ.a.b')).toEqual({
      page: 'operator',
      sittingId: 'abc-123',
      token: 'eyJ.a.b',
    });
    expect(at('/s/abc-123/')).toEqual({ page: 'operator', sittingId: 'abc-123', token: '' });
  });

  it('shows the invitation page for /i/<token>', () => {
    expect(at('/i/Zm9vYmFy_-')).toEqual({ page: 'invite', token: 'Zm9vYmFy_-' });
  });

  it('shows the staff dashboard for /host and the console for /host/<id>; a key in the URL means nothing', () => {
    expect(at('/host')).toEqual({ page: 'dashboard' });
    expect(at('/host/')).toEqual({ page: 'dashboard' });
    expect(at('/host/abc#key=s3cr3t')).toEqual({ page: 'host', sittingId: 'abc' });
  });

  it('shows a sitting’s recordings for /host/<id>/recordings', () => {
    expect(at('/host/abc-123/recordings')).toEqual({ page: 'recordings', sittingId: 'abc-123' });
    expect(at('/host/abc-123/recordings/')).toEqual({ page: 'recordings', sittingId: 'abc-123' });
    expect(at('/host/a%20b/recordings?x=1')).toEqual({ page: 'recordings', sittingId: 'a b' });
    expect(at('/host/abc/recordings/extra')).toEqual({ page: 'landing' });
    expect(at('/host/abc/other')).toEqual({ page: 'landing' });
    expect(at('/host//recordings')).toEqual({ page: 'landing' });
    expect(at('/host/%E0%A4%A/recordings')).toEqual({ page: 'landing' });
  });

  it('shows the first-run setup page for /setup, with the token from the fragment or ?token=', () => {
    expect(at('/setup#AbC_12-x')).toEqual({ page: 'setup', token: 'AbC_12-x' });
    expect(at('/setup?token=AbC_12-x')).toEqual({ page: 'setup', token: 'AbC_12-x' });
    expect(at('/setup/')).toEqual({ page: 'setup', token: '' });
    expect(at('/setup/more')).toEqual({ page: 'landing' });
  });

  it('shows the bookings: the list, a new request, the e-mailed confirmation and one booking', () => {
    expect(at('/bookings')).toEqual({ page: 'bookings' });
    expect(at('/bookings/')).toEqual({ page: 'bookings' });
    expect(at('/bookings/new')).toEqual({ page: 'booking-new' });
    expect(at('/bookings/confirm#tok_EN-1')).toEqual({ page: 'booking-confirm', token: 'tok_EN-1' });
    expect(at('/bookings/confirm?token=tok_EN-1')).toEqual({ page: 'booking-confirm', token: 'tok_EN-1' });
    expect(at('/bookings/0b6c-42')).toEqual({ page: 'booking', bookingId: '0b6c-42', key: '' });
    expect(at('/bookings/0b6c-42#key=k%2B1')).toEqual({ page: 'booking', bookingId: '0b6c-42', key: 'k+1' });
    expect(at('/bookings/0b6c-42?key=k1')).toEqual({ page: 'booking', bookingId: '0b6c-42', key: 'k1' });
    expect(at('/bookings/0b6c-42/more')).toEqual({ page: 'landing' });
  });

  it('shows the landing page for anything else', () => {
    expect(at('/')).toEqual({ page: 'landing' });
    expect(at('/s/')).toEqual({ page: 'landing' });
    expect(at('/s/a/b')).toEqual({ page: 'landing' });
    expect(at('/s/%E0%A4%A')).toEqual({ page: 'landing' });
    expect(at('/i/')).toEqual({ page: 'landing' });
  });
});
