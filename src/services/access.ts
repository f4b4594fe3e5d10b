import { tenantNotFound } from '../domain/tenant.ts';
import { reaches, requirePrivilege, type Principal, type Privilege } from '../domain/privileges.ts';

/**
 * The gate in front of every tenant-scoped use case: a tenant the key cannot reach is "not found"
 * (its existence is never revealed); a reachable one needs the privilege.
 */
export function authorize(principal: Principal, tenantId: number, privilege: Privilege): void {
  if (!reaches(principal, tenantId)) throw tenantNotFound();
  requirePrivilege(principal, privilege);
}
