import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { settingsAPI } from '../api/settings';
import { ROLES, tokenAPI, type ApiToken, type Role } from '../api/tokens';
import { keys } from '../lib/queries';
import { formatDate } from '../lib/format';
import { CopyButton } from '../components/CopyButton';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';
import { useCan } from '../lib/role';
import { BridgePanel, SlaPanel } from '../components/settings/StatusPanels';

function RetentionForm({ initial }: { initial: number }) {
  const qc = useQueryClient();
  const [days, setDays] = useState(String(initial));
  const n = Number(days);
  const valid = Number.isInteger(n) && n >= 1 && n <= 365;
  const save = useMutation({
    mutationFn: () => settingsAPI.putRetention({ retentionDays: n }),
    onSuccess: (s) => qc.setQueryData(keys.retention, s),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) save.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Retention">
      <label htmlFor="retention-days">Retention (days, 1–365)</label>
      <input id="retention-days" type="number" min={1} max={365} value={days} aria-invalid={!valid} onChange={(e) => setDays(e.target.value)} />
      <p className="hint">Older events leave the history and can no longer be replayed. Applies to events received from now on in the stream.</p>
      <button type="submit" className="primary" disabled={!valid || save.isPending}>
        Save retention
      </button>
      {save.isSuccess && (
        <span role="status" className="ok-text">
          {' '}
          Saved: {save.data.retentionDays} days.
        </span>
      )}
      <ErrorMessage error={save.error} />
    </form>
  );
}

function ReplayLimitForm({ initial, hardCap }: { initial: number; hardCap: number }) {
  const qc = useQueryClient();
  const [value, setValue] = useState(String(initial));
  const n = Number(value);
  const valid = Number.isInteger(n) && n >= 0 && n <= hardCap;
  const save = useMutation({
    mutationFn: () => settingsAPI.putReplays({ maxReplays: n }),
    onSuccess: (s) => qc.setQueryData(keys.replaySettings, s),
  });
  return (
    <form
      aria-label="Replay limit"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) save.mutate();
      }}
    >
      <label htmlFor="max-replays">Replays allowed per delivery (0–{hardCap})</label>
      <input id="max-replays" type="number" min={0} max={hardCap} value={value} aria-invalid={!valid} onChange={(e) => setValue(e.target.value)} />
      <button type="submit" className="primary" disabled={!valid || save.isPending}>
        Save replay limit
      </button>
      {save.isSuccess && (
        <span role="status" className="ok-text">
          {' '}
          Saved: {save.data.maxReplays}.
        </span>
      )}
      <ErrorMessage error={save.error} />
    </form>
  );
}

function Tokens({ isAdmin }: { isAdmin: boolean }) {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: keys.tokens, queryFn: () => tokenAPI.list() });
  const [role, setRole] = useState<Role>('viewer');
  const [name, setName] = useState('');
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const create = useMutation({
    mutationFn: () => tokenAPI.create(name ? { role, name } : { role }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.tokens }),
  });
  const revoke = useMutation({
    mutationFn: (t: ApiToken) => tokenAPI.delete(t.id),
    onSuccess: () => {
      setRevoking(null);
      void qc.invalidateQueries({ queryKey: keys.tokens });
    },
  });
  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <ErrorMessage error={tokens.error} />
      {tokens.data && (
        <table className="data">
          <caption className="sr-only">API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              {isAdmin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {tokens.data.tokens.map((t) => (
              <tr key={t.id}>
                <td data-label="Name">{t.name || <span className="muted">{t.id}</span>}</td>
                <td data-label="Role">{t.role}</td>
                <td data-label="Created">{formatDate(t.createdAt)}</td>
                <td data-label="Last used">{formatDate(t.lastUsedAt)}</td>
                {isAdmin && (
                  <td data-label="Actions">
                    <button type="button" className="small danger" aria-label={`Revoke token ${t.name || t.id}`} onClick={() => setRevoking(t)}>
                      Revoke
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {isAdmin && (
      <form
        className="inline-row"
        aria-label="New token"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Token name
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.isPending}>
          Create token
        </button>
      </form>
      )}
      <ErrorMessage error={create.error} />
      {create.data && (
        <div className="notice new-token">
          <label htmlFor="new-token">New token (shown once)</label>
          <textarea id="new-token" className="mono" readOnly rows={2} value={create.data.token} />
          <CopyButton text={create.data.token} label="Copy new token" />
        </div>
      )}
      {revoking && (
        <ConfirmDialog
          title="Revoke this token?"
          confirmLabel="Revoke token"
          danger
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking)}
        >
          <p>Clients using it get 401 from now on.</p>
          <ErrorMessage error={revoke.error} />
        </ConfirmDialog>
      )}
    </section>
  );
}

export function SettingsPage() {
  usePageTitle('Settings');
  const isAdmin = useCan('admin');
  const retention = useQuery({ queryKey: keys.retention, queryFn: () => settingsAPI.getRetention() });
  const replays = useQuery({ queryKey: keys.replaySettings, queryFn: () => settingsAPI.getReplays() });
  return (
    <section>
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <section className="card" aria-labelledby="retention-heading">
        <h2 id="retention-heading">Retention</h2>
        <ErrorMessage error={retention.error} />
        {retention.data && (isAdmin ? <RetentionForm initial={retention.data.retentionDays} /> : <p>Events are kept {retention.data.retentionDays} days.</p>)}
      </section>
      <section className="card" aria-labelledby="replays-heading">
        <h2 id="replays-heading">Replays</h2>
        <ErrorMessage error={replays.error} />
        {replays.data &&
          (isAdmin ? (
            <ReplayLimitForm initial={replays.data.maxReplays} hardCap={replays.data.hardCap ?? 10} />
          ) : (
            <p>Each delivery can be replayed {replays.data.maxReplays} times.</p>
          ))}
      </section>
      <SlaPanel />
      <BridgePanel />
      <Tokens isAdmin={isAdmin} />
    </section>
  );
}
