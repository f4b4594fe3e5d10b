import type { Role } from './privileges.ts';

export interface Manager {
  id: number;
  tenantId: number;
  name: string;
  email: string;
  role: Role;
  /** A console password is set (its hash never leaves the store). */
  hasPassword: boolean;
  createdAt: Date;
  updatedAt: Date;
}
