import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { replayAPI, TERMINAL_JOB_STATUSES } from '../../api/replays';
import { keys } from '../../lib/queries';
import { ErrorMessage } from '../ErrorMessage';

/** Polls GET /api/v1/replays/{jobId} every second until the job ends. */
export function ReplayJobProgress({ jobId }: { jobId: string }) {
  const qc = useQueryClient();
  const job = useQuery({
    queryKey: keys.replayJob(jobId),
    queryFn: () => replayAPI.get(jobId),
    refetchInterval: (q) => (q.state.data && TERMINAL_JOB_STATUSES.has(q.state.data.status) ? false : 1000),
  });
  const cancel = useMutation({
    mutationFn: () => replayAPI.cancel(jobId),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.replayJob(jobId) }),
  });
  const j = job.data;
  const done = j ? j.replayed + j.failed + j.skipped : 0;
  const total = j?.matched ?? 0;
  const terminal = j ? TERMINAL_JOB_STATUSES.has(j.status) : false;
  return (
    <div className="job">
      <label htmlFor={`job-${jobId}`}>Batch replay {j?.status ?? 'starting'}</label>
      <progress id={`job-${jobId}`} max={Math.max(total, 1)} value={total === 0 && terminal ? 1 : done} />
      <span role="status">
        {j ? `${done} of ${total} (${j.replayed} replayed, ${j.failed} failed, ${j.skipped} skipped)` : 'Starting…'}
        {j?.error ? ` — ${j.error}` : ''}
      </span>
      {!terminal && (
        <button type="button" className="small danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
          Cancel batch replay
        </button>
      )}
      <ErrorMessage error={job.error ?? cancel.error} />
    </div>
  );
}
