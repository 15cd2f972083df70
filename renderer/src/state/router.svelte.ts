import { parseHash, routeHref, type Route } from '../lib/routes.js';

/** The current route, following the location hash. */
export class Router {
  route = $state<Route>(parseHash(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.route = parseHash(window.location.hash);
    });
  }

  /**
   * Rewrites the address without changing the shown page, e.g. to drop `?new` once the dialog it
   * asked for is open, so that a reload does not open it again.
   */
  replaceAddress(route: Route): void {
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${routeHref(route)}`);
  }

  navigate(route: Route): void {
    const href = routeHref(route);
    if (window.location.hash === href) this.route = parseHash(href);
    else window.location.hash = href;
  }
}
