// Dead letters and redrive jobs (SHAPES.md "Dead letters", SPEC §6).
import { api, seg } from './client';
import type { Priority } from './webhooks';

export interface DeadLetter {
  id: string;
  executionId: string;
  workflowId: string;
  webhookId: string;
  eventId: string;
  priority: Priority;
  error: string;
  failedAt: string;
  redrivenAt: string | null;
  redriveExecutionId: string | null;
  redriveCount: number;
}

export interface DeadLetterList {
  deadLetters: DeadLetter[];
  nextCursor: string | null;
}

export interface DeadLetterFilter {
  workflowId?: string;
  webhookId?: string;
  from?: string;
  to?: string;
}

export type RedriveJobStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface RedriveJob {
  jobId: string;
  status: RedriveJobStatus;
  matched: number;
  done: number;
  failed: number;
  createdAt: string;
  finishedAt: string | null;
}

export type BulkRedriveRequest = ({ ids: string[] } | { filter: DeadLetterFilter }) & { dryRun?: boolean };

export const TERMINAL_REDRIVE_STATUSES: ReadonlySet<RedriveJobStatus> = new Set<RedriveJobStatus>(['completed', 'cancelled', 'failed']);

export const deadLetterAPI = {
  list: (q: DeadLetterFilter & { limit?: number; cursor?: string } = {}) =>
    api.get<DeadLetterList>('/api/v1/dead-letters', { query: { ...q } }),
  redrive: (id: string) => api.post<{ executionId: string; deadLetterId: string }>(`/api/v1/dead-letters/${seg(id)}/redrive`),
  /** 202 {jobId, matched}; with dryRun 200 {matched}. */
  bulk: (req: BulkRedriveRequest) => api.post<{ jobId?: string; matched: number }>('/api/v1/dead-letters/redrive', req),
  jobs: () => api.get<{ jobs: RedriveJob[] }>('/api/v1/redrives'),
  job: (jobId: string) => api.get<RedriveJob>(`/api/v1/redrives/${seg(jobId)}`),
  cancel: (jobId: string) => api.del<RedriveJob | undefined>(`/api/v1/redrives/${seg(jobId)}`),
};
