/**
 * The register as a PDF for filing (pdfkit). Deterministic for the same register: the creation
 * date (and so the file id pdfkit derives from it) is the sitting's end, the built-in Helvetica is
 * used (no font file, nothing that varies by machine), and nothing else reads the clock; so the
 * document's SHA-256 is stable and can be checked against the one the audit log holds. Every page
 * carries the document's header (title, sitting id) and its number.
 */
import PDFDocument from 'pdfkit';
import type { SittingRegister } from './register-data';
import {
  DOCUMENT_TITLE,
  duration,
  grants,
  HAND_OUTCOME,
  INTERVENTION_END,
  KIND,
  leaveReason,
  RECORDING_STATE,
  ROLE,
  roleName,
  romeTime,
  size,
  SOURCE,
  STATUS,
} from './wording';

const MARGIN = 56;
const HEADER_Y = 24;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const MONO = 'Courier';

// Windows-1252 characters above U+00FF, which the built-in fonts can draw.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * Text the built-in PDF fonts can draw: anything outside Windows-1252 becomes `?` (the HTML
 * register keeps the exact text; the PDF says so at its end).
 */
export function pdfText(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    const drawable =
      (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch);
    out += drawable ? ch : code === 0x0a || code === 0x09 ? ' ' : '?';
  }
  return out;
}

/** Renders the register as PDF bytes. */
export function renderRegisterPdf(r: SittingRegister): Promise<Buffer> {
  const s = r.sitting;
  const stamp = s.endedAt ?? s.startedAt ?? s.createdAt;
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN + 16, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: {
      Title: pdfText(`${DOCUMENT_TITLE}: ${s.title}`),
      Subject: `Seduta ${s.id}`,
      Author: 'Seduta',
      Creator: 'Seduta',
      Producer: 'Seduta (PDFKit)',
      CreationDate: stamp,
      ModDate: stamp,
    },
    lang: 'it-IT',
    displayTitle: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const t = (text: string) => pdfText(text);
  const heading = (text: string) => {
    doc.moveDown(0.8).font(BOLD).fontSize(13).text(t(text)).moveDown(0.3).font(FONT).fontSize(10);
  };
  const field = (label: string, value: string, mono = false) => {
    doc.font(BOLD).text(`${t(label)}: `, { continued: true });
    doc.font(mono ? MONO : FONT).text(t(value));
    doc.font(FONT);
  };
  const item = (lead: string, rest: string) => {
    doc.font(BOLD).text(t(lead), { continued: true }).font(FONT).text(t(rest), { paragraphGap: 3 });
  };
  const empty = (text: string) => doc.font('Helvetica-Oblique').text(t(text)).font(FONT);

  doc.font(BOLD).fontSize(18).text(t(DOCUMENT_TITLE));
  doc.fontSize(14).text(t(s.title)).font(FONT).fontSize(10).moveDown(0.5);

  heading('Dati della seduta');
  field('Identificativo', s.id, true);
  field('Tipo', KIND[s.kind]);
  field('Stato', STATUS[s.status]);
  field('Programmata per', romeTime(s.scheduledAt));
  field('Iniziata', romeTime(s.startedAt));
  field('Terminata', romeTime(s.endedAt));
  field('Durata', s.startedAt && s.endedAt ? duration(s.endedAt.getTime() - s.startedAt.getTime()) : '—');
  field('Ente che conduce', s.host ? `${s.host.name} (${s.host.email})` : 'Amministratori');

  heading('Presenze');
  if (r.attendance.length === 0) empty('Nessun ingresso registrato.');
  for (const a of r.attendance)
    item(
      a.name,
      ` — ${ROLE[a.role]}, identità ${a.subject}. Entrata ${romeTime(a.joinedAt)}; uscita ${romeTime(a.leftAt)} (${leaveReason(a.leaveReason)}).`,
    );

  heading('Richieste di parola');
  if (r.hands.length === 0) empty('Nessuna mano alzata.');
  for (const h of r.hands)
    item(
      h.name,
      ` — mano alzata ${romeTime(h.raisedAt)}; ${HAND_OUTCOME[h.outcome]}${
        h.decidedAt ? ` ${romeTime(h.decidedAt)}` : ''
      }${h.decidedBy ? ` (${h.decidedBy})` : ''}.`,
    );

  heading('Interventi');
  if (r.interventions.length === 0) empty('Nessun intervento.');
  for (const i of r.interventions)
    item(
      i.name,
      ` — dal ${romeTime(i.startedAt)} al ${romeTime(i.endedAt)}, durata ${duration(i.durationMs)}; concesso ${grants(i.grants)} da ${i.approvedBy}; ${INTERVENTION_END[i.end]}${
        i.endedBy && i.end === 'revoked' ? ` (${i.endedBy})` : ''
      }.`,
    );

  heading('Chat');
  if (r.chat.length === 0) empty('Nessun messaggio.');
  for (const c of r.chat) {
    const who = `${romeTime(c.at)} ${c.name} (${roleName(c.role)}): `;
    if (c.deletedAt)
      doc
        .font(BOLD)
        .text(t(who), { continued: true })
        .font(FONT)
        .text(t(c.text), { strike: true, continued: true })
        .text(t(` — eliminato il ${romeTime(c.deletedAt)} da ${c.deletedBy ?? '—'}`), {
          strike: false,
          paragraphGap: 3,
        });
    else item(who, c.text);
  }

  heading('Registrazioni');
  if (r.recordings.length === 0) empty('La seduta non è stata registrata.');
  for (const rec of r.recordings) {
    doc
      .font(BOLD)
      .text(t(`Registrazione ${rec.id}`))
      .font(FONT);
    field(
      'Stato',
      `${RECORDING_STATE[rec.state] ?? rec.state}${rec.degraded ? ' (con lacune)' : ''}${
        rec.purgedAt ? `, file eliminati il ${romeTime(rec.purgedAt)}` : ''
      }`,
    );
    field('Inizio', romeTime(rec.startedAt));
    field('Fine', romeTime(rec.stoppedAt));
    field('Durata del file finale', rec.durationS === null ? '—' : duration(rec.durationS * 1000));
    field('Dimensione', size(rec.size));
    field('SHA-256 del file finale', rec.sha256 ?? '—', true);
    for (const seg of rec.segments) {
      item(
        `${seg.participantName} — ${SOURCE[seg.source]}`,
        `: ${romeTime(seg.startedAt)} – ${romeTime(seg.endedAt)}, ${duration(seg.durationMs)}, ${size(seg.size)}${
          seg.complete ? '' : ', interrotto'
        }`,
      );
      doc.font(MONO).fontSize(8).text(`SHA-256 ${seg.sha256}`, { paragraphGap: 3 }).font(FONT).fontSize(10);
    }
    doc.moveDown(0.5);
  }

  heading('Catena di audit');
  if (r.chain) {
    field('Hash al termine della seduta', r.chain.hash, true);
    field('Voce del registro di audit', `n. ${r.chain.auditId} (${r.chain.action}), ${romeTime(r.chain.at)}`);
  } else empty('La seduta non è terminata: nessun hash di chiusura.');

  doc
    .moveDown(1)
    .fontSize(8)
    .fillColor('#444444')
    .text(
      t(
        'Documento generato da Seduta dai dati conservati nel database. Orari nel fuso Europe/Rome con lo scostamento da UTC. ' +
          'I simboli che i font del PDF non possono rappresentare sono resi con «?»: il registro HTML riporta il testo esatto. ' +
          'L’impronta SHA-256 di questo documento è annotata nel registro di audit a ogni generazione.',
      ),
    )
    .fillColor('black');

  stampPages(doc, `${DOCUMENT_TITLE}: ${s.title}`, s.id);
  doc.end();
  return done;
}

/** The document's header (title, sitting id) and "Pagina n di N" on every page. */
function stampPages(doc: PDFKit.PDFDocument, title: string, sittingId: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const { width, height, margins } = doc.page;
    // Writing inside the margins must not start a new page.
    const bottom = margins.bottom;
    doc.page.margins.bottom = 0;
    const inner = width - 2 * MARGIN;
    doc.font(FONT).fontSize(8).fillColor('#444444');
    doc.text(pdfText(title), MARGIN, HEADER_Y, { width: inner * 0.6, lineBreak: false, ellipsis: true });
    doc.text(`Seduta ${sittingId}`, MARGIN + inner * 0.6, HEADER_Y, {
      width: inner * 0.4,
      align: 'right',
      lineBreak: false,
    });
    doc
      .moveTo(MARGIN, HEADER_Y + 12)
      .lineTo(width - MARGIN, HEADER_Y + 12)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    doc.text(`Pagina ${i - range.start + 1} di ${range.count}`, MARGIN, height - MARGIN / 2, {
      width: inner,
      align: 'center',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
    doc.fillColor('black');
  }
}
