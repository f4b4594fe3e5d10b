import { InvalidArgumentError } from 'commander';
import { LICENSE_CODE, type Tenant } from '../domain/tenant.ts';
import type { Services } from '../services/services.ts';
import { ROOT, UsageError } from './run.ts';

/** Option parsers and the lookups every command group shares. */

export function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
    throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
}

export const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return v as T;
  };

/** A tenant as the command line names it: its numeric id or its license code. */
export function tenantRef(v: string): string {
  if (!LICENSE_CODE.test(v)) throw new InvalidArgumentError('must be a tenant id or license code');
  return v;
}

export const TENANT_OPTION = ['--tenant <tenant>', 'tenant id or license code'] as const;

/**
 * The tenant a reference names: digits are an id first (a license code made of digits is found
 * when no tenant has that id), anything else a license code.
 */
export async function resolveTenant(services: Services, ref: string): Promise<Tenant> {
  if (/^\d+$/.test(ref)) {
    const byId = Number.isSafeInteger(Number(ref)) ? await services.tenants.byId(Number(ref)) : null;
    if (byId) return services.tenants.get(ROOT, byId.id);
  }
  const t = await services.tenants.byLicenseCode(ref);
  if (!t) throw new UsageError(`tenant not found: no tenant has the id or license code "${ref}" (roster tenant list)`);
  return t;
}

/** `key=value` options that may repeat, collected in order. */
export const collectPairs = (v: string, previous: [string, string][] = []): [string, string][] => {
  const i = v.indexOf('=');
  if (i < 1) throw new InvalidArgumentError('must be name=value');
  return [...previous, [v.slice(0, i), v.slice(i + 1)]];
};
