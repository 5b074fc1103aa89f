/**
 * The sitting's register as data, read from the database after the sitting: its details, who
 * entered and left, the hands and interventions (from the journal's floor timeline), the chat
 * with deleted lines kept, the recordings with their segments and SHA-256, and the audit chain's
 * hash at the sitting's end. Both renderings (HTML, PDF) take this and nothing else, so the same
 * data always gives the same document.
 */
import type { Kysely } from 'kysely';
import type { Database, FloorEventKind, SittingKind, SittingStatus } from '../db/schema';
import { AppError } from '../errors';
import { SITTING_ENDED_REASON } from './journal';

/** A person as the register names them. */
export interface RegisterPerson {
  participantId: string;
  subject: string;
  name: string;
}

/** One entry of a participant into the sitting. */
export interface AttendanceEntry extends RegisterPerson {
  role: 'admin' | 'host' | 'commissioner' | 'operator';
  joinedAt: Date;
  /** Null when not known (the server stopped under the sitting and it never ended). */
  leftAt: Date | null;
  leaveReason: string | null;
}

/** How a raised hand ended: approved, denied, lowered by its owner, its owner left, or still up at the end. */
export type HandOutcome = 'approved' | 'denied' | 'lowered' | 'gone' | 'pending';

/** One raised hand and what became of it. */
export interface HandEntry extends RegisterPerson {
  raisedAt: Date;
  outcome: HandOutcome;
  decidedAt: Date | null;
  /** Who decided (the host for approved/denied, the participant otherwise). */
  decidedBy: string | null;
}

/** How an intervention ended. */
export type InterventionEnd = 'revoked' | 'stopped' | 'gone' | 'sitting-ended';

/** One intervention: from the approval to the end of the floor. */
export interface InterventionEntry extends RegisterPerson {
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  grants: { audio: boolean; video: boolean } | null;
  approvedBy: string;
  end: InterventionEnd;
  endedBy: string | null;
}

/** One chat line; deleted ones stay, marked. */
export interface ChatEntry {
  id: string;
  at: Date;
  name: string;
  role: string;
  subject: string;
  text: string;
  deletedAt: Date | null;
  /** Who deleted it (name when known, else the subject). */
  deletedBy: string | null;
}

/** One segment file of a recorded track. */
export interface SegmentEntry {
  participantName: string;
  kind: 'audio' | 'video';
  source: 'camera' | 'microphone' | 'screen';
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  size: number;
  sha256: string;
  complete: boolean;
}

/** One recording of the sitting. */
export interface RecordingEntry {
  id: string;
  state: string;
  degraded: boolean;
  startedAt: Date;
  stoppedAt: Date | null;
  /** Seconds, of the final file. */
  durationS: number | null;
  size: number | null;
  sha256: string | null;
  codec: string | null;
  purgedAt: Date | null;
  segments: SegmentEntry[];
}

/** The audit chain at the sitting's end. */
export interface ChainAnchor {
  auditId: number;
  at: Date;
  action: string;
  hash: string;
}

/** Everything the register says. */
export interface SittingRegister {
  sitting: {
    id: string;
    title: string;
    kind: SittingKind;
    status: SittingStatus;
    scheduledAt: Date | null;
    startedAt: Date | null;
    endedAt: Date | null;
    createdAt: Date;
    host: { name: string; email: string } | null;
  };
  attendance: AttendanceEntry[];
  hands: HandEntry[];
  interventions: InterventionEntry[];
  chat: ChatEntry[];
  recordings: RecordingEntry[];
  chain: ChainAnchor | null;
}

/** A floor event as the timeline folds it. */
interface TimelineEvent extends RegisterPerson {
  event: FloorEventKind;
  at: Date;
  byName: string;
  grants: { audio: boolean; video: boolean } | null;
}

const HAND_END: Partial<Record<FloorEventKind, HandOutcome>> = {
  approved: 'approved',
  denied: 'denied',
  lowered: 'lowered',
  gone: 'gone',
};
const FLOOR_END: Partial<Record<FloorEventKind, InterventionEnd>> = {
  revoked: 'revoked',
  stopped: 'stopped',
  gone: 'gone',
};

/**
 * Folds the floor timeline into hands and interventions. A hand or floor still open when the
 * sitting ended closes at `endedAt` (an intervention then ends 'sitting-ended').
 */
export function foldTimeline(
  events: readonly TimelineEvent[],
  endedAt: Date | null,
): { hands: HandEntry[]; interventions: InterventionEntry[] } {
  const hands: HandEntry[] = [];
  const interventions: InterventionEntry[] = [];
  const openHand = new Map<string, HandEntry>();
  const openFloor = new Map<string, InterventionEntry>();
  const person = (e: TimelineEvent): RegisterPerson => ({
    participantId: e.participantId,
    subject: e.subject,
    name: e.name,
  });
  for (const e of events) {
    if (e.event === 'raised') {
      const hand: HandEntry = {
        ...person(e),
        raisedAt: e.at,
        outcome: 'pending',
        decidedAt: null,
        decidedBy: null,
      };
      hands.push(hand);
      openHand.set(e.participantId, hand);
      continue;
    }
    const hand = openHand.get(e.participantId);
    const handEnd = HAND_END[e.event];
    if (hand && handEnd) {
      hand.outcome = handEnd;
      hand.decidedAt = e.at;
      hand.decidedBy = e.byName;
      openHand.delete(e.participantId);
    }
    if (e.event === 'approved') {
      const floor: InterventionEntry = {
        ...person(e),
        startedAt: e.at,
        endedAt: e.at,
        durationMs: 0,
        grants: e.grants,
        approvedBy: e.byName,
        end: 'sitting-ended',
        endedBy: null,
      };
      interventions.push(floor);
      openFloor.set(e.participantId, floor);
      continue;
    }
    const floor = openFloor.get(e.participantId);
    const floorEnd = FLOOR_END[e.event];
    if (floor && floorEnd) {
      floor.endedAt = e.at;
      floor.end = floorEnd;
      floor.endedBy = e.byName;
      openFloor.delete(e.participantId);
    }
  }
  for (const floor of openFloor.values()) floor.endedAt = endedAt ?? floor.startedAt;
  for (const floor of interventions) floor.durationMs = floor.endedAt.getTime() - floor.startedAt.getTime();
  return { hands, interventions };
}

/** Reads the register of a sitting; `not_found` if there is no such sitting. */
export async function loadRegister(db: Kysely<Database>, sittingId: string): Promise<SittingRegister> {
  const sitting = await db
    .selectFrom('sittings')
    .leftJoin('staff_users', 'staff_users.id', 'sittings.host_user_id')
    .select([
      'sittings.id',
      'sittings.title',
      'sittings.kind',
      'sittings.status',
      'sittings.scheduled_at',
      'sittings.started_at',
      'sittings.ended_at',
      'sittings.created_at',
      'staff_users.display_name as host_name',
      'staff_users.email as host_email',
    ])
    .where('sittings.id', '=', sittingId)
    .executeTakeFirst();
  if (!sitting) throw new AppError('not_found', 'no such sitting');
  const endedAt = sitting.ended_at;

  const attendanceRows = await db
    .selectFrom('sitting_attendance')
    .selectAll()
    .where('sitting_id', '=', sittingId)
    .orderBy('joined_at')
    .orderBy('participant_id')
    .execute();
  const attendance: AttendanceEntry[] = attendanceRows.map((r) => ({
    participantId: r.participant_id,
    subject: r.subject,
    name: r.name,
    role: r.role,
    joinedAt: r.joined_at,
    leftAt: r.left_at ?? (r.left_at === null && endedAt ? endedAt : null),
    leaveReason: r.leave_reason ?? (endedAt ? SITTING_ENDED_REASON : null),
  }));
  const nameOf = new Map(attendance.map((a) => [a.subject, a.name]));

  const floorRows = await db
    .selectFrom('sitting_floor_events')
    .selectAll()
    .where('sitting_id', '=', sittingId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  const { hands, interventions } = foldTimeline(
    floorRows.map((r) => ({
      participantId: r.participant_id,
      subject: r.subject,
      name: r.name,
      event: r.event,
      at: r.at,
      byName: r.by_name,
      grants: r.grants,
    })),
    endedAt,
  );

  const chatRows = await db
    .selectFrom('chat_messages')
    .selectAll()
    .where('sitting_id', '=', sittingId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const chat: ChatEntry[] = chatRows.map((r) => ({
    id: r.id,
    at: r.created_at,
    name: r.sender_name,
    role: r.sender_role,
    subject: r.sender_subject,
    text: r.text,
    deletedAt: r.deleted_at,
    deletedBy: r.deleted_by === null ? null : (nameOf.get(r.deleted_by) ?? r.deleted_by),
  }));

  const recordings = await loadRecordings(db, sittingId);
  const chain = await chainAtEnd(db, sittingId, endedAt);
  return {
    sitting: {
      id: sitting.id,
      title: sitting.title,
      kind: sitting.kind,
      status: sitting.status,
      scheduledAt: sitting.scheduled_at,
      startedAt: sitting.started_at,
      endedAt,
      createdAt: sitting.created_at,
      host:
        sitting.host_name !== null && sitting.host_email !== null
          ? { name: sitting.host_name, email: sitting.host_email }
          : null,
    },
    attendance,
    hands,
    interventions,
    chat,
    recordings,
    chain,
  };
}

async function loadRecordings(db: Kysely<Database>, sittingId: string): Promise<RecordingEntry[]> {
  const rows = await db
    .selectFrom('recordings')
    .selectAll()
    .where('sitting_id', '=', sittingId)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  if (rows.length === 0) return [];
  const segments = await db
    .selectFrom('recording_segments')
    .selectAll()
    .where(
      'recording_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('started_at')
    .orderBy('file')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    state: r.state,
    degraded: r.degraded,
    startedAt: r.started_at,
    stoppedAt: r.stopped_at,
    durationS: r.final_duration,
    size: r.final_size === null ? null : Number(r.final_size),
    sha256: r.final_sha256,
    codec: r.final_codec,
    purgedAt: r.purged_at,
    segments: segments
      .filter((s) => s.recording_id === r.id)
      .map((s) => ({
        participantName: s.participant_name,
        kind: s.kind,
        source: s.source,
        startedAt: s.started_at,
        endedAt: s.ended_at,
        durationMs: s.ended_at.getTime() - s.started_at.getTime(),
        size: Number(s.size),
        sha256: s.sha256,
        complete: s.complete,
      })),
  }));
}

/**
 * The audit chain at the sitting's end: the row that records the end (`sitting.end`, whose hash
 * covers every row before it), else the last row at or before `ended_at`.
 */
async function chainAtEnd(
  db: Kysely<Database>,
  sittingId: string,
  endedAt: Date | null,
): Promise<ChainAnchor | null> {
  if (!endedAt) return null;
  const endRow = await db
    .selectFrom('audit_log')
    .select(['id', 'at', 'action', 'hash'])
    .where('sitting_id', '=', sittingId)
    .where('action', '=', 'sitting.end')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const row =
    endRow ??
    (await db
      .selectFrom('audit_log')
      .select(['id', 'at', 'action', 'hash'])
      .where('at', '<=', endedAt)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst());
  return row ? { auditId: row.id, at: row.at, action: row.action, hash: row.hash } : null;
}
