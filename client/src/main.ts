import './styles/global.css';
import { LOCALE_CHANGED, t } from './i18n';
import { routeOf } from './routes';
import './components/audit-page';
import './components/booking-confirm';
import './components/booking-detail';
import './components/booking-form';
import './components/booking-list';
import './components/host-console';
import './components/host-dashboard';
import './components/webhook-log';
import './components/invite-entry';
import './components/landing-page';
import './components/recordings-page';
import './components/setup-page';
import './components/sitting-entry';

/** Mounts the page for the current location into #app. */
function mount(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const route = routeOf(window.location);
  switch (route.page) {
    case 'operator': {
      const view = document.createElement('seduta-sitting-entry');
      view.sittingId = route.sittingId;
      view.token = route.token;
      root.replaceChildren(view);
      return;
    }
    case 'invite': {
      const view = document.createElement('seduta-invite-entry');
      view.token = route.token;
      root.replaceChildren(view);
      return;
    }
    case 'host': {
      const view = document.createElement('seduta-host-console');
      view.sittingId = route.sittingId;
      root.replaceChildren(view);
      return;
    }
    case 'recordings': {
      const view = document.createElement('seduta-recordings-page');
      view.sittingId = route.sittingId;
      root.replaceChildren(view);
      return;
    }
    case 'setup': {
      const view = document.createElement('seduta-setup-page');
      view.token = route.token;
      root.replaceChildren(view);
      return;
    }
    case 'audit':
      root.replaceChildren(document.createElement('seduta-audit-page'));
      return;
    case 'bookings':
      root.replaceChildren(document.createElement('seduta-booking-list'));
      return;
    case 'booking-new':
      root.replaceChildren(document.createElement('seduta-booking-form'));
      return;
    case 'booking-confirm': {
      const view = document.createElement('seduta-booking-confirm');
      view.token = route.token;
      root.replaceChildren(view);
      return;
    }
    case 'booking': {
      const view = document.createElement('seduta-booking-detail');
      view.bookingId = route.bookingId;
      view.key = route.key;
      root.replaceChildren(view);
      return;
    }
    case 'webhooks':
      root.replaceChildren(document.createElement('seduta-webhook-log'));
      return;
    case 'dashboard':
      root.replaceChildren(document.createElement('seduta-host-dashboard'));
      return;
    case 'landing':
      root.replaceChildren(document.createElement('seduta-landing-page'));
      return;
  }
}

/**
 * The skip link, first in the tab order (WCAG 2.4.1): it moves the focus to the page's `main`,
 * which lives inside the page component's shadow root (a `#main` fragment cannot reach it).
 */
function addSkipLink(): void {
  const link = document.createElement('a');
  link.className = 'skip-link';
  link.href = '#app';
  link.dataset.testid = 'skip-link';
  const label = (): void => {
    link.textContent = t('a11y.skip');
  };
  label();
  window.addEventListener(LOCALE_CHANGED, label);
  link.addEventListener('click', (event) => {
    const main = findMain(document);
    if (!main) return;
    event.preventDefault();
    if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1');
    main.focus();
  });
  document.body.prepend(link);
}

function findMain(root: Document | ShadowRoot): HTMLElement | null {
  const main = root.querySelector('main');
  if (main) return main;
  for (const el of root.querySelectorAll('*')) {
    const inner = el.shadowRoot ? findMain(el.shadowRoot) : null;
    if (inner) return inner;
  }
  return null;
}

addSkipLink();
mount();
