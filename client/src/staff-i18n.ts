/** The staff pages' texts (sign-in, confirmations, operators' links, data tables), in Italian. */
export const staffIt = {
  'signin.wrong': 'E-mail o password non corretti.',
  'signin.locked': 'Troppi tentativi non riusciti con questo indirizzo: riprova fra {minutes} min.',
  'signin.lockedSoon': 'Troppi tentativi non riusciti con questo indirizzo: riprova fra qualche minuto.',
  'signin.disabledHint': 'Se il tuo account è stato disattivato, rivolgiti a un amministratore.',
  'confirm.cancel': 'Annulla',
  'recording.stopConfirmTitle': 'Fermare la registrazione?',
  'recording.stopConfirmBody':
    'Il file viene chiuso e preparato per il download. Per registrare ancora servirà una nuova registrazione.',
  'recording.stopConfirm': 'Ferma la registrazione',
  'speakers.revokeConfirmTitle': 'Togliere la parola a {name}?',
  'speakers.revokeConfirmBody':
    'Microfono e videocamera vengono spenti subito; potrà alzare di nuovo la mano.',
  'speakers.revokeConfirm': 'Togli la parola',
  'operatorLink.title': 'Link per un operatore',
  'operatorLink.hint':
    'Gli operatori economici entrano di solito dal link della piattaforma di gara. A chi non l’ha ricevuto crea qui un link personale: vale per un solo ingresso e va usato entro {minutes} minuti.',
  'operatorLink.name': 'Nome e cognome',
  'operatorLink.company': 'Operatore economico (ditta)',
  'operatorLink.create': 'Crea il link',
  'operatorLink.ready':
    'Link personale di {name}, da usare entro le {time}: copialo e invialo solo a questa persona.',
  'operatorLink.reserved':
    'Seduta riservata: entrano solo i commissari invitati, ciascuno con il proprio link. Gli inviti si creano dalla pagina delle sedute.',
  'operatorLink.invite': 'Vai agli inviti',
  'operatorLink.tooLong':
    'Nome e ditta insieme superano {max} caratteri: abbrevia la ragione sociale (per esempio «S.r.l.»).',
  'operatorLink.over': 'La seduta è conclusa: non entra più nessuno.',
  'staff.createTitle': 'Nuovo account',
  'staff.createHint':
    'Crea l’account di un presidente di seduta (o di un altro amministratore) e comunica di persona la password iniziale.',
  'staff.empty': 'Nessun account.',
  'participants.emptyAll': 'Nessuno collegato.',
  'webhooks.emptyAll':
    'Nessuna notifica inviata finora. Partono quando la piattaforma di gara ha configurato il proprio indirizzo (POST /api/platform/webhook) e una seduta viene programmata, avviata o terminata.',
  'recordings.emptyHint':
    'Si registra dalla console della seduta, con «Avvia la registrazione», mentre la seduta è in corso; il file compare qui appena pronto.',
} as const;

/** The staff pages' texts, in English. */
export const staffEn: Record<keyof typeof staffIt, string> = {
  'signin.wrong': 'Wrong e-mail address or password.',
  'signin.locked': 'Too many failed attempts with this address: try again in {minutes} min.',
  'signin.lockedSoon': 'Too many failed attempts with this address: try again in a few minutes.',
  'signin.disabledHint': 'If your account was disabled, ask an administrator.',
  'confirm.cancel': 'Cancel',
  'recording.stopConfirmTitle': 'Stop the recording?',
  'recording.stopConfirmBody':
    'The file is closed and prepared for download. To record again you will start a new recording.',
  'recording.stopConfirm': 'Stop the recording',
  'speakers.revokeConfirmTitle': 'Take the floor from {name}?',
  'speakers.revokeConfirmBody':
    'Their microphone and camera are turned off at once; they may raise their hand again.',
  'speakers.revokeConfirm': 'Take the floor',
  'operatorLink.title': 'Link for an operator',
  'operatorLink.hint':
    'Economic operators usually enter from the procurement platform’s link. For one who did not receive it, create a personal link here: it admits one entry and must be used within {minutes} minutes.',
  'operatorLink.name': 'Full name',
  'operatorLink.company': 'Economic operator (company)',
  'operatorLink.create': 'Create the link',
  'operatorLink.ready': 'Personal link of {name}, to use by {time}: copy it and send it to this person only.',
  'operatorLink.reserved':
    'Reserved sitting: only invited commissioners enter, each with their own link. Invitations are created on the sittings page.',
  'operatorLink.invite': 'Go to the invitations',
  'operatorLink.tooLong': 'Name and company together exceed {max} characters: shorten the company name.',
  'operatorLink.over': 'The sitting is over: nobody enters any more.',
  'staff.createTitle': 'New account',
  'staff.createHint':
    'Create the account of a host (or of another administrator) and hand over the initial password in person.',
  'staff.empty': 'No accounts.',
  'participants.emptyAll': 'Nobody connected.',
  'webhooks.emptyAll':
    'No notification sent yet. They go out once the procurement platform has set its address (POST /api/platform/webhook) and a sitting is scheduled, started or ended.',
  'recordings.emptyHint':
    'Recording is started in the sitting’s console, with “Start recording”, while the sitting is live; the file appears here once ready.',
};
