import { Link } from 'react-router';
import type { FilterTestResponse } from '../../api/filters';
import { formatDate, shortId } from '../../lib/format';

/** Per-event, per-rule outcome of POST /webhooks/{id}/filters/test. */
export function FilterResults({ result }: { result: FilterTestResponse }) {
  if (result.results.length === 0) return <p className="muted">No events to test against yet.</p>;
  const passed = result.results.filter((r) => r.matched).length;
  return (
    <div>
      <p role="status">
        {passed} of {result.results.length} {result.results.length === 1 ? 'event passes' : 'events pass'} the rule set.
      </p>
      <table className="data">
        <caption className="sr-only">Filter test results</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Result</th>
            <th scope="col">Rules</th>
          </tr>
        </thead>
        <tbody>
          {result.results.map((ev, i) => (
            <tr key={ev.eventId ?? `payload-${i}`}>
              <td>
                {ev.eventId ? <Link to={`/events/${ev.eventId}`}>{shortId(ev.eventId)}</Link> : 'payload'}
                {ev.createdAt ? <div className="muted">{formatDate(ev.createdAt)}</div> : null}
              </td>
              <td>
                <span className={`badge ${ev.matched ? 'badge-processed' : 'badge-filtered'}`}>{ev.matched ? 'passes' : 'filtered'}</span>
                {ev.reason ? <div className="muted">{ev.reason}</div> : null}
              </td>
              <td>
                <ul className="rule-results">
                  {ev.rules.map((r) => (
                    <li key={r.path}>
                      <span className={`badge ${!r.enabled ? 'badge-disabled' : r.matched ? 'badge-processed' : 'badge-failed'}`}>
                        {!r.enabled ? 'off' : r.matched ? '✓' : '✗'}
                      </span>{' '}
                      <code>{r.path}</code> <code>{r.field}</code> {r.operator}
                      {r.values && r.values.length > 0 ? <span className="muted"> got {JSON.stringify(r.values)}</span> : null}
                      {r.error ? <span className="error-text"> {r.error}</span> : null}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
