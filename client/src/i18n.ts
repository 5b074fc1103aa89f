import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Languages the interface is translated into. */
export const LOCALES = ['it', 'en'] as const;

/** One of {@link LOCALES}. */
export type Locale = (typeof LOCALES)[number];

const it = {
  'app.name': 'Seduta',
  'app.tagline': 'Sedute pubbliche in streaming',
  'landing.title': 'Sedute pubbliche in streaming',
  'landing.body':
    'Per partecipare a una seduta apri il link che ti ha inviato l’ente (ad esempio dalla piattaforma di gara).',
  'lang.label': 'Lingua',
  'lang.it': 'Italiano',
  'lang.en': 'English',
  'status.scheduled': 'Programmata',
  'status.live': 'In corso',
  'status.ended': 'Conclusa',
  'status.cancelled': 'Annullata',
  'kind.public': 'Seduta pubblica',
  'kind.reserved': 'Seduta riservata',
  'details.scheduledAt': 'Data prevista',
  'details.status': 'Stato',
  'details.notScheduled': 'Non indicata',
  'details.loading': 'Caricamento della seduta…',
  'details.notFound': 'Seduta non trovata. Controlla il link che hai ricevuto.',
  'details.waiting':
    'La seduta non è ancora iniziata. Il pulsante si attiverà quando l’ente avvierà lo streaming.',
  'details.live': 'La seduta è in corso: puoi partecipare.',
  'details.cancelled': 'La seduta è stata annullata.',
  'details.ended': 'La seduta è terminata.',
  'details.left': 'Sei uscito dallo streaming. Puoi rientrare finché la seduta è in corso.',
  'details.removed': 'Sei stato rimosso dalla seduta.',
  'details.nameLabel': 'Il tuo nome',
  'details.nameHint': 'Sarà visibile all’ente e agli altri partecipanti.',
  'details.join': 'Partecipa alla seduta',
  'details.joining': 'Collegamento…',
  'connection.connecting': 'Connessione al server…',
  'connection.lost': 'Connessione persa: nuovo tentativo in corso…',
  'stage.waitingVideo': 'In attesa del video dell’ente…',
  'stage.screen': 'Schermo condiviso',
  'stage.camera': 'Videocamera',
  'stage.volume': 'Volume',
  'stage.leave': 'Esci dallo streaming',
  'stage.live': 'In diretta',
  'stage.audioBlocked': 'Il browser ha bloccato l’audio. Premi per attivarlo.',
  'stage.enableAudio': 'Attiva audio',
  'host.console': 'Console dell’ente',
  'host.start': 'Avvia la seduta',
  'host.starting': 'Avvio…',
  'host.resume': 'Riprendi la trasmissione',
  'host.startHint':
    'Avviando la seduta verranno attivati videocamera e microfono e gli operatori potranno collegarsi.',
  'host.micOn': 'Disattiva microfono',
  'host.micOff': 'Attiva microfono',
  'host.cameraOn': 'Spegni videocamera',
  'host.cameraOff': 'Accendi videocamera',
  'host.shareScreen': 'Condividi schermo',
  'host.stopShare': 'Interrompi condivisione',
  'host.end': 'Termina la seduta',
  'host.endConfirmTitle': 'Terminare la seduta?',
  'host.endConfirmBody':
    'Tutti i partecipanti verranno disconnessi e lo streaming si chiuderà. L’operazione non si può annullare.',
  'host.endConfirm': 'Termina',
  'host.cancel': 'Annulla',
  'host.preview': 'La tua anteprima',
  'host.cameraOffPreview': 'Videocamera spenta',
  'host.participants': 'Partecipanti collegati',
  'host.noParticipants': 'Nessun operatore collegato.',
  'host.you': '(tu)',
  'host.link': 'Link per gli operatori',
  'host.copy': 'Copia',
  'host.copied': 'Copiato',
  'host.noKey':
    'Manca la chiave dell’ente nel link. Apri il link completo ricevuto alla creazione della seduta.',
  'role.admin': 'Amministratore',
  'role.host': 'Ente',
  'role.commissioner': 'Commissario',
  'role.operator': 'Operatore',
  'error.generic': 'Si è verificato un errore: {message}',
  'error.media': 'Impossibile accedere a videocamera o microfono: {message}',
  'error.screen': 'Condivisione dello schermo non riuscita: {message}',
  'error.dismiss': 'Chiudi',
  'error.timeout': 'Il server non risponde. Controlla la connessione e riprova.',
  'error.invalidState': 'Operazione non possibile nello stato attuale della seduta.',
  'error.forbidden': 'Non hai il permesso di eseguire questa operazione.',
  'error.unauthorized': 'Accesso negato: il link non è valido.',
  'error.rateLimited': 'Troppe richieste: attendi qualche secondo e riprova.',
  'error.badRequest': 'Richiesta non valida: {message}',
  'host.badKey':
    'La chiave dell’ente non è valida per questa seduta. Apri il link completo ricevuto alla creazione.',
};

/** Every message key of the catalogue. */
export type MessageKey = keyof typeof it;

const en: Record<MessageKey, string> = {
  'app.name': 'Seduta',
  'app.tagline': 'Public sittings, streamed',
  'landing.title': 'Public sittings, streamed',
  'landing.body': 'To take part in a sitting, open the link you received from the contracting entity.',
  'lang.label': 'Language',
  'lang.it': 'Italiano',
  'lang.en': 'English',
  'status.scheduled': 'Scheduled',
  'status.live': 'Live',
  'status.ended': 'Ended',
  'status.cancelled': 'Cancelled',
  'kind.public': 'Public sitting',
  'kind.reserved': 'Reserved sitting',
  'details.scheduledAt': 'Scheduled for',
  'details.status': 'Status',
  'details.notScheduled': 'Not set',
  'details.loading': 'Loading the sitting…',
  'details.notFound': 'Sitting not found. Check the link you received.',
  'details.waiting': 'The sitting has not started yet. The button turns on when the entity starts streaming.',
  'details.live': 'The sitting is live: you can join.',
  'details.cancelled': 'The sitting was cancelled.',
  'details.ended': 'The sitting has ended.',
  'details.left': 'You left the stream. You can join again while the sitting is live.',
  'details.removed': 'You were removed from the sitting.',
  'details.nameLabel': 'Your name',
  'details.nameHint': 'Visible to the entity and to the other participants.',
  'details.join': 'Join the sitting',
  'details.joining': 'Connecting…',
  'connection.connecting': 'Connecting to the server…',
  'connection.lost': 'Connection lost: retrying…',
  'stage.waitingVideo': 'Waiting for the entity’s video…',
  'stage.screen': 'Shared screen',
  'stage.camera': 'Camera',
  'stage.volume': 'Volume',
  'stage.leave': 'Leave the stream',
  'stage.live': 'Live',
  'stage.audioBlocked': 'The browser blocked the audio. Press to turn it on.',
  'stage.enableAudio': 'Turn on audio',
  'host.console': 'Host console',
  'host.start': 'Start the sitting',
  'host.starting': 'Starting…',
  'host.resume': 'Resume broadcasting',
  'host.startHint': 'Starting the sitting turns on your camera and microphone and lets operators join.',
  'host.micOn': 'Mute microphone',
  'host.micOff': 'Unmute microphone',
  'host.cameraOn': 'Turn camera off',
  'host.cameraOff': 'Turn camera on',
  'host.shareScreen': 'Share screen',
  'host.stopShare': 'Stop sharing',
  'host.end': 'End the sitting',
  'host.endConfirmTitle': 'End the sitting?',
  'host.endConfirmBody':
    'Every participant will be disconnected and the stream will close. This cannot be undone.',
  'host.endConfirm': 'End',
  'host.cancel': 'Cancel',
  'host.preview': 'Your preview',
  'host.cameraOffPreview': 'Camera off',
  'host.participants': 'Connected participants',
  'host.noParticipants': 'No operator connected.',
  'host.you': '(you)',
  'host.link': 'Link for operators',
  'host.copy': 'Copy',
  'host.copied': 'Copied',
  'host.noKey':
    'The host key is missing from the link. Open the full link you got when the sitting was created.',
  'role.admin': 'Administrator',
  'role.host': 'Entity',
  'role.commissioner': 'Commissioner',
  'role.operator': 'Operator',
  'error.generic': 'Something went wrong: {message}',
  'error.media': 'Cannot use the camera or microphone: {message}',
  'error.screen': 'Screen sharing failed: {message}',
  'error.dismiss': 'Dismiss',
  'error.timeout': 'The server is not answering. Check your connection and try again.',
  'error.invalidState': 'Not possible in the sitting’s current state.',
  'error.forbidden': 'You are not allowed to do this.',
  'error.unauthorized': 'Access denied: the link is not valid.',
  'error.rateLimited': 'Too many requests: wait a few seconds and try again.',
  'error.badRequest': 'Invalid request: {message}',
  'host.badKey':
    'The host key is not valid for this sitting. Open the full link you got when it was created.',
};

/** Every text of the interface, by language. */
export const CATALOGUE: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { it, en };
const STORAGE_KEY = 'seduta.locale';
/** Dispatched on `window` when the language changes. */
export const LOCALE_CHANGED = 'seduta-locale-changed';

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function initialLocale(): Locale {
  if (typeof navigator === 'undefined') return 'it';
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLocale(saved)) return saved;
  } catch {
    // Storage can be unavailable (privacy modes): fall back to the browser language.
  }
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = tag?.slice(0, 2).toLowerCase();
    if (isLocale(base)) return base;
  }
  return 'it';
}

let current: Locale = initialLocale();

/** The language in use. */
export function getLocale(): Locale {
  return current;
}

/** Switches the language, remembers it and tells every component to re-render. */
export function setLocale(locale: Locale): void {
  if (locale === current) return;
  current = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // Not remembered across visits, but the switch itself still works.
  }
  document.documentElement.lang = locale;
  window.dispatchEvent(new Event(LOCALE_CHANGED));
}

/** The text of `key` in `locale`, with `{name}` placeholders filled from `params`. */
export function translate(locale: Locale, key: MessageKey, params?: Record<string, string | number>): string {
  const text = CATALOGUE[locale][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}

/** The text of `key` in the current language, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(current, key, params);
}

/** Formats a date-time for people in the current language (e.g. "12 marzo 2026, 10:30"). */
export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(current === 'it' ? 'it-IT' : 'en-GB', {
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(new Date(iso));
}

/** Re-renders its host whenever the language changes. */
export class LocaleController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #onChange = (): void => this.#host.requestUpdate();

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener(LOCALE_CHANGED, this.#onChange);
  }

  hostDisconnected(): void {
    window.removeEventListener(LOCALE_CHANGED, this.#onChange);
  }
}

if (typeof document !== 'undefined') document.documentElement.lang = current;
