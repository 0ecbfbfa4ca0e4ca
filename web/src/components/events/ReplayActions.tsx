import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { JsonValue } from '../../api/client';
import { eventAPI, type EventDetail, type ReplayRequest } from '../../api/events';
import { keys } from '../../lib/queries';
import { JsonEditor, jsonError } from '../JsonEditor';
import { ErrorMessage } from '../ErrorMessage';

function bodyText(body: JsonValue): string {
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
}

/** Replay as is, or with an edited payload. */
export function ReplayActions({ event }: { event: EventDetail }) {
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const [editing, setEditing] = useState(false);
  const textBody = typeof event.body === 'string';
  const [edited, setEdited] = useState(() => bodyText(event.body));
  const replay = useMutation({
    mutationFn: (req: ReplayRequest) => eventAPI.replay(event.id, req),
    onSuccess: () => {
      setEditing(false);
      void qc.invalidateQueries({ queryKey: keys.events });
    },
  });
  const base = (): ReplayRequest => (reason ? { reason } : {});
  const editProblem = textBody ? null : jsonError(edited);
  const rejected = event.status === 'rejected';

  return (
    <section className="card" aria-labelledby="replay-heading">
      <h2 id="replay-heading">Replay</h2>
      {rejected && <p className="hint">Rejected deliveries cannot be replayed.</p>}
      <label htmlFor="replay-reason">Reason</label>
      <input id="replay-reason" value={reason} placeholder="optional, kept in the audit trail" onChange={(e) => setReason(e.target.value)} />
      <div className="actions">
        <button type="button" className="primary" disabled={rejected || replay.isPending} onClick={() => replay.mutate(base())}>
          Replay
        </button>
        <button type="button" disabled={rejected} aria-expanded={editing} onClick={() => setEditing((x) => !x)}>
          Replay with edited payload
        </button>
      </div>
      {editing && (
        <div>
          <JsonEditor label="Edited payload" value={edited} onChange={setEdited} rows={14} requireJson={!textBody} />
          <button
            type="button"
            className="primary"
            disabled={editProblem !== null || replay.isPending}
            onClick={() => replay.mutate({ ...base(), body: textBody ? edited : (JSON.parse(edited) as JsonValue) })}
          >
            Send edited replay
          </button>
        </div>
      )}
      <ErrorMessage error={replay.error} prefix="Replay refused" />
      {replay.data && (
        <p role="status" className="ok-text">
          Replayed as <Link to={`/events/${replay.data.eventId}`}>{replay.data.eventId}</Link> (replay {replay.data.replayCount} of the original).
        </p>
      )}
    </section>
  );
}
