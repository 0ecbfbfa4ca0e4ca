// Query keys and shared queries (react-query).
import { useQuery } from '@tanstack/react-query';
import { webhookAPI } from '../api/webhooks';
import { workflowAPI } from '../api/workflows';
import { eventTypeAPI } from '../api/eventTypes';

export const keys = {
  webhooks: ['webhooks'] as const,
  webhook: (id: string) => ['webhooks', id] as const,
  webhookSecret: (id: string) => ['webhooks', id, 'secret'] as const,
  webhookTests: (id: string) => ['webhooks', id, 'tests'] as const,
  webhookStats: (id: string) => ['webhooks', id, 'stats'] as const,
  filters: (id: string) => ['webhooks', id, 'filters'] as const,
  workflows: ['workflows'] as const,
  eventTypes: ['event-types'] as const,
  eventType: (name: string) => ['event-types', name] as const,
  events: ['events'] as const,
  event: (id: string) => ['events', 'detail', id] as const,
  replayJob: (id: string) => ['replay-jobs', id] as const,
  retention: ['settings', 'retention'] as const,
  replaySettings: ['settings', 'replays'] as const,
  tokens: ['tokens'] as const,
  execution: (id: string) => ['executions', id] as const,
};

/** All webhooks (first 500) for selectors and name lookups. */
export function useAllWebhooks() {
  return useQuery({ queryKey: [...keys.webhooks, 'all'], queryFn: () => webhookAPI.list({ limit: 500 }) });
}

export function useWorkflows() {
  return useQuery({ queryKey: keys.workflows, queryFn: () => workflowAPI.list({ limit: 500 }) });
}

export function useEventTypes() {
  return useQuery({ queryKey: keys.eventTypes, queryFn: () => eventTypeAPI.list({ limit: 500 }) });
}
