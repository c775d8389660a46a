import { useEffect, useState } from 'preact/hooks';

/** The views, from the location's hash: `#/`, `#/w/<id>`, `#/events` (reloads keep the view). */
export type Route = { view: 'list' } | { view: 'workload'; ref: string } | { view: 'events' };

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const w = /^\/w\/([^/?]+)/.exec(h);
  if (w) return { view: 'workload', ref: decodeURIComponent(w[1]!) };
  if (h.startsWith('/events')) return { view: 'events' };
  return { view: 'list' };
}

export const hrefOf = (r: Route) => (r.view === 'workload' ? `#/w/${encodeURIComponent(r.ref)}` : r.view === 'events' ? '#/events' : '#/');

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
