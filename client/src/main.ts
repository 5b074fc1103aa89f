import './styles/global.css';
import { routeOf } from './routes';
import './components/host-console';
import './components/landing-page';
import './components/operator-view';

/** Mounts the page for the current location into #app. */
function mount(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const route = routeOf(window.location);
  switch (route.page) {
    case 'operator': {
      const view = document.createElement('seduta-operator-view');
      view.sittingId = route.sittingId;
      view.name = route.name;
      root.replaceChildren(view);
      return;
    }
    case 'host': {
      const view = document.createElement('seduta-host-console');
      view.sittingId = route.sittingId;
      view.hostKey = route.hostKey;
      root.replaceChildren(view);
      return;
    }
    case 'landing':
      root.replaceChildren(document.createElement('seduta-landing-page'));
      return;
  }
}

mount();
