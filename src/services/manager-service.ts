import type { Store } from '../store/store.ts';
import { uniqueViolation } from '../store/database.ts';
import { invalid, notFound } from '../domain/errors.ts';
import type { Manager } from '../domain/manager.ts';
import { isRole, type Principal, type Role, ROLES } from '../domain/privileges.ts';
import { authorize } from './access.ts';
import { keyDigest, newApiKey } from './api-keys.ts';
import { diffFields } from '../domain/audit.ts';
import { actorName, recordAudit, type Actor } from './audit-service.ts';

const AUDITED_FIELDS = ['name', 'email', 'role'] as const;
const target = (m: Manager) => `manager:${m.id}`;

export interface ManagerInput {
  name?: string;
  email?: string;
  role?: string;
}

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

function validate(input: ManagerInput, full: boolean): void {
  if (full || input.name !== undefined) {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) {
      throw invalid('manager.invalid_name', 'name must be 1 to 200 characters', 'name');
    }
  }
  if (full || input.email !== undefined) {
    if (typeof input.email !== 'string' || !EMAIL.test(input.email))
      throw invalid('manager.invalid_email', 'email must be a valid email address', 'email');
  }
  if (full || input.role !== undefined) {
    if (!isRole(input.role)) throw invalid('manager.invalid_role', `role must be one of ${ROLES.join(', ')}`, 'role');
  }
}

export class ManagerService {
  constructor(private readonly store: Store) {}

  async create(p: Principal, tenantId: number, input: ManagerInput): Promise<{ manager: Manager; apiKey: string }> {
    authorize(p, tenantId, 'managers:write');
    return this.createUnchecked(tenantId, input, { actor: p });
  }

  /** For the CLI, which acts as the operator (audit actor `root` unless told). */
  async createUnchecked(
    tenantId: number,
    input: ManagerInput,
    opts: { actor?: Actor } = {},
  ): Promise<{ manager: Manager; apiKey: string }> {
    validate(input, true);
    if (!(await this.store.tenants.byId(tenantId))) throw notFound('tenant.not_found', `tenant ${tenantId} not found`);
    const apiKey = newApiKey();
    const manager = await this.store.transaction(async (tx) => {
      const m = await tx.managers.insert({
        tenantId,
        name: input.name!,
        email: input.email!,
        role: input.role as Role,
        keyDigest: keyDigest(apiKey),
      });
      const changes = { ...diffFields(null, m, AUDITED_FIELDS), apiKey: { before: null, after: 'issued' } };
      await recordAudit(tx, {
        tenantId,
        actor: actorName(opts.actor ?? 'root'),
        action: 'manager.create',
        target: target(m),
        changes,
      });
      return m;
    });
    return { manager, apiKey };
  }

  async list(p: Principal, tenantId: number, opts: { afterId: number; limit: number }): Promise<Manager[]> {
    authorize(p, tenantId, 'managers:read');
    if (!(await this.store.tenants.byId(tenantId))) throw notFound('tenant.not_found', `tenant ${tenantId} not found`);
    return this.store.managers.listByTenant(tenantId, opts);
  }

  /** Loads a manager the principal may see; other tenants' managers are "not found". */
  private async reachable(p: Principal, id: number, privilege: 'managers:read' | 'managers:write'): Promise<Manager> {
    const m = await this.store.managers.byId(id);
    if (!m || (p.kind === 'manager' && p.tenantId !== m.tenantId))
      throw notFound('manager.not_found', `manager ${id} not found`);
    authorize(p, m.tenantId, privilege);
    return m;
  }

  async get(p: Principal, id: number): Promise<Manager> {
    return this.reachable(p, id, 'managers:read');
  }

  async update(p: Principal, id: number, input: ManagerInput): Promise<Manager> {
    await this.reachable(p, id, 'managers:write');
    validate(input, false);
    return this.store.transactionChangingAccess(async (tx) => {
      const before = await tx.managers.byId(id);
      const m =
        before &&
        (await tx.managers.update(id, { name: input.name, email: input.email, role: input.role as Role | undefined }));
      if (!before || !m) throw notFound('manager.not_found', `manager ${id} not found`);
      await recordAudit(tx, {
        tenantId: m.tenantId,
        actor: actorName(p),
        action: 'manager.update',
        target: target(m),
        changes: diffFields(before, m, AUDITED_FIELDS),
      });
      return m;
    });
  }

  async delete(p: Principal, id: number): Promise<void> {
    await this.reachable(p, id, 'managers:write');
    await this.store.transactionChangingAccess(async (tx) => {
      const before = await tx.managers.byId(id);
      if (!before || !(await tx.managers.delete(id))) throw notFound('manager.not_found', `manager ${id} not found`);
      const changes = { ...diffFields(before, null, AUDITED_FIELDS), apiKey: { before: 'issued', after: null } };
      await recordAudit(tx, {
        tenantId: before.tenantId,
        actor: actorName(p),
        action: 'manager.delete',
        target: target(before),
        changes,
      });
    });
  }

  /** Issues a new key; the old digest is overwritten, so the old key stops working at once. */
  async rotateKey(p: Principal, id: number): Promise<{ manager: Manager; apiKey: string }> {
    await this.reachable(p, id, 'managers:write');
    const apiKey = newApiKey();
    try {
      const manager = await this.store.transactionChangingAccess(async (tx) => {
        const m = await tx.managers.update(id, { keyDigest: keyDigest(apiKey) });
        if (!m) throw notFound('manager.not_found', `manager ${id} not found`);
        const changes = { apiKey: { before: 'issued', after: 'issued' } };
        await recordAudit(tx, {
          tenantId: m.tenantId,
          actor: actorName(p),
          action: 'manager.key_rotate',
          target: target(m),
          changes,
        });
        return m;
      });
      return { manager, apiKey };
    } catch (e) {
      if (uniqueViolation(e)) throw new Error('key collision'); // 256 random bits: unreachable in practice
      throw e;
    }
  }
}
