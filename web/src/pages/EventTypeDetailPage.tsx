import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { JsonValue } from '../api/client';
import { eventTypeAPI, type EventTypeVersion } from '../api/eventTypes';
import { keys } from '../lib/queries';
import { formatDate, prettyJson } from '../lib/format';
import { JsonView } from '../components/JsonView';
import { JsonEditor, jsonError } from '../components/JsonEditor';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';

function ValidatePanel({ name, version }: { name: string; version: EventTypeVersion }) {
  const [payload, setPayload] = useState(() => (version.examples[0] !== undefined ? prettyJson(version.examples[0]) : '{}'));
  const validate = useMutation({ mutationFn: () => eventTypeAPI.validate(name, JSON.parse(payload) as JsonValue, version.version) });
  return (
    <section className="card" aria-labelledby="validate-heading">
      <h2 id="validate-heading">Validate a payload against v{version.version}</h2>
      <JsonEditor label="Payload to validate" value={payload} onChange={setPayload} rows={10} />
      <button type="button" className="primary" disabled={jsonError(payload) !== null || validate.isPending} onClick={() => validate.mutate()}>
        Validate
      </button>
      <ErrorMessage error={validate.error} />
      {validate.data && (
        <div role="status">
          {validate.data.valid ? (
            <p className="ok-text">Valid.</p>
          ) : (
            <>
              <p className="error-text">Invalid:</p>
              <ul>
                {validate.data.errors.map((e, i) => (
                  <li key={i}>
                    <code>{e.instancePath || '/'}</code> {e.message} <span className="muted">({e.keyword})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}

function AddVersion({ name, latest }: { name: string; latest: EventTypeVersion }) {
  const qc = useQueryClient();
  const [schema, setSchema] = useState(() => prettyJson(latest.schema));
  const [examples, setExamples] = useState(() => prettyJson(latest.examples));
  const [breaking, setBreaking] = useState(false);
  const add = useMutation({
    mutationFn: () =>
      eventTypeAPI.addVersion(name, { schema: JSON.parse(schema) as JsonValue, examples: JSON.parse(examples) as JsonValue[], breaking }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.eventType(name) });
      void qc.invalidateQueries({ queryKey: keys.eventTypes });
    },
  });
  return (
    <details className="card">
      <summary>Add version {latest.version + 1}</summary>
      <JsonEditor label="New schema" value={schema} onChange={setSchema} rows={12} />
      <JsonEditor label="New examples (JSON array)" value={examples} onChange={setExamples} rows={6} />
      <label className="checkbox">
        <input type="checkbox" checked={breaking} onChange={(e) => setBreaking(e.target.checked)} />
        Breaking change (allow a version that is not backward compatible)
      </label>
      <button type="button" className="primary" disabled={jsonError(schema) !== null || jsonError(examples) !== null || add.isPending} onClick={() => add.mutate()}>
        Add version
      </button>
      <ErrorMessage error={add.error} />
      {add.data && (
        <p role="status" className="ok-text">
          Version {add.data.version} added.
        </p>
      )}
    </details>
  );
}

export function EventTypeDetailPage() {
  const { name = '' } = useParams();
  usePageTitle(`Event type ${name}`);
  const detail = useQuery({ queryKey: keys.eventType(name), queryFn: () => eventTypeAPI.get(name) });
  const [picked, setPicked] = useState<number | null>(null);
  if (detail.error) return <ErrorMessage error={detail.error} />;
  if (detail.isPending) return <p>Loading…</p>;
  const versions = [...detail.data.versions].sort((a, b) => a.version - b.version);
  const latest = versions[versions.length - 1];
  const current = versions.find((v) => v.version === picked) ?? latest;
  if (!current || !latest) return <p>This event type has no versions.</p>;
  return (
    <section>
      <div className="page-head">
        <h1>{name}</h1>
        <Link to="/event-types">Back to event types</Link>
      </div>
      <p>{current.description}</p>
      <label className="narrow">
        Version
        <select value={current.version} onChange={(e) => setPicked(Number(e.target.value))}>
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version} · {formatDate(v.createdAt)}
            </option>
          ))}
        </select>
      </label>
      <div className="two-col">
        <section aria-labelledby="schema-heading">
          <h2 id="schema-heading">Schema</h2>
          <JsonView value={current.schema} label="Schema" />
        </section>
        <section aria-labelledby="examples-heading">
          <h2 id="examples-heading">Examples</h2>
          {current.examples.length === 0 && <p className="muted">No examples.</p>}
          {current.examples.map((ex, i) => (
            <JsonView key={i} value={ex} label={`Example ${i + 1}`} />
          ))}
        </section>
      </div>
      <ValidatePanel key={current.version} name={name} version={current} />
      {!detail.data.core && <AddVersion key={latest.version} name={name} latest={latest} />}
    </section>
  );
}
