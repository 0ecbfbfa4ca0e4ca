import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../../api/client';
import { bridgeAPI } from '../../api/bridge';
import { slaAPI } from '../../api/sla';
import { formatDate } from '../../lib/format';
import { ErrorMessage } from '../ErrorMessage';

const missing = (e: unknown) => e instanceof ApiError && e.status === 404;

/** SQS bridge status (GET /api/v1/bridge); a server without the bridge answers 404. */
export function BridgePanel() {
  const q = useQuery({ queryKey: ['bridge'], queryFn: () => bridgeAPI.get(), retry: false, refetchInterval: (s) => (s.state.error ? false : 10_000) });
  const b = q.data;
  return (
    <section className="card" aria-labelledby="bridge-heading">
      <h2 id="bridge-heading">SQS bridge</h2>
      {missing(q.error) ? (
        <p className="muted">This server has no SQS bridge.</p>
      ) : (
        <ErrorMessage error={q.error} />
      )}
      {b && (
        <dl className="facts">
          <dt>Mode</dt>
          <dd>
            {b.enabled ? b.mode : 'off'}
            {b.reason ? ` — ${b.reason}` : ''}
          </dd>
          <dt>Outbound</dt>
          <dd>
            {b.outbound.sent} sent, {b.outbound.failed} failed, {b.outbound.inFlight} in flight, backlog {b.outbound.backlog}; last success{' '}
            {formatDate(b.outbound.lastSuccessAt)}
            {b.outbound.lastError ? <span className="error-text"> · {b.outbound.lastError}</span> : null}
          </dd>
          <dt>Queues</dt>
          <dd>{b.outbound.queues.length ? b.outbound.queues.map((x) => `${x.priority ?? 'all'}: ${x.url}${x.fifo ? ' (FIFO)' : ''}`).join(', ') : '—'}</dd>
          <dt>Inbound</dt>
          <dd>
            {b.inbound.queueUrl ?? 'off'} · {b.inbound.received} received, {b.inbound.appended} appended, {b.inbound.invalid} invalid
            {b.inbound.lastError ? <span className="error-text"> · {b.inbound.lastError}</span> : null}
          </dd>
        </dl>
      )}
    </section>
  );
}

/** SLA per priority (GET /api/v1/sla); a server without the runner answers 404. */
export function SlaPanel() {
  const q = useQuery({ queryKey: ['sla'], queryFn: () => slaAPI.get(), retry: false, refetchInterval: (s) => (s.state.error ? false : 15_000) });
  return (
    <section className="card" aria-labelledby="sla-heading">
      <h2 id="sla-heading">SLA per priority</h2>
      {missing(q.error) ? <p className="muted">This server does not run workflows yet: no SLA to report.</p> : <ErrorMessage error={q.error} />}
      {q.data && (
        <table className="data">
          <caption className="sr-only">SLA per priority</caption>
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">Target</th>
              <th scope="col">Started (1 h)</th>
              <th scope="col">p50 / p95 / p99 (1 h)</th>
              <th scope="col">Breaches 1 h / 24 h</th>
            </tr>
          </thead>
          <tbody>
            {q.data.priorities.map((p) => (
              <tr key={p.priority}>
                <td data-label="Priority">{p.name}</td>
                <td data-label="Target">{p.targetMs} ms</td>
                <td data-label="Started (1 h)">{p.hour.started}</td>
                <td data-label="p50 / p95 / p99 (1 h)">
                  {p.hour.p50Ms ?? '—'} / {p.hour.p95Ms ?? '—'} / {p.hour.p99Ms ?? '—'} ms
                </td>
                <td data-label="Breaches 1 h / 24 h" className={p.hour.breaches > 0 ? 'error-text' : undefined}>
                  {p.hour.breaches} / {p.day.breaches}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
