import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { workflowAPI, type WorkflowStep } from '../api/workflows';
import { keys, useWorkflows } from '../lib/queries';
import { formatDate } from '../lib/format';
import { JsonEditor, jsonError } from '../components/JsonEditor';
import { ErrorMessage } from '../components/ErrorMessage';
import { usePageTitle } from '../lib/title';

const DEFAULT_STEPS = `[
  { "type": "log", "message": "received {{ .eventId }}" }
]`;

export function WorkflowsPage() {
  usePageTitle('Workflows');
  const qc = useQueryClient();
  const workflows = useWorkflows();
  const [name, setName] = useState('');
  const [steps, setSteps] = useState(DEFAULT_STEPS);
  const create = useMutation({
    mutationFn: () => workflowAPI.create({ name: name.trim(), steps: JSON.parse(steps) as WorkflowStep[] }),
    onSuccess: () => {
      setName('');
      void qc.invalidateQueries({ queryKey: keys.workflows });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && !jsonError(steps)) create.mutate();
  };
  return (
    <section>
      <div className="page-head">
        <h1>Workflows</h1>
      </div>
      <ErrorMessage error={workflows.error} />
      <table className="data">
        <caption className="sr-only">Workflows</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Steps</th>
            <th scope="col">Id</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(workflows.data?.workflows ?? []).map((w) => (
            <tr key={w.id}>
              <td>{w.name}</td>
              <td>{(w.steps ?? []).map((s) => s.type).join(' → ')}</td>
              <td className="mono">{w.id}</td>
              <td>{formatDate(w.createdAt)}</td>
            </tr>
          ))}
          {workflows.data?.workflows.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                No workflows yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <form className="card" onSubmit={submit} aria-label="New workflow">
        <h2>New workflow</h2>
        <label>
          Workflow name
          <input value={name} required onChange={(e) => setName(e.target.value)} />
        </label>
        <JsonEditor label="Steps (JSON array of http, delay and log steps)" value={steps} onChange={setSteps} rows={8} />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create workflow
        </button>
        <ErrorMessage error={create.error} />
      </form>
    </section>
  );
}
