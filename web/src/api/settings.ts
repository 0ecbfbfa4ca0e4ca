// Tenant settings: /api/v1/settings (SPEC §7).
import { api } from './client';

export interface RetentionSetting {
  /** 1..365, default 30. */
  retentionDays: number;
}

export interface ReplaySetting {
  /** Replays allowed per original delivery (default 3). */
  maxReplays: number;
  /** Upper bound for maxReplays (10); read-only. */
  hardCap?: number;
}

export const settingsAPI = {
  getRetention: () => api.get<RetentionSetting>('/api/v1/settings/retention'),
  putRetention: (s: RetentionSetting) => api.put<RetentionSetting>('/api/v1/settings/retention', s),
  getReplays: () => api.get<ReplaySetting>('/api/v1/settings/replays'),
  putReplays: (s: { maxReplays: number }) => api.put<ReplaySetting>('/api/v1/settings/replays', s),
};
