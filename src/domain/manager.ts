import type { Role } from './privileges.ts';

export interface Manager {
  id: number;
  tenantId: number;
  name: string;
  email: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}
