import { AppError, assertNever } from '../errors';
import type { SittingStatus } from '../protocol';

/** The sitting lifecycle: `scheduled → live → ended`, and `scheduled → cancelled`. */
export function nextStatuses(from: SittingStatus): readonly SittingStatus[] {
  switch (from) {
    case 'scheduled':
      return ['live', 'cancelled'];
    case 'live':
      return ['ended'];
    case 'ended':
    case 'cancelled':
      return [];
    default:
      return assertNever(from);
  }
}

/** Throws `invalid_state` unless `from → to` is a lifecycle transition. */
export function assertTransition(from: SittingStatus, to: SittingStatus): void {
  if (!nextStatuses(from).includes(to)) {
    throw new AppError('invalid_state', `a ${from} sitting cannot become ${to}`);
  }
}
