import { useState } from 'react';
import { useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { filterAPI, type FilterTestRequest, type RuleSet, type SavedRuleSet } from '../api/filters';
import { webhookAPI, type Webhook } from '../api/webhooks';
import type { JsonValue } from '../api/client';
import { keys } from '../lib/queries';
import { builderProblems, fromBuilder, normalizeRuleSet, parseRuleSet, prettyRuleSet, toBuilder, type BuilderState } from '../lib/ruleset';
import { RuleBuilder } from '../components/filters/RuleBuilder';
import { FilterResults } from '../components/filters/FilterResults';
import { WebhookSubnav } from '../components/WebhookSubnav';
import { JsonEditor, jsonError } from '../components/JsonEditor';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';
import { useCan } from '../lib/role';

export function FilterBuilderPage() {
  const { id = '' } = useParams();
  usePageTitle('Filters');
  const webhook = useQuery({ queryKey: keys.webhook(id), queryFn: () => webhookAPI.get(id) });
  const filters = useQuery({ queryKey: keys.filters(id), queryFn: () => filterAPI.get(id) });
  if (webhook.error || filters.error) return <ErrorMessage error={webhook.error ?? filters.error} />;
  if (webhook.isPending || filters.isPending) return <p>Loading…</p>;
  return <FilterEditor webhook={webhook.data} saved={filters.data} />;
}

function FilterEditor({ webhook, saved }: { webhook: Webhook; saved: SavedRuleSet }) {
  const isAdmin = useCan('admin');
  const qc = useQueryClient();
  const initial: RuleSet = normalizeRuleSet(saved);
  const [builder, setBuilder] = useState<BuilderState>(() => toBuilder(initial));
  const [jsonText, setJsonText] = useState(() => prettyRuleSet(initial));
  const [jsonProblem, setJsonProblem] = useState<string | null>(null);
  const [payload, setPayload] = useState('{\n  \n}');
  const [savedNote, setSavedNote] = useState(false);
  const name = webhook.name || webhook.path;

  const onBuilderChange = (s: BuilderState) => {
    setBuilder(s);
    setJsonText(prettyRuleSet(fromBuilder(s)));
    setJsonProblem(null);
    setSavedNote(false);
  };
  const onJsonChange = (text: string) => {
    setJsonText(text);
    setSavedNote(false);
    try {
      setBuilder(toBuilder(parseRuleSet(text)));
      setJsonProblem(null);
    } catch (e) {
      setJsonProblem(e instanceof Error ? e.message : String(e));
    }
  };

  const problems = jsonProblem ? [jsonProblem] : builderProblems(builder);
  const current = (): RuleSet => fromBuilder(builder);

  const save = useMutation({
    mutationFn: () => filterAPI.put(webhook.id, current()),
    onSuccess: (rs) => {
      qc.setQueryData(keys.filters(webhook.id), rs);
      setSavedNote(true);
    },
  });
  const test = useMutation({ mutationFn: (req: FilterTestRequest) => filterAPI.test(webhook.id, req) });

  return (
    <section>
      <div className="page-head">
        <h1>Filters: {name}</h1>
      </div>
      <WebhookSubnav id={webhook.id} name={name} />
      <p className="hint">
        Events that do not pass are recorded as <em>filtered</em> and trigger nothing. Fields are JSONPath into the body (<code>$.data.status</code>) or{' '}
        <code>headers.Name</code>, <code>query.name</code>, <code>metadata.key</code>.
      </p>
      <div className="two-col">
        <section aria-labelledby="builder-heading" className="card">
          <h2 id="builder-heading">Rule builder</h2>
          <RuleBuilder state={builder} onChange={onBuilderChange} />
        </section>
        <section aria-labelledby="json-heading" className="card">
          <h2 id="json-heading">JSON</h2>
          <JsonEditor label="Rule set JSON" value={jsonText} onChange={onJsonChange} rows={22} />
          {jsonProblem && !jsonError(jsonText) && (
            <p role="alert" className="error-text">
              {jsonProblem}
            </p>
          )}
        </section>
      </div>
      {problems.length > 0 && !jsonProblem && (
        <ul className="error-text" aria-label="Rule problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div className="actions">
        {isAdmin && (
          <button type="button" className="primary" disabled={problems.length > 0 || save.isPending} onClick={() => save.mutate()}>
            Save filters
          </button>
        )}
        <button type="button" disabled={problems.length > 0 || test.isPending} onClick={() => test.mutate({ ruleSet: current(), lastN: 20 })}>
          Test against the last 20 events
        </button>
        {savedNote && (
          <span role="status" className="ok-text">
            Filters saved.
          </span>
        )}
      </div>
      <ErrorMessage error={save.error} prefix="Could not save" />
      <details className="card">
        <summary>Test against a payload</summary>
        <JsonEditor label="Test payload" value={payload} onChange={setPayload} rows={8} />
        <button
          type="button"
          disabled={problems.length > 0 || jsonError(payload) !== null || test.isPending}
          onClick={() => test.mutate({ ruleSet: current(), payload: JSON.parse(payload) as JsonValue })}
        >
          Test payload
        </button>
      </details>
      <ErrorMessage error={test.error} prefix="Test failed" />
      {test.data && (
        <section aria-labelledby="results-heading">
          <h2 id="results-heading">Test results</h2>
          <FilterResults result={test.data} />
        </section>
      )}
    </section>
  );
}
