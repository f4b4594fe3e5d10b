import type { Store } from '../store/store.ts';
import { uniqueViolation } from '../store/database.ts';
import { invalid, notFound } from '../domain/errors.ts';
import type { Manager } from '../domain/manager.ts';
import { isRole, type Principal, type Role, ROLES } from '../domain/privileges.ts';
import { authorize } from './access.ts';
import { keyDigest, newApiKey } from './api-keys.ts';

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
    if (typeof input.email !== 'string' || !EMAIL.test(input.email)) throw invalid('manager.invalid_email', 'email must be a valid email address', 'email');
  }
  if (full || input.role !== undefined) {
    if (!isRole(input.role)) throw invalid('manager.invalid_role', `role must be one of ${ROLES.join(', ')}`, 'role');
  }
}

export class ManagerService {
  constructor(private readonly store: Store) {}

  async create(p: Principal, tenantId: number, input: ManagerInput): Promise<{ manager: Manager; apiKey: string }> {
    authorize(p, tenantId, 'managers:write');
    return this.createUnchecked(tenantId, input);
  }

  /** For the CLI, which acts as the operator. */
  async createUnchecked(tenantId: number, input: ManagerInput): Promise<{ manager: Manager; apiKey: string }> {
    validate(input, true);
    if (!(await this.store.tenants.byId(tenantId))) throw notFound('tenant.not_found', `tenant ${tenantId} not found`);
    const apiKey = newApiKey();
    const manager = await this.store.managers.insert({
      tenantId,
      name: input.name!,
      email: input.email!,
      role: input.role as Role,
      keyDigest: keyDigest(apiKey),
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
    if (!m || (p.kind === 'manager' && p.tenantId !== m.tenantId)) throw notFound('manager.not_found', `manager ${id} not found`);
    authorize(p, m.tenantId, privilege);
    return m;
  }

  async get(p: Principal, id: number): Promise<Manager> {
    return this.reachable(p, id, 'managers:read');
  }

  async update(p: Principal, id: number, input: ManagerInput): Promise<Manager> {
    await this.reachable(p, id, 'managers:write');
    validate(input, false);
    const m = await this.store.managers.update(id, { name: input.name, email: input.email, role: input.role as Role | undefined });
    if (!m) throw notFound('manager.not_found', `manager ${id} not found`);
    return m;
  }

  async delete(p: Principal, id: number): Promise<void> {
    await this.reachable(p, id, 'managers:write');
    if (!(await this.store.managers.delete(id))) throw notFound('manager.not_found', `manager ${id} not found`);
  }

  /** Issues a new key; the old digest is overwritten, so the old key stops working at once. */
  async rotateKey(p: Principal, id: number): Promise<{ manager: Manager; apiKey: string }> {
    await this.reachable(p, id, 'managers:write');
    const apiKey = newApiKey();
    try {
      const manager = await this.store.managers.update(id, { keyDigest: keyDigest(apiKey) });
      if (!manager) throw notFound('manager.not_found', `manager ${id} not found`);
      return { manager, apiKey };
    } catch (e) {
      if (uniqueViolation(e)) throw new Error('key collision'); // 256 random bits: unreachable in practice
      throw e;
    }
  }
}
