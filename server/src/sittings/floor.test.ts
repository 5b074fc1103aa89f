import fc from 'fast-check';
import type { MediaRouter } from '@seduta/media';
import { describe, expect, it } from 'vitest';
import type { Grants, HandState, Notification, ParticipantChange } from '../protocol';
import { Floor } from './floor';
import { Participant, type Identity } from './participant';

const OPERATORS = 4;
// Only closeParticipant() is reached (through Participant.close) in these tests.
const routerStub = { closeParticipant: () => undefined } as unknown as MediaRouter;
const host: Identity = { subject: 'host:1', name: 'RUP', role: 'host' };

type Op =
  | { op: 'raise' | 'lower' | 'deny' | 'revoke' | 'leaveFloor' | 'leave'; who: number }
  | { op: 'approve'; who: number; grants: Grants }
  | { op: 'approveNext'; grants: Grants };

const grantsArb = fc.record({ audio: fc.boolean(), video: fc.boolean() });
const whoArb = fc.integer({ min: 0, max: OPERATORS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constantFrom('raise', 'lower', 'deny', 'revoke', 'leaveFloor', 'leave' as const),
    who: whoArb,
  }),
  fc.record({ op: fc.constant('approve' as const), who: whoArb, grants: grantsArb }),
  fc.record({ op: fc.constant('approveNext' as const), grants: grantsArb }),
);

/** A sitting with a host and OPERATORS operators, whose notifications the host view is built from. */
function sitting() {
  const participants = new Map<string, Participant>();
  const hostView = { queue: [] as string[], people: new Map<string, { hand: HandState; grants: Grants }>() };
  const onHostNote = (n: Notification) => {
    if (n.type === 'hands.queue') hostView.queue = n.queue.map((h) => h.participantId);
    for (const c of n.type === 'participants.changed' ? n.changes : []) {
      if (c.type === 'participant.updated')
        hostView.people.set(c.participant.id, { hand: c.participant.hand, grants: c.participant.grants });
      if (c.type === 'participant.left') hostView.people.delete(c.participantId);
    }
  };
  const add = (id: string, identity: Identity, notify: (n: Notification) => void) =>
    participants.set(id, new Participant(id, identity, routerStub, notify));
  add('host', host, onHostNote);
  const operatorIds = Array.from({ length: OPERATORS }, (_, i) => `op${i}`);
  for (const id of operatorIds) {
    add(id, { subject: `operator:${id}`, name: id, role: 'operator' }, () => undefined);
    hostView.people.set(id, { hand: 'none', grants: { audio: false, video: false } });
  }
  // A roster change goes out as the live sitting sends one alone (no other change in its window).
  const broadcast = (n: Notification | ParticipantChange) => {
    const note: Notification =
      n.type === 'participant.joined' || n.type === 'participant.updated' || n.type === 'participant.left'
        ? { type: 'participants.changed', changes: [n] }
        : n;
    for (const p of participants.values()) p.notify(note);
  };
  const floor = new Floor({
    participant: (id) => {
      const p = participants.get(id);
      if (!p) throw new Error('gone');
      return p;
    },
    participants: () => participants.values(),
    broadcast,
    audit: async () => undefined,
  });
  const leave = (id: string) => {
    participants.delete(id);
    floor.forget(id);
    broadcast({ type: 'participant.left', participantId: id });
  };
  return { participants, floor, hostView, operatorIds, leave };
}

describe('the floor (raise → approve → speak) under random sequences', () => {
  it('keeps the queue FIFO, grants only what was approved, and the host view equal to the server state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const { participants, floor, hostView, operatorIds, leave } = sitting();
        // The model: the queue in raising order, and who holds which rights.
        const queue: string[] = [];
        const speaking = new Map<string, Grants>();
        for (const step of ops) {
          const id = 'who' in step ? operatorIds[step.who]! : undefined;
          const present = id !== undefined && participants.has(id);
          const p = present ? participants.get(id)! : undefined;
          const attempt = async (fn: () => Promise<unknown>, allowed: boolean) => {
            if (allowed) await fn();
            else await expect(fn()).rejects.toThrow();
          };
          switch (step.op) {
            case 'raise':
              await attempt(() => floor.raise(p!), present && !queue.includes(id!) && !speaking.has(id!));
              if (present && !queue.includes(id!) && !speaking.has(id!)) queue.push(id!);
              break;
            case 'lower': {
              const ok = present && queue.includes(id!);
              await attempt(() => floor.lower(p!), ok);
              if (ok) queue.splice(queue.indexOf(id!), 1);
              break;
            }
            case 'deny': {
              const ok = present && queue.includes(id!);
              await attempt(() => floor.deny(host, id!), ok);
              if (ok) queue.splice(queue.indexOf(id!), 1);
              break;
            }
            case 'approve': {
              const ok = present && queue.includes(id!) && (step.grants.audio || step.grants.video);
              await attempt(() => floor.approve(host, id!, step.grants), ok);
              if (ok) {
                queue.splice(queue.indexOf(id!), 1);
                speaking.set(id!, step.grants);
              }
              break;
            }
            case 'approveNext': {
              const first = queue[0];
              const ok = first === undefined || step.grants.audio || step.grants.video;
              if (ok) {
                await expect(floor.approveNext(host, step.grants)).resolves.toBe(first ?? null);
                if (first !== undefined) {
                  queue.shift();
                  speaking.set(first, step.grants);
                }
              } else await expect(floor.approveNext(host, step.grants)).rejects.toThrow();
              break;
            }
            case 'revoke':
            case 'leaveFloor': {
              const ok = present && speaking.has(id!);
              await attempt(() => floor.revoke(host, id!, step.op === 'revoke' ? 'revoked' : 'left'), ok);
              if (ok) speaking.delete(id!);
              break;
            }
            case 'leave':
              if (present) leave(id!);
              queue.splice(0, queue.length, ...queue.filter((q) => q !== id));
              speaking.delete(id!);
              break;
          }

          // FIFO: the server's queue is the model's, in raising order; the host saw exactly that.
          expect(floor.queue().map((h) => h.participantId)).toEqual(queue);
          expect(hostView.queue).toEqual(queue);
          for (const [pid, participant] of participants) {
            if (participant.identity.role !== 'operator') continue;
            const expected = speaking.get(pid) ?? { audio: false, video: false };
            // Nobody holds produce permission without a matching approval.
            expect(floor.grantsOf(participant)).toEqual(expected);
            for (const kind of ['audio', 'video'] as const) {
              const check = () =>
                floor.checkProduce(participant, kind, kind === 'audio' ? 'microphone' : 'camera');
              if (expected[kind]) expect(check).not.toThrow();
              else expect(check).toThrow(/floor/);
            }
            // The host's view of this participant equals the server's.
            const info = floor.infoOf(participant);
            expect(hostView.people.get(pid)).toEqual({ hand: info.hand, grants: info.grants });
          }
        }
      }),
      { numRuns: 200 },
    );
    // 200 random runs take ~5 s on a quiet 2-core machine; CI machines are shared.
  }, 60_000);
});
