import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { webhookAPI, type HttpMethod, type TestRequest, type Webhook } from '../api/webhooks';
import { eventTypeAPI } from '../api/eventTypes';
import { keys } from '../lib/queries';
import { formatDate, prettyJson, shortId } from '../lib/format';
import { ALL_METHODS } from '../lib/webhookForm';
import { WebhookSubnav } from '../components/WebhookSubnav';
import { JsonEditor, jsonError } from '../components/JsonEditor';
import { HeadersEditor, headerRow, headersToRows, rowsToHeaders, type HeaderRow } from '../components/HeadersEditor';
import { TestResponseView } from '../components/TestResponseView';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';
import { recallExample } from '../lib/presets';

export function TestConsolePage() {
  const { id = '' } = useParams();
  usePageTitle('Test console');
  const webhook = useQuery({ queryKey: keys.webhook(id), queryFn: () => webhookAPI.get(id) });
  if (webhook.error) return <ErrorMessage error={webhook.error} />;
  if (webhook.isPending) return <p>Loading…</p>;
  return <TestConsole webhook={webhook.data} />;
}

function Templates({ webhook, onPick }: { webhook: Webhook; onPick: (body: string) => void }) {
  const eventType = webhook.eventType;
  const detail = useQuery({
    queryKey: keys.eventType(eventType ?? ''),
    queryFn: () => eventTypeAPI.get(eventType ?? ''),
    enabled: Boolean(eventType),
  });
  const examples = useMemo(() => {
    const versions = detail.data?.versions ?? [];
    const v = webhook.eventTypeVersion ? versions.find((x) => x.version === webhook.eventTypeVersion) : versions[versions.length - 1];
    return v?.examples ?? [];
  }, [detail.data, webhook.eventTypeVersion]);
  if (!eventType) return <p className="hint">Pick an event type on the webhook to get templates from its examples.</p>;
  return (
    <label>
      Template
      <select
        value=""
        onChange={(e) => {
          const ex = examples[Number(e.target.value)];
          if (ex !== undefined) onPick(prettyJson(ex));
        }}
      >
        <option value="">{examples.length ? `Choose an example of ${eventType}` : `${eventType} has no examples`}</option>
        {examples.map((ex, i) => (
          <option key={i} value={i}>
            Example {i + 1}
            {typeof ex === 'object' && ex !== null && !Array.isArray(ex) && typeof ex.type === 'string' ? `: ${ex.type}` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

function TestConsole({ webhook }: { webhook: Webhook }) {
  const qc = useQueryClient();
  const name = webhook.name || webhook.path;
  const [method, setMethod] = useState<HttpMethod>(webhook.methods?.[0] ?? 'POST');
  const [example] = useState(() => recallExample(webhook.id));
  const [rows, setRows] = useState<HeaderRow[]>(() =>
    example ? Object.entries(example.headers).map(([k, v]) => headerRow(k, v)) : [headerRow('Content-Type', 'application/json')],
  );
  const [body, setBody] = useState(() => (example ? JSON.stringify(example.body, null, 2) : '{\n  "hello": "world"\n}'));
  const [sign, setSign] = useState(webhook.authType === 'signature');
  const [dryRun, setDryRun] = useState(false);
  const tests = useQuery({ queryKey: keys.webhookTests(webhook.id), queryFn: () => webhookAPI.listTests(webhook.id) });

  const contentType = rows.find((r) => r.name.toLowerCase() === 'content-type')?.value ?? '';
  const isJson = contentType.includes('json') || contentType === '';
  const send = useMutation({
    mutationFn: (req: TestRequest) => webhookAPI.test(webhook.id, req),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.webhookTests(webhook.id) }),
  });
  const bodyProblem = isJson && method !== 'GET' ? jsonError(body, true) : null;

  return (
    <section>
      <div className="page-head">
        <h1>Test console: {name}</h1>
      </div>
      <WebhookSubnav id={webhook.id} name={name} />
      <p className="hint">
        Runs the real ingest path in-process for <code>{webhook.url}</code>. Unless dry run is on, an accepted test is stored as an event marked as a test.
      </p>
      <form
        aria-label="Test request"
        onSubmit={(e) => {
          e.preventDefault();
          if (!bodyProblem) send.mutate({ method, headers: rowsToHeaders(rows), body, sign, dryRun });
        }}
      >
        <div className="grid">
          <label>
            HTTP method
            <select value={method} onChange={(e) => setMethod(e.target.value as HttpMethod)}>
              {ALL_METHODS.map((m) => (
                <option key={m} value={m} disabled={!webhook.methods?.includes(m)}>
                  {m}
                  {webhook.methods?.includes(m) ? '' : ' (not allowed)'}
                </option>
              ))}
            </select>
          </label>
          <Templates webhook={webhook} onPick={setBody} />
        </div>
        <HeadersEditor rows={rows} onChange={setRows} />
        <JsonEditor label="Request body" value={body} onChange={setBody} rows={14} requireJson={isJson} allowEmpty />
        <div className="actions">
          <label className="checkbox">
            <input type="checkbox" checked={sign} onChange={(e) => setSign(e.target.checked)} disabled={webhook.authType !== 'signature'} />
            Sign with this webhook's secret
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
            Dry run (store nothing)
          </label>
          <button type="submit" className="primary" disabled={send.isPending || bodyProblem !== null}>
            {send.isPending ? 'Sending…' : 'Send'}
          </button>
        </div>
      </form>
      <ErrorMessage error={send.error} prefix="The test could not run" />
      {send.data && <TestResponseView res={send.data} />}

      <section aria-labelledby="tests-heading">
        <h2 id="tests-heading">Last 10 tests</h2>
        <ErrorMessage error={tests.error} />
        {tests.data && tests.data.tests.length === 0 && <p className="muted">No tests yet.</p>}
        {tests.data && tests.data.tests.length > 0 && (
          <table className="data">
            <caption className="sr-only">Last 10 tests</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Method</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Event</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tests.data.tests.slice(0, 10).map((t, i) => (
                <tr key={t.id ?? i}>
                  <td>{formatDate(t.at)}</td>
                  <td>{t.request.method}</td>
                  <td>{t.status}</td>
                  <td>{Math.round(t.durationMs * 10) / 10} ms</td>
                  <td>{t.eventId ? <Link to={`/events/${t.eventId}`}>{shortId(t.eventId)}</Link> : '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="small"
                      aria-label={`Load test ${i + 1} into the editor`}
                      onClick={() => {
                        setMethod(t.request.method);
                        setRows(headersToRows(t.request.headers ?? {}));
                        const b = t.request.body;
                        setBody(b === undefined || b === null ? '' : typeof b === 'string' ? b : prettyJson(b));
                        setSign(t.request.sign ?? false);
                        setDryRun(t.request.dryRun ?? false);
                      }}
                    >
                      Load
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </section>
  );
}
