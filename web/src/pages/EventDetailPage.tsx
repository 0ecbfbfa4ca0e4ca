import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { eventAPI } from '../api/events';
import { keys, useAllWebhooks } from '../lib/queries';
import { formatDate } from '../lib/format';
import { StatusBadge } from '../components/StatusBadge';
import { HeaderTable } from '../components/HeaderTable';
import { JsonView } from '../components/JsonView';
import { ErrorMessage } from '../components/ErrorMessage';
import { ReplayChain } from '../components/events/ReplayChain';
import { ReplayActions } from '../components/events/ReplayActions';
import { useCan } from '../lib/role';
import { CopyButton } from '../components/CopyButton';
import { ReplayDiff } from '../components/events/ReplayDiff';
import { curlCommand, eventTypeOf } from '../lib/eventType';
import { usePageTitle } from '../lib/title';
import { usePollUnlessLive } from '../lib/feed';
import type { EventDetail } from '../api/events';

/** The Content-Type header when the delivery log has none (rejected deliveries). */
export function contentTypeOf(e: Pick<EventDetail, 'contentType' | 'headers'>): string {
  if (e.contentType) return e.contentType;
  for (const [name, values] of Object.entries(e.headers ?? {})) {
    if (name.toLowerCase() === 'content-type') return (Array.isArray(values) ? values[0] : String(values)) ?? '';
  }
  return '';
}

export function EventDetailPage() {
  const { id = '' } = useParams();
  const poll = usePollUnlessLive(5000);
  // Re-read every 5 s so new replays and the processing outcome show up.
  const event = useQuery({ queryKey: keys.event(id), queryFn: () => eventAPI.get(id), refetchInterval: poll });
  const webhooks = useAllWebhooks();
  const canReplay = useCan('analyst');
  usePageTitle(`Event ${id}`);
  if (event.error) return <ErrorMessage error={event.error} />;
  if (event.isPending) return <p>Loading…</p>;
  const e = event.data;
  const webhook = webhooks.data?.webhooks.find((w) => w.id === e.webhookId);

  return (
    <section>
      <div className="page-head">
        <h1>Event {e.id}</h1>
        <Link to="/events">Back to history</Link>
      </div>
      <div className="card">
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={e.status} />
            {e.test ? <span className="badge badge-disabled">test</span> : null}
          </dd>
          <dt>Webhook</dt>
          <dd>
            <Link to={`/webhooks/${e.webhookId}`}>{e.webhookName ?? webhook?.name ?? e.webhookId}</Link>
          </dd>
          <dt>Received</dt>
          <dd>{formatDate(e.createdAt)}</dd>
          <dt>Method</dt>
          <dd>{e.method}</dd>
          <dt>Content type</dt>
          <dd>{contentTypeOf(e) || '—'}</dd>
          <dt>Delivery id</dt>
          <dd className="mono">{e.deliveryId || '—'}</dd>
          <dt>Duplicates</dt>
          <dd>{e.duplicateCount || 0}</dd>
          <dt>Response status</dt>
          <dd>{e.responseStatus || '—'}</dd>
          <dt>Processing time</dt>
          <dd>{typeof e.processingTimeMs === 'number' ? `${Math.round(e.processingTimeMs * 10) / 10} ms` : '—'}</dd>
          <dt>Execution</dt>
          <dd>{e.executionId ? <Link to={`/executions/${e.executionId}`}>{e.executionId}</Link> : '—'}</dd>
          {e.filteredReason && (
            <>
              <dt>Filtered because</dt>
              <dd>{e.filteredReason}</dd>
            </>
          )}
          {e.errorMessage && (
            <>
              <dt>Error</dt>
              <dd className="error-text">{e.errorMessage}</dd>
            </>
          )}
        </dl>
      </div>
      <section aria-labelledby="headers-heading">
        <h2 id="headers-heading">Request headers</h2>
        <HeaderTable caption="Request headers" values={e.headers ?? {}} />
      </section>
      {e.query && Object.keys(e.query).length > 0 && (
        <section aria-labelledby="query-heading">
          <h2 id="query-heading">Query parameters</h2>
          <HeaderTable caption="Query parameters" values={e.query} />
        </section>
      )}
      <section aria-labelledby="body-heading">
        <h2 id="body-heading">Body</h2>
        {e.bodyEncoding === 'base64' && <p className="hint">Binary body, shown as base64.</p>}
        {e.truncated && <p className="hint">Truncated to 4 KiB.</p>}
        <div className="actions">
          <CopyButton text={typeof e.body === 'string' ? e.body : JSON.stringify(e.body, null, 2)} label="Copy payload">
            Copy payload
          </CopyButton>
          {webhook && (
            <CopyButton text={curlCommand(webhook.url, e.method, e.headers, e.body)} label="Copy as cURL">
              Copy as cURL
            </CopyButton>
          )}
          {eventTypeOf(e.headers, e.body) && (
            <span className="muted">
              Event type <code>{eventTypeOf(e.headers, e.body)}</code>
            </span>
          )}
        </div>
        <JsonView value={e.body} label="Request body" />
      </section>
      <ReplayDiff event={e} />
      <section aria-labelledby="metadata-heading">
        <h2 id="metadata-heading">Metadata</h2>
        <JsonView value={e.metadata ?? {}} label="Metadata" />
      </section>
      <section aria-labelledby="chain-heading">
        <h2 id="chain-heading">Replay chain</h2>
        <ReplayChain event={e} />
      </section>
      <ReplayActions key={e.id} event={e} webhook={webhook} canReplay={canReplay} />
    </section>
  );
}
