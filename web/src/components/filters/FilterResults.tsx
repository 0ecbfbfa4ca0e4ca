import { Link } from 'react-router';
import { rulePath, type FilterTestResponse, type RuleResult } from '../../api/filters';
import { shortId } from '../../lib/format';

/** Counts from 1 like the builder: "Rule 1", "Group 2 rule 1". */
export function ruleLabel(r: Pick<RuleResult, 'index' | 'groupIndex'>): string {
  return r.groupIndex < 0 ? `Rule ${r.index + 1}` : `Group ${r.groupIndex + 1} rule ${r.index + 1}`;
}

function RuleLine({ r }: { r: RuleResult }) {
  const state = r.skipped ? 'off' : r.matched ? '✓' : '✗';
  const cls = r.skipped ? 'badge-disabled' : r.matched ? 'badge-processed' : 'badge-failed';
  return (
    <li>
      <span className={`badge ${cls}`} aria-label={r.skipped ? 'disabled' : r.matched ? 'matched' : 'did not match'}>
        {state}
      </span>{' '}
      <strong title={rulePath(r)}>{ruleLabel(r)}</strong> <code>{r.rule.field}</code> {r.rule.operator}
      {r.rule.value !== undefined ? <code> {JSON.stringify(r.rule.value)}</code> : null}
      {r.values && r.values.length > 0 ? <span className="muted"> got {JSON.stringify(r.values)}</span> : null}
      {r.error ? <span className="error-text"> {r.error}</span> : null}
    </li>
  );
}

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
            <tr key={ev.eventId || `payload-${i}`}>
              <td>{ev.eventId ? <Link to={`/events/${ev.eventId}`}>{shortId(ev.eventId)}</Link> : 'payload'}</td>
              <td>
                <span className={`badge ${ev.matched ? 'badge-processed' : 'badge-filtered'}`}>{ev.matched ? 'passes' : 'filtered'}</span>
                {ev.reason ? <div className="muted">{ev.reason}</div> : null}
              </td>
              <td>
                {ev.rules.length === 0 ? (
                  <span className="muted">No rules: everything passes.</span>
                ) : (
                  <ul className="rule-results">
                    {ev.rules.map((r) => (
                      <RuleLine key={rulePath(r)} r={r} />
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
