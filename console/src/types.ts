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
export interface User {
  id: number;
  tenantId: number;
  externalId: string | null;
  username: string | null;
  email: string | null;
  firstName: string | null;
  middleName: string | null;
  lastName: string | null;
  displayName: string | null;
  company: string | null;
  title: string | null;
  department: string | null;
  website: string | null;
  phoneHome: string | null;
  phoneOffice: string | null;
  phoneMobile: string | null;
  phoneTollFree: string | null;
  phoneOther: string | null;
  pager: string | null;
  fax: string | null;
  gender: string | null;
  active: boolean;
  verified: boolean;
  plan: string;
  billingType: string;
  attributes: Record<string, unknown>;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total?: number;
}
export interface AuditEvent {
  id: number;
  tenantId: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  changes: Record<string, { before: unknown; after: unknown }>;
}
export interface Dashboard {
  users: { total: number; active: number; verified: number; createdLast7Days: number; createdLast30Days: number };
  days: { day: string; signups: number; logins: number }[];
}
