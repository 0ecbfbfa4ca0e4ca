import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { settingsAPI } from '../../api/settings';
import type { Webhook } from '../../api/webhooks';
import { ConfirmDialog } from '../ConfirmDialog';
import type { JsonValue } from '../../api/client';
import { eventAPI, type EventDetail, type ReplayRequest } from '../../api/events';
import { keys } from '../../lib/queries';
import { JsonEditor, jsonError } from '../JsonEditor';
import { ErrorMessage } from '../ErrorMessage';

function bodyText(body: JsonValue): string {
  return typeof body === 'string' ? body : JSON.stringify(body, null, 2);
}

/**
 * Replay as is, or with an edited payload. Shows how many of the tenant's allowed replays of the
 * original are used ("n of max used", counting the chain and this page's own replays, whichever the
 * projections have caught up with), disables replay at the limit, and asks before replaying into a
 * webhook that triggers a workflow (the workflow runs again for real).
 */
export function ReplayActions({ event, webhook, canReplay }: { event: EventDetail; webhook?: Webhook | undefined; canReplay: boolean }) {
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const [pending, setPending] = useState<ReplayRequest | null>(null);
  const limits = useQuery({ queryKey: keys.replaySettings, queryFn: () => settingsAPI.getReplays() });
  const inChain = Boolean(event.replayOf) || (event.replays?.length ?? 0) > 0;
  const audit = useQuery({
    queryKey: [...keys.event(event.id), 'replays'],
    queryFn: () => eventAPI.replays(event.id),
    enabled: inChain,
    refetchInterval: 5000,
  });
  const [editing, setEditing] = useState(false);
  const textBody = typeof event.body === 'string';
  const [edited, setEdited] = useState(() => bodyText(event.body));
  const replay = useMutation({
    mutationFn: (req: ReplayRequest) => eventAPI.replay(event.id, req),
    onSuccess: () => {
      setEditing(false);
      setPending(null);
      void qc.invalidateQueries({ queryKey: keys.events });
    },
  });
  const max = limits.data?.maxReplays;
  const used = Math.max(
    replay.data?.replayCount ?? 0,
    audit.data?.replays.length ?? 0,
    event.replayOf ? 0 : (event.replays?.length ?? 0),
  );
  const atLimit = max !== undefined && used >= max;
  const live = Boolean(webhook?.workflowId);
  /** Asks first when the replay would run a live workflow. */
  const start = (req: ReplayRequest) => (live ? setPending(req) : replay.mutate(req));
  const base = (): ReplayRequest => (reason ? { reason } : {});
  const editProblem = textBody ? null : jsonError(edited);
  const rejected = event.status === 'rejected';
  const blocked = rejected || atLimit || !canReplay;

  return (
    <section className="card" aria-labelledby="replay-heading">
      <h2 id="replay-heading">Replay</h2>
      {max !== undefined && (
        <p className="usage" aria-label="Replays used">
          {used} of {max} replays used{atLimit ? ' — the limit is reached; raise it in Settings.' : ''}
        </p>
      )}
      {rejected && <p className="hint">Rejected deliveries cannot be replayed.</p>}
      {!canReplay && <p className="hint">Replaying needs an analyst or admin token.</p>}
      {live && <p className="hint">This webhook triggers a workflow: a replay runs it again.</p>}
      {canReplay && (
        <>
      <label htmlFor="replay-reason">Reason</label>
      <input id="replay-reason" value={reason} placeholder="optional, kept in the audit trail" onChange={(e) => setReason(e.target.value)} />
      <div className="actions">
        <button type="button" className="primary" disabled={blocked || replay.isPending} onClick={() => start(base())}>
          Replay
        </button>
        <button type="button" disabled={blocked} aria-expanded={editing} onClick={() => setEditing((x) => !x)}>
          Replay with edited payload
        </button>
      </div>
      {editing && (
        <div>
          <JsonEditor label="Edited payload" value={edited} onChange={setEdited} rows={14} requireJson={!textBody} />
          <button
            type="button"
            className="primary"
            disabled={editProblem !== null || replay.isPending || blocked}
            onClick={() => start({ ...base(), body: textBody ? edited : (JSON.parse(edited) as JsonValue) })}
          >
            Send edited replay
          </button>
        </div>
      )}
        </>
      )}
      <ErrorMessage error={replay.error} prefix="Replay refused" />
      {replay.data && (
        <p role="status" className="ok-text">
          Replayed as <Link to={`/events/${replay.data.eventId}`}>{replay.data.eventId}</Link> (replay {replay.data.replayCount}
          {max !== undefined ? ` of ${max}` : ''} of the original).
        </p>
      )}
      {pending && (
        <ConfirmDialog
          title="Replay into a live workflow?"
          confirmLabel="Replay and run the workflow"
          busy={replay.isPending}
          onCancel={() => setPending(null)}
          onConfirm={() => replay.mutate(pending)}
        >
          <p>The workflow of this webhook runs again with {pending.body !== undefined ? 'the edited' : 'the original'} payload; its steps call their destinations for real.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
