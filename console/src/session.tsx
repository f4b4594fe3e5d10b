// Who is signed in, and which tenant the console is looking at (a manager's own; root picks one).
import { createContext, useContext } from 'react';
import type { Whoami } from './types.ts';

export interface SessionState {
  me: Whoami;
  /** The tenant the pages show; null for root before one is picked. */
  tenantId: number | null;
  setTenantId(id: number): void;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** The tenant a page works on (pages under the shell only render once there is one). */
export const useTenantId = (): number => useSession().tenantId!;

const RANK = { viewer: 0, editor: 1, admin: 2, owner: 3 } as const;
/** Whether the signed-in person has at least this role (root has every role). */
export function useCan(): (role: keyof typeof RANK) => boolean {
  const { me } = useSession();
  return (role) => me.kind === 'root' || RANK[me.manager!.role] >= RANK[role];
}
