// Workflows: /api/v1/workflows (SPEC §6; shapes in SHAPES.md "Workflows").
import { api, seg } from './client';

export type WorkflowStep =
  | { type: 'http'; name?: string; method: string; url: string; headers?: Record<string, string>; body?: string; timeoutMs?: number }
  | { type: 'delay'; name?: string; seconds: number }
  | { type: 'log'; name?: string; message: string };

export interface RetrySettings {
  maxAttempts: number;
  initialIntervalMs: number;
  maxIntervalMs: number;
  multiplier: number;
}

export interface BreakerSettings {
  failureThreshold: number;
  cooldownMs: number;
}

export interface Workflow {
  id: string;
  name: string;
  description?: string;
  steps: WorkflowStep[];
  retry?: RetrySettings | null;
  timeoutMs?: number | null;
  breaker?: BreakerSettings | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowList {
  workflows: Workflow[];
  nextCursor: string | null;
}

export interface WorkflowInput {
  name: string;
  description?: string;
  steps: WorkflowStep[];
  retry?: RetrySettings;
  timeoutMs?: number;
  breaker?: BreakerSettings;
}
/** @deprecated use WorkflowInput */
export type CreateWorkflow = WorkflowInput;

export const DEFAULT_RETRY: RetrySettings = { maxAttempts: 5, initialIntervalMs: 1000, maxIntervalMs: 30000, multiplier: 2 };
export const DEFAULT_BREAKER: BreakerSettings = { failureThreshold: 5, cooldownMs: 30000 };

const base = '/api/v1/workflows';

export const workflowAPI = {
  list: (params: { limit?: number; cursor?: string } = {}) => api.get<WorkflowList>(base, { query: { ...params } }),
  get: (id: string) => api.get<Workflow>(`${base}/${seg(id)}`),
  create: (input: WorkflowInput) => api.post<Workflow>(base, input),
  update: (id: string, input: WorkflowInput) => api.put<Workflow>(`${base}/${seg(id)}`, input),
  delete: (id: string) => api.del<void>(`${base}/${seg(id)}`),
};
