import type { Store } from '../store/store.ts';
import { conflict, invalid, notFound, uniqueViolation } from '../domain/errors.ts';
import { tenantNotFound } from '../domain/tenant.ts';
import { MANAGER_PASSWORD_MAX, MANAGER_PASSWORD_MIN } from '../domain/console-session.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { checkText } from '../domain/text.ts';
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
    checkText(input.name, 'name', 'manager.invalid_name');
  }
  if (full || input.email !== undefined) {
    if (typeof input.email !== 'string' || !EMAIL.test(input.email))
      throw invalid('manager.invalid_email', 'email must be a valid email address', 'email');
    checkText(input.email, 'email', 'manager.invalid_email');
  }
  if (full || input.role !== undefined) {
    if (!isRole(input.role)) throw invalid('manager.invalid_role', `role must be one of ${ROLES.join(', ')}`, 'role');
  }
}

const emailTaken = () => conflict('manager.email_taken', 'another manager of this tenant has this email', 'email');
const lastOwner = () =>
  conflict('manager.last_owner', 'a tenant keeps at least one owner: make another manager owner first', 'role');

/** A unique violation on insert or update of a manager can only be its email within the tenant. */
async function emailUnique<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (uniqueViolation(e)) throw emailTaken();
    throw e;
  }
}

export class ManagerService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
  ) {}

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
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    const apiKey = newApiKey();
    const manager = await emailUnique(() =>
      this.store.transaction(async (tx) => {
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
      }),
    );
    return { manager, apiKey };
  }

  async list(p: Principal, tenantId: number, opts: { afterId: number; limit: number }): Promise<Manager[]> {
    authorize(p, tenantId, 'managers:read');
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
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
    return emailUnique(() =>
      this.store.transactionChangingAccess(async (tx) => {
        const before = await tx.managers.byId(id);
        if (before?.role === 'owner' && input.role !== undefined && input.role !== 'owner')
          if ((await tx.managers.otherOwners(before.tenantId, id)) === 0) throw lastOwner();
        const m =
          before &&
          (await tx.managers.update(id, {
            name: input.name,
            email: input.email,
            role: input.role as Role | undefined,
          }));
        if (!before || !m) throw notFound('manager.not_found', `manager ${id} not found`);
        // The role a console session was opened with no longer holds.
        if (m.role !== before.role) await tx.consoleSessions.deleteByManager(id);
        await recordAudit(tx, {
          tenantId: m.tenantId,
          actor: actorName(p),
          action: 'manager.update',
          target: target(m),
          changes: diffFields(before, m, AUDITED_FIELDS),
        });
        return m;
      }),
    );
  }

  async delete(p: Principal, id: number): Promise<void> {
    await this.reachable(p, id, 'managers:write');
    await this.store.transactionChangingAccess(async (tx) => {
      const before = await tx.managers.byId(id);
      if (before?.role === 'owner' && (await tx.managers.otherOwners(before.tenantId, id)) === 0) throw lastOwner();
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
        await tx.consoleSessions.deleteByManager(id);
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

  /**
   * Sets or clears a manager's console password: the manager itself (with its own key or session)
   * or whoever may change managers of its tenant. Stored as an argon2id hash only.
   */
  async setPassword(p: Principal, id: number, password: string | null): Promise<Manager> {
    const self = p.kind === 'manager' && p.managerId === id;
    const m = self ? await this.store.managers.byId(id) : await this.reachable(p, id, 'managers:write');
    if (!m) throw notFound('manager.not_found', `manager ${id} not found`);
    if (password !== null && (password.length < MANAGER_PASSWORD_MIN || password.length > MANAGER_PASSWORD_MAX))
      throw invalid(
        'manager.invalid_password',
        `password must be ${MANAGER_PASSWORD_MIN} to ${MANAGER_PASSWORD_MAX} characters`,
        'password',
      );
    const hashed = password === null ? null : await this.hasher.hash(password);
    return this.store.transaction(async (tx) => {
      if (!(await tx.managers.setPasswordHash(id, hashed)))
        throw notFound('manager.not_found', `manager ${id} not found`);
      await recordAudit(tx, {
        tenantId: m.tenantId,
        actor: actorName(p),
        action: 'manager.password_set',
        target: target(m),
        changes: { password: { before: m.hasPassword ? 'set' : null, after: hashed ? 'set' : null } },
      });
      return { ...m, hasPassword: hashed !== null };
    });
  }
}
