// Executions: /api/v1/executions (SPEC §6). The events page links to them.
import { api, seg, type JsonValue } from './client';

export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ExecutionStep {
  index: number;
  name: string | null;
  type: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'retrying';
  attempts: number;
  output?: JsonValue;
  error?: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Execution {
  id: string;
  workflowId: string;
  eventId: string;
  webhookId: string;
  status: ExecutionStatus;
  priority: number;
  triggerData?: JsonValue;
  steps: ExecutionStep[];
  error?: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

export const executionAPI = {
  get: (id: string) => api.get<Execution>(`/api/v1/executions/${seg(id)}`),
};
