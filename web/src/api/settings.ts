// Tenant settings: /api/v1/settings (SPEC §7).
import { api } from './client';

export interface RetentionSetting {
  /** 1..365, default 30. */
  retentionDays: number;
}

export const settingsAPI = {
  getRetention: () => api.get<RetentionSetting>('/api/v1/settings/retention'),
  putRetention: (s: RetentionSetting) => api.put<RetentionSetting>('/api/v1/settings/retention', s),
};
