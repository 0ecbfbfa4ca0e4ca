// The token's role decides which controls the dashboard shows (SPEC §9):
// viewer reads, analyst also replays and cancels jobs, admin changes everything.
import { useQuery } from '@tanstack/react-query';
import { meAPI } from '../api/me';
import type { Role } from '../api/tokens';

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2 };

/** True when `role` ranks at least `need`. An unknown role (still loading) may do nothing. */
export function roleAllows(role: Role | undefined, need: Role): boolean {
  if (!role) return false;
  return RANK[role] >= RANK[need];
}

export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: () => meAPI.get(), staleTime: 60_000 });
}

/** Whether the current token may do what `need` allows (false while loading). */
export function useCan(need: Role): boolean {
  const me = useMe();
  return roleAllows(me.data?.role, need);
}
