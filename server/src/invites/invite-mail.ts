/**
 * The invitation e-mail, in Italian then English. Plain text only: the link is the one thing
 * the commissioner needs, and it is personal.
 */
import type { OutgoingMail } from '../mail/outbox';

/** What the message talks about. */
export interface InvitationMailInput {
  to: string;
  name: string;
  sittingTitle: string;
  scheduledAt: string | null;
  link: string;
  invitedBy: string;
}

const when = (iso: string | null, locale: string) =>
  iso === null
    ? undefined
    : new Date(iso).toLocaleString(locale, {
        dateStyle: 'full',
        timeStyle: 'short',
        timeZone: 'Europe/Rome',
      });

/** The invitation message for one commissioner. */
export function invitationMail(input: InvitationMailInput): OutgoingMail {
  const it = when(input.scheduledAt, 'it-IT');
  const en = when(input.scheduledAt, 'en-GB');
  const body = [
    `Gentile ${input.name},`,
    '',
    `${input.invitedBy} la invita alla seduta riservata «${input.sittingTitle}»${it ? `, ${it}` : ''}.`,
    'Per partecipare apra questo link personale (non inoltrarlo: vale solo per lei):',
    '',
    input.link,
    '',
    'Il link resta valido finché la seduta non è terminata.',
    '',
    '---',
    '',
    `Dear ${input.name},`,
    '',
    `${input.invitedBy} invites you to the reserved sitting "${input.sittingTitle}"${en ? `, ${en}` : ''}.`,
    'To take part, open this personal link (do not forward it: it is valid for you only):',
    '',
    input.link,
    '',
    'The link stays valid until the sitting has ended.',
    '',
  ].join('\n');
  return {
    to: input.to,
    // The title comes from a person: no line breaks in a header.
    subject: `Invito alla seduta riservata / Invitation to a reserved sitting: ${input.sittingTitle}`
      .replace(/\s+/g, ' ')
      .slice(0, 250),
    body,
  };
}
