/**
 * The register as one standalone, printable HTML page (Italian). Every value from the database is
 * escaped; the page loads nothing (its only style is inline, allowed by hash in its own CSP), so
 * it can be saved and opened anywhere. The same register always gives the same bytes.
 */
import { createHash } from 'node:crypto';
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

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = `
body { font: 11pt/1.4 system-ui, sans-serif; color: #111; margin: 2em auto; max-width: 60em; padding: 0 1em; }
header { border-bottom: 2px solid #111; margin-bottom: 1.5em; }
h1 { font-size: 1.5em; margin: 0; } h2 { font-size: 1.15em; margin-top: 1.8em; }
.doc-id { color: #444; margin: .3em 0 .8em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { border: 1px solid #999; padding: .25em .45em; text-align: left; vertical-align: top; }
th { background: #eee; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dt { font-weight: 600; } dd { margin: 0; }
.hash { font-family: ui-monospace, monospace; word-break: break-all; }
.deleted { color: #555; } .deleted s { color: #777; }
.empty { color: #555; font-style: italic; }
footer { margin-top: 2em; border-top: 1px solid #999; color: #444; font-size: .9em; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
`;

/** The CSP the page is served with: nothing loads, only its own inline style applies. */
export const REGISTER_HTML_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256')
  .update(STYLE)
  .digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const e = escapeHtml;

function table(headers: readonly string[], rows: readonly string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${e(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${e(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Renders the register as a complete HTML document. */
export function renderRegisterHtml(r: SittingRegister): string {
  const s = r.sitting;
  const lasted = s.startedAt && s.endedAt ? duration(s.endedAt.getTime() - s.startedAt.getTime()) : '—';
  const sections = [
    `<section id="seduta"><h2>Dati della seduta</h2><dl>
<dt>Titolo</dt><dd data-field="title">${e(s.title)}</dd>
<dt>Identificativo</dt><dd class="hash">${e(s.id)}</dd>
<dt>Tipo</dt><dd>${e(KIND[s.kind])}</dd>
<dt>Stato</dt><dd>${e(STATUS[s.status])}</dd>
<dt>Programmata per</dt><dd>${e(romeTime(s.scheduledAt))}</dd>
<dt>Iniziata</dt><dd>${e(romeTime(s.startedAt))}</dd>
<dt>Terminata</dt><dd>${e(romeTime(s.endedAt))}</dd>
<dt>Durata</dt><dd>${e(lasted)}</dd>
<dt>Ente che conduce</dt><dd>${s.host ? `${e(s.host.name)} (${e(s.host.email)})` : 'Amministratori'}</dd>
</dl></section>`,
    `<section id="presenze"><h2>Presenze</h2>${table(
      ['Nome', 'Ruolo', 'Identità', 'Entrata', 'Uscita', 'Motivo dell’uscita'],
      r.attendance.map((a) => [
        e(a.name),
        e(ROLE[a.role]),
        `<span class="hash">${e(a.subject)}</span>`,
        e(romeTime(a.joinedAt)),
        e(romeTime(a.leftAt)),
        e(leaveReason(a.leaveReason)),
      ]),
      'Nessun ingresso registrato.',
    )}</section>`,
    `<section id="mani"><h2>Richieste di parola</h2>${table(
      ['Partecipante', 'Mano alzata', 'Esito', 'Alle', 'Da'],
      r.hands.map((h) => [
        e(h.name),
        e(romeTime(h.raisedAt)),
        e(HAND_OUTCOME[h.outcome]),
        e(romeTime(h.decidedAt)),
        e(h.decidedBy ?? '—'),
      ]),
      'Nessuna mano alzata.',
    )}</section>`,
    `<section id="interventi"><h2>Interventi</h2>${table(
      ['Partecipante', 'Inizio', 'Fine', 'Durata', 'Concesso', 'Concesso da', 'Conclusione'],
      r.interventions.map((i) => [
        e(i.name),
        e(romeTime(i.startedAt)),
        e(romeTime(i.endedAt)),
        e(duration(i.durationMs)),
        e(grants(i.grants)),
        e(i.approvedBy),
        e(INTERVENTION_END[i.end] + (i.endedBy && i.end === 'revoked' ? ` (${i.endedBy})` : '')),
      ]),
      'Nessun intervento.',
    )}</section>`,
    `<section id="chat"><h2>Chat</h2>${table(
      ['Ora', 'Autore', 'Messaggio'],
      r.chat.map((c) => [
        e(romeTime(c.at)),
        `${e(c.name)} (${e(roleName(c.role))})`,
        c.deletedAt
          ? `<span class="deleted"><s>${e(c.text)}</s> — eliminato il ${e(romeTime(c.deletedAt))} da ${e(
              c.deletedBy ?? '—',
            )}</span>`
          : e(c.text),
      ]),
      'Nessun messaggio.',
    )}</section>`,
    `<section id="registrazioni"><h2>Registrazioni</h2>${
      r.recordings.length === 0
        ? '<p class="empty">La seduta non è stata registrata.</p>'
        : r.recordings.map(recordingHtml).join('\n')
    }</section>`,
    `<section id="audit"><h2>Catena di audit</h2>${
      r.chain
        ? `<dl><dt>Hash al termine della seduta</dt><dd class="hash" data-field="chain-hash">${e(r.chain.hash)}</dd>
<dt>Voce del registro di audit</dt><dd>n. ${r.chain.auditId} (${e(r.chain.action)}), ${e(romeTime(r.chain.at))}</dd></dl>`
        : '<p class="empty">La seduta non è terminata: nessun hash di chiusura.</p>'
    }</section>`,
  ];
  return `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(DOCUMENT_TITLE)} — ${e(s.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${e(DOCUMENT_TITLE)}: ${e(s.title)}</h1><p class="doc-id">Seduta <span class="hash">${e(s.id)}</span></p></header>
<main>
${sections.join('\n')}
</main>
<footer><p>Documento generato da Seduta dai dati conservati nel database. Orari nel fuso Europe/Rome con lo scostamento da UTC. L’impronta SHA-256 di questo documento è annotata nel registro di audit a ogni generazione.</p></footer>
</body>
</html>
`;
}

function recordingHtml(rec: SittingRegister['recordings'][number]): string {
  const segments = table(
    ['Traccia', 'Inizio', 'Fine', 'Durata', 'Dimensione', 'SHA-256', 'Completo'],
    rec.segments.map((s) => [
      `${e(s.participantName)} — ${e(SOURCE[s.source])}`,
      e(romeTime(s.startedAt)),
      e(romeTime(s.endedAt)),
      e(duration(s.durationMs)),
      e(size(s.size)),
      `<span class="hash">${e(s.sha256)}</span>`,
      s.complete ? 'sì' : 'no (interrotto)',
    ]),
    'Nessun segmento.',
  );
  return `<article class="recording"><h3>Registrazione <span class="hash">${e(rec.id)}</span></h3><dl>
<dt>Stato</dt><dd>${e(RECORDING_STATE[rec.state] ?? rec.state)}${rec.degraded ? ' (con lacune)' : ''}${rec.purgedAt ? `, file eliminati il ${e(romeTime(rec.purgedAt))}` : ''}</dd>
<dt>Inizio</dt><dd>${e(romeTime(rec.startedAt))}</dd>
<dt>Fine</dt><dd>${e(romeTime(rec.stoppedAt))}</dd>
<dt>Durata del file finale</dt><dd>${rec.durationS === null ? '—' : e(duration(rec.durationS * 1000))}</dd>
<dt>Dimensione</dt><dd>${e(size(rec.size))}</dd>
<dt>SHA-256 del file finale</dt><dd class="hash" data-field="recording-sha256">${e(rec.sha256 ?? '—')}</dd>
</dl>
<h4>Segmenti</h4>${segments}</article>`;
}
