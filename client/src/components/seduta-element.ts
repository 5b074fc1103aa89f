import { LitElement } from 'lit';
import { LocaleController } from '../i18n';

/** Base of Seduta's components: re-renders when the language changes. */
export class SedutaElement extends LitElement {
  protected readonly localeController = new LocaleController(this);
}
