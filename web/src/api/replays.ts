// Batch replay jobs: /api/v1/replays/{jobId} (SPEC §7).
import { api, seg } from './client';
import type { BatchReplayFilter } from './events';

export type ReplayJobStatus = 'pending' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface ReplayJob {
  id: string;
  status: ReplayJobStatus;
  matched: number;
  replayed: number;
  failed: number;
  /** Skipped: over the replay limit, rejected originals, past retention. */
  skipped: number;
  /** Resume point: the stream sequence the job has read up to. */
  position: number;
  ratePerSec: number;
  reason?: string;
  workflowId?: string;
  /** The request the job was created from ({ids} or {filter}). */
  spec?: { ids?: string[]; filter?: BatchReplayFilter } | null;
  error?: string | null;
  createdAt: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export const TERMINAL_JOB_STATUSES: ReadonlySet<ReplayJobStatus> = new Set<ReplayJobStatus>([
  'completed',
  'cancelled',
  'failed',
]);

export interface ReplayJobList {
  jobs: ReplayJob[];
  nextCursor: string | null;
}

export const replayAPI = {
  /** The tenant's jobs, newest first. */
  list: (opts: { limit?: number } = {}) => api.get<ReplayJobList>('/api/v1/replays', { query: { limit: opts.limit } }),
  get: (jobId: string) => api.get<ReplayJob>(`/api/v1/replays/${seg(jobId)}`),
  /** DELETE answers the job, now "cancelled" (or already finished). */
  cancel: (jobId: string) => api.del<ReplayJob | undefined>(`/api/v1/replays/${seg(jobId)}`),
};
