import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { replayAPI, TERMINAL_JOB_STATUSES, type ReplayJob } from '../api/replays';
import { deadLetterAPI, TERMINAL_REDRIVE_STATUSES, type RedriveJob } from '../api/redrives';
import { formatDate, relativeTime } from '../lib/format';
import { useCan } from '../lib/role';
import { usePageTitle } from '../lib/title';
import { ErrorMessage } from '../components/ErrorMessage';
import { StatusBadge } from '../components/StatusBadge';

function ReplayJobRow({ job, canCancel }: { job: ReplayJob; canCancel: boolean }) {
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => replayAPI.cancel(job.id),
    onSettled: () => qc.invalidateQueries({ queryKey: ['replay-jobs'] }),
  });
  const done = job.replayed + job.failed + job.skipped;
  const terminal = TERMINAL_JOB_STATUSES.has(job.status);
  const what = job.spec?.ids ? `${job.spec.ids.length} selected events` : job.spec?.filter ? 'events matching a filter' : 'events';
  return (
    <li className="card job-card">
      <div className="job">
        <strong>Batch replay</strong> <StatusBadge status={job.status} />
        <span className="muted" title={formatDate(job.createdAt)}>
          started {relativeTime(job.createdAt)} · {what}
          {job.reason ? ` · “${job.reason}”` : ''}
        </span>
      </div>
      <div className="job">
        <label htmlFor={`rj-${job.id}`} className="sr-only">
          Replay job {job.id} progress
        </label>
        <progress id={`rj-${job.id}`} max={Math.max(job.matched, 1)} value={job.matched === 0 && terminal ? 1 : done} />
        <span>
          {done} of {job.matched} ({job.replayed} replayed, {job.failed} failed, {job.skipped} skipped)
          {job.error ? ` — ${job.error}` : ''}
        </span>
        {!terminal && canCancel && (
          <button type="button" className="small danger" aria-label={`Cancel replay job ${job.id}`} onClick={() => cancel.mutate()} disabled={cancel.isPending}>
            Cancel
          </button>
        )}
      </div>
      <ErrorMessage error={cancel.error} />
    </li>
  );
}

function RedriveJobRow({ job, canCancel }: { job: RedriveJob; canCancel: boolean }) {
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => deadLetterAPI.cancel(job.jobId),
    onSettled: () => qc.invalidateQueries({ queryKey: ['redrive-jobs'] }),
  });
  const terminal = TERMINAL_REDRIVE_STATUSES.has(job.status);
  return (
    <li className="card job-card">
      <div className="job">
        <strong>Dead-letter redrive</strong> <StatusBadge status={job.status} />
        <span className="muted" title={formatDate(job.createdAt)}>
          started {relativeTime(job.createdAt)}
        </span>
      </div>
      <div className="job">
        <label htmlFor={`dj-${job.jobId}`} className="sr-only">
          Redrive job {job.jobId} progress
        </label>
        <progress id={`dj-${job.jobId}`} max={Math.max(job.matched, 1)} value={job.matched === 0 && terminal ? 1 : job.done} />
        <span>
          {job.done} of {job.matched} ({job.failed} failed)
        </span>
        {!terminal && canCancel && (
          <button type="button" className="small danger" aria-label={`Cancel redrive job ${job.jobId}`} onClick={() => cancel.mutate()} disabled={cancel.isPending}>
            Cancel
          </button>
        )}
      </div>
      <ErrorMessage error={cancel.error} />
    </li>
  );
}

/** Batch replay and dead-letter redrive jobs of the tenant, newest first, with progress and cancel. */
export function JobsPage() {
  usePageTitle('Jobs');
  const canCancel = useCan('analyst');
  const replays = useQuery({
    queryKey: ['replay-jobs', 'list'],
    queryFn: () => replayAPI.list({ limit: 100 }),
    // Poll while a job is still running.
    refetchInterval: (q) => (q.state.data?.jobs.some((j) => !TERMINAL_JOB_STATUSES.has(j.status)) ? 1000 : 10_000),
  });
  const redrives = useQuery({
    queryKey: ['redrive-jobs', 'list'],
    queryFn: () => deadLetterAPI.jobs(),
    // A server without the runner answers 404: the section says so instead of retrying.
    retry: false,
    refetchInterval: (q) =>
      q.state.error ? false : q.state.data?.jobs.some((j) => !TERMINAL_REDRIVE_STATUSES.has(j.status)) ? 1000 : 10_000,
  });
  const redriveMissing = redrives.error instanceof ApiError && redrives.error.status === 404;
  return (
    <section>
      <div className="page-head">
        <h1>Jobs</h1>
      </div>
      <section aria-labelledby="replay-jobs-heading">
        <h2 id="replay-jobs-heading">Batch replays</h2>
        <ErrorMessage error={replays.error} />
        {replays.isPending ? (
          <p>Loading…</p>
        ) : replays.data?.jobs.length ? (
          <ul className="plain-list" aria-label="Batch replay jobs">
            {replays.data.jobs.map((j) => (
              <ReplayJobRow key={j.id} job={j} canCancel={canCancel} />
            ))}
          </ul>
        ) : (
          <p className="muted">No batch replays yet. Start one from the event history.</p>
        )}
      </section>
      <section aria-labelledby="redrive-jobs-heading">
        <h2 id="redrive-jobs-heading">Dead-letter redrives</h2>
        {redriveMissing ? (
          <p className="muted">This server does not run workflows yet, so there are no dead letters to redrive.</p>
        ) : (
          <>
            <ErrorMessage error={redrives.error} />
            {redrives.data?.jobs.length ? (
              <ul className="plain-list" aria-label="Redrive jobs">
                {redrives.data.jobs.map((j) => (
                  <RedriveJobRow key={j.jobId} job={j} canCancel={canCancel} />
                ))}
              </ul>
            ) : (
              !redrives.isPending && <p className="muted">No redrives yet.</p>
            )}
          </>
        )}
      </section>
    </section>
  );
}
