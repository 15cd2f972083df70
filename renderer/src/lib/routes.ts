/**
 * Hash routes of the app. The hash keeps routing working from file:// (Electron) and over HTTP
 * alike, since the server and the file system only ever see index.html.
 */

export type Route =
  | { name: 'studies'; newStudy?: boolean }
  | { name: 'designer'; studyId: string | null; template: string | null }
  | { name: 'monitor'; studyId: string }
  | { name: 'results'; studyId: string; showExport?: boolean }
  | { name: 'compare'; studyIds: string[] }
  | { name: 'audit' }
  | { name: 'settings' }
  | { name: 'not-found'; path: string };

export type RouteName = Route['name'];

/** Parses a location hash such as `#/studies/quick-audit/results` into a route. */
export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [pathPart = '', queryPart = ''] = text.split('?', 2);
  const query = new URLSearchParams(queryPart);
  const segments = pathPart.split('/').filter((segment) => segment !== '').map((segment) => decodeURIComponent(segment));

  if (segments.length === 0) return { name: 'studies' };
  const [first, second, third] = segments;
  if (first === 'studies') {
    if (second === undefined) return query.has('new') ? { name: 'studies', newStudy: true } : { name: 'studies' };
    if (second === 'new' && third === undefined) return { name: 'designer', studyId: null, template: query.get('template') };
    if (third === 'edit') return { name: 'designer', studyId: second, template: null };
    if (third === 'monitor') return { name: 'monitor', studyId: second };
    if (third === 'results') return query.has('export') ? { name: 'results', studyId: second, showExport: true } : { name: 'results', studyId: second };
  }
  if (first === 'compare' && second === undefined) {
    const ids = (query.get('ids') ?? '').split(',').filter((id) => id !== '');
    return { name: 'compare', studyIds: ids };
  }
  if (first === 'audit' && second === undefined) return { name: 'audit' };
  if (first === 'settings' && second === undefined) return { name: 'settings' };
  return { name: 'not-found', path: pathPart };
}

/** Writes a route as a hash link, the inverse of parseHash. */
export function routeHref(route: Route): string {
  const id = (studyId: string) => encodeURIComponent(studyId);
  switch (route.name) {
    case 'studies':
      return route.newStudy === true ? '#/studies?new' : '#/studies';
    case 'designer':
      if (route.studyId !== null) return `#/studies/${id(route.studyId)}/edit`;
      return route.template === null ? '#/studies/new' : `#/studies/new?template=${encodeURIComponent(route.template)}`;
    case 'monitor':
      return `#/studies/${id(route.studyId)}/monitor`;
    case 'results':
      return `#/studies/${id(route.studyId)}/results${route.showExport === true ? '?export' : ''}`;
    case 'compare':
      return route.studyIds.length === 0 ? '#/compare' : `#/compare?ids=${route.studyIds.map(encodeURIComponent).join(',')}`;
    case 'audit':
      return '#/audit';
    case 'settings':
      return '#/settings';
    case 'not-found':
      return `#${route.path}`;
  }
}
