import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { JsonValue } from '../api/client';
import { eventTypeAPI } from '../api/eventTypes';
import { keys, useEventTypes } from '../lib/queries';
import { formatDate } from '../lib/format';
import { JsonEditor, jsonError } from '../components/JsonEditor';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';

const DEFAULT_SCHEMA = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {},
  "required": []
}`;

const NOT_ARRAY = 'Examples must be a JSON array.';

function arrayProblem(text: string): string | null {
  const err = jsonError(text);
  if (err) return err;
  return Array.isArray(JSON.parse(text)) ? null : NOT_ARRAY;
}

function CreateEventType() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [schema, setSchema] = useState(DEFAULT_SCHEMA);
  const [examples, setExamples] = useState('[]');
  const create = useMutation({
    mutationFn: () =>
      eventTypeAPI.create({
        name: name.trim(),
        description,
        schema: JSON.parse(schema) as JsonValue,
        examples: JSON.parse(examples) as JsonValue[],
      }),
    onSuccess: (t) => {
      void qc.invalidateQueries({ queryKey: keys.eventTypes });
      navigate(`/event-types/${encodeURIComponent(t.name)}`);
    },
  });
  const examplesProblem = arrayProblem(examples);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && !jsonError(schema) && !examplesProblem) create.mutate();
  };
  return (
    <details className="card">
      <summary>New event type</summary>
      <form onSubmit={submit} aria-label="New event type">
        <div className="grid">
          <label>
            Name
            <input value={name} required placeholder="order.created" onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Description
            <input value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
        </div>
        <JsonEditor label="JSON Schema" value={schema} onChange={setSchema} rows={10} />
        <JsonEditor label="Examples (JSON array)" value={examples} onChange={setExamples} rows={6} />
        {examplesProblem === NOT_ARRAY && <p className="error-text">{NOT_ARRAY}</p>}
        <button type="submit" className="primary" disabled={create.isPending}>
          Create event type
        </button>
        <ErrorMessage error={create.error} />
      </form>
    </details>
  );
}

export function EventTypesPage() {
  usePageTitle('Event types');
  const types = useEventTypes();
  return (
    <section>
      <div className="page-head">
        <h1>Event types</h1>
      </div>
      <ErrorMessage error={types.error} />
      {types.isPending ? (
        <p>Loading…</p>
      ) : (
        <table className="data">
          <caption className="sr-only">Event types</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Latest version</th>
              <th scope="col">Kind</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {(types.data?.eventTypes ?? []).map((t) => (
              <tr key={t.name}>
                <td>
                  <Link to={`/event-types/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                </td>
                <td>{t.description}</td>
                <td>v{t.version}{t.versions && t.versions > 1 ? ` (${t.versions} versions)` : ''}</td>
                <td>{t.core ? 'core' : 'custom'}</td>
                <td>{formatDate(t.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CreateEventType />
    </section>
  );
}
