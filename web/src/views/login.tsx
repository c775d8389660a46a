import { useState } from 'preact/hooks';

/** Shown when the agent answers 401: the token goes in a POST body, never in a URL. */
export function LoginView({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const res = await fetch('/login', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-corral-web': '1' },
        body: JSON.stringify({ token }),
      });
      if (!res.ok) {
        let text = res.status === 401 ? 'Wrong token.' : `${res.status} ${res.statusText}`;
        if (res.status !== 401) try { text = ((await res.json()) as { error?: string }).error ?? text; } catch { /* keep */ }
        setError(text);
        return;
      }
      sessionStorage.setItem('corral.login', '1');
      setToken('');
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login" data-testid="login-form" onSubmit={submit}>
      <h2>corral</h2>
      <p class="muted">This agent asks for its web token (<code>--web-token</code>).</p>
      <input
        type="password" autocomplete="current-password" placeholder="token" value={token} data-testid="login-token" autofocus
        onInput={(e) => setToken((e.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled={busy || !token} data-testid="login-submit">log in</button>
      {error ? <p class="error" data-testid="login-error">{error}</p> : null}
    </form>
  );
}
