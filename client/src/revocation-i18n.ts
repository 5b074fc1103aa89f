/**
 * The texts that explain why the server closed this page's connection to a sitting (the `removed`
 * notification's reason) and why a join link was refused, in Italian and English; merged into the
 * catalogue by i18n.ts.
 */
import type { RemovedReason } from '@seduta/server/protocol';

export const revocationIt = {
  'removed.kicked': 'Sei stato rimosso dalla seduta.',
  'removed.replaced':
    'Hai aperto la seduta in un’altra scheda o su un altro dispositivo: qui il collegamento è stato chiuso. Per seguirla da questa pagina, ricaricala.',
  'removed.account_disabled':
    'Il tuo account è stato disattivato da un amministratore: il collegamento alla seduta è stato chiuso.',
  'removed.role_changed':
    'Il tuo ruolo è cambiato e non puoi più condurre questa seduta: il collegamento è stato chiuso.',
  'removed.session_ended': 'La tua sessione è terminata: accedi di nuovo per rientrare nella seduta.',
  'removed.invite_revoked': 'Il tuo invito a questa seduta è stato revocato: il collegamento è stato chiuso.',
  'entry.tokenUsed':
    'Questo link di accesso è già stato usato: ogni link apre la seduta una sola volta. Aprine uno nuovo dalla piattaforma di gara.',
  'entry.tokenFuture':
    'Questo link di accesso non è ancora valido: l’orologio del sistema che l’ha creato è avanti rispetto al nostro. Riprova tra poco o aprine uno nuovo dalla piattaforma di gara.',
};

export const revocationEn: Record<keyof typeof revocationIt, string> = {
  'removed.kicked': 'You were removed from the sitting.',
  'removed.replaced':
    'You opened the sitting in another tab or on another device: this page was disconnected. Reload it to follow the sitting here.',
  'removed.account_disabled':
    'An administrator disabled your account: you were disconnected from the sitting.',
  'removed.role_changed': 'Your role changed and you may no longer run this sitting: you were disconnected.',
  'removed.session_ended': 'Your session ended: sign in again to come back to the sitting.',
  'removed.invite_revoked': 'Your invitation to this sitting was revoked: you were disconnected.',
  'entry.tokenUsed':
    'This access link was already used: each link opens the sitting once. Open a new one from the procurement platform.',
  'entry.tokenFuture':
    'This access link is not valid yet: the clock of the system that made it is ahead of ours. Try again shortly or open a new one from the procurement platform.',
};

/**
 * What the server's refusal of a join token issued in the future says (server/src/auth/join-tokens.ts
 * ISSUED_IN_THE_FUTURE), to tell it apart from other refusals.
 */
export const ISSUED_IN_THE_FUTURE = 'issued in the future';

/** The catalogue key explaining a `removed` reason (an unknown one reads as a removal). */
export function removedKey(reason: RemovedReason | undefined): keyof typeof revocationIt {
  switch (reason) {
    case 'replaced':
    case 'account_disabled':
    case 'role_changed':
    case 'session_ended':
    case 'invite_revoked':
      return `removed.${reason}`;
    default:
      return 'removed.kicked';
  }
}
