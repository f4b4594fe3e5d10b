import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../../domain/privileges.ts';

export const ACCOUNTS_PREFIX = '/api/v1/account';

/** Who calls and on which tenant: set by the dialect's onRequest hook before any handler runs. */
export interface AccountScope {
  principal: Principal;
  tenantId: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    accountScope: AccountScope | null;
  }
}

export const scopeOf = (req: FastifyRequest): AccountScope => req.accountScope!;
