import { forbidden } from './errors.ts';

export const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export type Privilege =
  | 'users:read'
  | 'users:write'
  | 'users:delete'
  | 'managers:read'
  | 'managers:write'
  | 'tenant:read'
  | 'tenant:write'
  | 'audit:read'
  | 'users:export'
  | 'webhooks:manage'
  | 'tenant:backup';

const viewer: Privilege[] = ['users:read', 'tenant:read'];
const editor: Privilege[] = [...viewer, 'users:write'];
const admin: Privilege[] = [...editor, 'users:delete', 'managers:read', 'audit:read', 'webhooks:manage'];
const owner: Privilege[] = [...admin, 'managers:write', 'tenant:write', 'users:export', 'tenant:backup'];

const byRole: Record<Role, ReadonlySet<Privilege>> = {
  viewer: new Set(viewer),
  editor: new Set(editor),
  admin: new Set(admin),
  owner: new Set(owner),
};

/** Who is calling: the operator's root key (every tenant) or a manager's key (one tenant, one role). */
export type Principal = { kind: 'root' } | { kind: 'manager'; managerId: number; tenantId: number; role: Role };

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

export function can(principal: Principal, privilege: Privilege): boolean {
  return principal.kind === 'root' || byRole[principal.role].has(privilege);
}

/** True when the principal may act on this tenant at all (before privileges). */
export function reaches(principal: Principal, tenantId: number): boolean {
  return principal.kind === 'root' || principal.tenantId === tenantId;
}

export function requirePrivilege(principal: Principal, privilege: Privilege): void {
  if (!can(principal, privilege)) throw forbidden(`this key's role lacks the ${privilege} privilege`);
}

/** The audit actor string of a principal. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'root' ? 'root' : `manager:${principal.managerId}`;
}
