import { Link } from 'react-router';
import type { TestResponse } from '../api/webhooks';
import { JsonView } from './JsonView';
import { HeaderTable } from './HeaderTable';

export function TestResponseView({ res }: { res: TestResponse }) {
  const ok = res.status >= 200 && res.status < 300;
  return (
    <section aria-labelledby="response-heading" className="card">
      <h2 id="response-heading">Response</h2>
      <p>
        <span className={`status-code ${ok ? 'ok-text' : 'error-text'}`} data-testid="response-status" aria-label={`Status ${res.status}`}>
          {res.status}
        </span>{' '}
        <span className="muted">in {Math.round(res.durationMs * 10) / 10} ms</span>
        {res.eventId && (
          <>
            {' '}
            · event <Link to={`/events/${res.eventId}`}>{res.eventId}</Link>
          </>
        )}
      </p>
      <h3>Response headers</h3>
      <HeaderTable caption="Response headers" values={res.headers ?? {}} />
      <h3>Response body</h3>
      <JsonView value={res.body ?? ''} label="Response body" />
    </section>
  );
}
