import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { eventAPI, type BatchReplayFilter, type BatchReplayTarget } from '../../api/events';
import { ReplayJobProgress } from './ReplayJobProgress';
import { ErrorMessage } from '../ErrorMessage';

interface Props {
  selectedIds: string[];
  filter: BatchReplayFilter;
}

/** Replays the selected events, or all events matching the filter, as a rate-limited job. */
export function BatchReplayPanel({ selectedIds, filter }: Props) {
  const [scope, setScope] = useState<'selection' | 'filter'>('selection');
  const [rate, setRate] = useState('10');
  const [reason, setReason] = useState('');
  const [jobIds, setJobIds] = useState<string[]>([]);
  const useSelection = scope === 'selection';
  const target = (): BatchReplayTarget => (useSelection ? { ids: selectedIds } : { filter });
  const ratePerSec = Math.max(1, Number(rate) || 10);

  const preview = useMutation({ mutationFn: () => eventAPI.batchReplay(target(), { dryRun: true, ratePerSec }) });
  const start = useMutation({
    mutationFn: () => eventAPI.batchReplay(target(), { dryRun: false, ratePerSec, ...(reason ? { reason } : {}) }),
    onSuccess: (res) => {
      const jobId = res.jobId;
      if (jobId) setJobIds((ids) => [jobId, ...ids]);
    },
  });
  const disabled = useSelection && selectedIds.length === 0;

  return (
    <section className="card" aria-labelledby="batch-heading">
      <h2 id="batch-heading">Batch replay</h2>
      <fieldset className="inline">
        <legend>Replay</legend>
        <label className="checkbox">
          <input type="radio" name="batch-scope" checked={useSelection} onChange={() => setScope('selection')} />
          Selected events ({selectedIds.length})
        </label>
        <label className="checkbox">
          <input type="radio" name="batch-scope" checked={!useSelection} onChange={() => setScope('filter')} />
          All events matching the filters (webhook, status, date range)
        </label>
      </fieldset>
      <div className="grid">
        <label>
          Rate (events per second)
          <input type="number" min={1} value={rate} onChange={(e) => setRate(e.target.value)} />
        </label>
        <label>
          Reason
          <input value={reason} placeholder="optional, kept in the audit trail" onChange={(e) => setReason(e.target.value)} />
        </label>
      </div>
      <div className="actions">
        <button type="button" disabled={disabled || preview.isPending} onClick={() => preview.mutate()}>
          Count matching (dry run)
        </button>
        <button type="button" className="primary" disabled={disabled || start.isPending} onClick={() => start.mutate()}>
          Start batch replay
        </button>
        {preview.data && <span role="status">{preview.data.matched} events would be replayed.</span>}
      </div>
      <ErrorMessage error={preview.error ?? start.error} />
      {jobIds.map((id) => (
        <ReplayJobProgress key={id} jobId={id} />
      ))}
      {jobIds.length > 0 && (
        <p className="hint">
          Jobs keep running when you leave this page: follow them on <Link to="/jobs">Jobs</Link>.
        </p>
      )}
    </section>
  );
}
