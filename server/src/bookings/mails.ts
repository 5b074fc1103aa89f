/**
 * The bookings' e-mails, plain text, in Italian then English: the public form's confirmation, the
 * participants' instructions, and the notice of every new message of a thread (the state changes'
 * system messages included: the acceptance, the refusal, the delivery).
 */
import type { OutgoingMail } from '../mail/outbox';
import { romeDateTime } from './calendar';

const SIGNATURE = ['', '--', 'Seduta — servizio di videoconferenza / videoconference service'];

/** The public form's confirmation request. */
export function confirmationMail(input: {
  to: string;
  name: string;
  subject: string;
  link: string;
}): OutgoingMail {
  return {
    to: input.to,
    subject: `Conferma la richiesta di prenotazione: ${input.subject}`,
    body: [
      `Gentile ${input.name},`,
      '',
      `abbiamo ricevuto la richiesta di prenotazione «${input.subject}».`,
      "Per inviarla all'ufficio apra questo link entro 24 ore (altrimenti la richiesta è annullata):",
      '',
      input.link,
      '',
      'Se non ha fatto lei questa richiesta, ignori questo messaggio.',
      '',
      '---',
      `We received the booking request "${input.subject}". Open the link above within 24 hours to send it`,
      'to the office; otherwise it is dropped. If you did not make this request, ignore this message.',
      ...SIGNATURE,
    ].join('\n'),
  };
}

/** What a participant of a booked sitting needs to join it. */
export interface ParticipantMailInput {
  to: string;
  title: string;
  startsAt: Date;
  durationMinutes: number;
  joinUrl: string;
  code: string;
  password: string;
  reserved: boolean;
  recording: boolean;
}

/** The instructions, link, meeting code and password, for one participant. */
export function participantMail(input: ParticipantMailInput): OutgoingMail {
  const when = romeDateTime(input.startsAt);
  return {
    to: input.to,
    subject: `Istruzioni per la seduta «${input.title}» (${when})`,
    body: [
      'Gentile partecipante,',
      '',
      `è invitato alla seduta ${input.reserved ? 'riservata' : 'pubblica'} «${input.title}»,`,
      `${when}, durata prevista ${input.durationMinutes} minuti.`,
      '',
      `Link della seduta: ${input.joinUrl}`,
      `Codice riunione: ${formatCode(input.code)}`,
      `Password: ${input.password}`,
      '',
      'Come partecipare:',
      '1. Usi Chrome o Firefox aggiornati, da computer o telefono; non serve installare nulla.',
      "2. All'ora di inizio apra il link (o inserisca il codice riunione nella pagina iniziale) e la password.",
      '   La sala si apre per i partecipanti all’ora di inizio.',
      '3. Per intervenire alzi la mano: parlerà quando il presidente le darà la parola, e solo dopo che il suo',
      '   browser le avrà chiesto il consenso per microfono e videocamera.',
      '4. La chat è visibile a tutti i partecipanti della seduta.',
      input.recording ? '5. La seduta è registrata.' : '',
      input.reserved ? 'Per la seduta riservata riceverà anche un link personale: non lo inoltri.' : '',
      '',
      '---',
      `You are invited to the ${input.reserved ? 'reserved' : 'public'} sitting "${input.title}", ${input.startsAt.toISOString()}.`,
      `Link: ${input.joinUrl} — meeting code ${formatCode(input.code)} — password ${input.password}.`,
      'Use an up-to-date Chrome or Firefox; the room opens to participants at the start time.',
      ...SIGNATURE,
    ]
      .filter((line, i, all) => line !== '' || all[i - 1] !== '')
      .join('\n'),
  };
}

/** A new message in a booking's thread, for the other side. */
export function threadMail(input: {
  to: string;
  bookingSubject: string;
  subject: string | null;
  text: string;
  from: string;
  link: string;
}): OutgoingMail {
  return {
    to: input.to,
    subject: `${input.subject ?? 'Nuovo messaggio'} — prenotazione «${input.bookingSubject}»`,
    body: [
      `Nuovo messaggio da ${input.from} sulla prenotazione «${input.bookingSubject}»:`,
      '',
      input.text,
      '',
      `Per leggere la conversazione e rispondere: ${input.link}`,
      '',
      '---',
      `New message from ${input.from} about the booking "${input.bookingSubject}" (above). Reply at the link.`,
      ...SIGNATURE,
    ].join('\n'),
  };
}

/** A meeting code as people read it: `123 456 789`. */
export function formatCode(code: string): string {
  return code.replace(/^(\d{3})(\d{3})(\d{3})$/, '$1 $2 $3');
}
