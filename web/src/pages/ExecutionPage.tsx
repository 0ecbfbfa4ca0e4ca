import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { executionAPI } from '../api/executions';
import { keys } from '../lib/queries';
import { formatDate } from '../lib/format';
import { StatusBadge } from '../components/StatusBadge';
import { JsonView } from '../components/JsonView';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';

export function ExecutionPage() {
  const { id = '' } = useParams();
  usePageTitle(`Execution ${id}`);
  const exec = useQuery({
    queryKey: keys.execution(id),
    queryFn: () => executionAPI.get(id),
    refetchInterval: (q) => (q.state.data && ['completed', 'failed', 'cancelled'].includes(q.state.data.status) ? false : 2000),
  });
  if (exec.error) return <ErrorMessage error={exec.error} />;
  if (exec.isPending) return <p>Loading…</p>;
  const x = exec.data;
  return (
    <section>
      <div className="page-head">
        <h1>Execution {x.id}</h1>
        {x.eventId && <Link to={`/events/${x.eventId}`}>Triggering event</Link>}
      </div>
      <p>
        <StatusBadge status={x.status} /> started {formatDate(x.startedAt)}, finished {formatDate(x.finishedAt)}
      </p>
      {x.error && <p className="error-text">{x.error}</p>}
      <table className="data">
        <caption className="sr-only">Steps</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Step</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {(x.steps ?? []).map((s) => (
            <tr key={s.index}>
              <td>{s.index + 1}</td>
              <td>
                {s.name ?? s.type} <span className="muted">({s.type})</span>
              </td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td>{s.attempts.length}</td>
              <td className="error-text">{s.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {x.triggerData !== undefined && (
        <>
          <h2>Trigger data</h2>
          <JsonView value={x.triggerData} label="Trigger data" />
        </>
      )}
    </section>
  );
}
