import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Languages the interface is translated into. */
export const LOCALES = ['it', 'en'] as const;

/** One of {@link LOCALES}. */
export type Locale = (typeof LOCALES)[number];

const it = {
  'app.name': 'Seduta',
  'app.tagline': 'Sedute pubbliche in streaming',
  'access.title': 'Accesso del personale dell’ente',
  'access.email': 'Indirizzo e-mail',
  'access.password': 'Password',
  'access.signIn': 'Accedi',
  'access.signingIn': 'Accesso…',
  'access.signOut': 'Esci',
  'access.signedInAs': 'Accesso effettuato come {name}',
  'dashboard.title': 'Le tue sedute',
  'dashboard.titleAdmin': 'Tutte le sedute',
  'dashboard.empty': 'Nessuna seduta per ora.',
  'dashboard.create': 'Nuova seduta',
  'dashboard.subject': 'Oggetto della seduta',
  'dashboard.kind': 'Tipo di seduta',
  'dashboard.scheduledAt': 'Data e ora previste (facoltative)',
  'dashboard.createButton': 'Crea la seduta',
  'dashboard.open': 'Apri la console',
  'dashboard.invites': 'Commissari invitati',
  'dashboard.noInvites': 'Nessun commissario invitato.',
  'dashboard.inviteName': 'Nome e cognome',
  'dashboard.inviteEmail': 'Indirizzo e-mail',
  'dashboard.inviteButton': 'Invita',
  'dashboard.inviteSent': 'Invito inviato per e-mail a {email}. Puoi anche copiare il link personale.',
  'dashboard.inviteLinkOnly': 'L’e-mail non è configurata: copia il link personale e invialo a {email}.',
  'dashboard.copy': 'Copia il link',
  'dashboard.copied': 'Copiato',
  'dashboard.revoke': 'Revoca',
  'dashboard.revoked': 'Revocato',
  'dashboard.operatorsLink':
    'Gli operatori economici entrano dal link della piattaforma di gara, che contiene il loro token personale.',
  'dashboard.recordings': 'Registrazioni',
  'dashboard.recordingsLabel': 'Registrazioni della seduta {title}',
  'entry.checking': 'Verifica dell’accesso…',
  'entry.tokenRefused': 'Questo link non è più valido ({reason}). Aprilo di nuovo dalla piattaforma di gara.',
  'entry.noPass':
    'Per partecipare apri il link della seduta dalla piattaforma di gara, o il link personale del tuo invito.',
  'entry.removed': 'Sei stato rimosso da questa seduta e non puoi rientrare.',
  'entry.inviteRefused': 'Questo invito non è valido: {reason}.',
  'details.nameFromLink':
    'Il nome viene dalla piattaforma di gara o dall’invito ed è visibile a tutti i partecipanti.',
  'host.signIn': 'Accedi come personale dell’ente per gestire questa seduta.',
  'host.signInLink': 'Vai all’accesso',
  'commissioner.role': 'Commissario',
  'commissioner.join': 'Entra con videocamera e microfono',
  'commissioner.hint':
    'Il browser chiederà il permesso di usare videocamera e microfono: tutti i partecipanti ti vedranno e ti sentiranno.',
  'landing.title': 'Sedute pubbliche in streaming',
  'landing.body':
    'Per partecipare a una seduta apri il link che ti ha inviato l’ente (ad esempio dalla piattaforma di gara).',
  'setup.context': 'Primo avvio',
  'setup.title': 'Configurazione iniziale',
  'setup.intro':
    'Nessun amministratore esiste ancora. Crea il primo account di amministrazione: da lì potrai creare gli account dei presidenti di seduta.',
  'setup.name': 'Nome e cognome',
  'setup.email': 'Indirizzo e-mail',
  'setup.password': 'Password',
  'setup.passwordRule': 'Almeno {min} caratteri.',
  'setup.repeat': 'Ripeti la password',
  'setup.submit': 'Crea l’amministratore ed entra',
  'setup.submitting': 'Creazione…',
  'setup.tooShort': 'La password deve avere almeno {min} caratteri.',
  'setup.mismatch': 'Le due password non coincidono.',
  'setup.emailTaken': 'Esiste già un account con questo indirizzo e-mail: usane un altro.',
  'setup.badLink':
    'Questo link di configurazione non è valido, è già stato usato o è scaduto. Usa il link stampato nella console del server: riavviando il server ne viene stampato uno nuovo.',
  'setup.otherOrigin':
    'Il server non accetta richieste dall’indirizzo {origin}: apri il link così come è stampato nella console, oppure aggiungi questo indirizzo a PUBLIC_ORIGINS e riavvia il server.',
  'setup.done':
    'La configurazione iniziale è già stata completata: esiste un amministratore, e questo link non serve più.',
  'setup.signInLink': 'Vai all’accesso del personale',
  'setup.noToken':
    'Per creare il primo amministratore apri il link di configurazione stampato nella console del server (il terminale in cui è stato avviato, o il registro del servizio).',
  'setup.hint':
    'Primo avvio: non esiste ancora un amministratore. Il link per crearlo è stampato nella console del server (il terminale in cui è stato avviato npm start, o il registro del servizio).',
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
  'connection.reconnecting':
    'Riconnessione… La connessione si è interrotta: la pagina si ricollega da sola, non serve fare nulla.',
  'connection.restarting':
    'Il server si sta riavviando: la pagina si ricollega da sola appena è di nuovo disponibile.',
  'connection.hostAway':
    'Il presidente si sta riconnettendo. La seduta resta aperta: se non rientra entro le {time} verrà chiusa.',
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
  'error.unavailable':
    'Il servizio è momentaneamente non disponibile: il messaggio non è stato inviato. Riprova tra poco.',
  'error.offline': 'Connessione persa: riconnessione in corso. Riprova tra poco.',
  'error.invalidState': 'Operazione non possibile nello stato attuale della seduta.',
  'error.forbidden': 'Non hai il permesso di eseguire questa operazione.',
  'error.unauthorized': 'Accesso negato: il link non è valido.',
  'error.rateLimited': 'Troppe richieste: attendi qualche secondo e riprova.',
  'error.badRequest': 'Richiesta non valida: {message}',
  'hand.raise': 'Alza la mano',
  'hand.lower': 'Abbassa la mano',
  'hand.hint': 'Per chiedere la parola all’ente, alza la mano.',
  'hand.raised': 'Mano alzata: l’ente vede la tua richiesta di intervento.',
  'hand.denied': 'L’ente non ha accolto la tua richiesta di intervento.',
  'hand.revoked': 'L’ente ha concluso il tuo intervento: microfono e videocamera sono stati spenti.',
  'hand.kicked': 'Il tuo intervento è terminato.',
  'hand.noMedia':
    'Il browser non ha consentito l’uso di microfono o videocamera ({message}). Continui a seguire la seduta.',
  'consent.title': 'L’ente ti ha dato la parola',
  'consent.bodyBoth':
    'Il browser ora ti chiederà di usare microfono e videocamera: tutti i partecipanti ti vedranno e ti sentiranno. Puoi rifiutare e continuare a seguire la seduta.',
  'consent.bodyAudio':
    'Il browser ora ti chiederà di usare il microfono: tutti i partecipanti ti sentiranno. Puoi rifiutare e continuare a seguire la seduta.',
  'consent.bodyVideo':
    'Il browser ora ti chiederà di usare la videocamera: tutti i partecipanti ti vedranno. Puoi rifiutare e continuare a seguire la seduta.',
  'consent.allow': 'Consenti e parla',
  'consent.notNow': 'Non ora',
  'consent.starting': 'Attendi la richiesta del browser…',
  'speaker.live': 'Hai la parola',
  'speaker.liveHint': 'Tutti i partecipanti ti vedono e ti sentono.',
  'speaker.mute': 'Disattiva microfono',
  'speaker.unmute': 'Attiva microfono',
  'speaker.stop': 'Termina intervento',
  'speaker.hostMuted':
    'L’ente ha disattivato il tuo microfono: non puoi riattivarlo finché l’ente non lo consente.',
  'speaker.preview': 'La tua videocamera',
  'speaker.audioOnly': 'Solo audio',
  'queue.title': 'Mani alzate',
  'queue.empty': 'Nessuna mano alzata.',
  'queue.approveNext': 'Dai la parola al primo',
  'queue.approve': 'Audio e video',
  'queue.approveAudio': 'Solo audio',
  'queue.deny': 'Rifiuta',
  'queue.approveLabel': 'Dai la parola a {name} con audio e video',
  'queue.approveAudioLabel': 'Dai la parola a {name} solo con l’audio',
  'queue.denyLabel': 'Rifiuta la richiesta di {name}',
  'queue.waitingSeconds': 'in attesa da {n} s',
  'queue.waitingMinutes': 'in attesa da {n} min',
  'queue.raisedAnnounce': '{name} ha alzato la mano',
  'speakers.title': 'Interventi in corso',
  'speakers.empty': 'Nessun operatore ha la parola.',
  'speakers.revoke': 'Termina intervento',
  'speakers.revokeLabel': 'Termina l’intervento di {name}',
  'speakers.mute': 'Silenzia',
  'speakers.muteLabel': 'Silenzia {name}',
  'speakers.unmute': 'Consenti microfono',
  'speakers.unmuteLabel': 'Consenti di nuovo il microfono a {name}',
  'speakers.grantsBoth': 'audio e video',
  'speakers.grantsAudio': 'solo audio',
  'speakers.grantsVideo': 'solo video',
  'participant.handRaised': 'Mano alzata',
  'participant.speaking': 'Ha la parola',
  'participant.muted': 'Silenziato',
  'participant.reconnecting': 'Si sta riconnettendo',
  'participant.kick': 'Rimuovi',
  'participant.kickLabel': 'Rimuovi {name} dalla seduta',
  'participant.kickTitle': 'Rimuovere {name}?',
  'participant.kickBody':
    'Verrà disconnesso dalla seduta e non potrà rientrare. L’operazione resta nello storico.',
  'participant.kickConfirm': 'Rimuovi dalla seduta',
  'chat.title': 'Chat',
  'chat.notice': 'I messaggi sono visibili a tutti i partecipanti della seduta.',
  'chat.empty': 'Ancora nessun messaggio.',
  'chat.label': 'Scrivi un messaggio',
  'chat.hint': 'Invio per inviare, Maiusc+Invio per andare a capo.',
  'chat.send': 'Invia',
  'chat.counter': '{count} / {max} caratteri',
  'chat.rateLimited': 'Troppi messaggi: attendi {seconds} s prima di inviarne un altro.',
  'chat.delete': 'Elimina',
  'chat.deleteLabel': 'Elimina il messaggio di {name}',
  'stage.speaking': 'Intervento',
  'stage.audioOnly': 'solo audio',
  'host.speakersStage': 'Interventi degli operatori',
  'host.badKey':
    'La chiave dell’ente non è valida per questa seduta. Apri il link completo ricevuto alla creazione.',
  'recording.rec': 'REC',
  'recording.live': 'Registrazione in corso',
  'recording.paused': 'Registrazione in pausa',
  'recording.degraded': 'possibili interruzioni',
  'recording.controls': 'Registrazione',
  'recording.start': 'Avvia la registrazione',
  'recording.pause': 'Metti in pausa',
  'recording.resume': 'Riprendi',
  'recording.stop': 'Termina la registrazione',
  'recording.state.off': 'Non registrata',
  'recording.state.starting': 'Avvio della registrazione…',
  'recording.state.recording': 'Registrazione in corso',
  'recording.state.paused': 'In pausa',
  'recording.state.stopping': 'Chiusura della registrazione…',
  'recording.state.finalizing': 'Preparazione del file…',
  'recording.state.ready': 'Registrazione pronta',
  'recording.state.failed': 'Preparazione del file non riuscita',
  'recording.notice':
    'Questa seduta è registrata. Entrando, la tua immagine e la tua voce, se prendi la parola, saranno registrate insieme alla seduta.',
  'recording.noticeAccept': 'Ho capito, entra',
  'webhooks.context': 'Webhook',
  'webhooks.title': 'Notifiche alla piattaforma di gara (webhook)',
  'webhooks.back': 'Torna alle sedute',
  'webhooks.signIn': 'Accedi come amministratore per vedere le notifiche inviate alla piattaforma.',
  'webhooks.forbidden': 'Solo gli amministratori vedono le notifiche inviate alla piattaforma di gara.',
  'webhooks.intro':
    'Ogni evento inviato alla piattaforma di gara: seduta programmata, avviata, terminata, registrazione pronta. Un invio non riuscito viene ripetuto per 24 ore, poi risulta non consegnato.',
  'webhooks.status': 'Stato',
  'webhooks.type': 'Evento',
  'webhooks.any': 'Tutti',
  'webhooks.apply': 'Filtra',
  'webhooks.state.pending': 'In attesa',
  'webhooks.state.delivered': 'Consegnato',
  'webhooks.state.failed': 'Non consegnato',
  'webhooks.next': 'prossimo tentativo {at}',
  'webhooks.loading': 'Caricamento delle notifiche…',
  'webhooks.shown': '{n} notifiche mostrate su {total}',
  'webhooks.empty': 'Nessuna notifica con questi filtri.',
  'webhooks.caption': 'Notifiche, dalla più recente',
  'webhooks.col.at': 'Data',
  'webhooks.col.type': 'Evento',
  'webhooks.col.status': 'Stato',
  'webhooks.col.attempts': 'Tentativi',
  'webhooks.col.last': 'Ultima risposta o errore',
  'webhooks.col.event': 'Id evento',
  'webhooks.more': 'Mostra altre notifiche',
  'dashboard.webhooks': 'Notifiche alla piattaforma',
  'recordings.context': 'Registrazioni',
  'recordings.title': 'Registrazioni della seduta',
  'recordings.back': 'Torna alle sedute',
  'recordings.loading': 'Caricamento delle registrazioni…',
  'recordings.empty': 'Nessuna registrazione per questa seduta.',
  'recordings.audit':
    'Ogni riproduzione e ogni download restano nello storico, con il nome di chi li ha eseguiti.',
  'recordings.signIn': 'Accedi come amministratore per vedere le registrazioni di questa seduta.',
  'recordings.forbidden':
    'Non hai il permesso di vedere le registrazioni di questa seduta. Possono vederle e scaricarle gli amministratori e, solo se la piattaforma è configurata per consentirlo, l’ente che conduce la seduta.',
  'recordings.notFound': 'Seduta non trovata. Controlla il link o torna all’elenco delle sedute.',
  'recordings.network': 'Impossibile contattare il server. Controlla la connessione e riprova.',
  'recordings.retry': 'Riprova',
  'recordings.heading': 'Registrazione di {date}',
  'recordings.when': 'Orario',
  'recordings.until': 'dalle {start} alle {end}',
  'recordings.since': 'dalle {start}, ancora in corso',
  'recordings.duration': 'Durata',
  'recordings.size': 'Dimensione',
  'recordings.sizePending': 'disponibile quando il file è pronto',
  'recordings.degraded': 'Registrazione incompleta: queste parti della seduta non sono nel file.',
  'recordings.degradedUnknown':
    'Registrazione incompleta: in qualche punto possono mancare audio o video (per questa registrazione il dettaglio non è disponibile).',
  'recordings.problem.noMedia.video': '{source} di {name}: nessun video registrato dalle {from} alle {to}',
  'recordings.problem.noMedia.videoOpen':
    '{source} di {name}: nessun video registrato dalle {from} fino alla fine',
  'recordings.problem.noMedia.audio': '{source} di {name}: nessun audio registrato dalle {from} alle {to}',
  'recordings.problem.noMedia.audioOpen':
    '{source} di {name}: nessun audio registrato dalle {from} fino alla fine',
  'recordings.problem.failure': 'Errore del registratore alle {from}: {text}',
  'recordings.startLabel': 'Avvio',
  'recordings.startDelay':
    'Avviata {seconds} s dopo la richiesta (l’orario è quello del primo audio/video registrato)',
  'recording.gap': 'Attenzione: non si sta registrando {source} di {name} dalle {since}',
  'recording.gapSource.camera': 'la videocamera',
  'recording.gapSource.microphone': 'il microfono',
  'recording.gapSource.screen': 'lo schermo condiviso',
  'recordings.progress': 'Preparazione del file: {percent}%',
  'recordings.failed':
    'Il file della seduta non è stato prodotto ({error}). Le tracce originali restano disponibili.',
  'recordings.purged':
    'I file di questa registrazione sono stati eliminati alla scadenza del periodo di conservazione.',
  'recordings.player': 'Registrazione di {date}',
  'recordings.download': 'Scarica il file MP4 ({size})',
  'recordings.tracks': 'Tracce originali ({count})',
  'recordings.tracksHint':
    'I file registrati da ciascun partecipante, così come sono arrivati al server, con la loro impronta SHA-256.',
  'recordings.tracksLoading': 'Caricamento delle tracce…',
  'recordings.noTracks': 'Nessuna traccia originale.',
  'recordings.track.participant': 'Partecipante',
  'recordings.track.source': 'Sorgente',
  'recordings.track.start': 'Inizio',
  'recordings.track.end': 'Fine',
  'recordings.track.size': 'Dimensione',
  'recordings.track.sha256': 'SHA-256',
  'recordings.track.status': 'Integrità',
  'recordings.track.file': 'File',
  'recordings.track.host': '(ente)',
  'recordings.track.complete': 'Completa',
  'recordings.track.incomplete': 'Incompleta (interrotta)',
  'recordings.track.download': 'Scarica',
  'recordings.track.downloadLabel': 'Scarica la traccia {source} di {name} delle {start}',
  'recordings.source.camera': 'Videocamera',
  'recordings.source.microphone': 'Microfono',
  'recordings.source.screen': 'Schermo condiviso',
};

/** Every message key of the catalogue. */
export type MessageKey = keyof typeof it;

const en: Record<MessageKey, string> = {
  'app.name': 'Seduta',
  'app.tagline': 'Public sittings, streamed',
  'access.title': 'Staff sign-in',
  'access.email': 'E-mail address',
  'access.password': 'Password',
  'access.signIn': 'Sign in',
  'access.signingIn': 'Signing in…',
  'access.signOut': 'Sign out',
  'access.signedInAs': 'Signed in as {name}',
  'dashboard.title': 'Your sittings',
  'dashboard.titleAdmin': 'All sittings',
  'dashboard.empty': 'No sittings yet.',
  'dashboard.create': 'New sitting',
  'dashboard.subject': 'Subject of the sitting',
  'dashboard.kind': 'Kind of sitting',
  'dashboard.scheduledAt': 'Planned date and time (optional)',
  'dashboard.createButton': 'Create the sitting',
  'dashboard.open': 'Open the console',
  'dashboard.invites': 'Invited commissioners',
  'dashboard.noInvites': 'No commissioner invited.',
  'dashboard.inviteName': 'Full name',
  'dashboard.inviteEmail': 'E-mail address',
  'dashboard.inviteButton': 'Invite',
  'dashboard.inviteSent': 'Invitation e-mailed to {email}. You can also copy the personal link.',
  'dashboard.inviteLinkOnly': 'E-mail is not configured: copy the personal link and send it to {email}.',
  'dashboard.copy': 'Copy link',
  'dashboard.copied': 'Copied',
  'dashboard.revoke': 'Revoke',
  'dashboard.revoked': 'Revoked',
  'dashboard.operatorsLink':
    'Economic operators join through the procurement platform’s link, which carries their personal token.',
  'dashboard.recordings': 'Recordings',
  'dashboard.recordingsLabel': 'Recordings of the sitting {title}',
  'entry.checking': 'Checking your access…',
  'entry.tokenRefused':
    'This link is no longer valid ({reason}). Open it again from the procurement platform.',
  'entry.noPass':
    'To take part, open the sitting’s link from the procurement platform, or your personal invitation link.',
  'entry.removed': 'You were removed from this sitting and cannot come back.',
  'entry.inviteRefused': 'This invitation is not valid: {reason}.',
  'details.nameFromLink':
    'Your name comes from the procurement platform or the invitation, and everyone in the sitting sees it.',
  'host.signIn': 'Sign in as the entity’s staff to run this sitting.',
  'host.signInLink': 'Go to sign-in',
  'commissioner.role': 'Commissioner',
  'commissioner.join': 'Join with camera and microphone',
  'commissioner.hint':
    'Your browser will ask to use the camera and microphone: everyone in the sitting will see and hear you.',
  'landing.title': 'Public sittings, streamed',
  'landing.body': 'To take part in a sitting, open the link you received from the contracting entity.',
  'setup.context': 'First run',
  'setup.title': 'Initial setup',
  'setup.intro':
    'No administrator exists yet. Create the first administrator account: from there you can create the hosts’ accounts.',
  'setup.name': 'Full name',
  'setup.email': 'E-mail address',
  'setup.password': 'Password',
  'setup.passwordRule': 'At least {min} characters.',
  'setup.repeat': 'Repeat the password',
  'setup.submit': 'Create the administrator and sign in',
  'setup.submitting': 'Creating…',
  'setup.tooShort': 'The password must have at least {min} characters.',
  'setup.mismatch': 'The two passwords differ.',
  'setup.emailTaken': 'An account with this e-mail address already exists: use another one.',
  'setup.badLink':
    'This setup link is not valid, was already used or has expired. Use the link printed on the server’s console: restarting the server prints a new one.',
  'setup.otherOrigin':
    'The server does not accept requests from {origin}: open the link exactly as printed on the console, or add this address to PUBLIC_ORIGINS and restart the server.',
  'setup.done':
    'The initial setup is already complete: an administrator exists, and this link is no longer needed.',
  'setup.signInLink': 'Go to the staff sign-in',
  'setup.noToken':
    'To create the first administrator, open the setup link printed on the server’s console (the terminal it was started in, or the service log).',
  'setup.hint':
    'First run: no administrator exists yet. The link that creates one is printed on the server’s console (the terminal where npm start runs, or the service log).',
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
  'connection.reconnecting':
    'Reconnecting… The connection dropped: the page reconnects by itself, nothing to do.',
  'connection.restarting': 'The server is restarting: the page reconnects by itself as soon as it is back.',
  'connection.hostAway':
    'The host is reconnecting. The sitting stays open: if they are not back by {time} it will be closed.',
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
  'error.unavailable': 'The service is briefly unavailable: nothing was sent. Try again shortly.',
  'error.offline': 'Connection lost: reconnecting. Try again shortly.',
  'error.invalidState': 'Not possible in the sitting’s current state.',
  'error.forbidden': 'You are not allowed to do this.',
  'error.unauthorized': 'Access denied: the link is not valid.',
  'error.rateLimited': 'Too many requests: wait a few seconds and try again.',
  'error.badRequest': 'Invalid request: {message}',
  'hand.raise': 'Raise hand',
  'hand.lower': 'Lower hand',
  'hand.hint': 'To ask the host for the floor, raise your hand.',
  'hand.raised': 'Hand raised: the host sees your request to speak.',
  'hand.denied': 'The host declined your request to speak.',
  'hand.revoked': 'The host ended your intervention: your microphone and camera were turned off.',
  'hand.kicked': 'Your intervention has ended.',
  'hand.noMedia':
    'The browser did not allow the microphone or camera ({message}). You keep watching the sitting.',
  'consent.title': 'The host gave you the floor',
  'consent.bodyBoth':
    'Your browser will now ask to use your microphone and camera: everyone in the sitting will see and hear you. You can refuse and keep watching.',
  'consent.bodyAudio':
    'Your browser will now ask to use your microphone: everyone in the sitting will hear you. You can refuse and keep watching.',
  'consent.bodyVideo':
    'Your browser will now ask to use your camera: everyone in the sitting will see you. You can refuse and keep watching.',
  'consent.allow': 'Allow and speak',
  'consent.notNow': 'Not now',
  'consent.starting': 'Waiting for the browser…',
  'speaker.live': 'You have the floor',
  'speaker.liveHint': 'Everyone in the sitting sees and hears you.',
  'speaker.mute': 'Mute microphone',
  'speaker.unmute': 'Unmute microphone',
  'speaker.stop': 'Stop speaking',
  'speaker.hostMuted': 'The host muted your microphone: you cannot unmute until the host allows it.',
  'speaker.preview': 'Your camera',
  'speaker.audioOnly': 'Audio only',
  'queue.title': 'Raised hands',
  'queue.empty': 'No raised hands.',
  'queue.approveNext': 'Approve the first',
  'queue.approve': 'Audio and video',
  'queue.approveAudio': 'Audio only',
  'queue.deny': 'Deny',
  'queue.approveLabel': 'Give {name} the floor with audio and video',
  'queue.approveAudioLabel': 'Give {name} the floor with audio only',
  'queue.denyLabel': 'Deny the request of {name}',
  'queue.waitingSeconds': 'waiting {n} s',
  'queue.waitingMinutes': 'waiting {n} min',
  'queue.raisedAnnounce': '{name} raised their hand',
  'speakers.title': 'Speaking now',
  'speakers.empty': 'No operator has the floor.',
  'speakers.revoke': 'End intervention',
  'speakers.revokeLabel': 'End the intervention of {name}',
  'speakers.mute': 'Mute',
  'speakers.muteLabel': 'Mute {name}',
  'speakers.unmute': 'Allow microphone',
  'speakers.unmuteLabel': 'Allow {name} to unmute again',
  'speakers.grantsBoth': 'audio and video',
  'speakers.grantsAudio': 'audio only',
  'speakers.grantsVideo': 'video only',
  'participant.handRaised': 'Hand raised',
  'participant.speaking': 'Speaking',
  'participant.muted': 'Muted',
  'participant.reconnecting': 'Reconnecting',
  'participant.kick': 'Remove',
  'participant.kickLabel': 'Remove {name} from the sitting',
  'participant.kickTitle': 'Remove {name}?',
  'participant.kickBody':
    'They will be disconnected from the sitting and cannot come back. The audit log keeps this.',
  'participant.kickConfirm': 'Remove from the sitting',
  'chat.title': 'Chat',
  'chat.notice': 'Messages are visible to everyone in the sitting.',
  'chat.empty': 'No messages yet.',
  'chat.label': 'Write a message',
  'chat.hint': 'Enter to send, Shift+Enter for a new line.',
  'chat.send': 'Send',
  'chat.counter': '{count} / {max} characters',
  'chat.rateLimited': 'Too many messages: wait {seconds} s before sending another.',
  'chat.delete': 'Delete',
  'chat.deleteLabel': 'Delete the message from {name}',
  'stage.speaking': 'Speaking',
  'stage.audioOnly': 'audio only',
  'host.speakersStage': 'Operators speaking',
  'host.badKey':
    'The host key is not valid for this sitting. Open the full link you got when it was created.',
  'recording.rec': 'REC',
  'recording.live': 'Recording',
  'recording.paused': 'Recording paused',
  'recording.degraded': 'possible gaps',
  'recording.controls': 'Recording',
  'recording.start': 'Start recording',
  'recording.pause': 'Pause',
  'recording.resume': 'Resume',
  'recording.stop': 'Stop recording',
  'recording.state.off': 'Not recorded',
  'recording.state.starting': 'Starting the recording…',
  'recording.state.recording': 'Recording',
  'recording.state.paused': 'Paused',
  'recording.state.stopping': 'Closing the recording…',
  'recording.state.finalizing': 'Preparing the file…',
  'recording.state.ready': 'Recording ready',
  'recording.state.failed': 'Preparing the file failed',
  'recording.notice':
    'This sitting is recorded. If you join, your picture and your voice, when you speak, are recorded with the sitting.',
  'recording.noticeAccept': 'I understand, join',
  'webhooks.context': 'Webhooks',
  'webhooks.title': 'Notifications to the procurement platform (webhooks)',
  'webhooks.back': 'Back to the sittings',
  'webhooks.signIn': 'Sign in as an administrator to see the notifications sent to the platform.',
  'webhooks.forbidden': 'Only administrators see the notifications sent to the procurement platform.',
  'webhooks.intro':
    'Every event sent to the procurement platform: sitting scheduled, started, ended, recording ready. A failed delivery is retried for 24 hours, then shown as not delivered.',
  'webhooks.status': 'State',
  'webhooks.type': 'Event',
  'webhooks.any': 'All',
  'webhooks.apply': 'Filter',
  'webhooks.state.pending': 'Pending',
  'webhooks.state.delivered': 'Delivered',
  'webhooks.state.failed': 'Not delivered',
  'webhooks.next': 'next attempt {at}',
  'webhooks.loading': 'Loading the notifications…',
  'webhooks.shown': '{n} of {total} notifications shown',
  'webhooks.empty': 'No notification matches these filters.',
  'webhooks.caption': 'Notifications, newest first',
  'webhooks.col.at': 'Date',
  'webhooks.col.type': 'Event',
  'webhooks.col.status': 'State',
  'webhooks.col.attempts': 'Attempts',
  'webhooks.col.last': 'Last answer or error',
  'webhooks.col.event': 'Event id',
  'webhooks.more': 'Show more notifications',
  'dashboard.webhooks': 'Platform notifications',
  'recordings.context': 'Recordings',
  'recordings.title': 'Recordings of the sitting',
  'recordings.back': 'Back to the sittings',
  'recordings.loading': 'Loading the recordings…',
  'recordings.empty': 'No recordings for this sitting.',
  'recordings.audit': 'Every playback and every download is kept in the audit log, with who did it.',
  'recordings.signIn': 'Sign in as an administrator to see the recordings of this sitting.',
  'recordings.forbidden':
    'You are not allowed to see the recordings of this sitting. Administrators may see and download them, and the entity running the sitting only if the platform is configured to allow it.',
  'recordings.notFound': 'Sitting not found. Check the link or go back to the list of sittings.',
  'recordings.network': 'Cannot reach the server. Check your connection and try again.',
  'recordings.retry': 'Try again',
  'recordings.heading': 'Recording of {date}',
  'recordings.when': 'Time',
  'recordings.until': 'from {start} to {end}',
  'recordings.since': 'from {start}, still going',
  'recordings.duration': 'Duration',
  'recordings.size': 'Size',
  'recordings.sizePending': 'known when the file is ready',
  'recordings.degraded': 'Incomplete recording: these parts of the sitting are not in the file.',
  'recordings.degradedUnknown':
    'Incomplete recording: audio or video may be missing in places (no details are available for this recording).',
  'recordings.problem.noMedia.video': '{source} of {name}: no video recorded from {from} to {to}',
  'recordings.problem.noMedia.videoOpen': '{source} of {name}: no video recorded from {from} to the end',
  'recordings.problem.noMedia.audio': '{source} of {name}: no audio recorded from {from} to {to}',
  'recordings.problem.noMedia.audioOpen': '{source} of {name}: no audio recorded from {from} to the end',
  'recordings.problem.failure': 'Recorder error at {from}: {text}',
  'recordings.startLabel': 'Start',
  'recordings.startDelay':
    'Started {seconds} s after it was requested (the time is that of the first recorded audio/video)',
  'recording.gap': 'Warning: {source} of {name} is not being recorded since {since}',
  'recording.gapSource.camera': 'the camera',
  'recording.gapSource.microphone': 'the microphone',
  'recording.gapSource.screen': 'the shared screen',
  'recordings.progress': 'Preparing the file: {percent}%',
  'recordings.failed': 'The sitting’s file was not made ({error}). The original tracks are still available.',
  'recordings.purged': 'The files of this recording were deleted when the retention period ended.',
  'recordings.player': 'Recording of {date}',
  'recordings.download': 'Download the MP4 file ({size})',
  'recordings.tracks': 'Original tracks ({count})',
  'recordings.tracksHint':
    'The files recorded from each participant, as they reached the server, with their SHA-256 fingerprint.',
  'recordings.tracksLoading': 'Loading the tracks…',
  'recordings.noTracks': 'No original tracks.',
  'recordings.track.participant': 'Participant',
  'recordings.track.source': 'Source',
  'recordings.track.start': 'Start',
  'recordings.track.end': 'End',
  'recordings.track.size': 'Size',
  'recordings.track.sha256': 'SHA-256',
  'recordings.track.status': 'Integrity',
  'recordings.track.file': 'File',
  'recordings.track.host': '(entity)',
  'recordings.track.complete': 'Complete',
  'recordings.track.incomplete': 'Incomplete (cut short)',
  'recordings.track.download': 'Download',
  'recordings.track.downloadLabel': 'Download the {source} track of {name} from {start}',
  'recordings.source.camera': 'Camera',
  'recordings.source.microphone': 'Microphone',
  'recordings.source.screen': 'Shared screen',
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

/** Formats a time of day for people in the current language (e.g. "10:31:05"). */
export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(current === 'it' ? 'it-IT' : 'en-GB', { timeStyle: 'medium' }).format(
    new Date(iso),
  );
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
