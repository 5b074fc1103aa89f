import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pdfText as readPdfText } from '../../../test/support/pdf-text';
import { foldTimeline, type SittingRegister } from './register-data';
import { escapeHtml, renderRegisterHtml } from './render-html';
import { pdfText, renderRegisterPdf } from './render-pdf';
import { duration, romeTime } from './wording';

const at = (s: string) => new Date(`2026-03-10T${s}Z`);
const person = (name: string) => ({ participantId: `p-${name}`, subject: `operator:${name}`, name });
const ev = (name: string, event: Parameters<typeof foldTimeline>[0][number]['event'], time: string) => ({
  ...person(name),
  event,
  at: at(time),
  byName: event === 'approved' || event === 'denied' || event === 'revoked' ? 'Presidente' : name,
  grants: event === 'approved' ? { audio: true, video: false } : null,
});

const register = (title: string): SittingRegister => ({
  sitting: {
    id: '0b5e3c1e-3f40-4a8e-9b59-3e7e6f0a1c2d',
    title,
    kind: 'public',
    status: 'ended',
    scheduledAt: null,
    startedAt: at('09:00:00'),
    endedAt: at('10:30:00'),
    createdAt: at('08:00:00'),
    host: { name: 'Comune di Prova', email: 'ente@example.it' },
  },
  attendance: [
    {
      ...person('Ditta A S.r.l.'),
      role: 'operator',
      joinedAt: at('09:01:00'),
      leftAt: at('10:00:00'),
      leaveReason: 'left',
    },
  ],
  ...foldTimeline(
    [ev('Ditta A S.r.l.', 'raised', '09:10:00'), ev('Ditta A S.r.l.', 'approved', '09:11:00')],
    at('10:30:00'),
  ),
  chat: [
    {
      id: 'c1',
      at: at('09:20:00'),
      name: 'Ditta A S.r.l.',
      role: 'operator',
      subject: 'operator:a',
      text: 'Buongiorno <b>a tutti</b> 👋',
      deletedAt: null,
      deletedBy: null,
    },
    {
      id: 'c2',
      at: at('09:21:00'),
      name: 'Ditta A S.r.l.',
      role: 'operator',
      subject: 'operator:a',
      text: 'riga da togliere',
      deletedAt: at('09:22:00'),
      deletedBy: 'Presidente',
    },
  ],
  recordings: [],
  chain: { auditId: 42, at: at('10:30:00'), action: 'sitting.end', hash: 'ab'.repeat(32) },
});

describe('the floor timeline', () => {
  it('pairs each raised hand with its outcome and each approval with the end of the floor', () => {
    const { hands, interventions } = foldTimeline(
      [
        ev('A', 'raised', '09:00:00'),
        ev('B', 'raised', '09:00:05'),
        ev('B', 'denied', '09:00:30'),
        ev('A', 'approved', '09:01:00'),
        ev('A', 'revoked', '09:03:30'),
        ev('B', 'raised', '09:04:00'),
        ev('B', 'lowered', '09:04:10'),
        ev('A', 'raised', '09:05:00'),
        ev('A', 'approved', '09:05:10'),
      ],
      at('09:06:10'),
    );
    expect(hands.map((h) => [h.name, h.outcome, h.decidedBy])).toEqual([
      ['A', 'approved', 'Presidente'],
      ['B', 'denied', 'Presidente'],
      ['B', 'lowered', 'B'],
      ['A', 'approved', 'Presidente'],
    ]);
    expect(interventions.map((i) => [i.name, i.durationMs, i.end, i.endedBy])).toEqual([
      ['A', 150_000, 'revoked', 'Presidente'],
      ['A', 60_000, 'sitting-ended', null],
    ]);
  });

  it('closes the hand and the floor of a participant who left', () => {
    const { hands, interventions } = foldTimeline(
      [ev('A', 'raised', '09:00:00'), ev('A', 'approved', '09:00:10'), ev('A', 'gone', '09:00:40')],
      at('09:10:00'),
    );
    expect(hands[0]?.outcome).toBe('approved');
    expect(interventions[0]).toMatchObject({ end: 'gone', durationMs: 30_000 });
  });
});

describe('the register wording', () => {
  it('writes times in Europe/Rome with their offset, summer and winter', () => {
    expect(romeTime(new Date('2026-01-15T08:30:05Z'))).toBe('15/01/2026 09:30:05 +01:00');
    expect(romeTime(new Date('2026-07-15T08:30:05Z'))).toBe('15/07/2026 10:30:05 +02:00');
    expect(duration(3_725_400)).toBe('1:02:05');
  });
});

describe('the register as HTML', () => {
  it('escapes what participants wrote and keeps deleted lines, marked with who deleted them', () => {
    const html = renderRegisterHtml(register('Gara <script>alert(1)</script> & "lotto" 3'));
    expect(html).not.toContain('<script>');
    expect(html).toContain('Gara &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;lotto&quot; 3');
    expect(html).toContain('Buongiorno &lt;b&gt;a tutti&lt;/b&gt; 👋');
    expect(html).toContain('<s>riga da togliere</s> — eliminato il 10/03/2026 10:22:00 +01:00 da Presidente');
    expect(html).toContain('ab'.repeat(32));
    expect(escapeHtml(`'`)).toBe('&#39;');
  });
});

describe('the register as PDF', () => {
  it('is the same bytes for the same data, with its title, page numbers and header', async () => {
    const a = await renderRegisterPdf(register('Seduta di gara n. 7 — è così'));
    const b = await renderRegisterPdf(register('Seduta di gara n. 7 — è così'));
    const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');
    expect(sha(a)).toBe(sha(b));
    const text = readPdfText(a);
    expect(text).toContain('Seduta di gara n. 7 — è così');
    expect(text).toContain('Pagina 1 di 1');
    expect(text).toContain('Seduta 0b5e3c1e-3f40-4a8e-9b59-3e7e6f0a1c2d');
    expect(text).toContain('Buongiorno <b>a tutti</b> ?');
    expect(text).toContain('durata 1:19:00');
  });

  it('replaces only what its fonts cannot draw', () => {
    expect(pdfText('Perché “sì” – 10 € ✓\n')).toBe('Perché “sì” – 10 € ? ');
  });
});
