// Who the token is: GET /api/v1/me → {tenantId, tokenId, role}.
import { api } from './client';
import type { Role } from './tokens';

export interface Me {
  tenantId: string;
  tokenId: string;
  role: Role;
}

export const meAPI = {
  get: () => api.get<Me>('/api/v1/me'),
};
