import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { AUTH_TYPE_LABELS, toInput, webhookAPI, type Webhook } from '../api/webhooks';
import { keys, useWorkflows } from '../lib/queries';
import { formatDate, formatPercent } from '../lib/format';
import { DataTable } from '../components/DataTable';
import { CopyButton } from '../components/CopyButton';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { useCan } from '../lib/role';
import { MetricsCharts, Sparkline } from '../components/charts/MetricsCharts';
import { usePageTitle } from '../lib/title';

function rateBadge(rate: number): string {
  return rate >= 0.1 ? 'badge-failed' : rate > 0 ? 'badge-filtered' : 'badge-processed';
}

/** Enabled or not, and the error rate over 1 h and 24 h, both visible. */
function WebhookStatus({ w }: { w: Webhook }) {
  const hour = w.errorRate?.lastHour ?? 0;
  const day = w.errorRate?.last24h ?? 0;
  return (
    <span className="status-cell">
      <span className={`badge ${w.enabled ? 'badge-processed' : 'badge-disabled'}`}>{w.enabled ? 'active' : 'disabled'}</span>
      <span className={`badge ${rateBadge(hour)}`}>{formatPercent(hour)} errors 1 h</span>
      <span className={`badge ${rateBadge(day)}`}>{formatPercent(day)} errors 24 h</span>
    </span>
  );
}

export function WebhooksPage() {
  usePageTitle('Webhooks');
  const isAdmin = useCan('admin');
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [toDelete, setToDelete] = useState<Webhook | null>(null);
  const list = useQuery({
    queryKey: [...keys.webhooks, 'list', q, cursor ?? ''],
    queryFn: () => webhookAPI.list({ limit: 50, q: q || undefined, cursor }),
  });
  const workflows = useWorkflows();
  const workflowName = useMemo(() => {
    const m = new Map<string, string>();
    for (const wf of workflows.data?.workflows ?? []) m.set(wf.id, wf.name);
    return m;
  }, [workflows.data]);

  const toggle = useMutation({
    mutationFn: (w: Webhook) => webhookAPI.update(w.id, toInput(w, { enabled: !w.enabled })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.webhooks }),
  });
  const remove = useMutation({
    mutationFn: (w: Webhook) => webhookAPI.delete(w.id),
    onSuccess: () => {
      setToDelete(null);
      void qc.invalidateQueries({ queryKey: keys.webhooks });
    },
  });

  const columns = useMemo<ColumnDef<Webhook, unknown>[]>(
    () => [
      { header: 'Name', cell: ({ row }) => <Link to={`/webhooks/${row.original.id}`}>{row.original.name || row.original.path}</Link> },
      { header: 'Path', cell: ({ row }) => <code>{row.original.path}</code> },
      {
        header: 'Workflow',
        cell: ({ row }) => {
          const id = row.original.workflowId;
          return id ? (workflowName.get(id) ?? id) : <span className="muted">—</span>;
        },
      },
      {
        header: 'Auth Type',
        cell: ({ row }) =>
          `${AUTH_TYPE_LABELS[row.original.authType] ?? row.original.authType}${row.original.signatureScheme && row.original.authType === 'signature' ? ` (${row.original.signatureScheme})` : ''}`,
      },
      { header: 'Status', cell: ({ row }) => <WebhookStatus w={row.original} /> },
      { header: '24 h', cell: ({ row }) => <Sparkline webhookId={row.original.id} label={row.original.name || row.original.path} /> },
      { header: 'Created', cell: ({ row }) => formatDate(row.original.createdAt) },
      { header: 'Last Triggered', cell: ({ row }) => formatDate(row.original.lastTriggeredAt) },
      {
        header: 'Actions',
        cell: ({ row }) => {
          const w = row.original;
          const name = w.name || w.path;
          return (
            <div className="row-actions">
              {isAdmin && (
                <button type="button" className="small" aria-label={`${w.enabled ? 'Disable' : 'Enable'} ${name}`} onClick={() => toggle.mutate(w)}>
                  {w.enabled ? 'Disable' : 'Enable'}
                </button>
              )}
              <Link className="button small" to={`/webhooks/${w.id}`} aria-label={`${isAdmin ? 'Edit' : 'View'} ${name}`}>
                {isAdmin ? 'Edit' : 'View'}
              </Link>
              <CopyButton text={w.url} label={`Copy URL of ${name}`}>
                Copy URL
              </CopyButton>
              {isAdmin && (
                <button type="button" className="small danger" aria-label={`Delete ${name}`} onClick={() => setToDelete(w)}>
                  Delete
                </button>
              )}
            </div>
          );
        },
      },
    ],
    [toggle, workflowName, isAdmin],
  );

  return (
    <section>
      <div className="page-head">
        <h1>Webhooks</h1>
        {isAdmin && (
          <Link className="button primary" to="/webhooks/new">
            New webhook
          </Link>
        )}
      </div>
      <div className="toolbar">
        <label htmlFor="wh-search">Search</label>
        <input
          id="wh-search"
          type="search"
          value={q}
          placeholder="name or path"
          onChange={(e) => {
            setQ(e.target.value);
            setCursor(undefined);
          }}
        />
        {list.data && <span className="muted">{list.data.total ?? list.data.webhooks.length} total</span>}
      </div>
      <ErrorMessage error={list.error} />
      <ErrorMessage error={toggle.error} prefix="Could not change the webhook" />
      {list.isPending ? (
        <p>Loading…</p>
      ) : (
        <DataTable
          caption="Webhooks"
          data={list.data?.webhooks ?? []}
          columns={columns}
          getRowId={(w) => w.id}
          empty="No webhooks yet. Create one to get an ingest URL."
        />
      )}
      <MetricsCharts title="All webhooks" />
      <div className="pager">
        {cursor && (
          <button type="button" onClick={() => setCursor(undefined)}>
            First page
          </button>
        )}
        {list.data?.nextCursor && (
          <button type="button" onClick={() => setCursor(list.data?.nextCursor ?? undefined)}>
            Next page
          </button>
        )}
      </div>
      {toDelete && (
        <ConfirmDialog
          title={`Delete webhook ${toDelete.name || toDelete.path}?`}
          confirmLabel="Delete webhook"
          danger
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() => remove.mutate(toDelete)}
        >
          <p>
            Senders posting to <code>{toDelete.url}</code> will get 404. Events already stored stay in the history.
          </p>
          <ErrorMessage error={remove.error} />
        </ConfirmDialog>
      )}
    </section>
  );
}
