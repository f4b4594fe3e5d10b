import type { FastifyRequest } from 'fastify';
import { requestContext } from '../../dialect.ts';
import { forbidden } from '../../../domain/errors.ts';
import type { Principal } from '../../../domain/privileges.ts';
import { PREFIX } from './constants.ts';

/** Who calls and where: the tenant is the key's own; `base` makes absolute `location` and `$ref` URIs. */
export interface ScimContext {
  principal: Principal;
  tenantId: number;
  base: string;
}

/**
 * SCIM has no tenant in its URLs, so the tenant is the manager key's. The root key belongs to no
 * tenant and is refused (403): provision through a manager key of the tenant (an IdP gets its own).
 */
export function scimContextFor(principal: Principal, req: FastifyRequest): ScimContext {
  if (principal.kind !== 'manager')
    throw forbidden('the root key has no tenant: SCIM needs the API key of a manager of the tenant');
  return { principal, tenantId: principal.tenantId, base: `${req.server.publicOrigin(req)}${PREFIX}` };
}

export const scimContext = requestContext<ScimContext>();
export const contextOf = scimContext.of;
