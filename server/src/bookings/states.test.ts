import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { BOOKING_STATES, BOOKING_TRANSITIONS, isFinal, nextState, type BookingAction } from './states';

const ACTIONS = Object.keys(BOOKING_TRANSITIONS) as BookingAction[];

describe('the booking transition table', () => {
  it('allows exactly open→in_processing, open→unavailable, in_processing→fulfilled', () => {
    const allowed: string[] = [];
    for (const state of BOOKING_STATES) {
      for (const action of ACTIONS) {
        try {
          allowed.push(`${state} -${action}-> ${nextState(state, action)}`);
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).code).toBe('invalid_state');
        }
      }
    }
    expect(allowed.sort()).toEqual([
      'in_processing -fulfil-> fulfilled',
      'open -accept-> in_processing',
      'open -refuse-> unavailable',
    ]);
  });

  it('names the state and the action it refuses', () => {
    expect(() => nextState('fulfilled', 'accept')).toThrow(/evasa \(fulfilled\) cannot be accepted/);
  });

  it('lets the office answer and the server fulfil', () => {
    expect(BOOKING_TRANSITIONS.accept.by).toBe('office');
    expect(BOOKING_TRANSITIONS.refuse.by).toBe('office');
    expect(BOOKING_TRANSITIONS.fulfil.by).toBe('system');
  });

  it('has no way out of the final states', () => {
    expect(BOOKING_STATES.filter(isFinal)).toEqual(['unavailable', 'fulfilled']);
    for (const t of Object.values(BOOKING_TRANSITIONS)) expect(isFinal(t.from)).toBe(false);
  });
});
