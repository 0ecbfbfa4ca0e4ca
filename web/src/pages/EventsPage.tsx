import { useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import type { ColumnDef, RowSelectionState } from '@tanstack/react-table';
import { EVENT_STATUSES, eventAPI, type EventFilters, type EventStatus, type EventSummary, type ExportFormat } from '../api/events';
import { keys, useAllWebhooks, useWorkflows } from '../lib/queries';
import { formatDate, localToRfc3339, relativeTime, shortId } from '../lib/format';
import { eventTypeOf, payloadPreview } from '../lib/eventType';
import { DataTable } from '../components/DataTable';
import { StatusBadge } from '../components/StatusBadge';
import { ErrorMessage } from '../components/ErrorMessage';
import { BatchReplayPanel } from '../components/events/BatchReplayPanel';
import { usePageTitle } from '../lib/title';
import { usePollUnlessLive } from '../lib/feed';
import { useCan } from '../lib/role';

const FILTER_KEYS = ['webhookId', 'workflowId', 'status', 'from', 'to', 'q', 'path'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Draft = Record<FilterKey, string>;

function isStatus(s: string): s is EventStatus {
  return (EVENT_STATUSES as string[]).includes(s);
}

/** Draft (form values; from/to as datetime-local) → API filters. */
function toFilters(d: Draft): EventFilters {
  const f: EventFilters = {};
  if (d.webhookId) f.webhookId = d.webhookId;
  if (d.workflowId) f.workflowId = d.workflowId;
  if (isStatus(d.status)) f.status = d.status;
  const from = localToRfc3339(d.from);
  if (from) f.from = from;
  const to = localToRfc3339(d.to);
  if (to) f.to = to;
  if (d.q) f.q = d.q;
  if (d.path) f.path = d.path;
  return f;
}

export function EventsPage() {
  usePageTitle('Event history');
  const poll = usePollUnlessLive(5000);
  const canReplay = useCan('analyst');
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => {
    const d = {} as Draft;
    for (const k of FILTER_KEYS) d[k] = params.get(k) ?? '';
    return d;
  }, [params]);
  const [draft, setDraft] = useState<Draft>(applied);
  const [selection, setSelection] = useState<RowSelectionState>({});
  const filters = useMemo(() => toFilters(applied), [applied]);
  const webhooks = useAllWebhooks();
  const workflows = useWorkflows();
  const webhookName = useMemo(() => {
    const m = new Map<string, string>();
    for (const w of webhooks.data?.webhooks ?? []) m.set(w.id, w.name || w.path);
    return m;
  }, [webhooks.data]);

  // Polls every 5 s; a WebSocket feed (GET /api/v1/ws) will replace this.
  const events = useInfiniteQuery({
    queryKey: [...keys.events, 'list', filters],
    queryFn: ({ pageParam }) => eventAPI.list({ ...filters, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: poll,
  });
  const rows = useMemo(() => events.data?.pages.flatMap((p) => p.events) ?? [], [events.data]);
  const selectedIds = Object.keys(selection).filter((k) => selection[k]);

  const exporter = useMutation({ mutationFn: (format: ExportFormat) => eventAPI.download(format, filters) });

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const k of FILTER_KEYS) if (draft[k]) next.set(k, draft[k]);
    setParams(next);
    setSelection({});
  };
  const set = (k: FilterKey, v: string) => setDraft((d) => ({ ...d, [k]: v }));

  const columns = useMemo<ColumnDef<EventSummary, unknown>[]>(
    () => [
      {
        id: 'select',
        header: ({ table }) => (
          <input
            type="checkbox"
            aria-label="Select all events"
            checked={table.getIsAllRowsSelected()}
            onChange={table.getToggleAllRowsSelectedHandler()}
          />
        ),
        cell: ({ row }) => (
          <input
            type="checkbox"
            aria-label={`Select event ${row.original.id}`}
            checked={row.getIsSelected()}
            onChange={row.getToggleSelectedHandler()}
          />
        ),
      },
      {
        header: 'Received',
        cell: ({ row }) => (
          <Link to={`/events/${row.original.id}`} title={formatDate(row.original.createdAt)}>
            {relativeTime(row.original.createdAt)}
          </Link>
        ),
      },
      { header: 'Event type', cell: ({ row }) => <code>{eventTypeOf(row.original.headers, row.original.body) ?? '—'}</code> },
      {
        header: 'Payload',
        cell: ({ row }) => <span className="preview mono">{payloadPreview(row.original.body, 60)}</span>,
      },
      {
        header: 'Webhook',
        cell: ({ row }) => row.original.webhookName ?? webhookName.get(row.original.webhookId) ?? shortId(row.original.webhookId),
      },
      {
        header: 'Status',
        cell: ({ row }) => (
          <>
            <StatusBadge status={row.original.status} />
            {row.original.test ? <span className="badge badge-disabled">test</span> : null}
          </>
        ),
      },
      { header: 'Method', cell: ({ row }) => row.original.method },
      {
        header: 'Replay',
        cell: ({ row }) =>
          row.original.replayOf ? (
            <span>
              replay #{row.original.replayCount} of <Link to={`/events/${row.original.replayOf}`}>{shortId(row.original.replayOf)}</Link>
            </span>
          ) : row.original.replayCount > 0 ? (
            `${row.original.replayCount} replays`
          ) : (
            ''
          ),
      },
      { header: 'Response', cell: ({ row }) => row.original.responseStatus || '—' },
      { header: 'Time (ms)', cell: ({ row }) => (typeof row.original.processingTimeMs === 'number' ? Math.round(row.original.processingTimeMs * 10) / 10 : '—') },
      {
        header: 'Event',
        cell: ({ row }) => (
          <Link to={`/events/${row.original.id}`} className="id-link" title={row.original.id}>
            <span className="sr-only">View event </span>
            {row.original.id}
          </Link>
        ),
      },
    ],
    [webhookName],
  );

  return (
    <section>
      <div className="page-head">
        <h1>Event history</h1>
        <div className="actions">
          <button type="button" onClick={() => exporter.mutate('csv')} disabled={exporter.isPending}>
            Export CSV
          </button>
          <button type="button" onClick={() => exporter.mutate('ndjson')} disabled={exporter.isPending}>
            Export JSON
          </button>
          {exporter.data && (
            <span role="status" className="muted">
              Downloaded {exporter.data}
            </span>
          )}
        </div>
      </div>
      <ErrorMessage error={exporter.error} prefix="Export failed" />
      <form className="filters card" onSubmit={apply} aria-label="Event filters">
        <div className="grid">
          <label>
            From
            <input type="datetime-local" value={draft.from} onChange={(e) => set('from', e.target.value)} />
          </label>
          <label>
            To
            <input type="datetime-local" value={draft.to} onChange={(e) => set('to', e.target.value)} />
          </label>
          <label>
            Webhook
            <select value={draft.webhookId} onChange={(e) => set('webhookId', e.target.value)}>
              <option value="">All webhooks</option>
              {(webhooks.data?.webhooks ?? []).map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name || w.path}
                </option>
              ))}
            </select>
          </label>
          <label>
            Workflow
            <select value={draft.workflowId} onChange={(e) => set('workflowId', e.target.value)}>
              <option value="">All workflows</option>
              {(workflows.data?.workflows ?? []).map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select value={draft.status} onChange={(e) => set('status', e.target.value)}>
              <option value="">Any status</option>
              {EVENT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Payload search
            <input type="search" value={draft.q} placeholder="text in the body" onChange={(e) => set('q', e.target.value)} />
          </label>
          <label>
            JSONPath predicate
            <input className="mono" value={draft.path} placeholder='$.data.status == "paid"' onChange={(e) => set('path', e.target.value)} />
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              const empty = {} as Draft;
              for (const k of FILTER_KEYS) empty[k] = '';
              setDraft(empty);
              setParams(new URLSearchParams());
            }}
          >
            Clear filters
          </button>
          <span className="muted" aria-live="polite">
            {events.isFetching ? 'Refreshing…' : `Showing ${rows.length} events · refreshes every 5 s`}
          </span>
        </div>
      </form>
      <ErrorMessage error={events.error} />
      {events.isPending ? (
        <p>Loading…</p>
      ) : (
        <DataTable
          caption="Events"
          data={rows}
          columns={columns}
          getRowId={(e) => e.id}
          rowSelection={selection}
          onRowSelectionChange={setSelection}
          empty="No events match."
        />
      )}
      {events.hasNextPage && (
        <button type="button" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
          Load more
        </button>
      )}
      {canReplay && (
      <BatchReplayPanel
        selectedIds={selectedIds}
        filter={{
          ...(filters.webhookId ? { webhookId: filters.webhookId } : {}),
          ...(filters.status ? { status: filters.status } : {}),
          ...(filters.from ? { from: filters.from } : {}),
          ...(filters.to ? { to: filters.to } : {}),
        }}
      />
      )}
    </section>
  );
}
