import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { webhookAPI } from '../api/webhooks';
import { ApiError } from '../api/client';
import { useAuth } from '../lib/auth';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';

function fromState(state: unknown): string {
  if (typeof state === 'object' && state !== null && 'from' in state && typeof state.from === 'string') return state.from;
  return '/webhooks';
}

export function LoginPage() {
  usePageTitle('Log in');
  const { token, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (token) return <Navigate to={fromState(location.state)} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = value.trim();
    if (!t) return;
    setBusy(true);
    setError(null);
    try {
      await webhookAPI.list({ limit: 1 }, t);
      login(t);
      navigate(fromState(location.state), { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? new Error('That token was not accepted.') : err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <h1>hookstream</h1>
      <form onSubmit={(e) => void submit(e)} className="card">
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="Paste a bearer token"
          required
        />
        <p className="hint">The token is kept in this tab's session storage only.</p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}
