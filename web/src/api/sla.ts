// SLA per priority: /api/v1/sla, /api/v1/settings/sla (SHAPES.md "SLA"); breakers (SHAPES.md "Breakers").
import { api } from './client';

export interface SlaWindow {
  started: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  breaches: number;
}

export interface SlaPriority {
  priority: 0 | 1 | 2 | 3;
  name: 'critical' | 'high' | 'normal' | 'low';
  targetMs: number;
  hour: SlaWindow;
  day: SlaWindow;
}

export interface SlaTargets {
  targetsMs: { critical: number; high: number; normal: number; low: number };
}

export interface Breaker {
  host: string;
  state: 'closed' | 'open' | 'half-open';
  consecutiveFailures: number;
  openedAt: string | null;
  nextProbeAt: string | null;
}

export const slaAPI = {
  get: () => api.get<{ priorities: SlaPriority[] }>('/api/v1/sla'),
  getTargets: () => api.get<SlaTargets>('/api/v1/settings/sla'),
  putTargets: (t: SlaTargets) => api.put<SlaTargets>('/api/v1/settings/sla', t),
  breakers: () => api.get<{ breakers: Breaker[] }>('/api/v1/breakers'),
};
