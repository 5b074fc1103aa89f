/**
 * Sending one e-mail over SMTP (nodemailer), behind a two-method interface so the outbox sender
 * can be tested with a transport that fails on purpose.
 */
import nodemailer from 'nodemailer';

/** One message as handed to the transport. */
export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
}

/** Delivers messages; `send` rejects when the server refuses or cannot be reached. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** How long one SMTP conversation may take. */
const SMTP_TIMEOUT_MS = 15_000;

/** An SMTP transport for SMTP_URL (`smtp://user:pass@host:587`, `smtps://…:465`). */
export function smtpTransport(smtpUrl: string): MailTransport {
  const url = new URL(smtpUrl);
  const transporter = nodemailer.createTransport({
    host: url.hostname,
    port: url.port === '' ? (url.protocol === 'smtps:' ? 465 : 587) : Number(url.port),
    secure: url.protocol === 'smtps:',
    auth:
      url.username === ''
        ? undefined
        : { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    // Plain smtp:// to a loopback test server must not demand STARTTLS; elsewhere nodemailer
    // upgrades whenever the server offers it. `?tls=require` forces the upgrade.
    requireTLS: url.searchParams.get('tls') === 'require',
  });
  return {
    async send(message) {
      await transporter.sendMail(message);
    },
    close: () => transporter.close(),
  };
}
