// Workflows: /api/v1/workflows (SPEC §6).
import { api, type JsonValue } from './client';

export type WorkflowStep =
  | { type: 'http'; name?: string; method: string; url: string; headers?: Record<string, string>; body?: string }
  | { type: 'delay'; name?: string; seconds: number }
  | { type: 'log'; name?: string; message: string };

export interface Workflow {
  id: string;
  name: string;
  steps: WorkflowStep[];
  /** Per-workflow retry override, when set. */
  retry?: { [key: string]: JsonValue } | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowList {
  workflows: Workflow[];
  nextCursor: string | null;
}

export interface CreateWorkflow {
  name: string;
  steps: WorkflowStep[];
}

const base = '/api/v1/workflows';

export const workflowAPI = {
  list: (params: { limit?: number; cursor?: string } = {}) => api.get<WorkflowList>(base, { query: { ...params } }),
  create: (input: CreateWorkflow) => api.post<Workflow>(base, input),
};
