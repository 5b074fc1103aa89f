import { describe, expect, it } from 'vitest';
import { routeOf } from './routes';

const at = (url: string) => {
  const u = new URL(url, 'http://seduta.test');
  return routeOf({ pathname: u.pathname, search: u.search, hash: u.hash });
};

describe('routeOf', () => {
  it('shows the operator view for /s/<id>, with the name from ?name=', () => {
    expect(at('/s/abc-123?name=Mario%20Rossi')).toEqual({
      page: 'operator',
      sittingId: 'abc-123',
      name: 'Mario Rossi',
    });
    expect(at('/s/abc-123/')).toEqual({ page: 'operator', sittingId: 'abc-123', name: '' });
  });

  it('shows the host console for /host/<id>, with the key from the fragment only', () => {
    expect(at('/host/abc#key=s3cr3t')).toEqual({ page: 'host', sittingId: 'abc', hostKey: 's3cr3t' });
    expect(at('/host/abc?key=leaked')).toEqual({ page: 'host', sittingId: 'abc', hostKey: '' });
  });

  it('shows the landing page for anything else', () => {
    expect(at('/')).toEqual({ page: 'landing' });
    expect(at('/s/')).toEqual({ page: 'landing' });
    expect(at('/s/a/b')).toEqual({ page: 'landing' });
    expect(at('/s/%E0%A4%A')).toEqual({ page: 'landing' });
  });
});
