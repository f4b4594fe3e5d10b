import { invalid, notFound } from './errors.ts';
import { checkText } from './text.ts';

export interface TenantSettings {
  /** Whether POST /rest/users is open to anyone (the developer portal's sign-up). */
  publicSignup: boolean;
  /** Minimum password length for this tenant's users (legacy clients may need less than the default 8). */
  passwordMinLength: number;
}

export const DEFAULT_TENANT_SETTINGS: TenantSettings = { publicSignup: true, passwordMinLength: 8 };

export interface Tenant {
  id: number;
  name: string;
  licenseCode: string;
  settings: TenantSettings;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A tenant that does not exist or that the caller cannot reach: one answer for both, naming no id or
 * code, so nothing is learnt about other tenants.
 */
export const tenantNotFound = () => notFound('tenant.not_found', 'tenant not found');

export const LICENSE_CODE = /^[A-Za-z0-9_-]{1,64}$/;

export function validateTenantName(name: string): void {
  if (name.trim() === '' || name.length > 200)
    throw invalid('tenant.invalid_name', 'name must be 1 to 200 characters', 'name');
  checkText(name, 'name', 'tenant.invalid_name');
}

export function validateLicenseCode(code: string): void {
  if (!LICENSE_CODE.test(code)) {
    throw invalid(
      'tenant.invalid_license_code',
      'licenseCode must be 1 to 64 URL-safe characters (A-Z a-z 0-9 _ -)',
      'licenseCode',
    );
  }
}
