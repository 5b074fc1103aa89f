/**
 * The booking's states and the one table of its transitions: `open` → `unavailable` (final, with a
 * reason) | `in_processing` (accepted, the sitting or its recording pending) → `fulfilled` (final).
 * Who may make each move is part of the table; the service refuses anything else with
 * `invalid_state`.
 */
import type { BookingState } from '../db/schema';
import { AppError } from '../errors';

export { BOOKING_STATES, type BookingState } from '../db/schema';

/** What moves a booking: the office's answers, or the server when the sitting is done. */
export type BookingAction = 'accept' | 'refuse' | 'fulfil';

/** Who may act: an admin (the office), or the server itself. */
export type BookingActor = 'office' | 'system';

interface Transition {
  from: BookingState;
  to: BookingState;
  by: BookingActor;
}

/** Every allowed transition; nothing else is. */
export const BOOKING_TRANSITIONS: Readonly<Record<BookingAction, Transition>> = {
  accept: { from: 'open', to: 'in_processing', by: 'office' },
  refuse: { from: 'open', to: 'unavailable', by: 'office' },
  fulfil: { from: 'in_processing', to: 'fulfilled', by: 'system' },
};

/** States a booking never leaves; their thread is closed. */
export const FINAL_STATES: readonly BookingState[] = ['unavailable', 'fulfilled'];

/** Italian names of the states, for messages and e-mails. */
export const STATE_NAMES: Readonly<Record<BookingState, string>> = {
  open: 'aperta',
  unavailable: 'non disponibile',
  in_processing: 'in elaborazione',
  fulfilled: 'evasa',
};

/** Whether a state is final (the thread is closed). */
export function isFinal(state: BookingState): boolean {
  return FINAL_STATES.includes(state);
}

/** The state `action` leads to from `state`, or `invalid_state` naming both. */
export function nextState(state: BookingState, action: BookingAction): BookingState {
  const t = BOOKING_TRANSITIONS[action];
  if (t.from !== state) {
    throw new AppError(
      'invalid_state',
      `a booking that is ${STATE_NAMES[state]} (${state}) cannot be ${VERB[action]}: only an ${t.from} one`,
    );
  }
  return t.to;
}

const VERB: Readonly<Record<BookingAction, string>> = {
  accept: 'accepted',
  refuse: 'refused',
  fulfil: 'fulfilled',
};
