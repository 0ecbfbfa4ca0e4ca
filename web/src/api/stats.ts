// Metrics over time: GET /api/v1/stats/timeseries?webhookId&range=1h|24h|7d.
import { api } from './client';

export type StatsRange = '1h' | '24h' | '7d';
export const STATS_RANGES: StatsRange[] = ['1h', '24h', '7d'];

export interface MetricsCounts {
  /** accepted + rejected */
  volume: number;
  accepted: number;
  rejected: number;
  filtered: number;
  processed: number;
  failed: number;
  /** Ingest latency quantiles (ms); null without deliveries. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface MetricsPoint extends MetricsCounts {
  t: string;
}

export interface Timeseries {
  range: StatsRange;
  webhookId: string | null;
  stepSeconds: number;
  from: string;
  to: string;
  points: MetricsPoint[];
  totals: MetricsCounts;
}

export const statsAPI = {
  timeseries: (q: { range: StatsRange; webhookId?: string }) =>
    api.get<Timeseries>('/api/v1/stats/timeseries', { query: { range: q.range, webhookId: q.webhookId } }),
};
