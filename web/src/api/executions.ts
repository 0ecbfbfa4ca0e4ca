// Executions: /api/v1/executions (SPEC §6; shapes in SHAPES.md "Executions").
import { api, seg, type JsonValue } from './client';
import type { Priority } from './webhooks';

export type ExecutionStatus = 'pending' | 'running' | 'retrying' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'retrying' | 'waiting' | 'completed' | 'failed';
export type StepType = 'http' | 'delay' | 'log';

export interface StepAttempt {
  attempt: number;
  startedAt: string;
  durationMs: number | null;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  /** e.g. "circuit_open" */
  reason: string | null;
}

export interface ExecutionStep {
  index: number;
  name: string | null;
  type: StepType;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  output: JsonValue | null;
  nextAttemptAt: string | null;
  attempts: StepAttempt[];
}

export interface ExecutionSummary {
  id: string;
  workflowId: string;
  workflowName: string;
  webhookId: string;
  eventId: string;
  priority: Priority;
  status: ExecutionStatus;
  error: string | null;
  redriveOf: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  stepCount: number;
  currentStep: number;
}

export interface Execution extends ExecutionSummary {
  triggerData?: { headers?: JsonValue; query?: JsonValue; body?: JsonValue; metadata?: JsonValue; eventId?: string; webhookId?: string } | null;
  steps: ExecutionStep[];
}

export interface ExecutionFilter {
  workflowId?: string;
  webhookId?: string;
  eventId?: string;
  status?: ExecutionStatus;
  priority?: Priority;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface ExecutionList {
  executions: ExecutionSummary[];
  nextCursor: string | null;
}

export const TERMINAL_EXECUTION_STATUSES: ReadonlySet<ExecutionStatus> = new Set<ExecutionStatus>(['completed', 'failed', 'cancelled']);

export const executionAPI = {
  list: (f: ExecutionFilter = {}) => api.get<ExecutionList>('/api/v1/executions', { query: { ...f } }),
  get: (id: string) => api.get<Execution>(`/api/v1/executions/${seg(id)}`),
};
