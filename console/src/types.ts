import type { components } from '@roster/client';
// Wire shapes of the management API the console reads (as its OpenAPI document describes them).
export type Role = 'viewer' | 'editor' | 'admin' | 'owner';
export const ROLES: Role[] = ['viewer', 'editor', 'admin', 'owner'];

export interface Tenant {
  id: number;
  name: string;
  licenseCode: string;
  settings: { publicSignup: boolean; passwordMinLength: number };
  createdAt: string;
  updatedAt: string;
}
export interface Manager {
  id: number;
  tenantId: number;
  name: string;
  email: string;
  role: Role;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}
export interface Whoami {
  kind: 'root' | 'manager';
  manager: Manager | null;
  tenant: Tenant | null;
  csrfToken: string | null;
  expiresAt: string | null;
}
/** The management API's user, as the served OpenAPI document declares it. */
export type User = components['schemas']['User'];
/** A page of any management list (items, nextCursor, total when asked), as the document declares UserList. */
export type Page<T> = Omit<components['schemas']['UserList'], 'items'> & { items: T[] };
export type AuditEvent = components['schemas']['AuditEvent'];
export type Dashboard = components['schemas']['Dashboard'];
