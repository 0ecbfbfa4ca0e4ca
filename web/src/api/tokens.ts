// API tokens: /api/v1/tokens (SPEC §9).
import { api, seg } from './client';

export type Role = 'admin' | 'analyst' | 'viewer';
export const ROLES: Role[] = ['admin', 'analyst', 'viewer'];

export interface ApiToken {
  id: string;
  name: string | null;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
}

/** POST answers the token's plaintext once. */
export interface CreatedToken extends ApiToken {
  token: string;
}

export interface TokenList {
  tokens: ApiToken[];
  nextCursor: string | null;
}

export const tokenAPI = {
  list: () => api.get<TokenList>('/api/v1/tokens'),
  create: (input: { role: Role; name?: string }) => api.post<CreatedToken>('/api/v1/tokens', input),
  delete: (id: string) => api.del<void>(`/api/v1/tokens/${seg(id)}`),
};
