import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ParticipantChange, ParticipantInfo } from '../protocol';
import { ROSTER_WINDOW_MAX_MS, ROSTER_WINDOW_MS, RosterBatch, rosterWindowMs } from './room';

const person = (id: string, hand: ParticipantInfo['hand'] = 'none'): ParticipantInfo => ({
  id,
  name: id,
  role: 'operator',
  hand,
  grants: { audio: false, video: false },
  mutedByHost: false,
});
const joined = (id: string, hand?: ParticipantInfo['hand']): ParticipantChange => ({
  type: 'participant.joined',
  participant: person(id, hand),
});
const updated = (id: string, hand?: ParticipantInfo['hand']): ParticipantChange => ({
  type: 'participant.updated',
  participant: person(id, hand),
});
const left = (id: string): ParticipantChange => ({ type: 'participant.left', participantId: id });

describe('the roster batch', () => {
  let sent: { changes: ParticipantChange[]; except?: string }[];
  let batch: RosterBatch;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    batch = new RosterBatch((changes, except) => sent.push(except ? { changes, except } : { changes }));
  });
  afterEach(() => {
    batch.close();
    vi.useRealTimers();
  });

  it('sends a change in a quiet sitting at once, without telling the joiner of its own arrival', () => {
    batch.add(joined('anna'), 'anna');
    expect(sent).toEqual([{ changes: [joined('anna')], except: 'anna' }]);
  });

  it('gathers the changes of a storm into one notification per window, in order, repeated updates as one', () => {
    batch.add(joined('anna'), 'anna');
    batch.add(joined('bruno'), 'bruno');
    batch.add(updated('anna', 'raised'));
    batch.add(joined('carla'), 'carla');
    batch.add(updated('bruno', 'raised'));
    batch.add(updated('anna', 'speaking'));
    batch.add(left('carla'));
    batch.add(updated('bruno', 'none'));
    expect(sent).toHaveLength(1);

    vi.advanceTimersByTime(ROSTER_WINDOW_MS);
    expect(sent[1]).toEqual({
      changes: [
        joined('bruno'),
        updated('anna', 'speaking'),
        joined('carla'),
        updated('bruno', 'none'),
        left('carla'),
      ],
    });
  });

  it('sends nothing when a window closes with nothing in it, and the next change goes at once again', () => {
    batch.add(joined('anna'), 'anna');
    vi.advanceTimersByTime(ROSTER_WINDOW_MS * 3);
    expect(sent).toHaveLength(1);
    batch.add(updated('anna', 'raised'));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({ changes: [updated('anna', 'raised')] });
  });

  it('keeps sending once per window while changes keep coming', () => {
    for (let i = 0; i < 20; i++) {
      batch.add(joined(`op${i}`), `op${i}`);
      vi.advanceTimersByTime(ROSTER_WINDOW_MS / 4);
    }
    vi.advanceTimersByTime(ROSTER_WINDOW_MS);
    // 20 joins over 5 windows: the first alone, then one notification per window.
    expect(sent.length).toBeLessThanOrEqual(7);
    expect(
      sent.flatMap((s) => s.changes.map((c) => (c.type === 'participant.joined' ? c.participant.id : ''))),
    ).toEqual(Array.from({ length: 20 }, (_, i) => `op${i}`));
  });

  it('sends what it holds at once on flush (before another notification), so the order is kept', () => {
    batch.add(joined('anna'), 'anna');
    batch.add(left('anna'));
    batch.flush();
    expect(sent).toEqual([{ changes: [joined('anna')], except: 'anna' }, { changes: [left('anna')] }]);
    batch.flush();
    expect(sent).toHaveLength(2);
  });

  it('drops what it holds when closed, and sends nothing afterwards', () => {
    batch.add(joined('anna'), 'anna');
    batch.add(joined('bruno'), 'bruno');
    batch.close();
    vi.advanceTimersByTime(ROSTER_WINDOW_MS * 2);
    expect(sent).toHaveLength(1);
  });

  it("keeps a participant's update after their leaving and coming back in the same window", () => {
    batch.add(joined('anna'));
    batch.add(updated('bruno', 'raised'));
    batch.add(left('bruno'));
    batch.add(joined('bruno'));
    batch.add(updated('bruno', 'speaking'));
    vi.advanceTimersByTime(ROSTER_WINDOW_MS);
    expect(sent.at(-1)!.changes).toEqual([
      updated('bruno', 'raised'),
      left('bruno'),
      joined('bruno'),
      updated('bruno', 'speaking'),
    ]);
  });

  it('opens each window as long as the sitting is large at that moment', () => {
    let participants = 10;
    const sized = new RosterBatch(
      (changes) => sent.push({ changes }),
      () => rosterWindowMs(participants),
    );
    sized.add(joined('anna'));
    sized.add(joined('bruno'));
    // 120 people when bruno's change goes out: the window it opens is 600 ms.
    participants = 120;
    vi.advanceTimersByTime(ROSTER_WINDOW_MS);
    expect(sent).toHaveLength(2);
    sized.add(joined('carla'));
    vi.advanceTimersByTime(ROSTER_WINDOW_MS);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(600 - ROSTER_WINDOW_MS);
    expect(sent.map((s) => s.changes)).toEqual([[joined('anna')], [joined('bruno')], [joined('carla')]]);
    sized.close();
  });
});

describe('the roster window', () => {
  it('is 100 ms up to 20 people, then 5 ms a person, at most 1 s', () => {
    expect([1, 20, 21, 100, 200, 201, 5000].map(rosterWindowMs)).toEqual([
      ROSTER_WINDOW_MS,
      ROSTER_WINDOW_MS,
      105,
      500,
      ROSTER_WINDOW_MAX_MS,
      ROSTER_WINDOW_MAX_MS,
      ROSTER_WINDOW_MAX_MS,
    ]);
  });
});
