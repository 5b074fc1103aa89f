import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './emitter';

type Events = { ping: [n: number] };

class Pinger extends TypedEmitter<Events> {
  ping(n: number): void {
    this.safeEmit('ping', n);
  }
}

describe('TypedEmitter', () => {
  it('runs every listener, reports the one that throws, and fires once-listeners once', () => {
    const errors: unknown[] = [];
    const pinger = new Pinger((_event, error) => errors.push(error));
    const seen: string[] = [];
    pinger.on('ping', (n) => seen.push(`a${n}`));
    pinger.on('ping', () => {
      throw new Error('boom');
    });
    pinger.once('ping', (n) => seen.push(`once${n}`));

    pinger.ping(1);
    pinger.ping(2);

    expect(seen).toEqual(['a1', 'once1', 'a2']);
    expect(errors).toHaveLength(2);
    expect(pinger.listenerCount('ping')).toBe(2);
  });

  it('stops calling a listener after off()', () => {
    const pinger = new Pinger();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    pinger.on('ping', listener);
    pinger.ping(1);
    pinger.off('ping', listener);
    pinger.ping(2);
    expect(seen).toEqual([1]);
  });
});
