import { requestContext } from '../../dialect.ts';
import type { Principal } from '../../../domain/privileges.ts';

export const ACCOUNTS_PREFIX = '/api/v1/account';

/** Who calls and on which tenant: attached by the dialect's onRequest hook before any handler runs. */
export interface AccountsContext {
  principal: Principal;
  tenantId: number;
}

export const accountsContext = requestContext<AccountsContext>();
export const contextOf = accountsContext.of;
