import type { FastifyRequest } from 'fastify';
import { requestContext } from '../../dialect.ts';
import type { IdempotentRequest } from '../../../services/idempotency-service.ts';
import type { Principal } from '../../../domain/privileges.ts';
import type { Tenant } from '../../../domain/tenant.ts';

export const USERMOST_PREFIX = '/v1/accounts';

/** The key's principal and the tenant its license code names, attached on routes that need a privilege. */
export interface UsermostContext {
  principal: Principal;
  tenant: Tenant;
}

export const usermostContext = requestContext<UsermostContext>();
export const contextOf = usermostContext.of;

/** The x-request-id of a write, with what the write asks (a retry must ask the same). */
export function idempotentRequest(req: FastifyRequest): IdempotentRequest | undefined {
  const id = req.headers['x-request-id'];
  if (id === undefined) return undefined;
  return { id: String(id), scope: `${req.method} ${req.url.split('?')[0]}`, payload: req.body ?? null };
}
