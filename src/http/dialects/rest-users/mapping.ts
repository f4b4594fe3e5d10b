import type { AppKey } from '../../../domain/app-key.ts';
import type { PortalAccount } from '../../../services/portal-account-service.ts';

/** Core → the portal's names: role ← plan, type ← billingType, status ← verified, allusage ← key usage. */
export function accountWire({ user, usage }: PortalAccount) {
  return {
    allusage: usage,
    created: user.createdAt.toISOString(),
    email: user.email,
    lastlogin: user.lastLoginAt ? user.lastLoginAt.toISOString() : null,
    role: user.plan,
    status: user.verified ? ('verified' as const) : ('unverified' as const),
    type: user.billingType,
    update: user.updatedAt.toISOString(),
    username: user.username,
  };
}

export function keyWire(k: AppKey) {
  return {
    id: k.id,
    name: k.name,
    created: k.createdAt.toISOString(),
    lastUsed: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
    usage: k.usage,
  };
}

export const success = <T>(content: T) => ({ status: 1 as const, message: '', content });
