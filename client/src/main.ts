import './styles/global.css';
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

mount();
