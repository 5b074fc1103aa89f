import { describe, expect, it } from 'vitest';
import { DEFAULT_SPREAD_CONSUMERS, resolvePoolOptions } from './options';
import { choosePart, partLoad } from './spread';

describe('choosePart', () => {
  it('fills the origin router first, then the spill routers in the order they were made', () => {
    expect(choosePart([0], 300, true)).toBe(0);
    expect(choosePart([299], 300, true)).toBe(0);
    expect(choosePart([300, 10], 300, true)).toBe(1);
    expect(choosePart([300, 300, 0], 300, true)).toBe(2);
  });

  it('asks for a router on another worker once every router of the sitting is full', () => {
    expect(choosePart([300], 300, true)).toBe('spill');
    expect(choosePart([301, 300], 300, true)).toBe('spill');
  });

  it('puts the viewer on the least loaded router when no other worker is left', () => {
    expect(choosePart([300], 300, false)).toBe(0);
    expect(choosePart([320, 305, 310], 300, false)).toBe(1);
  });

  it('never spreads when the threshold is Infinity', () => {
    expect(choosePart([100_000], Infinity, true)).toBe(0);
  });
});

describe('partLoad', () => {
  it('counts viewers still joining as the consumers they are about to make', () => {
    expect(partLoad({ consumers: 10, idleRecvTransports: 0 }, 2)).toBe(10);
    expect(partLoad({ consumers: 10, idleRecvTransports: 3 }, 2)).toBe(16);
  });

  it('counts a joining viewer as one consumer before anything is published', () => {
    expect(partLoad({ consumers: 0, idleRecvTransports: 4 }, 0)).toBe(4);
  });
});

describe('spreadConsumers pool option', () => {
  it('defaults to DEFAULT_SPREAD_CONSUMERS and accepts Infinity to keep every sitting on one worker', () => {
    expect(resolvePoolOptions().spreadConsumers).toBe(DEFAULT_SPREAD_CONSUMERS);
    expect(resolvePoolOptions({ spreadConsumers: Infinity }).spreadConsumers).toBe(Infinity);
  });

  it('rejects a threshold that is not a positive integer', () => {
    expect(() => resolvePoolOptions({ spreadConsumers: 0 })).toThrow(/spreadConsumers/);
    expect(() => resolvePoolOptions({ spreadConsumers: 2.5 })).toThrow(/spreadConsumers/);
  });
});
