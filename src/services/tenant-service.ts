import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { conflict, forbidden, invalid, uniqueViolation } from '../domain/errors.ts';
import {
  DEFAULT_TENANT_SETTINGS,
  validateLicenseCode,
  validateTenantName,
  type Tenant,
  type TenantSettings,
  tenantNotFound,
} from '../domain/tenant.ts';
import type { Principal } from '../domain/privileges.ts';
import { authorize } from './access.ts';
import { diffFields } from '../domain/audit.ts';
import { actorName, recordAudit, type Actor } from './audit-service.ts';

const AUDITED_FIELDS = ['name', 'licenseCode', 'settings'] as const;

export interface TenantInput {
  name?: string;
  licenseCode?: string;
  settings?: Partial<TenantSettings>;
}

function validateSettings(s: Partial<TenantSettings>): void {
  if (
    s.passwordMinLength !== undefined &&
    (!Number.isInteger(s.passwordMinLength) || s.passwordMinLength < 1 || s.passwordMinLength > 128)
  ) {
    throw invalid(
      'tenant.invalid_settings',
      'settings.passwordMinLength must be an integer from 1 to 128',
      'settings.passwordMinLength',
    );
  }
}

export class TenantService {
  constructor(private readonly store: Store) {}

  private requireRoot(p: Principal): void {
    if (p.kind !== 'root') throw forbidden('only the root key manages tenants');
  }

  async create(
    p: Principal,
    input: { name: string; licenseCode?: string; settings?: Partial<TenantSettings> },
  ): Promise<Tenant> {
    this.requireRoot(p);
    return this.createUnchecked(input, { actor: p });
  }

  /** For the CLI and start-up, which act as the operator (audit actor `root` unless told). */
  async createUnchecked(
    input: { name: string; licenseCode?: string; settings?: Partial<TenantSettings> },
    opts: { actor?: Actor } = {},
  ): Promise<Tenant> {
    validateTenantName(input.name);
    if (input.licenseCode !== undefined) validateLicenseCode(input.licenseCode);
    if (input.settings) validateSettings(input.settings);
    const licenseCode = input.licenseCode ?? randomBytes(12).toString('base64url');
    try {
      return await this.store.transaction(async (tx) => {
        const t = await tx.tenants.insert({
          name: input.name,
          licenseCode,
          settings: { ...DEFAULT_TENANT_SETTINGS, ...input.settings },
        });
        await recordAudit(tx, {
          tenantId: t.id,
          actor: actorName(opts.actor ?? 'root'),
          action: 'tenant.create',
          target: `tenant:${t.id}`,
          changes: diffFields(null, t, AUDITED_FIELDS),
        });
        return t;
      });
    } catch (e) {
      if (uniqueViolation(e))
        throw conflict('tenant.license_code_taken', `licenseCode "${licenseCode}" is already in use`, 'licenseCode');
      throw e;
    }
  }

  async list(p: Principal, opts: { afterId: number; limit: number }): Promise<Tenant[]> {
    this.requireRoot(p);
    return this.store.tenants.list(opts);
  }

  async get(p: Principal, id: number): Promise<Tenant> {
    authorize(p, id, 'tenant:read');
    return this.mustExist(id);
  }

  async mustExist(id: number): Promise<Tenant> {
    const t = await this.store.tenants.byId(id);
    if (!t) throw tenantNotFound();
    return t;
  }

  byLicenseCode(code: string): Promise<Tenant | null> {
    return this.store.tenants.byLicenseCode(code);
  }

  byId(id: number): Promise<Tenant | null> {
    return this.store.tenants.byId(id);
  }

  async update(p: Principal, id: number, input: TenantInput): Promise<Tenant> {
    authorize(p, id, 'tenant:write');
    if (input.licenseCode !== undefined && p.kind !== 'root')
      throw forbidden('only the root key changes a licenseCode');
    if (input.name !== undefined) validateTenantName(input.name);
    if (input.licenseCode !== undefined) validateLicenseCode(input.licenseCode);
    if (input.settings) validateSettings(input.settings);
    return this.store.transactionChangingAccess(async (tx) => {
      const current = await tx.tenants.byId(id);
      if (!current) throw tenantNotFound();
      const settings = input.settings ? { ...current.settings, ...input.settings } : undefined;
      try {
        const t = await tx.tenants.update(id, { name: input.name, licenseCode: input.licenseCode, settings });
        if (!t) throw tenantNotFound();
        await recordAudit(tx, {
          tenantId: id,
          actor: actorName(p),
          action: 'tenant.update',
          target: `tenant:${id}`,
          changes: diffFields(current, t, AUDITED_FIELDS),
        });
        return t;
      } catch (e) {
        if (uniqueViolation(e))
          throw conflict(
            'tenant.license_code_taken',
            `licenseCode "${input.licenseCode}" is already in use`,
            'licenseCode',
          );
        throw e;
      }
    });
  }

  async delete(p: Principal, id: number): Promise<void> {
    this.requireRoot(p);
    await this.store.transactionChangingAccess(async (tx) => {
      const before = await tx.tenants.byId(id);
      if (!before || !(await tx.tenants.delete(id))) throw tenantNotFound();
      // The tenant's trail is kept (no foreign key), ending with its deletion.
      await recordAudit(tx, {
        tenantId: id,
        actor: actorName(p),
        action: 'tenant.delete',
        target: `tenant:${id}`,
        changes: diffFields(before, null, AUDITED_FIELDS),
      });
    });
  }

  /** A new database gets tenant 1, "Default", licenseCode `default`. */
  async ensureDefault(): Promise<void> {
    if (await this.store.tenants.byLicenseCode('default')) return;
    try {
      await this.store.transaction(async (tx) => {
        const t = await tx.tenants.insert({
          name: 'Default',
          licenseCode: 'default',
          settings: DEFAULT_TENANT_SETTINGS,
        });
        await recordAudit(tx, {
          tenantId: t.id,
          actor: 'system',
          action: 'tenant.create',
          target: `tenant:${t.id}`,
          changes: diffFields(null, t, AUDITED_FIELDS),
        });
      });
    } catch (e) {
      if (!uniqueViolation(e)) throw e; // another process created it first
    }
  }
}
