import { useCallback, useEffect, useState } from 'preact/hooks';
import { HttpError, getJson, post, setUnauthorizedHandler } from './api';
import { useLive } from './live';
import { useRoute } from './route';
import type { Info } from './types';
import { DetailView } from './views/detail';
import { EventsView } from './views/events';
import { ListView } from './views/list';
import { LoginView } from './views/login';

type Auth = { state: 'checking' } | { state: 'login' } | { state: 'ok'; info: Info } | { state: 'down'; error: string };

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const route = useRoute();

  const check = useCallback(() => {
    getJson<Info>('/api/info').then(
      (info) => setAuth({ state: 'ok', info }),
      (e: Error) => setAuth(e instanceof HttpError && e.status === 401 ? { state: 'login' } : { state: 'down', error: e.message }),
    );
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(() => setAuth({ state: 'login' }));
    check();
  }, []);
  // While the agent is unreachable, look again now and then.
  useEffect(() => {
    if (auth.state !== 'down') return undefined;
    const t = setTimeout(check, 3000);
    return () => clearTimeout(t);
  }, [auth]);

  const live = useLive(auth.state === 'ok', check);
  const host = auth.state === 'ok' ? auth.info.host : '';
  useEffect(() => { document.title = host ? `corral · ${host}` : 'corral'; }, [host]);

  if (auth.state === 'checking') return <p class="muted center">Connecting…</p>;
  if (auth.state === 'login') return <LoginView onDone={check} />;
  if (auth.state === 'down') return <p class="error center" data-testid="agent-down">Cannot reach the agent: {auth.error}. Retrying…</p>;
  const { info } = auth;
  const logout = async () => { await post('/logout').catch(() => undefined); sessionStorage.removeItem('corral.login'); check(); };

  return (
    <div class="app">
      <header class="top">
        <a href="#/" class="brand">corral</a>
        <nav>
          <a href="#/" class={route.view !== 'events' ? 'active' : ''} data-testid="nav-workloads">Workloads</a>
          <a href="#/events" class={route.view === 'events' ? 'active' : ''} data-testid="nav-events">Events</a>
        </nav>
        <span class="spacer" />
        <span class={`live ${live.connected ? 'on' : 'off'}`} data-testid="live" title={live.connected ? 'live' : 'reconnecting'}><span class="live-text">{live.connected ? 'live' : 'reconnecting…'}</span></span>
        <span class="muted host" title={`${info.host} · corral ${info.version}${info.control ? ' · control on' : ''}`}>{info.host} · corral {info.version}{info.control ? ' · control on' : ''}</span>
        {sessionStorage.getItem('corral.login') ? <button class="link" onClick={logout} data-testid="logout">log out</button> : null}
      </header>
      <main>
        {route.view === 'list' ? <ListView rows={live.frame?.rows ?? null} /> : null}
        {route.view === 'workload' ? <DetailView key={route.ref} wref={route.ref} info={info} frame={live.frame} events={live.events} /> : null}
        {route.view === 'events' ? <EventsView events={live.events} now={live.frame?.t ?? Date.now()} /> : null}
      </main>
    </div>
  );
}
